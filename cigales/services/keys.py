"""Member keys over time: the frozen key of each investment and the versions that follow it.

A key is frozen on the day money leaves for an investment (``member_key``, version 0): it
stays what the tax sheets use, since the IR-PME reduction belongs to whoever paid. When a
member's share is later settled (payout, transfer, deferral), the settled member no longer
carries any of the club's risks or results: their part of every investment still open on
that date passes to the members who carry it — the transferee, or the other key holders pro
rata of their parts — as a new version in force from the next day (the departure value was
computed on the departure date, with that day's operations). Income, gains and losses are
split by the version in force on the day they happen. Investments closed by then keep their
keys untouched.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cigales.models import Club, Investment, InvestmentEvent, Member, MemberKey, MemberKeyVersion
from cigales.shares import positions
from ledger.money import Money, allocate

# Events that give back some of the cost of an investment (principal_cents is that cost).
COST_BACK = ("sale", "redemption", "write_off", "repayment")


@dataclass(frozen=True, slots=True)
class KeyVersion:
    """One version of an investment's member keys: member code -> exact share."""

    version: int
    valid_from: dt.date
    shares: dict[str, Fraction]
    amounts: dict[str, Money]  # each member's part of the investment's cost


def versions(session: Session, investments: Sequence[Investment]) -> dict[int, list[KeyVersion]]:
    """Every investment's key versions, oldest first (version 0 is the frozen key)."""
    ids = [inv.id for inv in investments]
    out: dict[int, list[KeyVersion]] = {inv.id: [] for inv in investments}
    if not ids:
        return out
    dates = {inv.id: inv.date for inv in investments}
    frozen: dict[int, tuple[dict[str, Fraction], dict[str, Money]]] = defaultdict(
        lambda: ({}, {}))
    for inv_id, code, n, d, cents in session.execute(
            select(MemberKey.investment_id, Member.code, MemberKey.numerator,
                   MemberKey.denominator, MemberKey.amount_cents)
            .join(Member, Member.id == MemberKey.member_id)
            .where(MemberKey.investment_id.in_(ids)).order_by(Member.code)):
        frozen[inv_id][0][code] = Fraction(int(n), int(d))
        frozen[inv_id][1][code] = Money(int(cents))
    for inv_id in ids:
        shares, amounts = frozen[inv_id]
        out[inv_id].append(KeyVersion(0, dates[inv_id], shares, amounts))
    later: dict[tuple[int, int], tuple[dt.date, dict[str, Fraction], dict[str, Money]]] = {}
    for inv_id, version, valid_from, code, n, d, cents in session.execute(
            select(MemberKeyVersion.investment_id, MemberKeyVersion.version,
                   MemberKeyVersion.valid_from, Member.code, MemberKeyVersion.numerator,
                   MemberKeyVersion.denominator, MemberKeyVersion.amount_cents)
            .join(Member, Member.id == MemberKeyVersion.member_id)
            .where(MemberKeyVersion.investment_id.in_(ids))
            .order_by(MemberKeyVersion.investment_id, MemberKeyVersion.version, Member.code)):
        slot = later.setdefault((inv_id, version), (valid_from, {}, {}))
        slot[1][code] = Fraction(int(n), int(d))
        slot[2][code] = Money(int(cents))
    for (inv_id, version), (valid_from, shares, amounts) in sorted(later.items()):
        out[inv_id].append(KeyVersion(version, valid_from, shares, amounts))
    return out


def in_force(history: Sequence[KeyVersion], date: dt.date) -> KeyVersion:
    """The version that applies to something happening on ``date``."""
    current = history[0]
    for version in history[1:]:
        if version.valid_from <= date:
            current = version
    return current


def split(history: Sequence[KeyVersion], events: Iterable[tuple[dt.date, int]]) -> dict[str, Money]:
    """Each member's part of dated amounts, each period's total split by its own version.

    Amounts are summed per version first and each sum allocated once (largest remainder,
    ties by member code), so a key that never changed splits exactly as one total would.
    """
    per_version: dict[int, int] = defaultdict(int)
    index = {v.version: v for v in history}
    for date, cents in events:
        per_version[in_force(history, date).version] += cents
    out: dict[str, Money] = defaultdict(lambda: Money(0))
    for version, cents in sorted(per_version.items()):
        key = index[version]
        holders = sorted(c for c, s in key.shares.items() if s > 0)
        if not holders or not cents:
            continue
        for code, part in zip(holders, allocate(Money(cents), [key.shares[c] for c in holders],
                                                keys=holders), strict=True):
            out[code] += part
    return dict(out)


def open_investments(session: Session, club: Club, date: dt.date) -> list[Investment]:
    """Investments made by ``date`` with some of their cost still invested on that date."""
    back = dict(session.execute(
        select(InvestmentEvent.investment_id, func.sum(InvestmentEvent.principal_cents))
        .join(Investment, Investment.id == InvestmentEvent.investment_id)
        .where(Investment.club_id == club.id, InvestmentEvent.kind.in_(COST_BACK),
               InvestmentEvent.date <= date)
        .group_by(InvestmentEvent.investment_id)).all())
    return [inv for inv in session.execute(
        select(Investment).where(Investment.club_id == club.id, Investment.date <= date)
        .order_by(Investment.number)).scalars()
        if inv.amount_cents - int(back.get(inv.id, 0)) > 0]


def pass_on(session: Session, club: Club, settled: Member, date: dt.date,
            to: Member | None = None) -> int:
    """Give ``settled``'s part of every open investment's key to the members who carry it.

    ``to``: the member who takes the share over (transfer); otherwise the other holders of
    each key, pro rata of their parts. Returns how many investments got a new version.
    """
    invested = open_investments(session, club, date)
    histories = versions(session, invested)
    codes = dict(session.execute(select(Member.code, Member.id)
                                 .where(Member.club_id == club.id)).all())
    count = 0
    for inv in invested:
        history = histories[inv.id]
        current = history[-1]
        part = current.shares.get(settled.code, Fraction(0))
        if part == 0:
            continue
        others = {c: s for c, s in current.shares.items() if c != settled.code and s > 0}
        if to is not None:
            shares = dict(others)
            shares[to.code] = shares.get(to.code, Fraction(0)) + part
        elif others:
            rest = sum(others.values(), Fraction(0))
            shares = {c: s / rest for c, s in others.items()}
        else:
            # The settled member financed it alone: it passes to the club's other members,
            # pro rata of their shares on that date.
            table = positions(session, club, date)
            shares = {p.code: p.share for p in table.positions
                      if p.code != settled.code and p.share > 0}
            total = sum(shares.values(), Fraction(0))
            if not total:
                continue  # nobody left to carry it
            shares = {c: s / total for c, s in shares.items()}
        holders = sorted(shares)
        amounts = allocate(Money(inv.amount_cents), [shares[c] for c in holders], keys=holders)
        version = current.version + 1
        valid_from = date + dt.timedelta(days=1)
        session.execute(insert(MemberKeyVersion), [
            {"investment_id": inv.id, "version": version, "valid_from": valid_from,
             "member_id": codes[c], "numerator": shares[c].numerator,
             "denominator": shares[c].denominator, "amount_cents": amount.cents,
             "settled_member_id": settled.id}
            for c, amount in zip(holders, amounts, strict=True)])
        count += 1
    return count
