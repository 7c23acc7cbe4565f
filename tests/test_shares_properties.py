"""Properties of members' shares and values (cigales.shares) over random club histories.

Each example builds a fresh club (unique slug) in the test's database, on SQLite and on
PostgreSQL, and records a random history through the services, in date order: 5–12 members
joining on random dates, savings inside the investment phase and inside each member's
membership, expenses and income, cash parked on the suspense account 471 (so that cash and net
assets differ), and up to three leavers settled by payout (falling back to deferred when the
bank cannot pay), transfer or deferred payout. A plain-Python model replays the same history
(contributions, units bought at the previous evening's net asset value per unit, cash, amounts
owed) and, at random dates, the shares table must agree with it exactly:

- shares are exact fractions summing to 1 when anyone holds a share (else all 0);
- values sum to net assets to the cent and each is within one cent of share × net assets;
- prorata: share = net contributions ÷ all net contributions; units: the model's units;
- a member who paid on the same dates as another, in ratio r, holds units in ratio r;
- a transfer moves the giver's units (and capital) to the receiver, a leaver keeps nothing;
- with only cash and nothing owed, members' values sum to the cash.

Also: recording the same history (without leavers) in a shuffled order gives the same tables,
two hand-computed examples (units and prorata), and regression tests for bugs found.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cigales import chart, db
from cigales.errors import CigalesError
from cigales.models import SHARE_METHODS, Club
from cigales.policy import MIN_MEMBERS
from cigales.services import bookkeeping, clubs, flows, members, savings
from cigales.shares import SharesTable, positions
from ledger.money import Money, allocate
from ledger.queries import balances_by_account

FOUNDED = dt.date(2021, 3, 15)
LAST_DAY = dt.date(2026, 3, 14)  # last day of the investment phase (T0 + 5 years − 1 day)
TODAY = dt.date(2026, 11, 22)
FULL_SPAN = (LAST_DAY - FOUNDED).days
SUSPENSE = "471"
EXPENSE_KINDS = tuple(sorted(flows.EXPENSE_ACCOUNTS))
INCOME_KINDS = tuple(sorted(flows.INCOME_ACCOUNTS))
RATIOS = ((1, 1), (2, 1), (1, 2), (3, 2), (2, 3), (5, 1))


def day(offset: int) -> dt.date:
    return FOUNDED + dt.timedelta(days=offset)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def new_club(session: Session, method: str) -> Club:
    return clubs.create_club(session, f"p-{uuid.uuid4().hex[:16]}", "Propriétés", FOUNDED,
                             today=TODAY, share_method=method)


# -- random histories ------------------------------------------------------------------------

@dataclass(frozen=True)
class Saving:
    member: int
    day: int
    cents: int


@dataclass(frozen=True)
class Flow:
    kind: str  # expense, income, park (5121 → 471), unpark (471 → 5121)
    sub: str
    day: int
    cents: int


@dataclass(frozen=True)
class Leave:
    member: int
    day: int
    settlement: str
    target: int | None


@dataclass(frozen=True)
class History:
    codes: tuple[str, ...]
    joins: tuple[int, ...]
    savings: tuple[Saving, ...]
    flows: tuple[Flow, ...]
    leaves: tuple[Leave, ...]
    shadow: tuple[int, int, int, int] | None  # (a, b, num, den): b pays num/den of each of a's
    check_days: tuple[int, ...]


def floor_refuses(joins: Sequence[int], left: Mapping[int, int], on: int) -> bool:
    """The model of the five-member floor (cigales.services.membership): once the club had 5
    members on its roll on one day, fewer than 5 active refuses savings and departures.

    ``left`` maps a member to the day they leave. Active on a day: joined by then, not left by
    then. On the roll: joined by then, leaving that day or later — a member joining the day
    another leaves makes a club of five that day."""
    def count(day: int, leaving_counts: bool) -> int:
        return sum(1 for j, joined in enumerate(joins)
                   if joined <= day and (j not in left or day < left[j]
                                         or (leaving_counts and day == left[j])))

    peak = max((count(joined, True) for joined in joins if joined <= on), default=0)
    return count(on, False) < MIN_MEMBERS <= peak


@st.composite
def histories(draw: st.DrawFn, with_leavers: bool = True) -> History:
    span = draw(st.sampled_from((15, 120, 700, FULL_SPAN)), label="span")
    n = draw(st.integers(5, 12), label="members")
    joins = sorted(draw(st.lists(st.integers(0, span), min_size=n, max_size=n), label="joins"))
    # Zero-padded on purpose: no code is a prefix of another (see the bug tests at the end).
    codes = tuple(f"M{i + 1:02d}" for i in range(n))

    shadow = None
    if draw(st.booleans(), label="shadow"):
        a, b = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
        num, den = draw(st.sampled_from(RATIOS), label="ratio")
        joins[b] = joins[a]
        shadow = (a, b, num, den)
    protected = set(shadow[:2]) if shadow else set()

    leave_days: dict[int, tuple[int, str]] = {}
    if with_leavers:
        candidates = [i for i in range(n) if i not in protected and joins[i] < span]
        if candidates:
            for i in draw(st.lists(st.sampled_from(candidates), max_size=3, unique=True),
                          label="leavers"):
                leave_days[i] = (draw(st.integers(joins[i] + 1, span)),
                                 draw(st.sampled_from(members.SETTLEMENTS)))
    # The five-member floor: a departure or saving the club would refuse is left out (checked
    # against the departures kept).
    def refused(on: int, left: dict[int, tuple[int, str]]) -> bool:
        return floor_refuses(joins, {j: d for j, (d, _) in left.items()}, on)

    kept: dict[int, tuple[int, str]] = {}
    for i, (when, settlement) in sorted(leave_days.items(), key=lambda kv: (kv[1][0], kv[0])):
        if not refused(when, kept):
            kept[i] = (when, settlement)
    leave_days = kept
    leaves = []
    for i, (when, settlement) in sorted(leave_days.items(), key=lambda kv: (kv[1][0], kv[0])):
        target = None
        if settlement == "transfer":
            # The receiver is active that day and stays (it may leave later on).
            options = [j for j in range(n) if j != i and j not in protected
                       and joins[j] <= when and (j not in leave_days or leave_days[j][0] > when)]
            if options:
                target = draw(st.sampled_from(options), label="to")
        leaves.append(Leave(i, when, settlement if target is not None or settlement != "transfer"
                            else "deferred", target))

    def last_day(i: int) -> int:
        return leave_days[i][0] - 1 if i in leave_days else span

    payers = [i for i in range(n) if shadow is None or i != shadow[1]]
    amounts = st.integers(1, 50_000) | st.sampled_from((1, 1_000, 3_000, 10_000))
    saving_list = []
    for _ in range(draw(st.integers(3, 18), label="savings")):
        i = draw(st.sampled_from(payers), label="payer")
        saving_list.append(Saving(i, draw(st.integers(joins[i], last_day(i))), draw(amounts)))
    if shadow is not None:
        a, b, num, den = shadow
        saving_list = [s for s in saving_list if s.member != a] + [
            t for s in saving_list if s.member == a
            for t in (Saving(a, s.day, s.cents * den), Saving(b, s.day, s.cents * num))]
    saving_list = [sv for sv in saving_list if not refused(sv.day, leave_days)]

    flow_list = []
    for _ in range(draw(st.integers(0, 6), label="flows")):
        kind = draw(st.sampled_from(("expense", "income", "park", "unpark")), label="flow")
        sub = draw(st.sampled_from(EXPENSE_KINDS if kind == "expense" else INCOME_KINDS))
        # 10**9 is capped at what the bank holds: all of it goes.
        flow_list.append(Flow(kind, sub, draw(st.integers(0, span)),
                              draw(st.integers(1, 30_000) | st.just(10**9))))
    for lv in leaves:
        if lv.settlement == "payout" and draw(st.booleans(), label="empty the bank first"):
            flow_list.append(Flow("park", "", lv.day, 10**9))
    check_days = draw(st.lists(st.integers(0, span), max_size=4), label="check_days")
    return History(codes, tuple(joins), tuple(saving_list), tuple(flow_list), tuple(leaves),
                   shadow, tuple(check_days))


# -- the model --------------------------------------------------------------------------------

@dataclass
class State:
    contributed: Counter[str] = field(default_factory=Counter)
    units: dict[str, Fraction] = field(default_factory=dict)
    cash: int = 0
    suspense: int = 0
    owed: int = 0

    @property
    def net_assets(self) -> int:
        return self.cash + self.suspense - self.owed


@dataclass
class Model:
    """What was recorded, in order, with the amounts actually used; replayed as of any date."""

    codes: tuple[str, ...]
    events: list[tuple[dt.date, str, tuple[object, ...]]] = field(default_factory=list)
    joined: dict[str, dt.date] = field(default_factory=dict)
    left: dict[str, dt.date] = field(default_factory=dict)

    def add(self, date: dt.date, kind: str, *args: object) -> None:
        assert not self.events or self.events[-1][0] <= date, "events must be recorded in order"
        self.events.append((date, kind, args))

    def state(self, as_of: dt.date) -> State:
        st_ = State(units=dict.fromkeys(self.codes, Fraction(0)))
        current: dt.date | None = None
        price = Fraction(1000)
        for date, kind, args in self.events:
            if date > as_of:
                break
            if date != current:
                # One price per day: net assets at the previous evening ÷ units outstanding.
                current = date
                outstanding = sum(st_.units.values(), Fraction(0))
                before = st_.net_assets
                price = (Fraction(before) / outstanding if outstanding > 0 and before > 0
                         else Fraction(1000))
            if kind == "saving":
                code, cents = args
                st_.contributed[code] += cents
                st_.units[code] += Fraction(cents) / price
                st_.cash += cents
            elif kind == "cash":  # expense (negative) or income
                (cents,) = args
                st_.cash += cents
            elif kind == "park":  # positive: bank → 471
                (cents,) = args
                st_.cash -= cents
                st_.suspense += cents
            elif kind == "leave":
                code, settlement, target, value = args
                if settlement == "transfer":
                    st_.contributed[target] += st_.contributed[code]
                    st_.units[target] += st_.units[code]
                else:
                    st_.owed += value
                    if settlement == "payout" and value > 0:
                        st_.owed -= value
                        st_.cash -= value
                st_.contributed[code] = 0
                st_.units[code] = Fraction(0)
        return st_


# -- recording a history --------------------------------------------------------------------------

def cash_on(session: Session, club: Club, date: dt.date) -> int:
    return clubs.cash_balance(session, club.book_id, date).cents


def record(session: Session, club: Club, history: History) -> Model:
    model = Model(history.codes)
    events: list[tuple[int, int, int, object]] = []
    for i, joined in enumerate(history.joins):
        events.append((joined, 0, len(events), ("join", i)))
    for s in history.savings:
        events.append((s.day, 1, len(events), s))
    for f in history.flows:
        events.append((f.day, 1, len(events), f))
    for lv in history.leaves:
        events.append((lv.day, 2, len(events), lv))
    for offset, _, _, item in sorted(events, key=lambda e: e[:3]):
        date = day(offset)
        if isinstance(item, tuple):
            code = history.codes[item[1]]
            members.add_member(session, club, code=code, name=f"Membre {code}", joined=date,
                               today=TODAY)
            model.joined[code] = date
        elif isinstance(item, Saving):
            code = history.codes[item.member]
            savings.add_saving(session, club, member_code=code, date=date,
                               amount=Money(item.cents), today=TODAY)
            model.add(date, "saving", code, item.cents)
        elif isinstance(item, Flow):
            record_flow(session, club, model, date, item)
        else:
            assert isinstance(item, Leave)
            record_leave(session, club, model, history, date, item)
    return model


def record_flow(session: Session, club: Club, model: Model, date: dt.date, flow: Flow) -> None:
    # The bank does not go into overdraft: expenses and parking are capped at the cash.
    if flow.kind == "income":
        flows.add_income(session, club, date=date, amount=Money(flow.cents), kind=flow.sub,
                         label="Produit", today=TODAY)
        model.add(date, "cash", flow.cents)
    elif flow.kind == "expense":
        cents = min(flow.cents, cash_on(session, club, date))
        if cents > 0:
            flows.add_expense(session, club, date=date, amount=Money(cents), kind=flow.sub,
                              label="Charge", today=TODAY)
            model.add(date, "cash", -cents)
    else:
        parked = balances_by_account(session, club.book_id, date, SUSPENSE).get(
            SUSPENSE, Money(0)).cents
        cents = (min(flow.cents, cash_on(session, club, date)) if flow.kind == "park"
                 else -min(flow.cents, parked))
        if cents:
            bookkeeping.add_entry(session, club, date=date, label="Ligne à identifier",
                                  lines=[(SUSPENSE, Money(cents)),
                                         (chart.BANK_ACCOUNT, Money(-cents))],
                                  journal="BQ", today=TODAY)
            model.add(date, "park", cents)


def record_leave(session: Session, club: Club, model: Model, history: History, date: dt.date,
                 leave: Leave) -> None:
    code = history.codes[leave.member]
    target = history.codes[leave.target] if leave.target is not None else None
    before = positions(session, club, date)
    expected_value = before.by_code()[code].value
    settlement = leave.settlement
    if settlement == "payout":
        short = expected_value.cents > cash_on(session, club, date)
        refused: CigalesError | None = None
        try:
            with session.begin_nested():
                departure = members.leave(session, club, code=code, date=date,
                                          settlement="payout", today=TODAY)
        except CigalesError as error:
            refused = error
        # The bank pays only what it holds; otherwise the payout waits for liquidation.
        assert (refused.code if refused else None) == ("not_enough_cash" if short else None)
        if refused is not None:
            event("payout refused: not enough cash")
            settlement = "deferred"
    if settlement != "payout":
        departure = members.leave(session, club, code=code, date=date, settlement=settlement,
                                  to=target, today=TODAY)
    assert departure.value == expected_value
    event(f"leave: {settlement}")
    model.add(date, "leave", code, settlement, target, departure.value.cents)
    model.left[code] = date

    after = positions(session, club, date)
    b, a = before.by_code(), after.by_code()
    assert a[code].share == 0
    assert a[code].value == Money(0)
    assert a[code].contributed == Money(0)
    if settlement == "transfer":
        assert target is not None
        assert after.net_assets == before.net_assets
        assert a[target].contributed == b[target].contributed + b[code].contributed
        if club.share_method == "units":
            assert a[code].units == 0
            assert a[target].units == (b[target].units or 0) + (b[code].units or 0)
            assert after.units_outstanding == before.units_outstanding
    else:
        assert after.net_assets == before.net_assets - departure.value
        if club.share_method == "units":
            assert a[code].units == 0
    for other in a:
        if other not in (code, target):
            # Nobody else's units or contributions move, and their values barely do: the
            # leaver takes their exact part, give or take the rounding of one cent.
            assert a[other].units == b[other].units
            assert a[other].contributed == b[other].contributed
            assert abs(a[other].value.cents - b[other].value.cents) <= 2


# -- checking the table against the model -----------------------------------------------------

def check_table(session: Session, club: Club, model: Model, history: History,
                as_of: dt.date) -> SharesTable:
    table = positions(session, club, as_of)
    expected = model.state(as_of)
    na = table.net_assets.cents
    by_code = table.by_code()
    assert [p.code for p in table.positions] == sorted(
        c for c, joined in model.joined.items() if joined <= as_of)
    assert na == expected.net_assets
    assert cash_on(session, club, as_of) == expected.cash

    shares = [p.share for p in table.positions]
    assert all(type(s) is Fraction for s in shares)
    holders = [p for p in table.positions if p.share > 0]
    if holders:
        assert sum(shares, Fraction(0)) == 1
        assert sum(p.value.cents for p in table.positions) == na
        # One largest-remainder split of the net assets, ties broken by member code.
        assert [p.value for p in holders] == allocate(
            table.net_assets, [p.share for p in holders], keys=[p.code for p in holders])
    else:
        assert all(p.value == Money(0) for p in table.positions)
    for p in table.positions:
        assert 0 <= p.share <= 1
        assert abs(Fraction(p.value.cents) - p.share * na) < 1

    if club.share_method == "prorata":
        total = sum(expected.contributed[p.code] for p in table.positions)
        for p in table.positions:
            assert p.units is None
            assert p.contributed.cents == expected.contributed[p.code]
            assert p.book_capital == p.contributed
            assert p.share == (Fraction(p.contributed.cents, total) if total else 0)
    else:
        outstanding = sum((expected.units[p.code] for p in table.positions), Fraction(0))
        assert table.units_outstanding == outstanding
        for p in table.positions:
            assert p.contributed.cents == expected.contributed[p.code]
            assert p.units == expected.units[p.code]
            assert p.share == (p.units / outstanding if outstanding else 0)
        if history.shadow is not None:
            a, b, num, den = history.shadow
            ca, cb = history.codes[a], history.codes[b]
            if ca in by_code:
                assert by_code[cb].units * den == by_code[ca].units * num

    for code, left in model.left.items():
        if left <= as_of:
            assert by_code[code].share == 0
            assert by_code[code].value == Money(0)

    balances = balances_by_account(session, club.book_id, as_of)
    assert balances.get(SUSPENSE, Money(0)).cents == expected.suspense
    assert -sum(m.cents for c, m in balances.items() if c.startswith("4567-")) == expected.owed
    only_cash = all(c in chart.CASH_PREFIXES for c in balances if c[:1] in ("2", "3", "4", "5"))
    if only_cash and holders:
        assert sum(p.value.cents for p in table.positions) == cash_on(session, club, as_of)
    return table


def check_dates(history: History) -> list[dt.date]:
    days = set(history.check_days)
    for lv in history.leaves:
        days |= {lv.day - 1, lv.day}
    return [*sorted(day(d) for d in days), TODAY]


# -- the properties -----------------------------------------------------------------------------

@pytest.mark.parametrize("method", SHARE_METHODS)
def test_shares_and_values_on_random_histories(engine: Engine, method: str) -> None:
    @settings(max_examples=20 if is_sqlite(engine) else 6, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(history=histories())
    def run(history: History) -> None:
        with db.session_scope(engine) as s:
            club = new_club(s, method)
            model = record(s, club, history)
        with db.session_scope(engine, write=False) as s:
            for as_of in check_dates(history):
                check_table(s, club, model, history, as_of)

    run()


@pytest.mark.parametrize(("operations", "refusals"), [
    # The fifth member joins on the day the first leaves: five on the roll that day, so the
    # second departure of that day is refused (the model used to let it through).
    ([("leave", 0, 1), ("leave", 1, 1)], [False, True]),
    # Same day, one departure: the savings of the next day are refused.
    ([("leave", 2, 1), ("save", 0, 2), ("save", 1, 2)], [False, True, True]),
])
def test_floor_model_agrees_with_the_club(engine: Engine,
                                          operations: list[tuple[str, int, int]],
                                          refusals: list[bool]) -> None:
    """The histories keep to the floor through ``floor_refuses``: it must refuse exactly what
    the club refuses, or the random histories fail on a refusal the model did not expect."""
    joins = (0, 0, 0, 0, 1)
    left: dict[int, int] = {}
    with db.session_scope(engine) as s:
        club = new_club(s, "prorata")
        for i, joined in enumerate(joins):
            members.add_member(s, club, code=f"M{i + 1:02d}", name=f"Membre {i + 1}",
                               joined=day(joined), today=TODAY)
        savings.add_saving(s, club, member_code="M01", date=day(0), amount=Money(100),
                           today=TODAY)
        seen: list[bool] = []
        for kind, who, when in operations:
            modelled = floor_refuses(joins, left, when)
            code: str | None = None
            try:
                with s.begin_nested():
                    if kind == "leave":
                        members.leave(s, club, code=f"M{who + 1:02d}", date=day(when),
                                      settlement="deferred", today=TODAY)
                    else:
                        savings.add_saving(s, club, member_code=f"M{who + 1:02d}",
                                           date=day(when), amount=Money(100), today=TODAY)
            except CigalesError as error:
                code = error.code
            assert code in (None, "too_few_members")
            seen.append(code is not None)
            if kind == "leave" and code is None:
                left[who] = when
            assert modelled == seen[-1]
        assert seen == refusals


@pytest.mark.parametrize("method", SHARE_METHODS)
def test_recording_order_does_not_change_shares(engine: Engine, method: str) -> None:
    """Without leavers, savings and flows recorded late buy at the price of their own date."""

    @settings(max_examples=10 if is_sqlite(engine) else 3, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(history=histories(with_leavers=False), data=st.data())
    def run(history: History, data: st.DataObject) -> None:
        with db.session_scope(engine) as s:
            in_order = new_club(s, method)
            model = record(s, in_order, history)
            shuffled = new_club(s, method)
            for code, joined in model.joined.items():
                members.add_member(s, shuffled, code=code, name=f"Membre {code}",
                                   joined=joined, today=TODAY)
            for date, kind, args in data.draw(st.permutations(model.events), label="order"):
                if kind == "saving":
                    code, cents = args
                    savings.add_saving(s, shuffled, member_code=str(code), date=date,
                                       amount=Money(int(cents)), today=TODAY)
                elif kind == "cash":
                    cents = int(args[0])
                    (flows.add_income if cents > 0 else flows.add_expense)(
                        s, shuffled, date=date, amount=Money(abs(cents)),
                        kind="other", label="Flux", today=TODAY)
                else:
                    cents = int(args[0])
                    bookkeeping.add_entry(s, shuffled, date=date, label="Ligne à identifier",
                                          lines=[(SUSPENSE, Money(cents)),
                                                 (chart.BANK_ACCOUNT, Money(-cents))],
                                          journal="BQ", today=TODAY)
        with db.session_scope(engine, write=False) as s:
            for as_of in check_dates(history):
                expected = check_table(s, in_order, model, history, as_of)
                assert positions(s, shuffled, as_of) == expected

    run()


# -- worked examples ----------------------------------------------------------------------------

D1, D2, D3, D4, D5, D6 = (dt.date(2021, 4, d) for d in range(1, 7))


def test_units_worked_example(engine: Engine) -> None:
    """Hand-computed: the first unit costs 10.00, later ones the previous evening's NAV/unit."""
    with db.session_scope(engine) as s:
        club = new_club(s, "units")
        for code in ("M01", "M02", "M03", "M04"):
            members.add_member(s, club, code=code, name=code, joined=FOUNDED, today=TODAY)
        # D1: M01 pays 100.00 → 10 units at 10.00.
        savings.add_saving(s, club, member_code="M01", date=D1, amount=Money(10_000),
                           today=TODAY)
        # D2: bank interest 50.00 → net assets 150.00, still 10 units (15.00 each).
        flows.add_income(s, club, date=D2, amount=Money(5_000), kind="bank_interest",
                         label="Intérêts", today=TODAY)
        # D3: M02 pays 150.00 at 150.00 / 10 units = 15.00 → 10 units.
        savings.add_saving(s, club, member_code="M02", date=D3, amount=Money(15_000),
                           today=TODAY)
        # D4: M03 pays 300.00 at the previous evening's 300.00 / 20 = 15.00 → 20 units; the
        # same day's 30.00 of interest does not change that day's price.
        flows.add_income(s, club, date=D4, amount=Money(3_000), kind="bank_interest",
                         label="Intérêts", today=TODAY)
        savings.add_saving(s, club, member_code="M03", date=D4, amount=Money(30_000),
                           today=TODAY)

    def table(as_of: dt.date) -> SharesTable:
        with db.session_scope(engine, write=False) as s:
            return positions(s, club, as_of)

    t1 = table(D1).by_code()
    assert t1["M01"].units == 10
    assert (t1["M01"].share, t1["M01"].value) == (1, Money(10_000))
    assert t1["M02"].units == 0
    assert t1["M02"].share == 0

    t2 = table(D2)
    assert t2.net_assets == Money(15_000)
    assert t2.by_code()["M01"].value == Money(15_000)

    t3 = table(D3)
    assert t3.net_assets == Money(30_000)
    assert [(p.code, p.units, p.share, p.value) for p in t3.positions[:2]] == [
        ("M01", 10, Fraction(1, 2), Money(15_000)),
        ("M02", 10, Fraction(1, 2), Money(15_000)),
    ]

    t4 = table(D4)
    assert t4.net_assets == Money(63_000)
    assert [(p.code, p.units, p.share, p.value) for p in t4.positions] == [
        ("M01", 10, Fraction(1, 4), Money(15_750)),
        ("M02", 10, Fraction(1, 4), Money(15_750)),
        ("M03", 20, Fraction(1, 2), Money(31_500)),
        ("M04", 0, 0, Money(0)),
    ]

    # D5: M01 leaves and is paid 157.50; D6: M04 pays 100.00 at 472.50 / 30 units = 15.75,
    # i.e. 10000 / 1575 = 400/63 units.
    with db.session_scope(engine) as s:
        departure = members.leave(s, club, code="M01", date=D5, settlement="payout",
                                  today=TODAY)
        assert departure.value == Money(15_750)
        savings.add_saving(s, club, member_code="M04", date=D6, amount=Money(10_000),
                           today=TODAY)
    t6 = table(D6)
    assert t6.net_assets == Money(57_250)
    assert t6.units_outstanding == Fraction(2290, 63)
    assert [(p.code, p.units, p.share, p.value) for p in t6.positions] == [
        ("M01", 0, 0, Money(0)),
        ("M02", 10, Fraction(63, 229), Money(15_750)),
        ("M03", 20, Fraction(126, 229), Money(31_500)),
        ("M04", Fraction(400, 63), Fraction(40, 229), Money(10_000)),
    ]


