"""A hypothesis state machine over one club's life: members, savings, flows, leavers, closings.

The machine drives the services (members, savings, flows, bookkeeping) the way a treasurer
would, on a simulated date that only moves forward inside the investment phase, and keeps its
own model of the club in plain Python: who is a member from when to when, what each paid,
each member's net contributions (1011), the bank (5121), the suspense account (471) and what is
owed to leavers (4567). Valid operations must succeed; invalid ones (a zero or negative
saving, a saving before joining or after leaving, for an unknown member, in the future, before
T0, after the investment phase, in a closed year; a departure that cannot be settled as asked;
a 21st active member) must raise a CigalesError or LedgerError with the expected ``code`` and
leave the database exactly as it was. After every step: the audit finds nothing, the trial
balance balances, shares sum to 1 (or are all 0) and values to net assets, no date has more
than 20 active members, and the books agree with the model.

Each run gets a fresh database: a temporary SQLite file, or its own PostgreSQL schema when
CIGALES_TEST_PG_URL is set.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select, text

from cigales import chart, db, migrate
from cigales.errors import CigalesError
from cigales.models import RESULT_ALLOCATIONS, SHARE_METHODS, CapitalMovement, Club, Member
from cigales.phases import MAX_MEMBERS, MIN_MEMBERS
from cigales.services import bookkeeping, clubs, flows, members, savings
from cigales.services.lifecycle import active_members
from cigales.shares import positions
from ledger.audit import check_book
from ledger.errors import LedgerError
from ledger.money import Money, allocate
from ledger.queries import balances_by_account, trial_balance
from tests.scratch import ScratchDatabase

PG_URL = os.environ.get("CIGALES_TEST_PG_URL")
FOUNDED = dt.date(2021, 3, 15)
LAST_DAY = dt.date(2026, 3, 14)  # last day of the investment phase
TODAY = dt.date(2026, 11, 22)
SUSPENSE = "471"
ONE_DAY = dt.timedelta(days=1)

COMMON = {"deadline": None,
          "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much]}
SETTINGS = {
    "sqlite": settings(max_examples=10, stateful_step_count=25, **COMMON),
    "postgresql": settings(max_examples=5, stateful_step_count=20, **COMMON),
}


@dataclass
class MemberModel:
    joined: dt.date
    left: dt.date | None = None

    def active_on(self, date: dt.date) -> bool:
        return self.joined <= date and (self.left is None or date < self.left)


class ClubMachine(RuleBasedStateMachine):
    backend = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self._scratch = ScratchDatabase(self.backend, prefix="t_csm", migrated=True)
        self.engine = db.make_engine(self._scratch.url)
        migrate.ensure_ready(self.engine)
        self.club: Club | None = None
        # The model.
        self.sim = FOUNDED
        self.members: dict[str, MemberModel] = {}
        self.next_code = 1
        self.saved: Counter[str] = Counter()  # savings paid, per member
        self.contributed: Counter[str] = Counter()  # credit balance of 1011-CODE
        self.owed: Counter[str] = Counter()  # credit balance of 4567-CODE
        self.cash = 0  # 5121
        self.suspense = 0  # 471
        self.results: Counter[int] = Counter()  # profit per year (income − expenses)
        self.oldest_open = FOUNDED.year

    def teardown(self) -> None:
        self.engine.dispose()
        self._scratch.drop()

    # -- model helpers ----------------------------------------------------------------------

    @property
    def book_id(self) -> int:
        assert self.club is not None
        return self.club.book_id

    @property
    def open_start(self) -> dt.date:
        return max(FOUNDED, dt.date(self.oldest_open, 1, 1))

    def new_code(self) -> str:
        # Zero-padded on purpose: with M1 and M10, leaving M1 also moves M10's capital (a known
        # bug, see test_shares_properties.test_leaver_whose_code_prefixes_another_code).
        code = f"M{self.next_code:02d}"
        self.next_code += 1
        return code

    def active(self, date: dt.date) -> list[str]:
        return sorted(c for c, m in self.members.items() if m.active_on(date))

    def below_floor(self, date: dt.date) -> bool:
        """Fewer than 5 active after having had 5 (the founders are 5 or more): savings and
        voluntary departures are refused with too_few_members (services/membership.py)."""
        return len(self.active(date)) < MIN_MEMBERS

    def still_members(self) -> list[str]:
        """Members active on the simulated date (they have not left)."""
        return [c for c in self.active(self.sim) if self.members[c].left is None]

    def draw_date(self, data: st.DataObject, lo: dt.date = FOUNDED,
                  label: str = "date") -> dt.date:
        return data.draw(st.dates(max(lo, self.open_start), self.sim), label=label)

    def fingerprint(self) -> tuple[Any, ...]:
        with db.session_scope(self.engine, write=False) as s:
            return tuple(
                tuple(tuple(row) for row in s.execute(text(sql)).all())
                for sql in (
                    "SELECT chain_seq, head_hash FROM book ORDER BY id",
                    "SELECT count(*) FROM entry",
                    "SELECT count(*), coalesce(sum(amount_cents), 0) FROM posting",
                    "SELECT count(*) FROM capital_movement",
                    ("SELECT code, joined, left_on, settlement, transfer_to_id FROM member "
                     "ORDER BY code"),
                    "SELECT count(*) FROM member_identity",
                    "SELECT count(*) FROM account",
                    "SELECT year, closed FROM fiscal_year ORDER BY year",
                )
            )

    def refused(self, code: str, action: Any) -> None:
        """``action(session)`` must fail with ``code`` and change nothing."""
        before = self.fingerprint()
        with pytest.raises((CigalesError, LedgerError)) as caught, \
                db.session_scope(self.engine) as s:
            action(s)
        assert caught.value.code == code, caught.value
        assert self.fingerprint() == before

    # -- rules ------------------------------------------------------------------------------

    @initialize(method=st.sampled_from(SHARE_METHODS),
                allocation=st.sampled_from(RESULT_ALLOCATIONS),
                founders=st.integers(5, 12) | st.just(MAX_MEMBERS - 1),
                start=st.sampled_from((0, 300, 700)) | st.integers(0, 1000),
                data=st.data())
    def found_club(self, method: str, allocation: str, founders: int, start: int,
                   data: st.DataObject) -> None:
        # The treasurer may start recording late: the founders' first savings and a few
        # flows are dated from T0 to the simulated date, which then only moves forward.
        self.sim = FOUNDED + dt.timedelta(days=start)
        with db.session_scope(self.engine) as s:
            club = clubs.create_club(s, "les-cigales", "Les Cigales", FOUNDED, today=TODAY,
                                     share_method=method, result_allocation=allocation)
            self.club = club
            for _ in range(founders):
                code = self.new_code()
                members.add_member(s, club, code=code, name=f"Membre {code}", joined=FOUNDED,
                                   today=TODAY)
                self.members[code] = MemberModel(FOUNDED)
                self.record_saving(s, code, self.draw_date(data), self.draw_cents(data))
            for _ in range(data.draw(st.integers(1, 4), label="flows")):
                self.record_flow(s, data)

    def draw_cents(self, data: st.DataObject) -> int:
        return data.draw(st.integers(1, 60_000) | st.sampled_from((1, 3_000)), label="cents")

    def record_saving(self, s: Any, code: str, date: dt.date, cents: int) -> None:
        result = savings.add_saving(s, self.club, member_code=code, date=date,
                                    amount=Money(cents), today=TODAY)
        assert result.entry.created
        self.saved[code] += cents
        self.contributed[code] += cents
        self.cash += cents

    def record_flow(self, s: Any, data: st.DataObject) -> None:
        income = data.draw(st.booleans(), label="income")
        date = self.draw_date(data)
        cents = data.draw(st.integers(1, 20_000), label="cents")
        accounts = flows.INCOME_ACCOUNTS if income else flows.EXPENSE_ACCOUNTS
        kind = data.draw(st.sampled_from(sorted(accounts)), label="kind")
        (flows.add_income if income else flows.add_expense)(
            s, self.club, date=date, amount=Money(cents), kind=kind, label="Flux",
            today=TODAY)
        signed = cents if income else -cents
        self.cash += signed
        self.results[date.year] += signed

    @precondition(lambda self: self.club is not None and self.sim < LAST_DAY)
    @rule(days=st.sampled_from((1, 30, 91, 200, 365)) | st.integers(1, 400))
    def advance(self, days: int) -> None:
        self.sim = min(self.sim + dt.timedelta(days=days), LAST_DAY)

    @precondition(lambda self: self.club is not None)
    @rule(data=st.data())
    def add_member(self, data: st.DataObject) -> None:
        joined = data.draw(st.dates(max(FOUNDED, self.sim - dt.timedelta(days=90)), self.sim),
                           label="joined")
        code = self.new_code()

        def count(date: dt.date) -> int:
            return sum(m.active_on(date) for m in self.members.values())

        # Refused when 20 are active that day, or on any later day someone joined.
        full = count(joined) >= MAX_MEMBERS or any(
            count(m.joined) >= MAX_MEMBERS for m in self.members.values() if m.joined > joined)

        def act(s: Any) -> None:
            members.add_member(s, self.club, code=code, name=f"Membre {code}", joined=joined,
                               today=TODAY)

        if full:
            self.refused("member_limit_reached", act)
            return
        with db.session_scope(self.engine) as s:
            act(s)
        self.members[code] = MemberModel(joined)

    def add_member_invalid(self, data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(("duplicate", "bad_code", "future", "before_t0")),
                         label="kind")
        code, joined = self.new_code(), self.sim
        expected = {"duplicate": "member_exists", "bad_code": "invalid_member_code",
                    "future": "date_in_future", "before_t0": "date_outside_club_life"}[kind]
        if kind == "duplicate":
            code = data.draw(st.sampled_from(sorted(self.members)), label="code")
        elif kind == "bad_code":
            code = data.draw(st.sampled_from(("m01", "M-1", "", "M 1", "X" * 17)), label="code")
        elif kind == "future":
            joined = TODAY + dt.timedelta(days=data.draw(st.integers(1, 400)))
        else:
            joined = FOUNDED - dt.timedelta(days=data.draw(st.integers(1, 400)))
        self.refused(expected, lambda s: members.add_member(
            s, self.club, code=code, name="Quelqu'un", joined=joined, today=TODAY))

    @precondition(lambda self: self.club is not None)
    @rule(data=st.data(), family=st.sampled_from(("add_member", "save", "leave")))
    def invalid(self, data: st.DataObject, family: str) -> None:
        """One invalid operation: refused with its code, and nothing changes."""
        getattr(self, f"{family}_invalid")(data)

    @precondition(lambda self: self.club is not None and bool(self.still_members()))
    @rule(data=st.data())
    def save(self, data: st.DataObject) -> None:
        for _ in range(data.draw(st.integers(1, 3), label="savings")):
            code = data.draw(st.sampled_from(self.still_members()), label="member")
            date = self.draw_date(data, lo=self.members[code].joined)
            cents = self.draw_cents(data)
            if self.below_floor(date):
                self.refused("too_few_members", lambda s, code=code, date=date, cents=cents:
                             savings.add_saving(s, self.club, member_code=code, date=date,
                                                amount=Money(cents), today=TODAY))
                continue
            with db.session_scope(self.engine) as s:
                self.record_saving(s, code, date, cents)

    def save_invalid(self, data: st.DataObject) -> None:
        late_joiners = [c for c, m in self.members.items() if m.joined > FOUNDED]
        leavers = [c for c, m in self.members.items() if m.left is not None]
        closed_end = dt.date(self.oldest_open - 1, 12, 31)
        # A departed member's share is settled: any saving for them is refused as such.
        in_closed_year = [c for c, m in self.members.items()
                          if m.joined <= closed_end and m.left is None]
        # Only the kinds the club's history makes possible.
        possible = {"zero": bool(self.still_members()), "negative": bool(self.still_members()),
                    "unknown": True, "before_joining": bool(late_joiners),
                    "after_leaving": bool(leavers), "future": True, "before_t0": True,
                    "after_investment_phase": True, "closed_year": bool(in_closed_year)}
        kind = data.draw(st.sampled_from([k for k, ok in possible.items() if ok]),
                         label="kind")
        pool = self.still_members() or sorted(self.members)
        code = data.draw(st.sampled_from(pool), label="member")
        date = self.sim
        cents = data.draw(st.integers(1, 60_000), label="cents")
        expected = "member_not_active"
        if kind == "zero":
            cents, expected = 0, "saving_must_be_positive"
        elif kind == "negative":
            cents, expected = -cents, "saving_must_be_positive"
        elif kind == "unknown":
            code, expected = "Z99", "unknown_member"
        elif kind == "before_joining":
            code = data.draw(st.sampled_from(late_joiners), label="member")
            date = data.draw(st.dates(FOUNDED, self.members[code].joined - ONE_DAY))
            if self.members[code].left is not None:
                expected = "member_already_left"
        elif kind == "after_leaving":
            code = data.draw(st.sampled_from(leavers), label="member")
            left = self.members[code].left
            assert left is not None
            date = data.draw(st.dates(left, self.sim))
            expected = "member_already_left"
        elif kind == "future":
            date = TODAY + dt.timedelta(days=data.draw(st.integers(1, 400)))
            expected = "date_in_future"
        elif kind == "before_t0":
            date = FOUNDED - dt.timedelta(days=data.draw(st.integers(1, 400)))
            expected = "date_outside_club_life"
        elif kind == "after_investment_phase":
            # No prorogation was decided: T0 + 5 years lapses into the legal indivision.
            date = data.draw(st.dates(LAST_DAY + ONE_DAY, TODAY))
            expected = "phase_does_not_allow"
        else:
            code = data.draw(st.sampled_from(in_closed_year), label="member")
            m = self.members[code]
            date = data.draw(st.dates(max(FOUNDED, m.joined), closed_end))
            # The floor is checked before the booking (which finds the year closed).
            expected = "too_few_members" if self.below_floor(date) else "fiscal_year_closed"
        self.refused(expected, lambda s: savings.add_saving(
            s, self.club, member_code=code, date=date, amount=Money(cents), today=TODAY))

    @precondition(lambda self: self.club is not None)
    @rule(data=st.data())
    def flow(self, data: st.DataObject) -> None:
        with db.session_scope(self.engine) as s:
            self.record_flow(s, data)

    @precondition(lambda self: self.club is not None and (self.cash > 0 or self.suspense > 0))
    @rule(data=st.data())
    def park(self, data: st.DataObject) -> None:
        """Move bank money to the suspense account 471 (or back): cash ≠ net assets."""
        back = self.cash <= 0 or (self.suspense > 0 and data.draw(st.booleans(), label="back"))
        most = self.suspense if back else self.cash
        cents = data.draw(st.integers(1, most) | st.just(most), label="cents")
        cents = -cents if back else cents
        date = self.draw_date(data)
        with db.session_scope(self.engine) as s:
            bookkeeping.add_entry(s, self.club, date=date, label="Ligne à identifier",
                                  lines=[(SUSPENSE, Money(cents)),
                                         (chart.BANK_ACCOUNT, Money(-cents))],
                                  journal="BQ", today=TODAY)
        self.cash -= cents
        self.suspense += cents

    @precondition(lambda self: self.club is not None and bool(self.still_members()))
    @rule(data=st.data())
    def leave(self, data: st.DataObject) -> None:
        code = data.draw(st.sampled_from(self.still_members()), label="member")
        settlement = data.draw(st.sampled_from(members.SETTLEMENTS), label="settlement")
        others = [c for c in self.still_members() if c != code]
        target = None
        if settlement == "transfer":
            if others:
                target = data.draw(st.sampled_from(others), label="to")
            else:
                settlement = "deferred"
        date = self.sim
        with db.session_scope(self.engine, write=False) as s:
            before = positions(s, self.club, date).by_code()
            cash = clubs.cash_balance(s, self.book_id, date).cents
        value = before[code].value
        assert cash == self.cash

        def act(how: str) -> Any:
            return lambda s: members.leave(s, self.club, code=code, date=date,
                                           settlement=how, to=target, today=TODAY)

        if self.below_floor(date):
            self.refused("too_few_members", act(settlement))
            return

        if settlement == "payout" and value.cents > cash:
            self.refused("not_enough_cash", act("payout"))
            settlement = "deferred"
        with db.session_scope(self.engine) as s:
            departure = act(settlement)(s)
        assert departure.value == value
        assert departure.settlement == settlement
        self.members[code].left = date
        if settlement == "transfer":
            assert target is not None
            self.contributed[target] += self.contributed[code]
        else:
            self.owed[code] += value.cents
            if settlement == "payout" and value.cents > 0:
                self.owed[code] -= value.cents
                self.cash -= value.cents
        self.contributed[code] = 0

    def leave_invalid(self, data: st.DataObject) -> None:
        leavers = [c for c, m in self.members.items() if m.left is not None]
        late_joiners = [c for c in self.still_members() if self.members[c].joined > FOUNDED]
        staying = bool(self.still_members())
        possible = {"unknown": True, "already_left": bool(leavers), "to_self": staying,
                    "no_target": staying, "target_not_active": bool(leavers) and staying,
                    "before_joining": bool(late_joiners)}
        kind = data.draw(st.sampled_from([k for k, ok in possible.items() if ok]),
                         label="kind")
        code = "Z99"
        settlement, target, date = "deferred", None, self.sim
        expected = {"unknown": "unknown_member", "already_left": "member_already_left",
                    "to_self": "transfer_to_self", "no_target": "transfer_target_required",
                    "target_not_active": "member_not_active",
                    "before_joining": "member_not_active"}[kind]
        if kind == "already_left":
            code = data.draw(st.sampled_from(leavers), label="member")
        elif kind in ("to_self", "no_target", "target_not_active"):
            code = data.draw(st.sampled_from(self.still_members()), label="member")
            settlement = "transfer"
            if kind == "to_self":
                target = code
            elif kind == "target_not_active":
                target = data.draw(st.sampled_from(leavers), label="to")
        elif kind == "before_joining":
            code = data.draw(st.sampled_from(late_joiners), label="member")
            date = data.draw(st.dates(FOUNDED, self.members[code].joined - ONE_DAY))
            if self.members[code].left is not None:
                expected = "member_already_left"
        self.refused(expected, lambda s: members.leave(
            s, self.club, code=code, date=date, settlement=settlement, to=target, today=TODAY))

    @precondition(lambda self: self.club is not None and self.oldest_open < self.sim.year)
    @rule()
    def close_oldest_year(self) -> None:
        assert self.club is not None
        year = self.oldest_open
        end = dt.date(year, 12, 31)
        with db.session_scope(self.engine, write=False) as s:
            table = positions(s, self.club, end)
            before = balances_by_account(s, self.book_id, end)
        with db.session_scope(self.engine) as s:
            res = bookkeeping.close(s, self.club, year, today=TODAY)
        assert res.year == year
        assert res.result.cents == self.results[year]
        with db.session_scope(self.engine, write=False) as s:
            after = balances_by_account(s, self.book_id, end)
        moved = {c: after.get(c, Money(0)).cents - before.get(c, Money(0)).cents
                 for c in set(before) | set(after)}
        moved = {c: cents for c, cents in moved.items() if cents and c[:1] not in "67"}
        holders = [p for p in table.positions if p.share > 0]
        if res.result.is_zero():
            assert moved == {}
        elif self.club.result_allocation == "members" and holders:
            # The result goes to 1018-CODE, split by the shares at year end.
            parts = allocate(res.result, [p.share for p in holders],
                             keys=[p.code for p in holders])
            assert moved == {f"1018-{p.code}": -part.cents
                             for p, part in zip(holders, parts, strict=True) if part}
        else:
            target = "110" if res.result.cents > 0 else "119"
            assert moved == {target: -res.result.cents}
        self.oldest_open += 1

    # -- invariants -----------------------------------------------------------------------------

    @precondition(lambda self: self.club is not None)
    @invariant()
    def books_agree_with_the_model(self) -> None:
        assert self.club is not None
        with db.session_scope(self.engine, write=False) as s:
            issues = check_book(s, self.book_id)
            tb = trial_balance(s, self.book_id)
            tb_sim = trial_balance(s, self.book_id, self.sim)
            table = positions(s, self.club, self.sim)
            balances = {c: m.cents for c, m in balances_by_account(s, self.book_id).items()}
            paid = dict(s.execute(
                select(Member.code, func.sum(CapitalMovement.amount_cents))
                .join(CapitalMovement, CapitalMovement.member_id == Member.id)
                .where(CapitalMovement.kind == "saving", Member.club_id == self.club.id)
                .group_by(Member.code)).all())
            days = {self.sim, *(m.joined for m in self.members.values())}
            counts = {d: active_members(s, self.club, d) for d in days}
        assert issues == []
        assert tb.balanced
        assert tb_sim.balanced
        assert sum(balances.values()) == 0

        # Shares and values.
        na = table.net_assets.cents
        assert [p.code for p in table.positions] == sorted(
            c for c, m in self.members.items() if m.joined <= self.sim)
        holders = [p for p in table.positions if p.share > 0]
        if holders:
            assert sum((p.share for p in table.positions), Fraction(0)) == 1
            assert sum(p.value.cents for p in table.positions) == na
        else:
            assert all(p.share == 0 and p.value.is_zero() for p in table.positions)
        for p in table.positions:
            assert abs(Fraction(p.value.cents) - p.share * na) < 1
            assert p.contributed.cents == self.contributed[p.code]
            if self.members[p.code].left is not None:
                assert (p.share, p.value) == (0, Money(0))
                assert not p.units
        if self.club.share_method == "prorata":
            total = sum(self.contributed[p.code] for p in table.positions)
            for p in table.positions:
                assert p.share == (Fraction(self.contributed[p.code], total) if total else 0)
        else:
            outstanding = table.units_outstanding
            for p in table.positions:
                assert p.units is not None
                assert p.share == (p.units / outstanding if outstanding else 0)

        # Membership.
        for d, count in counts.items():
            assert count == sum(m.active_on(d) for m in self.members.values())
            assert count <= MAX_MEMBERS

        # Money: savings, bank, suspense, amounts owed, net assets.
        assert {c: int(v) for c, v in paid.items() if v} == {
            c: v for c, v in self.saved.items() if v}
        assert balances.get(chart.BANK_ACCOUNT, 0) == self.cash
        assert balances.get(SUSPENSE, 0) == self.suspense
        assert {c: -v for c, v in balances.items() if c.startswith("4567-")} == {
            f"4567-{c}": v for c, v in self.owed.items() if v}
        assert {c: -v for c, v in balances.items() if c.startswith("1011-")} == {
            f"1011-{c}": v for c, v in self.contributed.items() if v}
        assert na == self.cash + self.suspense - sum(self.owed.values())


@pytest.mark.parametrize(
    "backend",
    [
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.skipif(
            PG_URL is None, reason="CIGALES_TEST_PG_URL is not set")),
    ],
)
def test_club_state_machine(backend: str) -> None:
    machine = type(f"ClubMachine_{backend}", (ClubMachine,), {"backend": backend})
    run_state_machine_as_test(machine, settings=SETTINGS[backend])
