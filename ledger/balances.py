"""Kept balances: debit and credit totals per account and month (``account_balance_month``).

A balance at a date is the sum of every posting up to it (``ledger.queries``), which costs a
scan of the book's postings: about a second per million. The kept table holds that sum per
account and calendar month, so a balance at D reads the full months before D from the table
and only the postings of D's own month up to D (none when D ends a month). The figures are
exactly the postings' own (tests/ledger/test_balances.py compares them on random books).

Rules:

* the table follows ``ledger.schema.counts_in_balances()`` exactly: an AN entry counts only
  when it is dated the day the books opened (``counts``, the same rule in Python, is what
  ``ledger.post`` applies to each entry it writes);
* it is written only by ``ledger.post`` (``add_postings``), in the transaction of the
  postings, with one upsert per account and month of the batch; entries are never changed and
  a reversal is a new entry, so totals only grow, which the database guards enforce;
* inside a deferred block (``ledger.post.deferred``) the totals of the block's entries are
  kept in memory and written once, per account and month, when the block settles; every
  reader here and in ``ledger.trial`` first calls the hooks registered with ``before_read``
  (``ledger.post`` writes what waits), so what is read is always exact, inside the
  transaction as after it;
* ``ledger.audit`` recomputes it from the postings (``recomputed``) and reports every
  difference as ``balance_cache_mismatch``: the postings stay the source of truth.

The reading (``movements``, ``balances_at``) is in ``ledger.trial``, on Core only, for the
start-up of ``report balance``; it is re-exported here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import (
    ColumnElement,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session

from ledger.schema import (
    OPENING_JOURNAL,
    Account,
    AccountBalanceMonth,
    Entry,
    Posting,
    counts_in_balances,
)

# The read path lives in ledger.trial (Core only, for start-up); re-exported for its callers.
from ledger.trial import (
    ONE_DAY,
    AccountTotals,
    Books,
    balances_at,
    before_read,
    month_of,
    movements,
    up_to_date,
)

# Names callers import from here (cigales.cli.common does the same for its re-exports).
__all__ = ["ONE_DAY", "AccountTotals", "Books", "balances_at", "before_read", "month_of",
           "movements", "up_to_date"]

_TABLE = AccountBalanceMonth.metadata.tables[AccountBalanceMonth.__tablename__]


def counts(journal: str, date: dt.date, opened_on: dt.date) -> bool:
    """``counts_in_balances()`` for one entry, in Python (for ``ledger.post``)."""
    return journal != OPENING_JOURNAL or date == opened_on


# -- writing -------------------------------------------------------------------------------------

_UPSERTS: dict[str, Any] = {}


def _upsert(dialect: str) -> Any:
    """The upsert statement of a dialect, built once: building it (``excluded`` makes a new
    column collection each time) cost more CPU than sending it."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        table = _TABLE
        # Start-up: the dialect's insert is imported here, so that a command on SQLite never
        # imports the PostgreSQL dialect (and its drivers' modules): tests/cli/test_startup.py.
        insert: Any
        if dialect == "postgresql":
            from sqlalchemy.dialects import postgresql
            insert = postgresql.insert(table)
        else:
            from sqlalchemy.dialects import sqlite
            insert = sqlite.insert(table)
        stmt = insert.on_conflict_do_update(
            index_elements=[table.c.account_id, table.c.month],
            set_={"debit_cents": table.c.debit_cents + insert.excluded.debit_cents,
                  "credit_cents": table.c.credit_cents + insert.excluded.credit_cents},
        ).returning(table.c.account_id)
        _UPSERTS[dialect] = stmt
    return stmt


def add_postings(session: Session, totals: Mapping[tuple[int, dt.date], tuple[int, int]]) -> None:
    """Add (debit, credit) cents to each (account id, month): one upsert per key."""
    if not totals:
        return
    rows = [{"account_id": account_id, "month": month, "debit_cents": debit,
             "credit_cents": credit}
            for (account_id, month), (debit, credit) in sorted(totals.items())]
    # Performance: as for the postings (ledger.post._write), RETURNING makes SQLAlchemy send
    # multi-row statements instead of one statement per row.
    session.execute(_upsert(session.get_bind().dialect.name), rows)


def accumulate(totals: dict[tuple[int, dt.date], tuple[int, int]], account_id: int,
               date: dt.date, cents: int) -> None:
    key = (account_id, month_of(date))
    debit, credit = totals.get(key, (0, 0))
    if cents > 0:
        totals[key] = (debit + cents, credit)
    else:
        totals[key] = (debit, credit - cents)


# -- reading -------------------------------------------------------------------------------------

def total_at(
    session: Session,
    book_id: int,
    as_of: dt.date | None = None,
    *,
    accounts: ColumnElement[bool] | None = None,
    from_date: dt.date | None = None,
) -> int:
    """Signed total (debit − credit) of the accounts matching ``accounts`` (all by default)."""
    up_to_date(session)
    m = movements(book_id, as_of, from_date, accounts)
    query = select(func.coalesce(func.sum(m.c.debit - m.c.credit), literal(0)))
    return int(session.execute(query).scalar_one())


# -- checking ------------------------------------------------------------------------------------

def month_sql(session: Session, date: Any) -> ColumnElement[dt.date]:
    """The first day of ``date``'s month, as the backend computes it."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(date, "start of month", type_=Entry.date.type)
    return func.cast(func.date_trunc("month", date), Entry.date.type)


def recomputed(session: Session, book_id: int) -> dict[tuple[int, dt.date], tuple[int, int]]:
    """What the table should hold for a book, from the postings."""
    month = month_sql(session, Entry.date).label("month")
    rows = session.execute(
        select(Posting.account_id, month,
               func.sum(case((Posting.amount_cents > 0, Posting.amount_cents), else_=0)),
               func.sum(case((Posting.amount_cents < 0, -Posting.amount_cents), else_=0)))
        .join(Entry, Entry.id == Posting.entry_id)
        .where(Entry.book_id == book_id, counts_in_balances())
        .group_by(Posting.account_id, month)
    ).all()
    return {(a, _as_date(m)): (int(d), int(c)) for a, m, d, c in rows}


def stored(session: Session, book_id: int) -> dict[tuple[int, dt.date], tuple[int, int]]:
    up_to_date(session)
    rows = session.execute(
        select(AccountBalanceMonth.account_id, AccountBalanceMonth.month,
               AccountBalanceMonth.debit_cents, AccountBalanceMonth.credit_cents)
        .join(Account, Account.id == AccountBalanceMonth.account_id)
        .where(Account.book_id == book_id)
    ).all()
    return {(a, _as_date(m)): (int(d), int(c)) for a, m, d, c in rows}


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def differences(session: Session, book_id: int) -> list[tuple[int, dt.date, tuple[int, int],
                                                              tuple[int, int]]]:
    """(account id, month, kept, from the postings) for every month that differs."""
    expected, kept = recomputed(session, book_id), stored(session, book_id)
    out = []
    for key in sorted(expected.keys() | kept.keys()):
        want, have = expected.get(key, (0, 0)), kept.get(key, (0, 0))
        if want != have:
            out.append((key[0], key[1], have, want))
    return out


def codes(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    return dict(session.execute(select(Account.id, Account.code)
                                .where(Account.id.in_(wanted))).all())