def test_prorata_worked_example(engine: Engine) -> None:
    """The same first three days under prorata, then a rounding case split by member code."""
    with db.session_scope(engine) as s:
        club = new_club(s, "prorata")
        for code in ("M01", "M02", "M03"):
            members.add_member(s, club, code=code, name=code, joined=FOUNDED, today=TODAY)
        savings.add_saving(s, club, member_code="M01", date=D1, amount=Money(10_000),
                           today=TODAY)
        flows.add_income(s, club, date=D2, amount=Money(5_000), kind="bank_interest",
                         label="Intérêts", today=TODAY)
        savings.add_saving(s, club, member_code="M02", date=D3, amount=Money(15_000),
                           today=TODAY)
    with db.session_scope(engine, write=False) as s:
        t3 = positions(s, club, D3)
    # Net contributions 100 and 150 out of 250; net assets 300.00.
    assert [(p.code, p.contributed, p.share, p.value) for p in t3.positions] == [
        ("M01", Money(10_000), Fraction(2, 5), Money(12_000)),
        ("M02", Money(15_000), Fraction(3, 5), Money(18_000)),
        ("M03", Money(0), 0, Money(0)),
    ]

    with db.session_scope(engine) as s:
        savings.add_saving(s, club, member_code="M03", date=D4, amount=Money(5_000),
                           today=TODAY)
        flows.add_expense(s, club, date=D5, amount=Money(34_999), kind="dues",
                          label="Cotisation", today=TODAY)
    with db.session_scope(engine, write=False) as s:
        t5 = positions(s, club, D5)
    # 350.00 − 349.99: shares 100/300, 150/300, 50/300 of a single cent.
    assert t5.net_assets == Money(1)
    assert [(p.share, p.value) for p in t5.positions] == [
        (Fraction(1, 3), Money(0)),
        (Fraction(1, 2), Money(1)),
        (Fraction(1, 6), Money(0)),
    ]
    with db.session_scope(engine) as s:
        flows.add_income(s, club, date=D6, amount=Money(5), kind="other", label="Divers",
                         today=TODAY)
    with db.session_scope(engine, write=False) as s:
        t6 = positions(s, club, D6)
    # 0.06 EUR: exactly 0.02, 0.03, 0.01.
    assert [p.value for p in t6.positions] == [Money(2), Money(3), Money(1)]


