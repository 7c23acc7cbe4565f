"""Members' quote-parts (shares) and values, as of any date, under both methods.

- ``prorata`` (default): share = member's net contributions ÷ all members' net contributions,
  where net contributions = savings paid − capital repaid = the credit balance of 1011-CODE.
- ``units``: each saving buys units at the club's value per unit on the previous evening
  (net assets ÷ units outstanding; 10.00 EUR for the very first unit); a leaver's units are
  redeemed, a transfer moves them. Units are recomputed from the dated capital movements
  every time, so a saving recorded late still buys at the price of its own date. A club that
  moved in at D (switchover) starts from each member's units at D, as its file stated them
  (the ``opening`` movement), and the savings after D buy at the value per unit of their day,
  as if the club had always been in cigales.

Shares are exact fractions. Values split the club's net assets with ``allocate()``, so they
sum to net assets to the cent whatever the rounding.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cigales.models import CapitalMovement, Club, Investment, InvestmentEvent, Member
from ledger.balances import total_at
from ledger.money import Money, allocate, round_half_up
from ledger.queries import balances_by_account, prefix_balances
from ledger.schema import OPENING_JOURNAL, Account, Entry, Posting, counts_in_balances

FIRST_UNIT_PRICE_CENTS = 1000  # 10.00 EUR
NET_ASSET_CLASSES = ("2", "3", "4", "5")


@dataclass(frozen=True, slots=True)
class Position:
    code: str
    contributed: Money  # net contributions: credit balance of 1011-CODE
    book_capital: Money  # 1011 + 1018: what the books say the member put in and was allotted
    share: Fraction
    value: Money  # share × net assets, allocated to the cent
    units: Fraction | None  # units method only


@dataclass(frozen=True, slots=True)
class SharesTable:
    as_of: dt.date
    method: str
    net_assets: Money
    positions: tuple[Position, ...]

    def by_code(self) -> dict[str, Position]:
        return {p.code: p for p in self.positions}

    @property
    def units_outstanding(self) -> Fraction:
        return sum((p.units or Fraction(0) for p in self.positions), Fraction(0))


def net_assets(session: Session, club: Club, as_of: dt.date) -> Money:
    """Assets minus liabilities to third parties (classes 2–5), i.e. the members' equity."""
    # From the kept balances (ledger.balances): full months from the table, then the days
    # of as_of's month.
    return Money(total_at(session, club.book_id, as_of,
                          accounts=func.substr(Account.code, 1, 1).in_(NET_ASSET_CLASSES)))


def net_assets_of_books(session: Session, book_ids: Sequence[int],
                        as_of: dt.date) -> dict[int, Money]:
    """``net_assets`` of many books, one query."""
    found = prefix_balances(session, book_ids, NET_ASSET_CLASSES, as_of)
    return {b: net_assets_of(found[b]) for b in book_ids}


def net_assets_of(balances: dict[str, Money]) -> Money:
    """Net assets from balances by prefix (``ledger.queries.prefix_balances``) that include
    the classes ``NET_ASSET_CLASSES``."""
    return Money(sum(balances[c].cents for c in NET_ASSET_CLASSES))


