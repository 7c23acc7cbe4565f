"""What members read, worked out by hand (issue 17): cash reconciliation, keys after a departure.

Les Cigales du Port, founded 10/01/2024, six members who all join on that day:

- 2024: M01 1,000.00, M02 1,000.00, M03 2,000.00, M04 500.00, M05 500.00, M06 400.00 saved on
  05/02 (5,400.00); 300 shares of La Fabrique (SAS) at 10.00 on 01/03 (3,000.00); an honour
  loan of 1,200.00 to Le Fournil on 01/04 (twelve monthly instalments). Cash at 31/12:
  5,400 − 3,000 − 1,200 = 1,200.00. Both keys are the shares of 01/03 and 01/04 (nothing
  changed in between): M01 5/27, M02 5/27, M03 10/27, M04 5/54, M05 5/54, M06 2/27.
- 2025, every kind of operation:
  15/01 M01 saves 100.00 ...................................... savings          +100.00
  01/02 loan 1 repaid 100.00 (principal, 0 %) .................. recovered        +100.00
  01/03 La Fabrique impaired by 300.00 (6866 / 2961) ........... no cash
  15/04 M05 leaves, paid out: net assets are cash 1,400 + stake 3,000 − 300 + loan 1,100
        = 5,200.00 and M05's share 500 / 5,500, so 5,200 × 500 / 5,500 = 472.727… → 472.73
                                                                 capital returned −472.73
  01/05 200 of the 300 shares sold for 2,300.00: cost 2,000.00 (6750 / 261) and impairment
        200.00 released (2961 / 7866) in the same entry ........ recovered      +2,300.00
  01/06 dividend 120.00 ....................................... income           +120.00
  30/06 bank fees 70.00 ....................................... expenses          −70.00
  01/07 loan 1 written off, 1,100.00 (6750 / 274) .............. no cash
  01/08 200.00 recovered on loan 1 (7718) ...................... recovered        +200.00
  01/10 100 parts of Le Moulin (SCOP) at 20.00 ................. invested       −2,000.00
  15/10 honour loan 2 of 1,000.00 at 2 %, ten monthly instalments invested      −1,000.00
  15/11 its first instalment: 100.00 principal + 1,000 × 2 % / 12 = 1.67 interest
                                                       recovered +100.00, income +1.67
  15/12 bank interest 5.00 .................................... income             +5.00
  Cash: 1,200 + 100 − 472.73 − 3,000 + 2,700 + 126.67 − 70 = 583.94.

After M05 leaves, their 5/54 of La Fabrique and of loan 1 passes to the others pro rata:
M01 10/49, M02 10/49, M03 20/49, M04 5/49, M06 4/49 (each part ÷ 49/54). The gain of the
sale, 2,300 − 2,000 = 300.00, splits 61.23 / 61.22 / 122.45 / 30.61 / — / 24.49 (largest
remainder: 6,122.449, 6,122.449, 12,244.898, 3,061.224, 2,448.979 cents; the three cents left
go to M06 .979, M03 .898 and M01 .449 before M02 by code). The dividend of 120.00 splits
24.49 / 24.49 / 48.98 / 12.24 / — / 9.80. The loss on loan 1, −1,100 + 200 = −900.00, splits
−183.67 / −183.67 / −367.35 / −91.84 / — / −73.47. M05 gets nothing of what happened after
15/04, while the IR-PME sheets keep the frozen keys.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from fractions import Fraction

import pytest

from cigales import db
from cigales.models import Club
from cigales.services import clubs as club_service
from cigales.services import flows, investments, loans, members, portfolio, savings
from ledger.money import Money
from reports.data import build_agm_pack, build_member_statements, cash_counterparts

TODAY = dt.date(2026, 11, 22)
D = dt.date
m = Money.parse
SLUG = "cigales-du-port"
CODES = ("M01", "M02", "M03", "M04", "M06")  # who carries the keys after M05 leaves


def build_port_club(engine) -> None:
    with db.session_scope(engine) as s:
        club = club_service.create_club(s, SLUG, "Les Cigales du Port", D(2024, 1, 10),
                                        today=TODAY, region="Bretagne", department="29")
        for code, amount in (("M01", "1000"), ("M02", "1000"), ("M03", "2000"),
                             ("M04", "500"), ("M05", "500"), ("M06", "400")):
            members.add_member(s, club, code=code, name=f"Membre {code}", joined=D(2024, 1, 10),
                               today=TODAY)
            savings.add_saving(s, club, member_code=code, date=D(2024, 2, 5), amount=m(amount),
                               today=TODAY)
        fabrique = investments.add_investee(s, club, slug="la-fabrique", name="La Fabrique",
                                            legal_form="SAS", capital=m("100000"))
        investments.subscribe(s, club, fabrique, date=D(2024, 3, 1), shares=300,
                              unit_price=m("10"), today=TODAY)
        fournil = investments.add_investee(s, club, slug="le-fournil", name="Le Fournil",
                                           legal_form="EI")
        loans.grant(s, club, fournil, date=D(2024, 4, 1), principal=m("1200"), instalments=12,
                    today=TODAY)

        savings.add_saving(s, club, member_code="M01", date=D(2025, 1, 15), amount=m("100"),
                           today=TODAY)
        loans.repay(s, club, 2, date=D(2025, 2, 1), amount=m("100"), today=TODAY)
        investments.impair(s, club, fabrique, date=D(2025, 3, 1), amount=m("300"),
                           reverse=False, today=TODAY)
        departure = members.leave(s, club, code="M05", date=D(2025, 4, 15),
                                  settlement="payout", today=TODAY)
        assert departure.value == m("472.73")
        investments.dispose(s, club, fabrique, date=D(2025, 5, 1), shares=200,
                            proceeds=m("2300"), kind="sale", today=TODAY)
        investments.dividend(s, club, fabrique, date=D(2025, 6, 1), amount=m("120"),
                             today=TODAY)
        flows.add_expense(s, club, date=D(2025, 6, 30), amount=m("70"), kind="bank_fees",
                          label="Frais bancaires", today=TODAY)
        loans.write_off(s, club, 2, date=D(2025, 7, 1), today=TODAY)
        loans.recover(s, club, 2, date=D(2025, 8, 1), amount=m("200"), today=TODAY)
        moulin = investments.add_investee(s, club, slug="le-moulin", name="Le Moulin",
                                          legal_form="SCOP", capital=m("50000"))
        investments.subscribe(s, club, moulin, date=D(2025, 10, 1), shares=100,
                              unit_price=m("20"), today=TODAY)
        loans.grant(s, club, fournil, date=D(2025, 10, 15), principal=m("1000"),
                    instalments=10, rate=Decimal("0.02"), today=TODAY)
        loans.repay(s, club, 4, date=D(2025, 11, 15), amount=m("101.67"), today=TODAY)
        flows.add_income(s, club, date=D(2025, 12, 15), amount=m("5"), kind="bank_interest",
                         label="Intérêts du livret", today=TODAY)


@pytest.fixture
def port(engine):
    build_port_club(engine)
    return engine


def _club(s) -> Club:
    return club_service.get_club(s, SLUG)


def test_cash_reconciliation_counts_only_money_that_moved(port):
    with db.session_scope(port) as s:
        cash = build_agm_pack(s, _club(s), 2025, generated=TODAY).cash
    assert cash.start == m("1200")
    assert dict(cash.flows) == {
        "savings": m("100"), "capital_returned": m("-472.73"), "invested": m("-3000"),
        "recovered": m("2700"), "income": m("126.67"), "expenses": m("-70"), "other": m("0")}
    assert cash.end == m("583.94")
    assert cash.explained


def test_internal_lines_of_an_entry_cancel_out():
    # The sale of the issue: 5121 D 3,450 / 7750 C 3,450 / 6750 D 3,000 / 261 C 3,000.
    lines = [("7750", -345000), ("6750", 300000), ("261-p", -300000)]
    assert cash_counterparts(lines) == [("7750", -345000)]
    # With an impairment released in the same entry (2961 D / 7866 C).
    lines = [("7750", -230000), ("6750", 200000), ("261-p", -200000), ("2961", 20000),
             ("7866", -20000)]
    assert cash_counterparts(lines) == [("7750", -230000)]
    # Two real counterparts of the same amount are both kept (interest and principal).
    lines = [("274-p", -500), ("7620", -500)]
    assert cash_counterparts(lines) == lines


def _parts(s, number: int) -> dict[str, tuple[Fraction, Money, Money]]:
    line = next(p for p in portfolio.portfolio(s, _club(s), D(2025, 12, 31))
                if p.number == number)
    return {k.member: (k.share, k.income, k.gain) for k in line.keys}


def test_departed_member_has_no_part_of_later_results(port):
    with db.session_scope(port) as s:
        fabrique = _parts(s, 1)
        loan = _parts(s, 2)
    # M05 keeps a line for what they financed, with no share and nothing after leaving.
    assert fabrique.pop("M05") == (Fraction(0), m("0"), m("0"))
    assert loan.pop("M05") == (Fraction(0), m("0"), m("0"))
    assert {c: v[0] for c, v in fabrique.items()} == {
        "M01": Fraction(10, 49), "M02": Fraction(10, 49), "M03": Fraction(20, 49),
        "M04": Fraction(5, 49), "M06": Fraction(4, 49)}
    assert {c: v[2] for c, v in fabrique.items()} == {
        "M01": m("61.23"), "M02": m("61.22"), "M03": m("122.45"), "M04": m("30.61"),
        "M06": m("24.49")}
    assert {c: v[1] for c, v in fabrique.items()} == {
        "M01": m("24.49"), "M02": m("24.49"), "M03": m("48.98"), "M04": m("12.24"),
        "M06": m("9.80")}
    assert {c: v[2] for c, v in loan.items()} == {
        "M01": m("-183.67"), "M02": m("-183.67"), "M03": m("-367.35"), "M04": m("-91.84"),
        "M06": m("-73.47")}
    assert sum(v[2].cents for v in fabrique.values()) == 30000
    assert sum(v[2].cents for v in loan.values()) == -90000


def test_statements_after_a_departure(port):
    with db.session_scope(port) as s:
        statements = {st.code: st for st in build_member_statements(
            s, _club(s), 2025, generated=TODAY)}
    leaver = statements["M05"]
    assert leaver.left == D(2025, 4, 15)
    assert leaver.settlement == "payout"
    assert leaver.settled == m("472.73")
    assert all(p.gain.is_zero() and p.income.is_zero() for p in leaver.investments)
    assert leaver.income == ()
    dividends = {c: sum(x.member_amount.cents for x in st.income if x.kind == "dividend")
                 for c, st in statements.items()}
    assert dividends == {"M01": 2449, "M02": 2449, "M03": 4898, "M04": 1224, "M05": 0,
                         "M06": 980}
    # The tax sheets of 2024 keep the frozen key: M05 paid 5/54 of the subscription.
    with db.session_scope(port) as s:
        sheet = portfolio.tax_sheets(s, _club(s), 2024, "M05")[0]
    assert [(t.number, t.key, t.base) for t in sheet.subscriptions] == [
        (1, Fraction(5, 54), m("277.78"))]


# -- the savings plan of a 60-month phase ---------------------------------------------------------

def test_a_sixty_month_phase_owes_sixty_months(database_url, capsys):
    """Founded 10/02/2020, phase 1 ends 09/02/2025: February 2020 to January 2025 are the 60
    months of the plan. February 2025 is refused by `saving collect` (its collection day, 28/02,
    is after the phase) and therefore not owed; nobody is one month behind for it."""
    from cigales.cli.entry import run
    from tests.cli.conftest import snapshot

    def cli(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run(["--db", database_url, *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert cli("club", "create", "pins", "--name", "Les Pins", "--founded", "2020-02-10")[0] == 0
    for i in range(1, 6):
        assert cli("member", "add", "--club", "pins", "--code", f"M0{i}", "--name", f"N {i}",
                   "--joined", "2020-02-10", "--monthly", "10")[0] == 0
    assert cli("club", "extend", "--club", "pins", "--date", "2024-12-01")[0] == 0
    with db.session_scope(db.make_engine(database_url)) as s:
        club = club_service.get_club(s, "pins")
        for year in range(2020, 2026):
            for month in range(1, 13):
                if (2020, 2) <= (year, month) <= (2025, 1):
                    savings.collect_month(s, club, year, month, today=TODAY)
    before = snapshot(database_url)
    code, _, err = cli("saving", "collect", "--club", "pins", "--month", "2025-02")
    assert code == 1
    assert "[phase_does_not_allow]" in err
    assert "2020-02" in err
    assert "2025-01" in err
    assert snapshot(database_url) == before
    code, out, _ = cli("saving", "arrears", "--club", "pins", "--as-of", "2025-12-31",
                       "--format", "json")
    assert code == 0
    rows = json.loads(out)["members"]
    assert [(r["member"], r["months"], r["expected"], r["paid"], r["behind"])
            for r in rows] == [(f"M0{i}", 60, "600.00", "600.00", "0.00") for i in range(1, 6)]
    # The AGM pack of a management year without savings reports no one behind a plan.
    with db.session_scope(db.make_engine(database_url)) as s:
        club = club_service.get_club(s, "pins")
        assert build_agm_pack(s, club, 2025, generated=TODAY).activity.members_behind == 0
        assert build_agm_pack(s, club, 2026, generated=TODAY).activity.members_behind is None


# -- the liquidation year -------------------------------------------------------------------------

def test_the_liquidation_year_shows_its_result_and_the_members_exit(lake):
    """Les Cigales du Lac (tests/reports/conftest.py) is wound up in 2026.

    Start of 2026: stake 1,000.00, loan 400.00 outstanding, bank 5,080.00; capital 6,500.00
    (M01 1,500, M02 3,000, M03 2,000), 110 +10.00, 119 −30.00.
    01/02 the loan's last 400.00 is repaid; 01/03 the 100 shares are sold for 1,100.00 (cost
    1,000.00); 30/06 bank fees 67.50; 01/07 bank interest 3.12; 30/09 final distribution of the
    bank, 5,080 + 400 + 1,100 − 67.50 + 3.12 = 6,515.62, by shares 3/13, 6/13, 4/13:
    150,360.46 / 300,720.92 / 200,480.62 cents, the two cents left to M02 (.92) and M03 (.62):
    1,503.60 / 3,007.21 / 2,004.81. Result of 2026: 1,100 + 3.12 − 1,000 − 67.50 = 35.62.
    """
    from cigales.i18n import using
    from cigales.services import lifecycle
    from reports.pdf.agm import render_agm
    from tests.reports.test_pdf_reports import pages

    with db.session_scope(lake) as s:
        club = club_service.get_club(s, "cigales-du-lac")
        fabrique = investments.get_investee(s, club, "la-fabrique")
        loans.repay(s, club, 2, date=D(2026, 2, 1), amount=m("400"), today=TODAY)
        investments.dispose(s, club, fabrique, date=D(2026, 3, 1), shares=100,
                            proceeds=m("1100"), kind="sale", today=TODAY)
        flows.add_expense(s, club, date=D(2026, 6, 30), amount=m("67.50"), kind="bank_fees",
                          label="Frais", today=TODAY)
        flows.add_income(s, club, date=D(2026, 7, 1), amount=m("3.12"), kind="bank_interest",
                         label="Intérêts", today=TODAY)
        plan = lifecycle.liquidate(s, club, D(2026, 9, 30), today=TODAY)
    assert [(p.member, p.amount) for p in plan.distribution] == [
        ("M01", m("1503.60")), ("M02", m("3007.21")), ("M03", m("2004.81"))]
    with db.session_scope(lake) as s:
        pack = build_agm_pack(s, club_service.get_club(s, "cigales-du-lac"), 2026,
                              generated=TODAY)
    inc = pack.income_statement
    assert {line.code: line.current for line in inc.charges.lines if line.current.cents} == {
        "6270": m("67.50"), "6750": m("1000")}
    assert {line.code: line.current for line in inc.products.lines if line.current.cents} == {
        "7680": m("3.12"), "7750": m("1100")}
    assert inc.result[0] == m("35.62")
    # The balance sheet is the one the distribution was made on.
    assert pack.balance_sheet.total_assets[0] == m("6515.62")
    liabilities = {line.code: line.current for section in pack.balance_sheet.liabilities
                   for line in section.lines}
    assert liabilities == {"1011": m("6500"), "110": m("10"), "119": m("-30"),
                           "result": m("35.62")}
    assert dict(pack.cash.flows) == {
        "savings": m("0"), "capital_returned": m("-6515.62"), "invested": m("0"),
        "recovered": m("1500"), "income": m("3.12"), "expenses": m("-67.50"), "other": m("0")}
    assert pack.cash.end == m("0")
    assert pack.cash.explained
    activity = pack.activity
    assert (activity.members_start, activity.members_end) == (3, 0)
    assert activity.closed_on == D(2026, 9, 30)
    assert [(p.code, p.amount) for p in activity.distribution] == [
        ("M01", m("1503.60")), ("M02", m("3007.21")), ("M03", m("2004.81"))]
    with using("fr"):
        text = "\n".join(pages(render_agm(pack)))
    assert "35,62" in text
    assert "6 515,62" in text
    assert "3 007,21" in text
    assert "30/09/2026" in text


# -- the report data as JSON ----------------------------------------------------------------------

def test_agm_pack_and_statements_as_json(port, database_url, capsys, tmp_path):
    from cigales.cli.entry import run

    def cli(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = run(["--db", database_url, *args])
        return code, capsys.readouterr().out

    code, out = cli("report", "agm", "--club", SLUG, "--year", "2025", "--format", "json")
    assert code == 0
    pack = json.loads(out)
    assert pack["cash"]["flows"] == [
        ["savings", "100.00"], ["capital_returned", "-472.73"], ["invested", "-3000.00"],
        ["recovered", "2700.00"], ["income", "126.67"], ["expenses", "-70.00"], ["other", "0.00"]]
    assert pack["cash"]["explained"] is True
    assert pack["activity"]["left"] == [{"code": "M05", "name": "Membre M05",
                                         "date": "2025-04-15"}]
    fabrique = next(p for p in pack["portfolio"] if p["number"] == 1)
    assert {k["member"]: (k["share"]["exact"], k["gain"]) for k in fabrique["keys"]} == {
        "M05": ("0/1", "0.00"), "M01": ("10/49", "61.23"), "M02": ("10/49", "61.22"),
        "M03": ("20/49", "122.45"),
        "M04": ("5/49", "30.61"), "M06": ("4/49", "24.49")}
    # The same figures as the data the PDF renders, to the cent.
    with db.session_scope(port) as s:
        data = build_agm_pack(s, _club(s), 2025, generated=TODAY)
    assert pack["income_statement"]["result"] == [v.plain() for v in data.income_statement.result]
    assert pack["net_assets"] == data.net_assets.plain()

    target = tmp_path / "m05.json"
    code, out = cli("report", "statement", "--club", SLUG, "--year", "2025", "--member", "M05",
                    "--format", "json", "-o", str(target))
    assert code == 0
    assert out == ""
    statement = json.loads(target.read_text(encoding="utf-8"))[0]
    assert (statement["left"], statement["settlement"], statement["settled"]) == (
        "2025-04-15", "payout", "472.73")
    assert statement["income"] == []
    code, _ = cli("report", "agm", "--club", SLUG, "--year", "2025", "--format", "xml")
    assert code == 2


def test_paid_to_date_meets_the_capital_of_the_balance_sheet(port):
    """Savings paid 5,500.00 (5,400 + 100); M05's 500.00 of capital repaid when they left;
    contributions 5,000.00 = 1011 on the balance sheet."""
    from cigales.i18n import using
    from reports.pdf.agm import render_agm
    from tests.reports.test_pdf_reports import pages

    with db.session_scope(port) as s:
        pack = build_agm_pack(s, _club(s), 2025, generated=TODAY)
    assert (pack.capital_paid, pack.capital_repaid, pack.capital_contributed) == (
        m("5500"), m("500"), m("5000"))
    capital = {line.code: line.current for section in pack.balance_sheet.liabilities
               for line in section.lines}["1011"]
    assert capital == pack.capital_contributed
    with using("fr"):
        text = " ".join(" ".join(pages(render_agm(pack))).split())
    assert ("5 500,00 € − capital remboursé aux membres 500,00 € = les apports des membres "
            "5 000,00 €") in text
    assert "(sorti le 15/04/2025)" in text


def test_pdfs_print_the_reconciliation_and_the_departure(port):
    from cigales.i18n import using
    from reports.pdf.agm import render_agm
    from reports.pdf.statement import render_statement
    from tests.reports.test_pdf_reports import pages

    with db.session_scope(port) as s:
        pack = build_agm_pack(s, _club(s), 2025, generated=TODAY)
        statements = {st.code: st for st in build_member_statements(
            s, _club(s), 2025, generated=TODAY)}
    with using("fr"):
        agm = " ".join(" ".join(pages(render_agm(pack))).split())
        leaver = " ".join(" ".join(pages(render_statement(statements["M05"]))).split())
        stayer = " ".join(" ".join(pages(render_statement(statements["M01"]))).split())
    # Repayments and sales received 2,700.00; expenses only the 70.00 of bank fees.
    assert "Remboursements et cessions encaissés 2 700,00" in agm
    assert re.search(r"Charges payées [-−]70,00", agm)
    assert ("Vous avez quitté le club le 15/04/2025 : la valeur de votre part, 472,73 €, "
            "vous a été versée.") in leaver
    assert "61,23" in stayer
    assert "24,49" in stayer
