"""The quick read path: ``report balance`` without SQLAlchemy, on the database driver alone.

Why: importing SQLAlchemy costs more than the whole trial balance (about half of the
command's time; bench/README.md, "Start-up: the quick read path"), and a treasurer runs this
command dozens of times in a sitting, next to plain-text tools that answer in a few
milliseconds. So when the database is a plain SQLite file at the packaged schema version and
the club exists, the command reads here, with ``sqlite3``; likewise on PostgreSQL with psycopg
(the ``postgresql+psycopg`` URLs that cigales uses):

* the statements are those ``ledger.trial`` and ``cigales.tables`` build with SQLAlchemy Core,
  compiled in advance into ``cigales/read_sql.py`` (``scripts/compile_read_sql.py``; a test
  fails when that file is out of date): one definition of every query;
* the rows become a trial balance in ``ledger.trial_figures``, as on the Core path;
* a SQLite connection gets the settings of every cigales connection
  (``cigales.sqlite_settings``); either reads in one transaction, ended without a commit,
  like ``cigales.db.read_scope``.

Anything out of the ordinary (another driver, a URL this module does not read, a missing
file, a server that refuses, a schema behind or ahead, an unknown club, any error of the
driver) returns None, and the command goes the Core way, which gives the user its usual
message. tests/test_quick_read.py compares both paths on both databases.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from cigales import migrate, sqlite_settings
from cigales.db_url import normalize_url, plain_sqlite_file
from cigales.read_sql import STATEMENTS
from ledger.trial_figures import TrialBalance, escape_like, first_unkept_day, trial_balance_of_rows


class _Opened(NamedTuple):
    connection: Any
    dialect: str  # a key of read_sql.STATEMENTS
    errors: tuple[type[Exception], ...]  # what the driver raises: the Core path answers
    bound: Callable[[Any], Any]  # a value as the driver takes it


def trial_balance(url: str, slug: str | None, as_of: dt.date,
                  prefix: str | None) -> tuple[TrialBalance, str | None] | None:
    """One club's trial balance (``slug``) or every club's (None), with the club's name;
    None when this path does not apply and the Core path must answer."""
    opened = _open(url)
    if opened is None:
        return None
    connection = opened.connection
    try:
        if not _at_head(opened):
            return None
        name = None
        if slug is None:
            kind = "all"
            values: dict[str, Any] = {}
        else:
            club = _run(opened, "club_by_slug", {"slug": slug})
            if len(club) != 1:
                return None
            _club_id, book_id, name = club[0]
            kind = "book"
            values = {"book_id": book_id}
        cut = first_unkept_day(as_of)
        # As in ledger.trial._parts: the postings since the cut are read when it is not later.
        statement = f"{kind}_{'mid_month' if cut <= as_of else 'month_end'}"
        if prefix:
            statement += "_prefix"
            values["prefix_pattern"] = escape_like(prefix)
        values |= {"as_of": as_of, "first_unkept_day": cut}
        return trial_balance_of_rows(as_of, _run(opened, statement, values)), name
    except opened.errors:
        return None
    finally:
        try:
            connection.rollback()  # read-only: end the transaction, as read_scope does
        finally:
            connection.close()


def _open(url: str) -> _Opened | None:
    path = plain_sqlite_file(url)
    if path is not None:
        return _open_sqlite(path) if path.is_file() else None
    url = normalize_url(url)
    if url.startswith("postgresql+psycopg://"):
        return _open_postgresql("postgresql://" + url.split("://", 1)[1])
    return None


def _open_sqlite(path: Any) -> _Opened | None:
    try:
        connection = sqlite3.connect(path)
        sqlite_settings.configure(connection, file_backed=True)
        connection.execute("BEGIN")  # one snapshot for the version, the club and the figures
    except sqlite3.Error:
        return None
    # SQLAlchemy's SQLite dialect stores a date as YYYY-MM-DD text.
    return _Opened(connection, "sqlite", (sqlite3.Error,),
                   lambda v: v.isoformat() if isinstance(v, dt.date) else v)


def _open_postgresql(conninfo: str) -> _Opened | None:
    try:
        import psycopg
    except ImportError:  # the [postgres] extra is not installed: the Core path says so
        return None
    try:
        # A URL's query (options=-csearch_path=..., sslmode...) is libpq's own syntax too.
        connection = psycopg.connect(conninfo)
        # One snapshot for the version, the club and the figures, as the Core path's
        # transaction gives at its isolation level; never a write.
        connection.read_only = True
    except psycopg.Error:
        return None
    return _Opened(connection, "postgresql", (psycopg.Error,), lambda v: v)


def _at_head(opened: _Opened) -> bool:
    # The table in the schema the connection writes to; stricter than SQLAlchemy's has_table
    # (any schema of the search path) on PostgreSQL, so at worst the Core path answers.
    exists = ("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?"
              if opened.dialect == "sqlite" else
              "SELECT table_name FROM information_schema.tables "
              "WHERE table_schema = current_schema() AND table_name = %s")
    if opened.connection.execute(exists, (migrate.VERSION_TABLE,)).fetchone() is None:
        return False
    rows = opened.connection.execute(migrate.STORED_REVISION_SQL).fetchall()
    return len(rows) == 1 and rows[0][0] == migrate.head()


def _run(opened: _Opened, name: str, values: dict[str, Any]) -> Sequence[tuple[Any, ...]]:
    sql, arguments = STATEMENTS[opened.dialect][name]
    bound = [opened.bound(values[value]) if kind == "argument" else value
             for kind, value in arguments]
    rows: Sequence[tuple[Any, ...]] = opened.connection.execute(sql, bound).fetchall()
    return rows
