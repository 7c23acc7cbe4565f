"""Test keys for hand-written returns: each club slug has its own deterministic key pair."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from cigales.federation import signing
from cigales.federation.document import seal
from cigales.services.federation_keys import register_key
from tests.reports.conftest import TODAY


def private_key(slug: str, version: int = 1) -> bytes:
    """The 32 raw bytes of club ``slug``'s test key (a new ``version`` after a rotation)."""
    return hashlib.sha256(f"test key {slug} {version}".encode()).digest()


def signed(document: dict[str, Any], key: bytes | None = None) -> dict[str, Any]:
    """``document`` signed (by its club's test key unless ``key``) and sealed."""
    return seal(signing.sign(document, key or private_key(document["club"]["slug"])))


def register(session: Session, *slugs: str) -> None:
    """The region records the test keys of ``slugs``."""
    for slug in slugs:
        register_key(session, slug, signing.public_key(private_key(slug)), today=TODAY,
                     source="test")
