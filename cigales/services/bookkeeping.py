"""Entries, reversals, year closing and audit for one club, on top of the ledger core.

The ledger enforces accounting invariants; this layer adds the club's rules: no operation
dated after today or outside the club's life, nothing once the club is closed, and the club's
closing policy (result carried forward to 110/119, or allocated to members' 1018 accounts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cigales import chart
from cigales.errors import DepartureNotReversible, MemberAccountReserved
from cigales.models import CapitalMovement, Club, Member
from cigales.services.lifecycle import lifecycle, not_in_future
from cigales.shares import positions
from ledger.audit import AuditIssue, check_book
from ledger.closing import Allocation, ClosingResult, carry_forward, close_year
from ledger.money import Money, allocate
from ledger.post import EntryDraft, Line, PostedEntry, find_entry, post_entry, reverse_entry
from ledger.queries import account_balance


def add_entry(
    session: Session,
    club: Club,
    *,
    date: dt.date,
    label: str,
    lines: Sequence[tuple[str, Money]],
    journal: str = "OD",
    key: str | None = None,
    today: dt.date,
) -> PostedEntry:
    not_in_future(date, today)
    lifecycle(session, club).check_writable(date)
    for code, _amount in lines:
        if chart.is_member_account(code):
            raise MemberAccountReserved(account=code)
    draft = EntryDraft(journal=journal, date=date, label=label.strip(),
                       lines=tuple(Line(code, amount) for code, amount in lines), key=key)
    return post_entry(session, club.book_id, draft)


def reverse(
    session: Session,
    club: Club,
    *,
    journal: str,
    number: int,
    date: dt.date,
    today: dt.date,
    key: str | None = None,
) -> PostedEntry:
    not_in_future(date, today)
    lifecycle(session, club).check_writable(date)
    original = find_entry(session, club.book_id, journal, number)
    movement = session.execute(
        select(CapitalMovement).where(CapitalMovement.entry_id == original.id)
    ).scalar_one_or_none()
    if movement is not None and movement.kind != "saving":
        raise DepartureNotReversible(journal=journal, number=number)
    posted = reverse_entry(session, club.book_id, journal, number, date, key=key)
    if movement is not None and posted.created:
        # The saving is undone on the reversal date: a negative saving, which under the units
        # method redeems units at that day's price.
        session.execute(insert(CapitalMovement).values(
            club_id=club.id, member_id=movement.member_id, date=date, kind="saving",
            amount_cents=-movement.amount_cents, entry_id=posted.id))
    return posted


def members_allocation(session: Session, club: Club, year_end: dt.date) -> Allocation:
    """Allocation of the result to 1018-CODE pro rata of the shares at year end."""

    def lines(result: Money, result_account: str) -> Sequence[Line]:
        table = positions(session, club, year_end)
        holders = [p for p in table.positions if p.share > 0]
        if not holders:
            # Nobody to allocate to: keep the club-level carry-forward.
            return carry_forward(chart.RETAINED_PROFIT_ACCOUNT,
                                 chart.RETAINED_LOSS_ACCOUNT)(result, result_account)
        parts = allocate(result, [p.share for p in holders], keys=[p.code for p in holders])
        out = [Line(result_account, result)]
        out += [Line(f"1018-{p.code}", -part) for p, part in zip(holders, parts, strict=True)
                if not part.is_zero()]
        return out

    return lines


OnClosed = Callable[[Session, Club, int], None]


def close(session: Session, club: Club, year: int, *, today: dt.date,
          on_closed: OnClosed | None = None) -> ClosingResult:
    """Close ``year``. ``on_closed(session, club, year)`` runs after the closing, in the same
    transaction: the CLI stores the year's return there (reports.club_return.closing_return,
    cigales.services.closed_returns), which this layer cannot compute itself."""
    year_end = dt.date(year, 12, 31)
    allocation = (members_allocation(session, club, year_end)
                  if club.result_allocation == "members"
                  else carry_forward(chart.RETAINED_PROFIT_ACCOUNT, chart.RETAINED_LOSS_ACCOUNT))
    result = close_year(
        session,
        club.book_id,
        year,
        profit_account=chart.PROFIT_ACCOUNT,
        loss_account=chart.LOSS_ACCOUNT,
        allocation=allocation,
        today=today,
    )
    if on_closed is not None:
        on_closed(session, club, year)
    return result


def audit(session: Session, club: Club) -> list[AuditIssue]:
    """The ledger's own checks, plus the club's: capital movements must match 1011 balances."""
    return check_book(session, club.book_id) + _capital_issues(session, club)


def _capital_issues(session: Session, club: Club) -> list[AuditIssue]:
    # Shares are computed from the capital movements (units) and from the 1011 balances
    # (prorata): both must tell the same story, or one method would silently disagree.
    moved: dict[int, int] = {}
    for member_id, counterpart_id, kind, cents in session.execute(
        select(CapitalMovement.member_id, CapitalMovement.counterpart_id, CapitalMovement.kind,
               CapitalMovement.amount_cents).where(CapitalMovement.club_id == club.id)
    ).all():
        sign = 1 if kind in ("saving", "opening") else -1
        moved[member_id] = moved.get(member_id, 0) + sign * int(cents)
        if kind == "transfer" and counterpart_id is not None:
            moved[counterpart_id] = moved.get(counterpart_id, 0) + int(cents)
    issues = []
    for member_id, code in session.execute(
            select(Member.id, Member.code).where(Member.club_id == club.id)).all():
        booked = -account_balance(session, club.book_id, f"1011-{code}").cents
        expected = moved.get(member_id, 0)
        if booked != expected:
            issues.append(AuditIssue(
                "capital_movements_mismatch",
                f"1011-{code} holds {Money(booked).plain()}, the member's recorded savings, "
                f"transfers and repayments add up to {Money(expected).plain()}"))
    return issues
