"""Read-only views of a book: balances, trial balance, general ledger, journal.

All sums are SQL aggregates (and window functions for running balances), never Python loops
over postings. Balances at a date read the kept monthly totals (``ledger.balances``) plus the
postings of the last partial month; the ``*_from_postings`` variants sum every posting and
are what the audit trusts. Balances are cumulative from the opening of the books: the "à-nouveaux"
entries of the AN journal restate balances the cumulative sum already contains, so they are
excluded from every balance (they appear in the journal listing and in exports), except the
opening position of a club that moved in mid-life (``counts_in_balances``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from ledger import balances
from ledger.money import Money
from ledger.schema import OPENING_JOURNAL, Account, Book, Entry, Posting, counts_in_balances

# The trial balance's read path lives in ledger.trial (Core only, for start-up): re-exported,
# so that callers keep reading it from here.
from ledger.trial import (
    AccountBalance,
    TrialBalance,
    trial_balance,
    trial_balance_all,
)
from ledger.trial_figures import trial_balance_of_rows

# Names callers import from here (cigales.cli.common does the same for its re-exports).
__all__ = ["AccountBalance", "TrialBalance", "trial_balance", "trial_balance_all"]


@dataclass(frozen=True, slots=True)
class LedgerLine:
    date: dt.date
    journal: str
    number: int
    label: str
    amount: Money
    running: Money

    @property
    def debit(self) -> Money:
        return self.amount if self.amount.cents > 0 else Money(0)

    @property
    def credit(self) -> Money:
        return -self.amount if self.amount.cents < 0 else Money(0)


@dataclass(frozen=True, slots=True)
class AccountLedger:
    code: str
    label: str
    opening: Money
    lines: tuple[LedgerLine, ...]
    closing: Money


@dataclass(frozen=True, slots=True)
class JournalLine:
    account: str
    label: str
    amount: Money


@dataclass(frozen=True, slots=True)
class JournalEntry:
    journal: str
    number: int
    date: dt.date
    label: str
    hash: str
    reverses: str | None
    lines: tuple[JournalLine, ...]


def _counted(
    book_id: int, as_of: dt.date | None, from_date: dt.date | None = None
) -> list[ColumnElement[bool]]:
    """Conditions selecting the postings that count in balances."""
    conds = [Entry.book_id == book_id, counts_in_balances()]
    if as_of is not None:
        conds.append(Entry.date <= as_of)
    if from_date is not None:
        conds.append(Entry.date >= from_date)
    return conds


def _debit_credit_query(book_id: int, as_of: dt.date | None, prefix: str | None,
                        from_date: dt.date | None = None) -> Select[str, str, int, int]:
    debit = func.coalesce(func.sum(case((Posting.amount_cents > 0, Posting.amount_cents),
                                        else_=0)), 0)
    credit = func.coalesce(func.sum(case((Posting.amount_cents < 0, -Posting.amount_cents),
                                         else_=0)), 0)
    query = (
        select(Account.code, Account.label, debit.label("debit"), credit.label("credit"))
        .select_from(Posting)
        .join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(*_counted(book_id, as_of, from_date))
        .group_by(Account.code, Account.label)
        .order_by(Account.code)
    )
    if prefix:
        query = query.where(Account.code.startswith(prefix, autoescape=True))
    return query


def trial_balance_from_postings(
    session: Session,
    book_id: int,
    as_of: dt.date | None = None,
    prefix: str | None = None,
    from_date: dt.date | None = None,
) -> TrialBalance:
    """``trial_balance`` summed from the postings themselves (the source of truth)."""
    rows = session.execute(_debit_credit_query(book_id, as_of, prefix, from_date)).all()
    return trial_balance_of_rows(as_of, rows)


def trial_balance_all_from_postings(
    session: Session,
    as_of: dt.date | None = None,
    prefix: str | None = None,
) -> TrialBalance:
    """``trial_balance_all`` summed from the postings themselves (the source of truth)."""
    debit = func.coalesce(func.sum(case((Posting.amount_cents > 0, Posting.amount_cents),
                                        else_=0)), 0)
    credit = func.coalesce(func.sum(case((Posting.amount_cents < 0, -Posting.amount_cents),
                                         else_=0)), 0)
    conds = [counts_in_balances()]
    if as_of is not None:
        conds.append(Entry.date <= as_of)
    if prefix:
        conds.append(Account.code.startswith(prefix, autoescape=True))
    rows = session.execute(
        select(Account.code, func.min(Account.label), debit, credit)
        .select_from(Posting)
        .join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(*conds)
        .group_by(Account.code)
        .order_by(Account.code)
    ).all()
    return trial_balance_of_rows(as_of, rows)


def balance(
    session: Session,
    book_id: int,
    prefix: str,
    as_of: dt.date | None = None,
    from_date: dt.date | None = None,
) -> Money:
    """Signed balance (debit − credit) of all accounts whose code starts with ``prefix``."""
    return Money(balances.total_at(session, book_id, as_of, from_date=from_date,
                                   accounts=Account.code.startswith(prefix, autoescape=True)))


def prefix_balances(
    session: Session,
    book_ids: Sequence[int],
    prefixes: Sequence[str],
    as_of: dt.date | None = None,
) -> dict[int, dict[str, Money]]:
    """``balance`` of each prefix for many books at once: one grouped query.

    Per book, the signed balance (debit − credit) of the accounts starting with each prefix,
    counted like ``balance`` (AN journal excluded, see ``counts_in_balances``), read like it
    from the kept balances (``ledger.balances``): full months from the table, the last partial
    month from the postings. ``prefix_balances_from_postings`` sums every posting.
    """
    found = {b: {p: Money(0) for p in prefixes} for b in book_ids}
    if not book_ids or not prefixes:
        return found
    starts = [Account.code.startswith(p, autoescape=True) for p in prefixes]
    balances.up_to_date(session)
    m = balances.movements(book_ids, as_of, accounts=or_(*starts))
    sums = [func.coalesce(func.sum(case((start, m.c.debit - m.c.credit), else_=0)), 0)
            for start in starts]
    rows = session.execute(
        select(Account.book_id, *sums)
        .select_from(m).join(Account, Account.id == m.c.account_id)
        .group_by(Account.book_id)
    ).all()
    for row in rows:
        found[int(row[0])] = {p: Money(int(v)) for p, v in zip(prefixes, row[1:], strict=True)}
    return found


def prefix_balances_from_postings(
    session: Session,
    book_ids: Sequence[int],
    prefixes: Sequence[str],
    as_of: dt.date | None = None,
) -> dict[int, dict[str, Money]]:
    """``prefix_balances`` summed from the postings themselves (the source of truth)."""
    found = {b: {p: Money(0) for p in prefixes} for b in book_ids}
    if not book_ids or not prefixes:
        return found
    sums = [func.coalesce(func.sum(case(
        (Account.code.startswith(p, autoescape=True), Posting.amount_cents), else_=0)), 0)
        for p in prefixes]
    conds = [Entry.book_id.in_(book_ids), counts_in_balances()]
    if as_of is not None:
        conds.append(Entry.date <= as_of)
    rows = session.execute(
        select(Entry.book_id, *sums)
        .select_from(Posting)
        .join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(*conds)
        .group_by(Entry.book_id)
    ).all()
    for row in rows:
        found[int(row[0])] = {p: Money(int(v)) for p, v in zip(prefixes, row[1:], strict=True)}
    return found


def chain_heads(session: Session, book_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """``chain_head`` of many books: (number of entries in the chain, hash of the last one)."""
    if not book_ids:
        return {}
    rows = session.execute(select(Book.id, Book.chain_seq, Book.head_hash)
                           .where(Book.id.in_(book_ids))).all()
    return {int(i): (int(n), str(h)) for i, n, h in rows}


def account_balance(
    session: Session, book_id: int, code: str, as_of: dt.date | None = None
) -> Money:
    """Signed balance of exactly one account (``balance()`` sums a whole prefix)."""
    return Money(balances.total_at(session, book_id, as_of, accounts=Account.code == code))


def balances_by_account(
    session: Session, book_id: int, as_of: dt.date | None = None, prefix: str | None = None
) -> dict[str, Money]:
    """Non-zero signed balances per account code (from the kept balances)."""
    return {t.code: Money(t.balance_cents)
            for t in balances.balances_at(session, book_id, as_of, prefix=prefix)
            if t.balance_cents}


def balances_by_account_from_postings(
    session: Session, book_id: int, as_of: dt.date | None = None, prefix: str | None = None
) -> dict[str, Money]:
    """``balances_by_account`` summed from the postings themselves (for the audit)."""
    query = (
        select(Account.code, func.sum(Posting.amount_cents))
        .select_from(Posting)
        .join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(*_counted(book_id, as_of))
        .group_by(Account.code)
        .having(func.sum(Posting.amount_cents) != 0)
        .order_by(Account.code)
    )
    if prefix:
        query = query.where(Account.code.startswith(prefix, autoescape=True))
    return {code: Money(int(total)) for code, total in session.execute(query).all()}


def general_ledger(
    session: Session,
    book_id: int,
    prefix: str | None = None,
    from_date: dt.date | None = None,
    to_date: dt.date | None = None,
) -> list[AccountLedger]:
    """Per account: balance brought forward, the period's lines with running balance, closing."""
    openings: dict[str, Money] = {}
    if from_date is not None:
        openings = balances_by_account(session, book_id, from_date - dt.timedelta(days=1), prefix)

    running = func.sum(Posting.amount_cents).over(
        partition_by=Posting.account_id,
        order_by=(Entry.date, Entry.seq, Posting.line_no),
        rows=(None, 0),
    )
    conds = _counted(book_id, to_date, from_date)
    query = (
        select(Account.code, Entry.date, Entry.journal, Entry.number, Entry.label,
               Posting.amount_cents, running.label("running"))
        .select_from(Posting)
        .join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(*conds)
        .order_by(Account.code, Entry.date, Entry.seq, Posting.line_no)
    )
    if prefix:
        query = query.where(Account.code.startswith(prefix, autoescape=True))
    lines_by_code: dict[str, list[LedgerLine]] = {}
    for code, date, journal, number, label, cents, run in session.execute(query).all():
        opening = openings.get(code, Money(0))
        lines_by_code.setdefault(code, []).append(
            LedgerLine(date, journal, number, label, Money(int(cents)),
                       Money(opening.cents + int(run)))
        )
    codes = sorted(set(openings) | set(lines_by_code))
    labels = _labels(session, book_id, codes)
    result = []
    for code in codes:
        lines = tuple(lines_by_code.get(code, ()))
        opening = openings.get(code, Money(0))
        closing = lines[-1].running if lines else opening
        result.append(AccountLedger(code, labels.get(code, ""), opening, lines, closing))
    return result


