"""Report data of Les Cigales du Lac (tests/reports/conftest.py), checked to the cent.

Every expected figure is worked out in the fixture's docstring and the comments below; the
cross-checks at the end tie the report to the ledger's own queries (trial balance, closing
result, net assets) so that a report can never drift from the books.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction

import pytest

from cigales import db
from cigales.services.clubs import get_club
from cigales.shares import net_assets
from ledger.money import Money
from ledger.queries import balance, chain_head
from reports.data import (
    ClubIdentity,
    balances_before_closing,
    build_agm_pack,
    build_member_statements,
    resolutions,
)
from reports.labels import club_phase, phase_name
from tests.reports.conftest import SLUG, TODAY

D = dt.date
m = Money.parse


def lines_of(sections):
    return {s.key: {line.code: (line.current.plain(), line.previous.plain()) for line in s.lines}
            for s in sections}


@pytest.fixture
def pack(lake):
    with db.session_scope(lake, write=False) as s:
        return build_agm_pack(s, get_club(s, SLUG), 2025, generated=TODAY)


def test_identity_and_year(pack):
    assert pack.club.name == "Les Cigales du Lac"
    assert pack.club.region == "Bretagne"
    assert pack.club.phase == "investment"
    assert pack.club.phase1_end == D(2029, 1, 9)
    assert pack.club.life_end == D(2034, 1, 9)  # ten years at most
    assert pack.club.prorogation is None
    assert pack.year_closed
    assert pack.generated == TODAY


def test_balance_sheet_before_allocation_with_previous_year(pack):
    bs = pack.balance_sheet
    # 2025: stake 1,000; loan 1,200 − 800 repaid; bank 1,970 + 2,500 + 600 + 50 − 40.
    # 2024: stake 1,000; loan 1,000; bank 4,000 − 30 − 1,000 − 1,200 + 200.
    assert lines_of(bs.assets) == {
        "financial_assets": {"261": ("1000.00", "1000.00"), "274": ("400.00", "1000.00")},
        "cash": {"5121": ("5080.00", "1970.00")},
    }
    # Before allocation: the 2024 loss sits in 119 in 2025 and as the result in 2024.
    assert lines_of(bs.liabilities) == {
        "capital": {"1011": ("6500.00", "4000.00")},
        "equity": {"119": ("-30.00", "0.00"), "result": ("10.00", "-30.00")},
    }
    assert bs.total_assets == (m("6480"), m("3970"))
    assert bs.total_liabilities == bs.total_assets


def test_income_statement_with_previous_year(pack):
    inc = pack.income_statement
    assert {line.code: (line.current, line.previous) for line in inc.charges.lines} == {
        "6270": (m("40"), m("30"))}
    assert {line.code: (line.current, line.previous) for line in inc.products.lines} == {
        "7610": (m("50"), m("0"))}
    assert inc.result == (m("10"), m("-30"))


def test_cash_reconciliation(pack):
    cash = pack.cash
    assert cash.start == m("1970")
    assert cash.end == m("5080")
    assert dict(cash.flows) == {
        "savings": m("2500"), "capital_returned": m("0"), "invested": m("0"),
        "recovered": m("600"), "income": m("50"), "expenses": m("-40"), "other": m("0")}
    assert cash.explained


def test_activity(pack):
    act = pack.activity
    assert (act.members_start, act.members_end) == (2, 3)
    assert [(j.code, j.name, j.date) for j in act.joined] == [("M03", "Chloé Diallo",
                                                                 D(2025, 3, 1))]
    assert act.left == ()
    assert (act.savings_collected, act.savings_payments) == (m("2500"), 2)
    assert act.investments == ()
    assert (act.repaid, act.income, act.written_off) == (m("600"), m("50"), m("0"))
    assert "instalment_late" in {a.code for a in act.alerts}


def test_activity_of_the_first_year(lake):
    with db.session_scope(lake, write=False) as s:
        act = build_agm_pack(s, get_club(s, SLUG), 2024, generated=TODAY).activity
    assert [(d.number, d.investee, d.kind, d.amount) for d in act.investments] == [
        # Recorded as kind honour, but to a company (SARL): reported as a loan (glossary).
        (1, "La Fabrique", "equity", m("1000")), (2, "Le Fournil", "loan", m("1200"))]
    assert act.invested == m("2200")
    assert act.repaid == m("200")


def test_member_table(pack):
    # Values split net assets 6,480 by 1,500 / 3,000 / 2,000 (largest remainder).
    assert [(x.code, x.paid_in_year, x.paid_to_date, x.share, x.value) for x in pack.members] == [
        ("M01", m("500"), m("1500"), Fraction(3, 13), m("1495.38")),
        ("M02", m("0"), m("3000"), Fraction(6, 13), m("2990.77")),
        ("M03", m("2000"), m("2000"), Fraction(4, 13), m("1993.85")),
    ]
    assert pack.net_assets == m("6480")
    assert sum(x.share for x in pack.members) == 1


def test_loan_book_and_par30(pack):
    book = pack.loans
    (loan,) = book.lines
    assert (loan.number, loan.investee, loan.principal, loan.repaid, loan.outstanding) == (
        2, "Le Fournil", m("1200"), m("800"), m("400"))
    # July's instalment is 183 days late at 31/12; August–October are 91–180 days late.
    assert (loan.overdue, loan.days_past_due, loan.bucket) == (m("400"), 183, "180+")
    assert dict(book.buckets) == {"1-30": m("0"), "31-90": m("0"), "91-180": m("300"),
                                  "180+": m("100")}
    assert book.outstanding == m("400")
    assert book.par30 == 1


def test_chart_series(pack):
    savings = dict(zip(pack.savings_by_month.labels, pack.savings_by_month.values, strict=True))
    assert pack.savings_by_month.labels[0] == "2024-01"
    assert pack.savings_by_month.labels[-1] == "2025-12"
    assert savings["2024-02"] == m("4000")
    assert savings["2025-03"] == m("2500")
    assert sum(v.cents for v in savings.values()) == 650000
    assets = dict(zip(pack.net_assets_by_month.labels, pack.net_assets_by_month.values,
                      strict=True))
    assert assets["2024-12"] == m("3970")
    assert assets["2025-12"] == m("6480")
    assert dict(zip(pack.portfolio_by_kind.labels, pack.portfolio_by_kind.values,
                    strict=True)) == {"equity": m("1000"), "loan": m("400")}
    assert pack.portfolio_by_sector.labels == ("Artisanat", "Alimentation")


def test_report_totals_equal_the_ledger(lake, pack):
    with db.session_scope(lake, write=False) as s:
        club = get_club(s, SLUG)
        end = D(2025, 12, 31)
        assert pack.cash.end == balance(s, club.book_id, "512", end)
        assert pack.net_assets == net_assets(s, club, end)
        # Before the closing entries, the books still balance and classes 6/7 give the result.
        before = balances_before_closing(s, club.book_id, 2025)
        assert sum(v.cents for v in before.values()) == 0
        assert -sum(v.cents for c, v in before.items() if c[0] in "67") == \
            pack.income_statement.result[0].cents
        assert pack.chain == chain_head(s, club.book_id)


def test_resolutions_ask_for_prorogation_at_year_five():
    identity = ClubIdentity(
        slug="x", name="X", region=None, department=None, founded=D(2021, 3, 15),
        phase="investment", phase1_end=D(2026, 3, 14), life_end=D(2026, 3, 14),
        prorogation=None, liquidation=None, share_method="prorata",
        result_allocation="carry_forward")
    keys = [r.key for r in resolutions(identity, 2025, m("10"))]
    assert keys == ["approve_accounts", "discharge", "allocate_result", "elect_officers",
                    "prorogation"]
    assert "prorogation" not in [r.key for r in resolutions(identity, 2023, m("10"))]
    extended = dataclasses.replace(identity, prorogation=D(2026, 1, 10))
    assert "prorogation" not in [r.key for r in resolutions(extended, 2025, m("10"))]


def test_phase_is_reported_as_lapsed_after_five_years_without_decision():
    identity = ClubIdentity(
        slug="x", name="X", region=None, department=None, founded=D(2021, 3, 15),
        phase="investment", phase1_end=D(2026, 3, 14), life_end=D(2026, 3, 14),
        prorogation=None, liquidation=None, share_method="prorata",
        result_allocation="carry_forward")
    assert club_phase(identity, D(2026, 3, 14)) == "investment"
    assert club_phase(identity, D(2026, 12, 31)) == "lapsed"
    assert phase_name("lapsed") == "échue (indivision légale)"
    assert phase_name("investment") == "P1 – phase d’investissement"
    extended = dataclasses.replace(identity, phase="management", prorogation=D(2026, 1, 10))
    assert club_phase(extended, D(2026, 12, 31)) == "management"
    assert phase_name("management") == "P2 – phase de gestion (après prorogation)"
    liquidating = dataclasses.replace(identity, phase="liquidation",
                                      liquidation=D(2026, 6, 1))
    assert phase_name(club_phase(liquidating, D(2026, 12, 31))) == "P3 – liquidation"


def test_member_statements_sum_to_the_club(lake, pack):
    with db.session_scope(lake, write=False) as s:
        statements = build_member_statements(s, get_club(s, SLUG), 2025, generated=TODAY)
    assert [st.code for st in statements] == ["M01", "M02", "M03"]
    assert sum(st.value.cents for st in statements) == pack.net_assets.cents
    assert sum(st.paid_in_year.cents for st in statements) == \
        pack.activity.savings_collected.cents
    assert sum(st.share for st in statements) == 1
    # The dividend of 50.00 is split by the keys frozen on 01/09/2024: M01 1/4, M02 3/4.
    assert {st.code: st.income_total for st in statements} == {
        "M01": m("12.50"), "M02": m("37.50"), "M03": m("0")}
    m01 = statements[0]
    assert m01.reference == "CIG-M01"
    assert m01.payments == tuple(m("500") if i == 2 else m("0") for i in range(12))
    assert [(p.number, p.key, p.amount) for p in m01.investments] == [
        (1, Fraction(1, 4), m("250")), (2, Fraction(1, 4), m("300"))]
    assert m01.chain == pack.chain


def test_member_statement_tax_sheet_of_the_subscription_year(lake):
    with db.session_scope(lake, write=False) as s:
        (st,) = build_member_statements(s, get_club(s, SLUG), 2024, generated=TODAY,
                                        member="M02")
    (line,) = st.tax.subscriptions
    # 3/4 of 1,000.00 paid on 01/09/2024 at 18 %: base 750.00, reduction 135.00.
    assert (line.investee, line.base, line.rate, line.reduction, line.lock_up_end) == (
        "La Fabrique", m("750"), Fraction(18, 100), m("135"), D(2029, 12, 31))


def test_unknown_member_statement_is_refused(lake):
    from cigales.errors import CigalesError

    with db.session_scope(lake, write=False) as s, pytest.raises(CigalesError) as error:
        build_member_statements(s, get_club(s, SLUG), 2025, generated=TODAY, member="M99")
    assert error.value.code == "unknown_member"
