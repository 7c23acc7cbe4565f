"""Dates on which the books' bank account (5121) matched the bank statement.

`bank reconcile` records each date that matched; the next one lists only the movements after
the last such date, so a treasurer sees what is new since the last check rather than the
whole history again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cigales.models import BankReconciliation, Club
from ledger.money import Money


def last_reconciled(session: Session, club: Club, before: dt.date | None = None
                    ) -> dt.date | None:
    """The last matched date (strictly before ``before`` when given)."""
    query = select(func.max(BankReconciliation.date)).where(BankReconciliation.club_id == club.id)
    if before is not None:
        query = query.where(BankReconciliation.date < before)
    found: dt.date | None = session.execute(query).scalar_one_or_none()
    return found


def remember(session: Session, club: Club, date: dt.date, balance: Money) -> None:
    """Record a matched date once (the same date again changes nothing)."""
    exists = session.execute(select(BankReconciliation.id).where(
        BankReconciliation.club_id == club.id, BankReconciliation.date == date)).first()
    if exists is None:
        session.add(BankReconciliation(club_id=club.id, date=date, balance_cents=balance.cents))
        session.flush()
