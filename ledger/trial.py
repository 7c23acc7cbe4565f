"""The read path of balances and of the trial balance, on SQLAlchemy Core only.

``movements`` reads the kept monthly totals (``ledger.balances``) and the postings of the last
partial month; ``balances_at``, ``trial_balance`` and ``trial_balance_all`` sum them per
account. They are here rather than in ``ledger.balances`` and ``ledger.queries`` (which
re-export them, so every caller keeps its imports) because this module imports only Core and
``ledger.tables``: a read-only command (``cigales report balance``) runs them on a
``Connection`` without importing ``sqlalchemy.orm`` nor the mapped classes, which cost more
than the command's own work (bench/README.md, "Start-up: a read path on SQLAlchemy Core").

Every function takes a ``Session`` or a ``Connection`` (both have ``execute``). Before reading
the kept balances through a ``Session`` the hooks registered with ``before_read`` run: a writer
that holds totals not written yet in that transaction (``ledger.post.deferred``) writes them.
A ``Connection`` of a read-only scope (``cigales.db.read_scope``) has no such writer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Subquery,
    and_,
    case,
    func,
    or_,
    select,
    union_all,
)

from ledger.tables import account, account_balance_month, book, counts_in_balances, entry, posting
from ledger.trial_figures import (
    LIKE_ESCAPE,
    ONE_DAY,
    AccountBalance,
    AccountTotals,
    TrialBalance,
    escape_like,
    first_unkept_day,
    month_of,
    trial_balance_of_rows,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# The figures and their rows are defined without SQLAlchemy (ledger.trial_figures), so that
# cigales.quick_read can build them from the same statements run on the sqlite3 module alone.
__all__ = ["ONE_DAY", "AccountBalance", "AccountTotals", "TrialBalance", "month_of"]


# -- writers' totals not written yet -------------------------------------------------------------

_BEFORE_READ: list[Callable[[Session], None]] = []


def before_read(hook: Callable[[Session], None]) -> Callable[[Session], None]:
    """Register ``hook(session)``, called before every read of the kept balances: a writer
    that holds totals not written yet (``ledger.post.deferred``) writes them there."""
    _BEFORE_READ.append(hook)
    return hook


def up_to_date(session: Session | Connection) -> None:
    """Write the totals still held by writers (see ``before_read``): to be called before
    reading ``account_balance_month`` in a transaction that may have posted entries. A Core
    ``Connection`` (a read-only scope) carries no writer: nothing to write."""
    if isinstance(session, Connection):
        return
    for hook in _BEFORE_READ:
        hook(session)


# -- reading -------------------------------------------------------------------------------------

Books = int | Sequence[int] | None
"""One book's id, several books' ids, or None for every book of the database."""


def _of_books(column: Any, books: Books) -> list[ColumnElement[bool]]:
    if books is None:
        return []
    if isinstance(books, int):
        return [column == books]
    return [column.in_(list(books))]


def _parts(books: Books, as_of: dt.date | None, sign: int,
           accounts: ColumnElement[bool] | None) -> list[Select[int, int, int]]:
    """Rows (account id, debit, credit), at most one per account and part, whose sums are the
    totals up to ``as_of`` included."""
    abm = account_balance_month.c
    # The accounts' condition is applied inside each part, so that one account's balance
    # reads that account's months only.
    wanted = [*_of_books(account.c.book_id, books),
              *([accounts] if accounts is not None else [])]
    # Performance: each part is summed per account before the caller joins the accounts
    # (a region holds a few kept months per account: one account lookup per account, not per
    # month), and the accounts wanted are chosen by id, so the table is read in its key order.
    kept_where = ([abm.account_id.in_(select(account.c.id).where(*wanted))]
                  if wanted else [])
    kept = (
        select(abm.account_id.label("account_id"),
               (func.sum(abm.debit_cents) * sign).label("debit"),
               (func.sum(abm.credit_cents) * sign).label("credit"))
        .where(*kept_where)
        .group_by(abm.account_id)
    )
    if as_of is None:
        return [kept]
    cut = first_unkept_day(as_of)
    parts = [kept.where(abm.month < cut)]
    if cut <= as_of:  # the postings of the month so far
        amount = posting.c.amount_cents
        debit = case((amount > 0, amount), else_=0)
        credit = case((amount < 0, -amount), else_=0)
        # Performance: with every book, "book in (all books)" lets the index on the entries'
        # (book, date) read each book's last days instead of scanning every entry.
        of_books = (_of_books(entry.c.book_id, books) if books is not None
                    else [entry.c.book_id.in_(select(book.c.id))])
        parts.append(
            select(posting.c.account_id, (func.sum(debit) * sign).label("debit"),
                   (func.sum(credit) * sign).label("credit"))
            .join(entry, entry.c.id == posting.c.entry_id)
            .join(account, account.c.id == posting.c.account_id)
            .where(*of_books, counts_in_balances(), entry.c.date >= cut,
                   entry.c.date <= as_of, *wanted)
            .group_by(posting.c.account_id))
    return parts


def movements(books: Books, as_of: dt.date | None = None, from_date: dt.date | None = None,
              accounts: ColumnElement[bool] | None = None) -> Subquery:
    """Rows (account_id, debit, credit) to be summed per account: the totals of the
    postings counted in balances dated up to ``as_of`` (all by default) and from
    ``from_date``, of the accounts matching ``accounts`` (a condition on ``account``; all by
    default), of one book, of several (a sequence of ids) or of every book (None). A caller
    that runs it calls ``up_to_date(session)`` first."""
    parts = _parts(books, as_of, 1, accounts)
    if from_date is not None:
        # Movements from D are the totals at as_of less the totals the day before D.
        parts += _parts(books, from_date - ONE_DAY, -1, accounts)
    if len(parts) == 1:
        return parts[0].subquery("kept")
    return union_all(*parts).subquery("kept")


def balances_query(
    book_id: int,
    as_of: dt.date | None = None,
    *,
    prefix: str | None = None,
    from_date: dt.date | None = None,
    accounts: ColumnElement[bool] | None = None,
) -> Select[Any]:
    """The statement of ``balances_at``: rows (code, label, debit, credit) ordered by code."""
    if prefix:
        by_prefix = _code_starts_with(prefix)
        accounts = by_prefix if accounts is None else and_(accounts, by_prefix)
    return _per_account(movements(book_id, as_of, from_date, accounts),
                        account.c.label, account.c.code, account.c.label)


def _code_starts_with(prefix: str) -> ColumnElement[bool]:
    return account.c.code.startswith(escape_like(prefix), escape=LIKE_ESCAPE)


def _per_account(m: Subquery, label: Any, *group: Any) -> Select[Any]:
    """Rows (code, label, debit, credit) of the movements ``m`` summed per ``group``, those
    with a movement only, ordered by code."""
    debit, credit = func.sum(m.c.debit), func.sum(m.c.credit)
    return (
        select(account.c.code, label, debit, credit)
        .select_from(m).join(account, account.c.id == m.c.account_id)
        .group_by(*group)
        # Every posting is non-zero: an account moved in the period has a non-zero total.
        .having(or_(debit != 0, credit != 0))
        .order_by(account.c.code)
    )


def balances_at(
    session: Session | Connection,
    book_id: int,
    as_of: dt.date | None = None,
    *,
    prefix: str | None = None,
    from_date: dt.date | None = None,
    accounts: ColumnElement[bool] | None = None,
) -> list[AccountTotals]:
    """Debit and credit totals per account with a movement, ordered by code.

    ``prefix`` keeps the accounts whose code starts with it; ``accounts`` is any other
    condition on ``account``.
    """
    up_to_date(session)
    query = balances_query(book_id, as_of, prefix=prefix, from_date=from_date,
                           accounts=accounts)
    return [AccountTotals(code, label, int(d), int(c))
            for code, label, d, c in session.execute(query).all()]


# -- the trial balance ---------------------------------------------------------------------------

def trial_balance(
    session: Session | Connection,
    book_id: int,
    as_of: dt.date | None = None,
    prefix: str | None = None,
    from_date: dt.date | None = None,
) -> TrialBalance:
    """Debit and credit movements per account with any movement, up to ``as_of`` included.

    Read from the kept balances (``ledger.balances``): full months from the table, the last
    partial month from the postings. ``ledger.queries.trial_balance_from_postings`` is the
    same figure summed from every posting, which the audit and the tests compare it with.
    """
    up_to_date(session)
    query = balances_query(book_id, as_of, prefix=prefix, from_date=from_date)
    return trial_balance_of_rows(as_of, session.execute(query).all())


def trial_balance_all_query(as_of: dt.date | None = None,
                            prefix: str | None = None) -> Select[Any]:
    """The statement of ``trial_balance_all``: rows (code, label, debit, credit) by code."""
    accounts = _code_starts_with(prefix) if prefix else None
    return _per_account(movements(None, as_of, accounts=accounts), func.min(account.c.label),
                        account.c.code)


def trial_balance_all(
    session: Session | Connection,
    as_of: dt.date | None = None,
    prefix: str | None = None,
) -> TrialBalance:
    """The trial balance of every book together (a region's clubs), per account code: the
    same figures as ``trial_balance`` gives each book, read like it from the kept balances
    (``ledger.balances``). A code's label is the smallest of its books' labels (sub-accounts
    may be named differently). ``ledger.queries.trial_balance_all_from_postings`` sums every
    posting."""
    up_to_date(session)
    return trial_balance_of_rows(as_of, session.execute(trial_balance_all_query(as_of, prefix))
                                 .all())