# -- regressions --------------------------------------------------------------------------------

@pytest.mark.parametrize("method", SHARE_METHODS)
def test_leaver_whose_code_prefixes_another_code(engine: Engine, method: str) -> None:
    with db.session_scope(engine) as s:
        club = new_club(s, method)
        for code in ("M1", "M10", "M2"):
            members.add_member(s, club, code=code, name=code, joined=FOUNDED, today=TODAY)
        for code, cents in (("M1", 10_000), ("M10", 30_000), ("M2", 20_000)):
            savings.add_saving(s, club, member_code=code, date=D1, amount=Money(cents),
                               today=TODAY)
        members.leave(s, club, code="M1", date=D2, settlement="transfer", to="M2",
                      today=TODAY)
    with db.session_scope(engine, write=False) as s:
        table = positions(s, club, D2).by_code()
    assert table["M1"].contributed == Money(0)  # got -300.00: M10's capital was moved too
    assert table["M2"].contributed == Money(30_000)  # got 600.00
    assert table["M10"].contributed == Money(30_000)


@pytest.mark.parametrize("method", SHARE_METHODS)
def test_leaver_holds_nothing_after_a_departure_dated_before_own_savings(
        engine: Engine, method: str) -> None:
    with db.session_scope(engine) as s:
        club = new_club(s, method)
        for code in ("M01", "M02"):
            members.add_member(s, club, code=code, name=code, joined=FOUNDED, today=TODAY)
            savings.add_saving(s, club, member_code=code, date=D1, amount=Money(10_000),
                               today=TODAY)
        savings.add_saving(s, club, member_code="M01", date=D5, amount=Money(5_000),
                           today=TODAY)
    # The departure is refused: the share is valued on its date, later savings would stay.
    with pytest.raises(CigalesError) as refused, db.session_scope(engine) as s:
        members.leave(s, club, code="M01", date=D3, settlement="deferred", today=TODAY)
    assert refused.value.code == "member_has_later_operations"
    with db.session_scope(engine, write=False) as s:
        table = positions(s, club, D6).by_code()
    assert table["M01"].contributed == Money(15_000)


def test_leaver_holds_nothing_after_a_saving_backdated_before_the_departure(
        engine: Engine) -> None:
    with db.session_scope(engine) as s:
        club = new_club(s, "prorata")
        for code in ("M01", "M02"):
            members.add_member(s, club, code=code, name=code, joined=FOUNDED, today=TODAY)
            savings.add_saving(s, club, member_code=code, date=D1, amount=Money(10_000),
                               today=TODAY)
        members.leave(s, club, code="M01", date=D5, settlement="deferred", today=TODAY)
    with pytest.raises(CigalesError) as refused, db.session_scope(engine) as s:
        savings.add_saving(s, club, member_code="M01", date=D3, amount=Money(5_000),
                           today=TODAY)
    assert refused.value.code == "member_already_left"
    with db.session_scope(engine, write=False) as s:
        table = positions(s, club, D6).by_code()
    assert table["M01"].share == 0