def valuation_adjustment(session: Session, club: Club, as_of: dt.date) -> Money:
    """Latest recorded value minus book value of stakes that have a dated valuation.

    The units method values stakes at cost less impairment "unless a dated valuation is
    recorded" (domain.md §3): this is the difference those valuations make on ``as_of``.
    """
    valued = session.execute(
        select(InvestmentEvent.investment_id, func.max(InvestmentEvent.date))
        .join(Investment, Investment.id == InvestmentEvent.investment_id)
        .where(Investment.club_id == club.id, InvestmentEvent.kind == "valuation",
               InvestmentEvent.date <= as_of)
        .group_by(InvestmentEvent.investment_id)).all()
    total = 0
    for investment_id, last in valued:
        def summed(kinds: tuple[str, ...], column: str, inv: int = investment_id) -> int:
            col = getattr(InvestmentEvent, column)
            return int(session.execute(select(func.coalesce(func.sum(col), 0)).where(
                InvestmentEvent.investment_id == inv, InvestmentEvent.kind.in_(kinds),
                InvestmentEvent.date <= as_of)).scalar_one())

        inv = session.get(Investment, investment_id)
        assert inv is not None
        shares_left = int(inv.shares or 0) - summed(("sale", "redemption", "write_off"), "shares")
        if shares_left <= 0:
            continue
        # A valuation is of the shares held then; later sales shrink it pro rata.
        value = session.execute(select(InvestmentEvent.amount_cents, InvestmentEvent.id).where(
            InvestmentEvent.investment_id == investment_id, InvestmentEvent.kind == "valuation",
            InvestmentEvent.date == last).order_by(InvestmentEvent.id.desc())).first()
        assert value is not None
        out_then = session.execute(
            select(func.coalesce(func.sum(InvestmentEvent.shares), 0)).where(
                InvestmentEvent.investment_id == investment_id,
                InvestmentEvent.kind.in_(("sale", "redemption", "write_off")),
                InvestmentEvent.date <= last)).scalar_one()
        shares_then = int(inv.shares or 0) - int(out_then or 0)
        current_value = Fraction(int(value[0]) * shares_left, max(shares_then, 1))
        book = (inv.amount_cents - summed(("sale", "redemption", "write_off"), "principal_cents")
                - summed(("impairment",), "amount_cents")
                + summed(("impairment_reversal",), "amount_cents"))
        total += round_half_up(current_value / 100).cents - book
    return Money(total)


def net_assets_by_day(session: Session, club: Club,
                             as_of: dt.date) -> tuple[list[dt.date], list[int]]:
    """Dates with a net-asset change and the cumulative net assets at the end of each."""
    rows = session.execute(
        select(Entry.date, func.sum(Posting.amount_cents))
        .select_from(Posting)
        .join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(Entry.book_id == club.book_id, counts_in_balances(),
               Entry.date <= as_of, func.substr(Account.code, 1, 1).in_(NET_ASSET_CLASSES))
        .group_by(Entry.date)
        .order_by(Entry.date)
    ).all()
    dates: list[dt.date] = []
    cumulative: list[int] = []
    running = 0
    for date, delta in rows:
        running += int(delta)
        dates.append(date)
        cumulative.append(running)
    return dates, cumulative


def _net_assets_before(dates: list[dt.date], cumulative: list[int], day: dt.date) -> int:
    i = bisect.bisect_left(dates, day)
    return cumulative[i - 1] if i > 0 else 0


def _opening_net_assets(session: Session, club: Club, day: dt.date) -> int:
    """Net assets of the opening (AN) entry a switchover booked on ``day``, in cents."""
    return int(session.execute(
        select(func.coalesce(func.sum(Posting.amount_cents), 0))
        .select_from(Posting)
        .join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(Entry.book_id == club.book_id, Entry.journal == OPENING_JOURNAL,
               Entry.date == day, counts_in_balances(),
               func.substr(Account.code, 1, 1).in_(NET_ASSET_CLASSES))).scalar_one())


