"""Fiscal year closing: result entry, optional carry-forward, opening entry, lock.

Closing year Y (calendar years; the first starts when the books open):
1. every income and expense account (classes 6 and 7 by default) is brought to zero by one OD
   entry dated the last day of Y; the net goes to the profit account (credit) or the loss
   account (debit);
2. optionally, the result is carried forward (e.g. 120 -> 110, 129 -> 119) by a second entry;
   a caller may instead pass its own allocation lines (e.g. to members' 1018 accounts);
3. the year is locked (database trigger: no entry can be dated in it any more);
4. the "à-nouveaux" entry (journal AN) dated the first day of Y+1 restates every balance-sheet
   balance, as French practice and the FEC require. Cumulative balances ignore AN entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger import errors
from ledger.money import Money
from ledger.post import (
    EntryDraft,
    Line,
    PostedEntry,
    ensure_fiscal_years,
    forget,
    post_entries,
    settle,
)
from ledger.queries import balances_by_account
from ledger.schema import OPENING_JOURNAL, Book, Entry, FiscalYear


@dataclass(frozen=True, slots=True)
class ClosingResult:
    year: int
    result: Money  # positive = profit
    closing_entries: tuple[PostedEntry, ...]
    opening_entry: PostedEntry | None


# Given the result of the year (positive = profit) returns the lines that move it out of the
# result account, or () to leave it there. Lets the domain allocate results to members.
Allocation = Callable[[Money, str], Sequence[Line]]


def carry_forward(profit_to: str, loss_to: str) -> Allocation:
    """Allocation that carries the result to retained earnings (110 / 119 by default)."""

    def lines(result: Money, result_account: str) -> Sequence[Line]:
        if result.is_zero():
            return ()
        target = profit_to if result.cents > 0 else loss_to
        # A profit sits as a credit on 120: debit 120, credit the target (and vice versa).
        return (Line(result_account, result), Line(target, -result))

    return lines


def close_year(
    session: Session,
    book_id: int,
    year: int,
    *,
    profit_account: str = "120",
    loss_account: str = "129",
    result_prefixes: Sequence[str] = ("6", "7"),
    allocation: Allocation | None = None,
    today: dt.date | None = None,
) -> ClosingResult:
    book = session.execute(select(Book).where(Book.id == book_id).with_for_update()).scalar_one()
    if year < book.opened_on.year:
        raise errors.UnknownFiscalYear(year=year, allowed=_years_text(session, book_id))
    end = dt.date(year, 12, 31)
    if today is not None and today <= end:
        raise errors.FiscalYearNotEnded(year=year, end=end.isoformat())
    years = ensure_fiscal_years(session, book, range(book.opened_on.year, year + 1))
    if years[year]:
        every_year = dict(session.execute(
            select(FiscalYear.year, FiscalYear.closed).where(FiscalYear.book_id == book_id)
        ).all())
        next_year = min((y for y, closed in every_year.items() if not closed),
                        default=max(every_year) + 1)
        raise errors.FiscalYearAlreadyClosed(year=year, next=next_year)
    still_open = [y for y in range(book.opened_on.year, year) if not years[y]]
    if still_open:
        raise errors.EarlierYearsOpen(year=year, years=", ".join(map(str, still_open)))

    # 1. Bring income and expense accounts to zero.
    result_balances = {
        code: amount
        for prefix in result_prefixes
        for code, amount in balances_by_account(session, book_id, end, prefix).items()
    }
    net = Money(sum(m.cents for m in result_balances.values()))
    profit = -net  # income is credit (negative), so a profit is a negative net
    drafts: list[EntryDraft] = []
    if result_balances:
        lines = [Line(code, -amount) for code, amount in sorted(result_balances.items())]
        result_account = profit_account if profit.cents >= 0 else loss_account
        if not net.is_zero():
            lines.append(Line(result_account, net))
        if len(lines) >= 2:
            drafts.append(EntryDraft("OD", end, f"Clôture de l'exercice {year} – résultat",
                                     tuple(lines)))
    # 2. Move the result out of 120/129 if the caller wants it.
    if allocation is not None and not profit.is_zero():
        result_account = profit_account if profit.cents > 0 else loss_account
        alloc_lines = tuple(allocation(profit, result_account))
        if alloc_lines:
            drafts.append(EntryDraft("OD", end, f"Affectation du résultat {year}", alloc_lines))
    closing_entries = tuple(post_entries(session, book_id, drafts))

    # 3. Lock the year, then 4. restate balances in the next one. Entries waiting to be
    # sealed (ledger.post.deferred) are sealed first: no entry of a closed year can change.
    settle(session, book_id)
    session.execute(
        update(FiscalYear)
        .where(FiscalYear.book_id == book_id, FiscalYear.year == year)
        .values(closed=True)
        .execution_options(synchronize_session=False)
    )
    forget(session, book_id)  # the transaction's cached fiscal years (ledger.post) are stale
    ensure_fiscal_years(session, book, [year + 1])
    carried = balances_by_account(session, book_id, end)
    opening = None
    if len(carried) >= 2:
        opening = post_entries(
            session,
            book_id,
            [EntryDraft(OPENING_JOURNAL, dt.date(year + 1, 1, 1), f"À-nouveaux {year + 1}",
                        tuple(Line(code, amount) for code, amount in carried.items()))],
            allow_opening=True,
        )[0]
    return ClosingResult(year, profit, closing_entries, opening)


def _years_text(session: Session, book_id: int) -> str:
    years = session.execute(
        select(FiscalYear.year).where(FiscalYear.book_id == book_id).order_by(FiscalYear.year)
    ).scalars().all()
    return ", ".join(map(str, years)) or "—"


def closed_years(session: Session, book_id: int) -> list[int]:
    return list(
        session.execute(
            select(FiscalYear.year)
            .where(FiscalYear.book_id == book_id, FiscalYear.closed.is_(True))
            .order_by(FiscalYear.year)
        ).scalars()
    )


def opening_entries(session: Session, book_id: int) -> list[Entry]:
    return list(
        session.execute(
            select(Entry).where(Entry.book_id == book_id, Entry.journal == OPENING_JOURNAL)
        ).scalars()
    )
