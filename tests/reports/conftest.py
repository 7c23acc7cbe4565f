"""A small club with two years of books, every figure computed by hand in test_report_data.

Les Cigales du Lac, founded 10/01/2024:
- 2024: M01 saves 1,000.00 and M02 3,000.00 (05/02); bank fees 30.00 (30/06); 100 shares of
  La Fabrique (SAS) at 10.00 (01/09); a 0 % loan (kind honour) of 1,200.00 to Le Fournil in twelve
  monthly instalments of 100.00 (01/10), of which two are repaid (01/11, 01/12). Closed:
  loss 30.00 carried to 119.
- 2025: M03 joins (01/03) and saves 2,000.00, M01 saves 500.00 (05/03); dividend 50.00
  (10/05); six more instalments repaid (January to June), then nothing: four instalments
  (July to October) are unpaid at 31/12; bank fees 40.00 (30/06). Closed: profit 10.00.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cigales import db
from cigales.services import bookkeeping, clubs, flows, investments, loans, members, savings
from ledger.money import Money
from tests import scratch

TODAY = dt.date(2026, 11, 22)
D = dt.date
SLUG = "cigales-du-lac"


def build_lake_club(engine) -> None:
    m = Money.parse
    with db.session_scope(engine) as s:
        club = clubs.create_club(s, SLUG, "Les Cigales du Lac", D(2024, 1, 10), today=TODAY,
                                 region="Bretagne", department="29")
        for code, name in (("M01", "Anne Martin"), ("M02", "Bruno Le Goff")):
            members.add_member(s, club, code=code, name=name, joined=D(2024, 1, 10),
                               today=TODAY)
        savings.add_saving(s, club, member_code="M01", date=D(2024, 2, 5), amount=m("1000"),
                           today=TODAY)
        savings.add_saving(s, club, member_code="M02", date=D(2024, 2, 5), amount=m("3000"),
                           today=TODAY)
        flows.add_expense(s, club, date=D(2024, 6, 30), amount=m("30"), kind="bank_fees",
                          label="Frais bancaires 2024", today=TODAY)
        fabrique = investments.add_investee(s, club, slug="la-fabrique", name="La Fabrique",
                                            legal_form="SAS", sector="Artisanat",
                                            capital=m("10000"))
        investments.subscribe(s, club, fabrique, date=D(2024, 9, 1), shares=100,
                              unit_price=m("10"), today=TODAY)
        fournil = investments.add_investee(s, club, slug="le-fournil", name="Le Fournil",
                                           legal_form="SARL", sector="Alimentation")
        loans.grant(s, club, fournil, date=D(2024, 10, 1), principal=m("1200"),
                    instalments=12, today=TODAY)
        for month in (11, 12):
            loans.repay(s, club, 2, date=D(2024, month, 1), amount=m("100"), today=TODAY)
        bookkeeping.close(s, club, 2024, today=TODAY)

        members.add_member(s, club, code="M03", name="Chloé Diallo", joined=D(2025, 3, 1),
                           today=TODAY)
        savings.add_saving(s, club, member_code="M03", date=D(2025, 3, 5), amount=m("2000"),
                           today=TODAY)
        savings.add_saving(s, club, member_code="M01", date=D(2025, 3, 5), amount=m("500"),
                           today=TODAY)
        investments.dividend(s, club, fabrique, date=D(2025, 5, 10), amount=m("50"),
                             today=TODAY)
        for month in range(1, 7):
            loans.repay(s, club, 2, date=D(2025, month, 1), amount=m("100"), today=TODAY)
        flows.add_expense(s, club, date=D(2025, 6, 30), amount=m("40"), kind="bank_fees",
                          label="Frais bancaires 2025", today=TODAY)
        bookkeeping.close(s, club, 2025, today=TODAY)


@pytest.fixture
def lake(engine, database_url):
    scratch.fill(database_url, build_lake_club)  # built once per process, then copied
    return engine
