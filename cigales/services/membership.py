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
    """The most members on the roll on any day up to ``date`` (a peak falls on a joining day).

    A member is on the roll from the day they join to the day they leave, both included:
    twelve founders of whom eight leave on the founding day made a club of twelve that day.
    (``active_members`` counts a leaver out on the day they leave, which is right for the
    club's size after that day's events, not for what it had reached: counting that way,
    departures on a joining day would erase the peak and lift the floor.)
    """
    roll = list(club_members(session, club).values())
    joins = {m.joined for m in roll if m.joined <= date}
    return max((sum(1 for m in roll
                    if m.joined <= day and (m.left_on is None or m.left_on >= day))
                for day in joins), default=0)


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
