"""The five-member floor (domain.md §1: a club has 5–20 members at any time).

During formation — before the club has ever had 5 active members — fewer than 5 is only a
warning (`club show` alerts). Once it has reached 5, a club that falls below can only record
what brings it back (members joining) or what ends it (the liquidation decision and the
liquidation operations). Savings, new investments and voluntary departures are refused with
``too_few_members``. Facts the club cannot refuse — bank fees and other charges, repayments,
dividends, sale proceeds and redemptions received, deaths — stay recordable: refusing them
would only make the books lie about what happened (docs/invariants.md).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from cigales import policy
from cigales.errors import CigalesError
from cigales.models import Club
from cigales.services.lifecycle import active_members, club_members
from ledger.errors import NP_, Msg


class TooFewMembers(CigalesError):
    code = "too_few_members"
    template = NP_(
        "On {date} the club has {count} active member, fewer than {minimum}, after having had "
        "{peak}: {operation} is refused. Allowed: members joining (`member add`) to bring it "
        "back to {minimum}, or ending the club (`club liquidate` and the liquidation "
        "operations). Charges, repayments and income received stay recordable.",
        "On {date} the club has {count} active members, fewer than {minimum}, after having "
        "had {peak}: {operation} is refused. Allowed: members joining (`member add`) to bring "
        "it back to {minimum}, or ending the club (`club liquidate` and the liquidation "
        "operations). Charges, repayments and income received stay recordable.")


def peak_active(session: Session, club: Club, date: dt.date) -> int:
    """The most members active on any day up to ``date`` (a peak falls on a joining day)."""
    joins = {m.joined for m in club_members(session, club).values() if m.joined <= date}
    return max((active_members(session, club, day) for day in joins), default=0)


def check_enough_members(session: Session, club: Club, date: dt.date,
                         operation: Msg) -> None:
    """Refuse ``operation`` on ``date`` when the club has fallen below the floor after
    reaching it; during formation (never yet at the floor) it passes."""
    count = active_members(session, club, date)
    if count >= policy.MIN_MEMBERS:
        return
    peak = peak_active(session, club, date)
    if peak < policy.MIN_MEMBERS:
        return  # still in formation: `club show` warns
    raise TooFewMembers(date=date.isoformat(), count=count, minimum=policy.MIN_MEMBERS,
                        peak=peak, operation=operation)
