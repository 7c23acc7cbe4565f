"""Entries, reversals, year closing and audit for one club, on top of the ledger core.

The ledger enforces accounting invariants; this layer adds the club's rules: no operation
dated after today, and the club's closing policy (result carried forward to 110/119).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from cigales import chart
from cigales.errors import DateInFuture
from cigales.models import Club
from ledger.audit import AuditIssue, check_book
from ledger.closing import ClosingResult, carry_forward, close_year
from ledger.money import Money
from ledger.post import EntryDraft, Line, PostedEntry, post_entry, reverse_entry


def _not_future(date: dt.date, today: dt.date) -> None:
    if date > today:
        raise DateInFuture(date=date.isoformat(), today=today.isoformat())


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
    _not_future(date, today)
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
    _not_future(date, today)
    return reverse_entry(session, club.book_id, journal, number, date, key=key)


def close(session: Session, club: Club, year: int, *, today: dt.date) -> ClosingResult:
    return close_year(
        session,
        club.book_id,
        year,
        profit_account=chart.PROFIT_ACCOUNT,
        loss_account=chart.LOSS_ACCOUNT,
        allocation=carry_forward(chart.RETAINED_PROFIT_ACCOUNT, chart.RETAINED_LOSS_ACCOUNT),
        today=today,
    )


def audit(session: Session, club: Club) -> list[AuditIssue]:
    return check_book(session, club.book_id)
