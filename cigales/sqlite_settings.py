"""The settings every SQLite connection of cigales gets, on the ``sqlite3`` module alone.

``cigales.db`` applies them to each connection of a SQLAlchemy engine; ``cigales.quick_read``
to the connection it opens itself without SQLAlchemy (start-up). One list, so both read the
same file the same way.
"""

from __future__ import annotations

from typing import Any


def configure(dbapi_connection: Any, *, file_backed: bool) -> None:
    # Take transaction control away from the sqlite3 module so we can BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = FULL")
    # Deleted and overwritten content is zeroed, not left in free pages: an erased member's
    # name must not stay readable in the file (issue #14; see cigales.services.privacy).
    cursor.execute("PRAGMA secure_delete = ON")
    mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
    if mode != "wal" and file_backed:
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()