def _labels(session: Session, book_id: int, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(
        session.execute(
            select(Account.code, Account.label).where(Account.book_id == book_id,
                                                      Account.code.in_(codes))
        ).all()
    )


# Rows fetched per round trip by the streamed journal: a server-side cursor on PostgreSQL
# (stream_results), the sqlite3 cursor's own stepping on SQLite; either way memory holds one
# batch, never the book.
STREAM_BATCH = 2000

JournalOrder = Literal["number", "fec", "chronological"]


def _journal_order(order: JournalOrder) -> tuple[Any, ...]:
    if order == "number":  # journal by journal, in the book's numbering
        return (Entry.journal, Entry.number)
    if order == "fec":  # journal by journal, in date order (the FEC renumbers in that order)
        return (Entry.journal, Entry.date, Entry.number)
    # By date, the à-nouveaux first on a day (they open it), then journal and number.
    return (Entry.date, case((Entry.journal == OPENING_JOURNAL, 0), else_=1), Entry.journal,
            Entry.number)


def iter_journal(
    session: Session,
    book_id: int,
    journal_code: str | None = None,
    from_date: dt.date | None = None,
    to_date: dt.date | None = None,
    *,
    order: JournalOrder = "number",
    where: ColumnElement[bool] | None = None,
) -> Iterator[JournalEntry]:
    """Entries with their lines, streamed from the database one entry at a time (exports of
    a million postings keep one batch of rows in memory). ``order``: ``number`` (journal,
    number), ``fec`` (journal, date, number) or ``chronological`` (date, AN first, journal,
    number); lines in their entry's order. ``where`` adds a condition on the entry."""
    original = select(Entry.id, Entry.journal, Entry.number).subquery("original")
    conds = [Entry.book_id == book_id]
    if journal_code:
        conds.append(Entry.journal == journal_code)
    if from_date is not None:
        conds.append(Entry.date >= from_date)
    if to_date is not None:
        conds.append(Entry.date <= to_date)
    if where is not None:
        conds.append(where)
    result = session.execute(
        select(Entry.id, Entry.journal, Entry.number, Entry.date, Entry.label, Entry.hash,
               original.c.journal, original.c.number, Account.code, Account.label,
               Posting.amount_cents)
        .select_from(Entry)
        .join(Posting, Posting.entry_id == Entry.id)
        .join(Account, Account.id == Posting.account_id)
        .outerjoin(original, original.c.id == Entry.reverses_id)
        .where(and_(*conds))
        .order_by(*_journal_order(order), Posting.line_no)
        .execution_options(stream_results=True, yield_per=STREAM_BATCH)
    )
    head: Any = None
    lines: list[JournalLine] = []
    try:
        for row in result:
            if head is None or head[0] != row[0]:
                if head is not None:
                    yield _journal_entry(head, lines)
                head, lines = row, []
            lines.append(JournalLine(row[8], row[9], Money(int(row[10]))))
        if head is not None:
            yield _journal_entry(head, lines)
    finally:
        # A consumer that stops early (an error while writing) frees the server-side cursor.
        result.close()


def _journal_entry(head: Any, lines: list[JournalLine]) -> JournalEntry:
    reverses = f"{head[6]} {head[7]}" if head[6] is not None else None
    return JournalEntry(head[1], head[2], head[3], head[4], head[5], reverses, tuple(lines))


def journal(
    session: Session,
    book_id: int,
    journal_code: str | None = None,
    from_date: dt.date | None = None,
    to_date: dt.date | None = None,
) -> list[JournalEntry]:
    """Entries in number order with their lines (all journals, AN included)."""
    return list(iter_journal(session, book_id, journal_code, from_date, to_date))


def chain_head(session: Session, book_id: int) -> tuple[int, str]:
    """(number of entries in the chain, hash of the last one)."""
    from ledger.post import settle  # the head this transaction moved, if it deferred it

    settle(session, book_id)
    return chain_heads(session, [book_id])[book_id]


def opening_position_date(session: Session, book_id: int) -> dt.date | None:
    """The day a book opened with a position brought from elsewhere (an AN entry dated the
    opening day, see ``counts_in_balances``), or None for books kept here from the start."""
    row = session.execute(
        select(Book.opened_on)
        .join(Entry, and_(Entry.book_id == Book.id, Entry.journal == OPENING_JOURNAL,
                          Entry.date == Book.opened_on))
        .where(Book.id == book_id).limit(1)).first()
    return row[0] if row is not None else None
