"""Where the database is: the default URL, its normal form, and a plain SQLite file's path,
without importing SQLAlchemy (the command table and the quick read path use them)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_URL = "sqlite:///cigales.db"


def default_url() -> str:
    return os.environ.get("CIGALES_DB") or DEFAULT_URL


def normalize_url(url: str) -> str:
    """Accept a bare file path for convenience, and prefer psycopg 3 for PostgreSQL."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def plain_sqlite_file(url: str) -> Path | None:
    """The file of a URL of the simplest form, ``sqlite:///PATH`` or a bare path, with no
    driver, query nor in-memory database; None for anything else (``cigales.db.sqlite_path``
    reads every form with SQLAlchemy). The quick read path takes only these."""
    url = normalize_url(url)
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    database = url[len(prefix):]
    if not database or database == ":memory:" or "?" in database or database.startswith("file:"):
        return None
    return Path(database).expanduser()
