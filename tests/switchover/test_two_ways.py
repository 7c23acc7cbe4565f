"""One club, two ways: replayed through the services from T0, or moved in at D from the
hand-computed position in tests/switchover/position/ — then the same operations after D.
From D on, both must agree to the cent on everything a member or the AG reads."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from cigales import db
from cigales.models import CapitalMovement, Member
from cigales.schedules import par30
from cigales.services import bookkeeping, lifecycle, loans, portfolio, savings, switchover
from cigales.services.clubs import get_club
from cigales.services.members import member_table
from cigales.shares import positions
from ledger.money import Money
from ledger.queries import balances_by_account
from reports.data import build_agm_pack, build_member_statements
from tests import scratch
from tests.switchover import club_story as story
from tests.switchover import units_story

POSITION = Path(__file__).parent / "position"
BALANCE_SHEET = ("1", "2", "3", "4", "5")


def _state(engine: Engine, slug: str, as_of: dt.date, *, with_results: bool) -> dict[str, Any]:
    with db.session_scope(engine, write=False) as s:
        club = get_club(s, slug)
        balances = {code: m for code, m in balances_by_account(s, club.book_id, as_of).items()
                    if code.startswith(BALANCE_SHEET)
                    # Before the year is closed the replay still holds the year's income in
                    # classes 6/7, which the switchover brought in 110 (README of position/).
                    and (with_results or not code.startswith(("11", "12")))}
        if with_results:
            # Retained results as one figure: the year's result before D arrives in 110, so
            # a year that ends in profit overall may close with a loss after D (to 119).
            retained = balances.pop("110", Money(0)) + balances.pop("119", Money(0))
            balances["110+119"] = retained
        table = positions(s, club, as_of)
        views = loans.all_loans(s, club, as_of)
        book = {
            "balances": balances,
            "net_assets": table.net_assets,
            "method": table.method,
            "members": [(p.code, p.contributed, p.book_capital, p.share, p.value, p.units)
                        for p in table.positions],
            # Total savings paid in; a member gone before D took their capital with them,
            # which the file records as what the club owes them, not as savings.
            "paid_in": [(r.code, r.paid) for r in member_table(s, club, as_of)[1]
                        if r.left is None],
            "loans": [(v.investment.number, v.outstanding, v.repaid, v.interest_paid,
                       v.arrears) for v in views],
            "par30": par30([v.arrears for v in views]),
            # Every position field; not the income each holding earned before D, which the
            # file brings as one retained result (docs/switchover.md, "What is not taken").
            "portfolio": [(p.number, p.investee, p.kind, p.date, p.cost, p.repaid,
                           p.impairment, p.outstanding, p.status, p.shares_held,
                           tuple((k.member, k.share, k.amount, k.gain) for k in p.keys),
                           p.proceeds, p.written_off)
                          for p in portfolio.portfolio(s, club, as_of)],
        }
        assert bookkeeping.audit(s, club) == []  # ledger and capital movements
        return book


def _build(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        story.replay_until_d(s, "rejoue")
    with db.session_scope(engine) as s:
        result = switchover.switchover(s, "reprise", story.D, POSITION, today=story.TODAY)
        assert result.entry == "AN 1"
        assert result.warnings == ()


def test_position_at_d_is_the_replayed_one(engine: Engine, database_url: str) -> None:
    scratch.fill(database_url, _build)
    replay = _state(engine, "rejoue", story.D, with_results=False)
    moved = _state(engine, "reprise", story.D, with_results=False)
    assert moved == replay
    # What the hand computation says (README of position/), not only that both agree.
    assert moved["balances"]["5121"].plain() == "4487.00"
    assert [(c, v.plain()) for c, _, _, _, v, _ in moved["members"]] == [
        ("M01", "874.55"), ("M02", "0.00"), ("M03", "1457.58"), ("M04", "583.03"),
        ("M05", "1749.10"), ("M06", "683.55")]
    assert moved["par30"] == replay["par30"] > 0


@pytest.mark.parametrize("probe", [dt.date(2024, 7, 1), dt.date(2024, 9, 30),
                                   dt.date(2024, 12, 31), dt.date(2025, 2, 15)])
def test_same_operations_after_d_agree_to_the_cent(engine: Engine, database_url: str,
                                                   probe: dt.date) -> None:
    scratch.fill(database_url, _build)
    for slug in ("rejoue", "reprise"):
        with db.session_scope(engine) as s:
            story.after_d(s, slug)
    closed = probe > dt.date(2024, 12, 31) or probe == dt.date(2024, 12, 31)
    replay = _state(engine, "rejoue", probe, with_results=closed)
    moved = _state(engine, "reprise", probe, with_results=closed)
    assert moved == replay


def test_savings_paid_in_from_d_and_arrears(engine: Engine, database_url: str) -> None:
    scratch.fill(database_url, _build)
    with db.session_scope(engine, write=False) as s:
        club = get_club(s, "reprise")
        rows = {r.member: r for r in savings.arrears(s, club, dt.date(2024, 8, 20))}
        m01 = s.execute(select(Member).where(Member.club_id == club.id,
                                             Member.code == "M01")).scalar_one()
        # The total brought in is not a payment of 2024 (yearly cap, savings of the year).
        assert savings.paid_in_year(s, m01, 2024).plain() == "0.00"
        paid = {r.code: r.paid for r in member_table(s, club, story.D)[1]}
        assert paid["M01"].plain() == "870.00"
    # The totals brought in settle everything due up to D: July and August are expected.
    assert rows["M01"].expected.plain() == "60.00"
    assert rows["M01"].paid.plain() == "0.00"
    assert rows["M02"].expected.plain() == "0.00"  # gone before D


def _liquidation_plans(engine: Engine, of_story: Any) -> list[Any]:
    """Both clubs after ``of_story``'s operations after D and wind-down: their liquidation
    plans on 2 March 2025 (replayed, switched over)."""
    plans = []
    for slug in ("rejoue", "reprise"):
        with db.session_scope(engine) as s:
            of_story.after_d(s, slug)
            of_story.wind_down(s, slug)
        with db.session_scope(engine, write=False) as s:
            plans.append(lifecycle.plan_liquidation(s, get_club(s, slug), dt.date(2025, 3, 2)))
    return plans


def test_liquidation_payouts_agree(engine: Engine, database_url: str) -> None:
    scratch.fill(database_url, _build)
    replay, moved = _liquidation_plans(engine, story)
    assert moved == replay
    assert sum((p.amount for p in moved.distribution), moved.owed_to_leavers) == moved.cash
    assert moved.owed_to_leavers.plain() == "1039.19"


def test_tax_sheets_of_subscriptions_before_and_after_d(engine: Engine, database_url: str) -> None:
    scratch.fill(database_url, _build)
    for slug in ("rejoue", "reprise"):
        with db.session_scope(engine) as s:
            story.after_d(s, slug)
    sheets = {}
    for slug in ("rejoue", "reprise"):
        with db.session_scope(engine, write=False) as s:
            club = get_club(s, slug)
            # The IR-PME lines; income before D is not itemised (it came as one balance).
            sheets[slug] = [[(t.member, t.year, t.subscriptions, t.total_base,
                              t.total_reduction) for t in portfolio.tax_sheets(s, club, year)]
                            for year in (2023, 2024)]
    assert sheets["reprise"] == sheets["rejoue"]
    # 2023 from the dates and keys in the file, 2024 from the subscription after D.
    assert [sum(len(t[2]) for t in year) for year in sheets["reprise"]] == [6, 5]


# -- a club under the units method (units_story, position_units/) ---------------------------

POSITION_UNITS = Path(__file__).parent / "position_units"


def _build_units(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        units_story.replay_until_d(s, "rejoue")
    with db.session_scope(engine) as s:
        result = switchover.switchover(s, "reprise", story.D, POSITION_UNITS,
                                       today=story.TODAY)
        assert result.entry == "AN 1"
        assert result.warnings == ()
        # The dry run and the result show the units held at D (from the file).
        assert [(m.code, m.units) for m in result.members] == [
            ("U01", Fraction(195, 2)), ("U02", Fraction(0)), ("U03", Fraction(325, 2)),
            ("U04", Fraction(65)), ("U05", Fraction(195)), ("U06", Fraction(82))]


def _units(engine: Engine, slug: str, as_of: dt.date) -> dict[str, Fraction]:
    with db.session_scope(engine, write=False) as s:
        return {p.code: p.units for p in positions(s, get_club(s, slug), as_of).positions
                if p.units is not None}


def test_units_club_position_at_d_is_the_replayed_one(engine: Engine, database_url: str) -> None:
    scratch.fill(database_url, _build_units)
    replay = _state(engine, "rejoue", story.D, with_results=False)
    moved = _state(engine, "reprise", story.D, with_results=False)
    assert moved == replay
    assert moved["method"] == "units"
    # The hand computation (README of position_units/): 602 units at 8.00.
    assert moved["net_assets"].plain() == "4816.00"
    assert [(c, u, v.plain()) for c, _, _, _, v, u in moved["members"]] == [
        ("U01", Fraction(195, 2), "780.00"), ("U02", Fraction(0), "0.00"),
        ("U03", Fraction(325, 2), "1300.00"), ("U04", Fraction(65), "520.00"),
        ("U05", Fraction(195), "1560.00"), ("U06", Fraction(82), "656.00")]


@pytest.mark.parametrize("probe", [dt.date(2024, 7, 1), dt.date(2024, 7, 5),
                                   dt.date(2024, 9, 30), dt.date(2024, 12, 31),
                                   dt.date(2025, 2, 15)])
def test_units_club_same_operations_after_d_agree_to_the_cent(engine: Engine, database_url: str,
                                                               probe: dt.date) -> None:
    scratch.fill(database_url, _build_units)
    for slug in ("rejoue", "reprise"):
        with db.session_scope(engine) as s:
            units_story.after_d(s, slug)
    closed = probe >= dt.date(2024, 12, 31)
    replay = _state(engine, "rejoue", probe, with_results=closed)
    moved = _state(engine, "reprise", probe, with_results=closed)
    assert moved == replay
    # The savings after D bought units at the value per unit of their day, as in the replay:
    # the July saving at 8.00 (U01: 97.5 + 30 / 8 = 101.25 units), not from the paid-in totals.
    units = _units(engine, "reprise", probe)
    assert units == _units(engine, "rejoue", probe)
    if probe >= dt.date(2024, 7, 5):
        assert units["U01"] >= Fraction(405, 4)
    if probe == dt.date(2024, 7, 5):
        assert units["U01"] == Fraction(405, 4)


def test_units_club_liquidation_payouts_agree(engine: Engine, database_url: str) -> None:
    scratch.fill(database_url, _build_units)
    replay, moved = _liquidation_plans(engine, units_story)
    assert moved == replay
    assert sum((p.amount for p in moved.distribution), moved.owed_to_leavers) == moved.cash
    assert moved.owed_to_leavers.plain() == "920.00"
    assert _units(engine, "reprise", dt.date(2025, 3, 2)) == _units(engine, "rejoue",
                                                                     dt.date(2025, 3, 2))


def test_units_club_member_list_and_statements_agree(engine: Engine, database_url: str) -> None:
    scratch.fill(database_url, _build_units)
    for slug in ("rejoue", "reprise"):
        with db.session_scope(engine) as s:
            units_story.after_d(s, slug)
    rows = {}
    for slug in ("rejoue", "reprise"):
        with db.session_scope(engine, write=False) as s:
            club = get_club(s, slug)
            _table, found = member_table(s, club, dt.date(2025, 2, 28))
            # The year after D, whole in both books: the AGM pack's share table and the
            # members' statements read the same shares and values.
            pack = build_agm_pack(s, club, 2025, generated=story.TODAY)
            statements = build_member_statements(s, club, 2025, generated=story.TODAY)
            rows[slug] = (
                [(r.code, r.contributed, r.share_text, r.units, r.value) for r in found],
                # Paid to date of U02, gone before D, is not in the file (as for "paid_in"
                # in _state): what the club owes them is.
                [(m.code, m.paid_in_year, m.paid_to_date if m.left is None else None,
                  m.contributed, m.share, m.value) for m in pack.members],
                [(st.code, st.paid_in_year, st.contributed, st.share, st.value,
                  st.net_assets) for st in statements])
    assert rows["reprise"] == rows["rejoue"]
    assert all(units is not None for _, _, _, units, _ in rows["reprise"][0])
    assert len(rows["reprise"][2]) == 6


@pytest.mark.parametrize(("kind", "numerator", "denominator"), [
    ("saving", 3, 1),  # units ride only on an opening movement
    ("opening", 0, 1),  # and are more than 0
    ("opening", 3, None),  # a fraction, whole
    ("opening", 3, 0),
])
def test_the_database_refuses_stray_units(engine: Engine, database_url: str, kind: str,
                                          numerator: int, denominator: int | None) -> None:
    scratch.fill(database_url, _build_units)
    with db.session_scope(engine, write=False) as s:
        row = s.execute(select(CapitalMovement).where(CapitalMovement.kind == "opening")
                        ).scalars().first()
        assert row is not None
        values = {"club_id": row.club_id, "member_id": row.member_id, "date": row.date,
                  "kind": kind, "amount_cents": 100, "entry_id": row.entry_id}
    with pytest.raises(IntegrityError), db.session_scope(engine) as s:
        s.execute(insert(CapitalMovement).values(**values, units_numerator=numerator,
                                                 units_denominator=denominator))
    with db.session_scope(engine) as s:  # the same row without units is accepted
        s.execute(insert(CapitalMovement).values(**values))


def test_units_club_saving_recorded_on_d_buys_at_the_opening_value(
        engine: Engine, database_url: str) -> None:
    """A saving dated D itself, recorded after the switchover: it buys at the value per unit
    of the position at D (4,816.00 ÷ 602 = 8.00), as the replay's at the previous evening's."""
    scratch.fill(database_url, _build_units)
    for slug in ("rejoue", "reprise"):
        with db.session_scope(engine) as s:
            savings.add_saving(s, get_club(s, slug), member_code="U01", date=story.D,
                               amount=Money.parse("30"), today=story.TODAY)
    units = _units(engine, "reprise", story.D)
    assert units == _units(engine, "rejoue", story.D)
    assert units["U01"] == Fraction(195, 2) + Fraction(30, 8)
    assert _state(engine, "reprise", dt.date(2024, 7, 1), with_results=False)["members"] == \
        _state(engine, "rejoue", dt.date(2024, 7, 1), with_results=False)["members"]
