"""Ed25519 signatures of the yearly club returns (docs/federation.md, "Signed returns").

The checksum of a return proves that the file is intact, not who wrote it: anyone can reseal
a file they edited. A signature by the club's private key proves that the return comes from
whoever holds the club's books (the key lives in the club's database, see
``cigales.services.federation_keys``), and the region checks it against the public key it
registered for that club.

What is signed: the canonical JSON of the document without its ``checksum`` and
``signature`` keys (keys sorted, no spaces, UTF-8: the same canonical form as the checksum),
so the file's layout never matters. The signature travels inside the document::

    "signature": {"algorithm": "ed25519", "key": "<sha256 of the public key, hex>",
                  "value": "<base64 of the 64-byte signature>"}

and the checksum, computed last, covers it too. ``key`` only names the key that signed (so
the region can tell "signed with another key" from "changed after signing"); verification
always uses the key the region registered, never anything the document says.

This module is pure (no database): keys in and out as bytes or text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cigales.errors import CigalesError, UsageProblem
from ledger.errors import N_, Msg

ALGORITHM = "ed25519"
KEY_BYTES = 32


class InvalidPublicKey(UsageProblem):
    code = "invalid_public_key"
    template = N_("{source} is not an Ed25519 public key: give the file written by `cigales "
                  "federation keys show` (a PEM block starting with “-----BEGIN PUBLIC "
                  "KEY-----”) or the key's 44-character base64 form.")


class ReturnSignatureInvalid(CigalesError):
    code = "return_signature_invalid"
    template = N_("{source}: the return's signature is not valid ({reason}). Only a return "
                  "signed by the club's registered key is accepted; ask the club for a return "
                  "written by `cigales federation return`.")


# Reasons shown in ReturnSignatureInvalid (translated when rendered).
UNSIGNED = Msg(N_("the return is not signed"))
OTHER_KEY = Msg(N_("it was signed with another key than the one registered for the club"))
CHANGED = Msg(N_("the return was changed after it was signed"))


# -- keys ------------------------------------------------------------------------------------

def new_private_key() -> bytes:
    """A fresh private key, as its 32 raw bytes."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption())


def public_key(private: bytes) -> bytes:
    """The 32 raw bytes of the public key of ``private``."""
    return Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def encode(raw: bytes) -> str:
    """Raw key bytes as base64 text (how keys are stored: 44 characters)."""
    return base64.b64encode(raw).decode("ascii")


def decode(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def fingerprint(public: bytes) -> str:
    """The sha256 of the raw public key, hex: what a club and its region compare."""
    return hashlib.sha256(public).hexdigest()


def spaced(print_: str) -> str:
    """A fingerprint in groups of four, easier to read out on the phone."""
    return " ".join(print_[i:i + 4] for i in range(0, len(print_), 4))


def public_pem(public: bytes) -> str:
    """The public key as a PEM block (SubjectPublicKeyInfo), the file a club sends."""
    key = Ed25519PublicKey.from_public_bytes(public)
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def read_public_key(text: str, source: str) -> bytes:
    """The raw public key from a PEM block or a bare base64 key; InvalidPublicKey otherwise."""
    stripped = text.strip()
    try:
        if stripped.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(stripped.encode("ascii"))
            if not isinstance(key, Ed25519PublicKey):
                raise InvalidPublicKey(source=source)
            return key.public_bytes(serialization.Encoding.Raw,
                                    serialization.PublicFormat.Raw)
        raw = decode(stripped)
    except (ValueError, UnicodeEncodeError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise InvalidPublicKey(source=source) from exc
    if len(raw) != KEY_BYTES:
        raise InvalidPublicKey(source=source)
    return raw


# -- documents -------------------------------------------------------------------------------

def signed_bytes(document: dict[str, Any]) -> bytes:
    """What the signature covers: every key but ``checksum`` and ``signature``, canonical."""
    content = {k: v for k, v in document.items() if k not in ("checksum", "signature")}
    return json.dumps(content, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def sign(document: dict[str, Any], private: bytes) -> dict[str, Any]:
    """The document (without checksum) with its ``signature`` block; the caller seals it."""
    content = {k: v for k, v in document.items() if k not in ("checksum", "signature")}
    value = Ed25519PrivateKey.from_private_bytes(private).sign(signed_bytes(content))
    return {**content, "signature": {"algorithm": ALGORITHM,
                                     "key": fingerprint(public_key(private)),
                                     "value": encode(value)}}


def verify(document: dict[str, Any], public: bytes, source: str) -> None:
    """Raise ReturnSignatureInvalid unless ``document`` is signed by ``public``."""
    block = document.get("signature")
    if not isinstance(block, dict):
        raise ReturnSignatureInvalid(source=source, reason=UNSIGNED)
    try:
        value = decode(str(block.get("value", "")))
        Ed25519PublicKey.from_public_bytes(public).verify(value, signed_bytes(document))
    except (InvalidSignature, ValueError, binascii.Error) as exc:
        reason = CHANGED if block.get("key") == fingerprint(public) else OTHER_KEY
        raise ReturnSignatureInvalid(source=source, reason=reason) from exc
