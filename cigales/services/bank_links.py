"""A bank line that pays for a saving the treasurer already recorded by hand.

`saving collect` and `saving add` are often run before the statement is imported. The bank
line for that payment must then point at the saving already in the books, not book it a
second time: same member, same month, same amount, an entry not reversed and not already
accounted for by another bank line.
"""

from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from cigales.bank.models import BankLineRow
from cigales.models import CapitalMovement, Club, Member
from ledger.money import Money
from ledger.schema import Entry


def recorded_saving(session: Session, club: Club, member_code: str, date: dt.date,
                    amount: Money) -> Entry | None:
    """The earliest matching saving of that month not yet tied to a bank line, if any."""
    if amount.cents <= 0:
        return None
    first = date.replace(day=1)
    last = date.replace(day=calendar.monthrange(date.year, date.month)[1])
    reversal = aliased(Entry)
    found: Entry | None = session.execute(
        select(Entry)
        .join(CapitalMovement, CapitalMovement.entry_id == Entry.id)
        .join(Member, Member.id == CapitalMovement.member_id)
        .where(CapitalMovement.club_id == club.id, Member.code == member_code,
               CapitalMovement.kind == "saving",
               CapitalMovement.amount_cents == amount.cents,
               CapitalMovement.date >= first, CapitalMovement.date <= last,
               Entry.reverses_id.is_(None),
               ~exists().where(and_(reversal.reverses_id == Entry.id)),
               Entry.id.not_in(select(BankLineRow.entry_id).where(
                   BankLineRow.club_id == club.id)),
               Entry.id.not_in(select(BankLineRow.assigned_entry_id).where(
                   BankLineRow.club_id == club.id, BankLineRow.assigned_entry_id.is_not(None))))
        .order_by(CapitalMovement.date, Entry.id).limit(1)).scalar_one_or_none()
    return found