def units_held(session: Session, club: Club, as_of: dt.date) -> dict[str, Fraction]:
    """Replay the capital movements day by day (one pricing per day, at the previous close)."""
    codes = dict(session.execute(select(Member.id, Member.code).where(
        Member.club_id == club.id)).all())
    movements = session.execute(
        select(CapitalMovement.date, CapitalMovement.kind, CapitalMovement.member_id,
               CapitalMovement.counterpart_id, CapitalMovement.amount_cents,
               CapitalMovement.units_numerator, CapitalMovement.units_denominator)
        .where(CapitalMovement.club_id == club.id, CapitalMovement.date <= as_of)
        .order_by(CapitalMovement.date, CapitalMovement.id)
    ).all()
    dates, cumulative = net_assets_by_day(session, club, as_of)
    has_valuations = session.execute(
        select(InvestmentEvent.id).join(Investment, Investment.id == InvestmentEvent.investment_id)
        .where(Investment.club_id == club.id, InvestmentEvent.kind == "valuation",
               InvestmentEvent.date <= as_of).limit(1)).first() is not None
    # A switchover at D (units method): the position at the end of D is where the units
    # start. A saving recorded on D itself buys at that position's value per unit (the
    # previous evening is not in the books): the opening entry's net assets ÷ opening units.
    opening = [(m[0], Fraction(int(m[5]), int(m[6]))) for m in movements
               if m[1] == "opening" and m[5] is not None and m[6]]
    opening_day = opening[0][0] if opening else None
    units: dict[str, Fraction] = defaultdict(Fraction)
    day: dt.date | None = None
    price = Fraction(FIRST_UNIT_PRICE_CENTS)
    for date, kind, member_id, counterpart_id, amount, numerator, denominator in movements:
        if date != day:
            day = date
            if date == opening_day:
                outstanding = sum((u for _, u in opening), Fraction(0))
                before = _opening_net_assets(session, club, date)
            else:
                outstanding = sum(units.values(), Fraction(0))
                before = _net_assets_before(dates, cumulative, date)
            if has_valuations:
                before += valuation_adjustment(session, club,
                                               date - dt.timedelta(days=1)).cents
            # No units yet, or a club whose net assets were wiped out: start again at 10.00.
            price = (Fraction(before) / outstanding if outstanding > 0 and before > 0
                     else Fraction(FIRST_UNIT_PRICE_CENTS))
        code = codes[member_id]
        if kind == "opening":
            # A switchover at D: the units the member held then, as the file stated them (a
            # prorata club's opening totals carry none). The price of the next day follows
            # from the net assets of the opening entry and these units.
            if numerator is not None and denominator:
                units[code] += Fraction(int(numerator), int(denominator))
        elif kind == "saving":
            # A negative saving (a reversed one) gives back units at the day's price.
            units[code] = max(units[code] + Fraction(int(amount)) / price, Fraction(0))
        elif kind == "redemption":
            units[code] = Fraction(0)
        elif kind == "transfer" and counterpart_id is not None:
            units[codes[counterpart_id]] += units[code]
            units[code] = Fraction(0)
    return {code: units.get(code, Fraction(0)) for code in sorted(codes.values())}


def positions(session: Session, club: Club, as_of: dt.date) -> SharesTable:
    members = session.execute(
        select(Member.code).where(Member.club_id == club.id, Member.joined <= as_of)
        .order_by(Member.code)
    ).scalars().all()
    capital = balances_by_account(session, club.book_id, as_of, "1011-")
    allotted = balances_by_account(session, club.book_id, as_of, "1018-")
    contributed = {code: -capital.get(f"1011-{code}", Money(0)) for code in members}
    book_capital = {code: contributed[code] - allotted.get(f"1018-{code}", Money(0))
                    for code in members}
    assets = net_assets(session, club, as_of)

    units: dict[str, Fraction] | None = None
    if club.share_method == "units":
        assets += valuation_adjustment(session, club, as_of)
        held = units_held(session, club, as_of)
        units = {code: held.get(code, Fraction(0)) for code in members}
        weights = dict(units)
    else:
        # A member whose capital was repaid beyond their savings cannot weigh negatively.
        weights = {code: Fraction(max(contributed[code].cents, 0)) for code in members}

    total = sum(weights.values(), Fraction(0))
    if total > 0:
        shares = {code: weights[code] / total for code in members}
        values = dict(zip(members, allocate(assets, [weights[c] for c in members],
                                            keys=list(members)), strict=True))
    else:
        shares = {code: Fraction(0) for code in members}
        values = {code: Money(0) for code in members}
    return SharesTable(
        as_of=as_of,
        method=club.share_method,
        net_assets=assets,
        positions=tuple(
            Position(code, contributed[code], book_capital[code], shares[code], values[code],
                     units[code] if units is not None else None)
            for code in members
        ),
    )


def share_text(share: Fraction, places: int = 6) -> str:
    """Decimal string with a fixed number of places, rounded half-up (for display/JSON)."""
    scaled = share * 10**places
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    text = str(whole).rjust(places + 1, "0")
    return f"{text[:-places]}.{text[-places:]}"
