"""A whole club life, read like an accounting exercise.

Les Cigales du Port is founded on 15 January 2020 by eleven members saving 30 € a month; M12
joins late (July 2021, 40 € a month). M03 skips three months of 2020, M07 all of 2022. The
club pays 120 € of dues every March and earns 12 € of interest every December. M05 leaves on
30 June 2022 and is paid out; the club is extended in June 2024, stops saving when phase 1
ends (January 2025), and is liquidated on 30 June 2026.

Every figure below is worked out by hand in the comments; the books must agree at each step.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from cigales import db
from cigales.errors import CigalesError
from cigales.services import bookkeeping, clubs, flows, lifecycle, members, savings
from cigales.shares import positions
from ledger.money import Money
from ledger.queries import balances_by_account, trial_balance

TODAY = dt.date(2026, 11, 22)
T0 = dt.date(2020, 1, 15)
REGULAR = ["M01", "M02", "M04", "M06", "M08", "M09", "M10", "M11"]
FOUNDERS = sorted([*REGULAR, "M03", "M05", "M07"])
GAPS = {"M03": {(2020, 6), (2020, 7), (2020, 8)}, "M07": {(2022, m) for m in range(1, 13)}}


def euros(text: str) -> Money:
    return Money.parse(text)


def month_end(year: int, month: int) -> dt.date:
    return savings.month_bounds(year, month)[1]


def save_month(s, club, year: int, month: int) -> None:
    for m in members.member_table(s, club, month_end(year, month))[1]:
        if m.left is not None or (year, month) in GAPS.get(m.code, set()):
            continue
        savings.add_saving(s, club, member_code=m.code, date=month_end(year, month),
                           amount=m.monthly, key=f"{m.code}:{year}-{month:02d}", today=TODAY)


def year_flows(s, club, year: int, *, interest: bool = True) -> None:
    flows.add_expense(s, club, date=dt.date(year, 3, 1), amount=euros("120"), kind="dues",
                      label=f"Cotisation {year}", today=TODAY)
    if interest:
        flows.add_income(s, club, date=dt.date(year, 12, 31), amount=euros("12"),
                         kind="bank_interest", label=f"Intérêts {year}", today=TODAY)


def balances(s, club, as_of: dt.date) -> dict[str, str]:
    return {code: m.plain() for code, m in balances_by_account(s, club.book_id, as_of).items()}


@pytest.fixture
def club_engine(engine):
    with db.session_scope(engine) as s:
        clubs.create_club(s, "port", "Les Cigales du Port", T0, today=TODAY, region="Bretagne",
                          department="29")
        club = clubs.get_club(s, "port")
        for code in FOUNDERS:
            members.add_member(s, club, code=code, name=f"Membre {code}", joined=T0,
                               monthly=euros("30"), today=TODAY)
    return engine


def test_whole_club_life(club_engine):
    engine = club_engine

    # --- 2020: 11 founders, M03 skips June–August ------------------------------------------
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, "port")
        for month in range(1, 13):
            save_month(s, club, 2020, month)
        year_flows(s, club, 2020)
        bookkeeping.close(s, club, 2020, today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, "port")
        # Savings: 10 members × 12 × 30 = 3,600 + M03 9 × 30 = 270 → 3,870.
        # Cash: 3,870 − 120 dues + 12 interest = 3,762. Loss 108 carried to 119.
        expected = {f"1011-{c}": "-360.00" for c in FOUNDERS}
        expected["1011-M03"] = "-270.00"
        # Result accounts are back to zero, so they no longer appear.
        expected.update({"5121": "3762.00", "119": "108.00"})
        assert balances(s, club, dt.date(2020, 12, 31)) == expected
        tb = trial_balance(s, club.book_id, dt.date(2020, 12, 31))
        assert tb.total_debit == tb.total_credit
        table = positions(s, club, dt.date(2020, 12, 31))
        assert table.net_assets == euros("3762")
        assert table.by_code()["M03"].share == Fraction(270, 3870)
        assert sum(p.value.cents for p in table.positions) == 376200

    # --- 2021: M12 joins on 10 July at 40 € a month ------------------------------------------
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, "port")
        members.add_member(s, club, code="M12", name="Membre M12", joined=dt.date(2021, 7, 10),
                           monthly=euros("40"), today=TODAY)
        for month in range(1, 13):
            save_month(s, club, 2021, month)
        year_flows(s, club, 2021)
        bookkeeping.close(s, club, 2021, today=TODAY)

    # --- 2022: M07 pays nothing; M05 leaves on 30 June and is paid out -----------------------
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, "port")
        for month in range(1, 7):
            save_month(s, club, 2022, month)
        flows.add_expense(s, club, date=dt.date(2022, 3, 1), amount=euros("120"), kind="dues",
                          label="Cotisation 2022", today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, "port")
        # On 30 June 2022, after 30 months: 8 regular × 900 = 7,200; M03 810; M05 900;
        # M07 720 (24 months); M12 480 (12 × 40) → 10,110 contributed.
        # Net assets: 10,110 − 3 × 120 dues + 2 × 12 interest = 9,774.
        table = positions(s, club, dt.date(2022, 6, 30))
        assert table.net_assets == euros("9774")
        assert sum(p.contributed.cents for p in table.positions) == 1_011_000
        m05 = table.by_code()["M05"]
        assert m05.share == Fraction(900, 10110)
        # 9,774 × 900 / 10,110 = 870.089… → 870.09 (largest remainder).
        assert m05.value == euros("870.09")
        # The late joiner's book capital (480) exceeds her value: she shares losses made
        # before she joined, pro rata of contributions.
        m12 = table.by_code()["M12"]
        assert (m12.book_capital, m12.value) == (euros("480"), euros("464.04"))
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, "port")
        departure = members.leave(s, club, code="M05", date=dt.date(2022, 6, 30),
                                  settlement="payout", today=TODAY)
        assert departure.value == euros("870.09")
        for month in range(7, 13):
            save_month(s, club, 2022, month)
        flows.add_income(s, club, date=dt.date(2022, 12, 31), amount=euros("12"),
                         kind="bank_interest", label="Intérêts 2022", today=TODAY)
        bookkeeping.close(s, club, 2022, today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, "port")
        bal = balances(s, club, dt.date(2022, 12, 31))
        # M05 is settled: capital 900 out of 1011-M05, 870.09 paid, the 29.91 of losses she
        # leaves behind credited to 119. 4567-M05 went up and down to zero.
        assert "1011-M05" not in bal
        assert "4567-M05" not in bal
        # 119: 108 (2020) + 108 (2021) − 29.91 (M05's part) + 108 (2022) = 294.09.
        assert bal["119"] == "294.09"
        # Cash: savings 2020 3,870; 2021 11 × 360 + 6 × 40 = 4,200; 2022 (M07 nothing)
        # 8 × 360 + 360 (M03) + 180 (M05 Jan–Jun) + 480 (M12) = 3,900 → 11,970;
        # − 360 dues + 36 interest − 870.09 payout = 10,775.91.
        assert bal["5121"] == "10775.91"
        assert trial_balance(s, club.book_id).balanced

    # --- 2023–2024, prorogation on 1 June 2024 -------------------------------------------------
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, "port")
        for year in (2023, 2024):
            for month in range(1, 13):
                save_month(s, club, year, month)
            year_flows(s, club, year)
            if year == 2024:
                with pytest.raises(CigalesError) as early:
                    lifecycle.extend(s, club, dt.date(2023, 12, 1), late=False, today=TODAY)
                assert early.value.code == "prorogation_too_early"
                lifecycle.extend(s, club, dt.date(2024, 6, 1), late=False, today=TODAY)
            bookkeeping.close(s, club, year, today=TODAY)

    # --- 2025: management phase, no savings allowed (default setting) ------------------------
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, "port")
        status = lifecycle.status(s, club, dt.date(2025, 2, 1))
        assert (status.phase, status.phase_ends, status.life_ends) == (
            "management", dt.date(2030, 1, 14), dt.date(2030, 1, 14))
        assert status.members_active == 11
        with pytest.raises(CigalesError) as refused:
            savings.add_saving(s, club, member_code="M01", date=dt.date(2025, 2, 28),
                               amount=euros("30"), today=TODAY)
        assert refused.value.code == "phase_does_not_allow"
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, "port")
        year_flows(s, club, 2025)
        bookkeeping.close(s, club, 2025, today=TODAY)
        flows.add_expense(s, club, date=dt.date(2026, 3, 1), amount=euros("120"), kind="dues",
                          label="Cotisation 2026", today=TODAY)

    # --- Final share table and liquidation on 30 June 2026 ----------------------------------
    liquidation_day = dt.date(2026, 6, 30)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, "port")
        table = positions(s, club, liquidation_day)
        # Savings ever: 20,130 (8 × 1,800 + M03 1,710 + M07 1,440 + M12 1,680 + M05 900);
        # dues 7 × 120 = 840; interest 6 × 12 = 72; M05 paid 870.09 → cash 18,491.91.
        assert table.net_assets == euros("18491.91")
        contributed = {p.code: p.contributed for p in table.positions}
        assert contributed["M12"] == euros("1680")
        assert contributed["M05"] == euros("0")
        assert sum(m.cents for m in contributed.values()) == 1_923_000
        values = {p.code: p.value.plain() for p in table.positions}
        # share × cash, e.g. M12: 18,491.91 × 1,680 / 19,230 = 1,615.52;
        # regular members: × 1,800 / 19,230 = 1,730.91 (one of them gets the leftover cent).
        assert values == {
            "M01": "1730.92", "M02": "1730.91", "M03": "1644.37", "M04": "1730.91",
            "M05": "0.00", "M06": "1730.91", "M07": "1384.73", "M08": "1730.91",
            "M09": "1730.91", "M10": "1730.91", "M11": "1730.91", "M12": "1615.52"}
        # Book capital and value differ: M12 put in 1,680 and gets 1,615.52.
        assert table.by_code()["M12"].book_capital == euros("1680")

    with db.session_scope(engine) as s:
        club = clubs.get_club(s, "port")
        plan = lifecycle.liquidate(s, club, liquidation_day, today=TODAY, dry_run=True)
    assert plan.distributable == euros("18491.91")
    assert {p.member: p.amount.plain() for p in plan.distribution} == {
        k: v for k, v in values.items() if k != "M05"}
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, "port")
        lifecycle.liquidate(s, club, liquidation_day, today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, "port")
        final = balances(s, club, liquidation_day)
        # Everything is paid out: no balance is left on any account.
        assert final == {}
        assert lifecycle.status(s, club, liquidation_day).phase == "closed"
        assert bookkeeping.audit(s, club) == []
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, "port")
        with pytest.raises(CigalesError) as closed:
            flows.add_expense(s, club, date=dt.date(2026, 7, 1), amount=euros("1"),
                              kind="bank_fees", label="x", today=TODAY)
        assert closed.value.code == "club_closed"


def test_units_club_allocating_results_to_members(engine):
    """Units method and results allocated to members' 1018 accounts.

    M01..M05 found the club on 1 March 2021. On 31 March each pays 100 € and buys 10 units
    (first price 10.00). On 1 April the club earns 50 € (other income): 550 € for 50 units,
    11.00 a unit. On 30 April M06 joins and pays 110 €: 10 units at 11.00. The year closes
    with a 50 € profit, allocated to the 1018 accounts pro rata of units at 31 December.
    """
    day = dt.date
    with db.session_scope(engine) as s:
        club = clubs.create_club(s, "unites", "Club à parts", day(2021, 3, 1), today=TODAY,
                                 share_method="units", result_allocation="members")
        for i in range(1, 6):
            members.add_member(s, club, code=f"M0{i}", name=f"Membre {i}",
                               joined=day(2021, 3, 1), today=TODAY)
            savings.add_saving(s, club, member_code=f"M0{i}", date=day(2021, 3, 31),
                               amount=euros("100"), today=TODAY)
        flows.add_income(s, club, date=day(2021, 4, 1), amount=euros("50"), kind="other",
                         label="Don", today=TODAY)
        members.add_member(s, club, code="M06", name="Membre 6", joined=day(2021, 4, 10),
                           today=TODAY)
        savings.add_saving(s, club, member_code="M06", date=day(2021, 4, 30),
                           amount=euros("110"), today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, "unites")
        table = positions(s, club, day(2021, 12, 31))
        assert [p.units for p in table.positions] == [Fraction(10)] * 6
        assert table.net_assets == euros("660")
        assert [p.value for p in table.positions] == [euros("110")] * 6
        # M06 paid 110 for the same value the founders reached with 100 + their part of 50.
        assert table.by_code()["M06"].book_capital == euros("110")
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, "unites")
        result = bookkeeping.close(s, club, 2021, today=TODAY)
        assert result.result == euros("50")
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, "unites")
        bal = balances(s, club, day(2021, 12, 31))
        # 50 € split in six equal parts: 8.34 × 2 + 8.33 × 4 (leftover cents by member code).
        assert {k: v for k, v in bal.items() if k.startswith("1018-")} == {
            "1018-M01": "-8.34", "1018-M02": "-8.34", "1018-M03": "-8.33",
            "1018-M04": "-8.33", "1018-M05": "-8.33", "1018-M06": "-8.33"}
        assert "120" not in bal
        assert "110" not in bal
        # Book capital now includes the allocation, value is unchanged: 6 × 110.
        table = positions(s, club, day(2022, 1, 1))
        assert table.by_code()["M01"].book_capital == euros("108.34")
        assert table.by_code()["M06"].book_capital == euros("118.33")
        assert [p.value for p in table.positions] == [euros("110")] * 6
    with db.session_scope(engine) as s:
        club = clubs.get_club(s, "unites")
        plan = lifecycle.liquidate(s, club, day(2022, 2, 1), today=TODAY)
        # Liquidation settles on value, not on book capital.
        assert {p.member: p.amount for p in plan.distribution} == {
            f"M0{i}": euros("110") for i in range(1, 7)}
        assert balances(s, club, day(2022, 2, 1)) == {}
