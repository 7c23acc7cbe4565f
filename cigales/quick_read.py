"""The quick read path: ``report balance`` on a SQLite file with the ``sqlite3`` module alone.

Why: importing SQLAlchemy costs more than the whole trial balance (about half of the
command's time; bench/README.md, "Start-up: the quick read path"), and a treasurer runs this
command dozens of times in a sitting, next to plain-text tools that answer in a few
milliseconds. So when the database is a plain SQLite file at the packaged schema version and
the club exists, the command reads here:

* the statements are those ``ledger.trial`` and ``cigales.tables`` build with SQLAlchemy Core,
  compiled in advance into ``cigales/read_sql.py`` (``scripts/compile_read_sql.py``; a test
  fails when that file is out of date): one definition of every query;
* the rows become a trial balance in ``ledger.trial_figures``, as on the Core path;
* the connection gets the settings of every cigales connection (``cigales.sqlite_settings``)
  and reads in one transaction, rolled back at the end, like ``cigales.db.read_scope``.

Anything out of the ordinary (another database, a missing file, a schema behind or ahead, an
unknown club, any error of the sqlite3 module) returns None, and the command goes the Core
way, which gives the user its usual message. tests/test_quick_read.py compares both paths.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import Any

from cigales import migrate, sqlite_settings
from cigales.db_url import plain_sqlite_file
from cigales.read_sql import STATEMENTS
from ledger.trial_figures import TrialBalance, escape_like, first_unkept_day, trial_balance_of_rows


def trial_balance(url: str, slug: str | None, as_of: dt.date,
                  prefix: str | None) -> tuple[TrialBalance, str | None] | None:
    """One club's trial balance (``slug``) or every club's (None), with the club's name;
    None when this path does not apply and the Core path must answer."""
    path = plain_sqlite_file(url)
    if path is None or not path.is_file():
        return None
    try:
        connection = sqlite3.connect(path)
    except sqlite3.Error:
        return None
    try:
        sqlite_settings.configure(connection, file_backed=True)
        connection.execute("BEGIN")  # one snapshot for the version, the club and the figures
        if not _at_head(connection):
            return None
        name = None
        if slug is None:
            kind = "all"
            values: dict[str, Any] = {}
        else:
            club = _run(connection, "club_by_slug", {"slug": slug})
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
        return trial_balance_of_rows(as_of, _run(connection, statement, values)), name
    except sqlite3.Error:
        return None
    finally:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        connection.close()


def _at_head(connection: sqlite3.Connection) -> bool:
    found = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                               "name = ?", (migrate.VERSION_TABLE,)).fetchone()
    if found is None:
        return False
    rows = connection.execute(f"SELECT version_num FROM {migrate.VERSION_TABLE}").fetchall()  # noqa: S608 - a constant
    return len(rows) == 1 and rows[0][0] == migrate.head()


def _run(connection: sqlite3.Connection, name: str,
         values: dict[str, Any]) -> Sequence[tuple[Any, ...]]:
    sql, arguments = STATEMENTS[name]
    bound = [_bound(values[value]) if kind == "argument" else value
             for kind, value in arguments]
    return connection.execute(sql, bound).fetchall()


def _bound(value: Any) -> Any:
    # SQLAlchemy's SQLite dialect stores a date as YYYY-MM-DD text.
    return value.isoformat() if isinstance(value, dt.date) else value
