"""A small club told twice: its whole life replayed through the services, or moved in at D
from tests/switchover/position/ (the same position, computed by hand, see README there)
followed by the same operations after D.

Before D (2024-06-30), club founded 2022-01-10:
- M01–M05 join on T0 saving 30, 40, 50, 20, 60 a month (paid on the 5th from February 2022);
  M06 joins 2023-01-15 saving 40 (paid from February 2023);
- bank fees 12.00 on 2022-06-30; years 2022 and 2023 closed (results carried forward);
- 2023-03-01 subscription of 40 shares at 25.00 in the SCOP L'Atelier (1,000.00);
- 2023-04-01 honour loan of 1,200.00 to Boulangerie Causse, 24 monthly instalments of 50.00,
  repaid on time up to 2024-02-01 (10 instalments), nothing since (late from March 2024);
- 2023-06-01 shareholder loan 600.00 at 2 % to L'Atelier, 6 quarterly linear instalments,
  each paid on its due date;
- 2024-03-31 M02 leaves, settlement deferred (owed at liquidation);
- 2024-05-15 dividend 30.00 from L'Atelier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy.orm import Session

from cigales.services import bookkeeping, flows, investments, loans, members, savings
from cigales.services.clubs import create_club, get_club
from ledger.money import Money

TODAY = dt.date(2026, 11, 22)
D = dt.date(2024, 6, 30)
T0 = dt.date(2022, 1, 10)
PLANS = {"M01": "30", "M02": "40", "M03": "50", "M04": "20", "M05": "60", "M06": "40"}


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(dt.date(year, month, 5))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _save(s: Session, slug: str, code: str, first: dt.date, last: dt.date, *,
          plans: Mapping[str, str] = PLANS) -> None:
    """``code``'s monthly saving (``plans``) on the 5th of each month from ``first`` to
    ``last``."""
    club = get_club(s, slug)
    for day in _months(first, last):
        if first <= day <= last:
            savings.add_saving(s, club, member_code=code, date=day,
                               amount=Money.parse(plans[code]), today=TODAY)


def replay_until_d(s: Session, slug: str) -> None:
    club = create_club(s, slug, "Les Grillons", T0, today=TODAY, region="Occitanie",
                       department="46")
    for code in ("M01", "M02", "M03", "M04", "M05"):
        members.add_member(s, club, code=code, name=f"Membre {code}", joined=T0,
                           monthly=Money.parse(PLANS[code]), today=TODAY)
    members.add_member(s, club, code="M06", name="Membre M06", joined=dt.date(2023, 1, 15),
                       monthly=Money.parse(PLANS["M06"]), today=TODAY)
    for code in ("M01", "M03", "M04", "M05"):
        _save(s, slug, code, dt.date(2022, 2, 1), D)
    _save(s, slug, "M02", dt.date(2022, 2, 1), dt.date(2024, 3, 31))
    _save(s, slug, "M06", dt.date(2023, 2, 1), D)
    flows.add_expense(s, club, date=dt.date(2022, 6, 30), amount=Money.parse("12.00"),
                      kind="bank_fees", label="Frais", today=TODAY)
    bookkeeping.close(s, club, 2022, today=TODAY)
    # Capital 20,000.00: the club's 1,000.00 stake is the 5 % a shareholder loan needs.
    atelier = investments.add_investee(s, club, slug="l-atelier", name="L'Atelier",
                                       legal_form="SCOP", siren="732829320",
                                       capital=Money.parse("20000"))
    boulangerie = investments.add_investee(s, club, slug="boulangerie-causse",
                                           name="Boulangerie Causse", legal_form="EI")
    investments.subscribe(s, club, atelier, date=dt.date(2023, 3, 1), shares=40,
                          unit_price=Money.parse("25.00"), today=TODAY)
    honour = loans.grant(s, club, boulangerie, date=dt.date(2023, 4, 1),
                         principal=Money.parse("1200.00"), instalments=24, today=TODAY)
    cca = loans.grant(s, club, atelier, date=dt.date(2023, 6, 1), principal=Money.parse("600"),
                      instalments=6, rate=Decimal("0.02"), frequency="quarterly",
                      kind="shareholder", today=TODAY)
    for due in _due(honour.number, s, slug, dt.date(2024, 2, 1)):
        loans.repay(s, club, honour.number, date=due[0], amount=due[1], today=TODAY)
    for due in _due(cca.number, s, slug, D):
        loans.repay(s, club, cca.number, date=due[0], amount=due[1], today=TODAY)
    bookkeeping.close(s, club, 2023, today=TODAY)
    members.leave(s, club, code="M02", date=dt.date(2024, 3, 31), settlement="deferred",
                  today=TODAY)
    investments.dividend(s, club, atelier, date=dt.date(2024, 5, 15),
                         amount=Money.parse("30.00"), today=TODAY)


def _due(number: int, s: Session, slug: str, until: dt.date) -> list[tuple[dt.date, Money]]:
    club = get_club(s, slug)
    investment, investee = loans.get_loan(s, club, number)
    view = loans.view(s, investment, investee, until)
    return [(i.due, i.total) for i in view.instalments if i.due <= until]


def after_d(s: Session, slug: str) -> None:
    """The same operations after D for both clubs (loan numbers: 1 stake, 2 honour, 3 CCA)."""
    club = get_club(s, slug)
    for code in ("M01", "M03", "M04", "M05", "M06"):
        _save(s, slug, code, dt.date(2024, 7, 1), dt.date(2024, 12, 31))
    loans.repay(s, club, 2, date=dt.date(2024, 8, 1), amount=Money.parse("100.00"),
                today=TODAY)
    vert = investments.add_investee(s, club, slug="vert-demain", name="Vert Demain",
                                    legal_form="SAS", siren="552100554")
    investments.subscribe(s, club, vert, date=dt.date(2024, 9, 10), shares=5,
                          unit_price=Money.parse("100.00"), today=TODAY)
    for due, amount in _due(3, s, slug, dt.date(2024, 12, 31)):
        if due > D:
            loans.repay(s, club, 3, date=due, amount=amount, today=TODAY)
    flows.add_expense(s, club, date=dt.date(2024, 10, 31), amount=Money.parse("15.50"),
                      kind="bank_fees", label="Frais", today=TODAY)
    bookkeeping.close(s, club, 2024, today=TODAY)
    atelier = investments.get_investee(s, club, "l-atelier")
    investments.dividend(s, club, atelier, date=dt.date(2025, 2, 1),
                         amount=Money.parse("42.00"), today=TODAY)


def wind_down(s: Session, slug: str) -> None:
    """Everything sold or collected after D, so the liquidation plan can be compared."""
    club = get_club(s, slug)
    atelier = investments.get_investee(s, club, "l-atelier")
    vert = investments.get_investee(s, club, "vert-demain")
    # A SCOP's parts above nominal: the buyer paid more, recorded on purpose (domain §3.1).
    investments.dispose(s, club, atelier, date=dt.date(2025, 3, 1), shares=40,
                        proceeds=Money.parse("1100.00"), kind="sale", today=TODAY,
                        above_nominal=True)
    investments.dispose(s, club, vert, date=dt.date(2025, 3, 1), shares=5, proceeds=None,
                        kind="redemption", today=TODAY)
    for number in (2, 3):
        investment, investee = loans.get_loan(s, club, number)
        left = loans.view(s, investment, investee, dt.date(2025, 3, 2))
        due = sum((st.unpaid for st in left.statuses), Money(0))
        if due.cents:  # the CCA ended with its December 2024 instalment
            loans.repay(s, club, number, date=dt.date(2025, 3, 2), amount=due, today=TODAY)
