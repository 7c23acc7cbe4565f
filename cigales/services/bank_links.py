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


class RecordedSavings:
    """``recorded_saving`` for many bank lines of one transaction (a statement's batch): the
    candidates of the months concerned are read in one query, then each line takes the
    earliest one matching it, which no later line can take again (it is now tied to that
    line), exactly as the query run line by line would answer."""

    def __init__(self, session: Session, club: Club, dates: list[dt.date]) -> None:
        self._free: list[tuple[dt.date, int, str, int, Entry]] = []
        if not dates:
            return
        first = min(dates).replace(day=1)
        latest = max(dates)
        last = latest.replace(day=calendar.monthrange(latest.year, latest.month)[1])
        reversal = aliased(Entry)
        rows = session.execute(
            select(CapitalMovement.date, Entry.id, Member.code, CapitalMovement.amount_cents,
                   Entry)
            .join(CapitalMovement, CapitalMovement.entry_id == Entry.id)
            .join(Member, Member.id == CapitalMovement.member_id)
            .where(CapitalMovement.club_id == club.id, CapitalMovement.kind == "saving",
                   CapitalMovement.amount_cents > 0,
                   CapitalMovement.date >= first, CapitalMovement.date <= last,
                   Entry.reverses_id.is_(None),
                   ~exists().where(and_(reversal.reverses_id == Entry.id)),
                   Entry.id.not_in(select(BankLineRow.entry_id).where(
                       BankLineRow.club_id == club.id)),
                   Entry.id.not_in(select(BankLineRow.assigned_entry_id).where(
                       BankLineRow.club_id == club.id,
                       BankLineRow.assigned_entry_id.is_not(None))))
            .order_by(CapitalMovement.date, Entry.id)).all()
        self._free = [(r[0], r[1], r[2], int(r[3]), r[4]) for r in rows]

    def state(self) -> list[tuple[dt.date, int, str, int, Entry]]:
        return list(self._free)

    def restore(self, state: list[tuple[dt.date, int, str, int, Entry]]) -> None:
        self._free = list(state)

    def take(self, member_code: str, date: dt.date, amount: Money) -> Entry | None:
        """The saving this line pays for, if any; it is no longer free afterwards."""
        if amount.cents <= 0:
            return None
        for i, (day, _id, code, cents, entry) in enumerate(self._free):
            if (code == member_code and cents == amount.cents
                    and (day.year, day.month) == (date.year, date.month)):
                del self._free[i]
                return entry
        return None
