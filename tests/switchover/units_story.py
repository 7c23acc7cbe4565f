"""A club under the units share method, told twice: replayed through the services from T0, or
moved in at D from tests/switchover/position_units/ (the same position, computed by hand, see
README there) followed by the same operations after D.

Before D (2024-06-30), club founded 2022-01-10, share method ``units`` (first unit 10.00):
- U01–U05 join on T0 saving 30, 40, 50, 20, 60 a month (paid on the 5th from February 2022);
  U06 joins 2023-01-15 saving 40 (paid from February 2023): every saving up to April 2023
  buys units at 10.00;
- 2023-03-01 subscription of 40 shares at 25.00 in the SCOP L'Atelier (1,000.00);
- 2023-04-30 impairment of 624.00 on that stake, a fifth of the 3,120.00 paid in: the value
  per unit falls to 8.00, the price of every saving from May 2023 on;
- years 2022 and 2023 closed (results carried forward);
- 2024-03-31 U02 leaves, settlement deferred (owed at liquidation): their 115 units at 8.00.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from sqlalchemy.orm import Session

from cigales.services import bookkeeping, flows, investments, members
from cigales.services.clubs import create_club, get_club
from ledger.money import Money
from tests.switchover import club_story
from tests.switchover.club_story import T0, TODAY, D

PLANS = {"U01": "30", "U02": "40", "U03": "50", "U04": "20", "U05": "60", "U06": "40"}
ACTIVE = ("U01", "U03", "U04", "U05", "U06")


_save = partial(club_story._save, plans=PLANS)


def replay_until_d(s: Session, slug: str) -> None:
    club = create_club(s, slug, "Les Cigognes", T0, today=TODAY, region="Occitanie",
                       department="46", share_method="units")
    for code in ("U01", "U02", "U03", "U04", "U05"):
        members.add_member(s, club, code=code, name=f"Membre {code}", joined=T0,
                           monthly=Money.parse(PLANS[code]), today=TODAY)
    members.add_member(s, club, code="U06", name="Membre U06", joined=dt.date(2023, 1, 15),
                       monthly=Money.parse(PLANS["U06"]), today=TODAY)
    for code in ("U01", "U02", "U03", "U04", "U05"):
        _save(s, slug, code, dt.date(2022, 2, 1), dt.date(2023, 4, 30))
    _save(s, slug, "U06", dt.date(2023, 2, 1), dt.date(2023, 4, 30))
    bookkeeping.close(s, club, 2022, today=TODAY)
    atelier = investments.add_investee(s, club, slug="l-atelier", name="L'Atelier",
                                       legal_form="SCOP", siren="732829320",
                                       capital=Money.parse("20000"))
    investments.subscribe(s, club, atelier, date=dt.date(2023, 3, 1), shares=40,
                          unit_price=Money.parse("25.00"), today=TODAY)
    investments.impair(s, club, atelier, date=dt.date(2023, 4, 30),
                       amount=Money.parse("624.00"), reverse=False, today=TODAY)
    for code in ACTIVE:
        _save(s, slug, code, dt.date(2023, 5, 1), D)
    _save(s, slug, "U02", dt.date(2023, 5, 1), dt.date(2024, 3, 31))
    bookkeeping.close(s, club, 2023, today=TODAY)
    members.leave(s, club, code="U02", date=dt.date(2024, 3, 31), settlement="deferred",
                  today=TODAY)


def after_d(s: Session, slug: str) -> None:
    """The same operations after D for both clubs: savings, a new stake, fees, a dividend,
    the year closed; the value per unit moves with each."""
    club = get_club(s, slug)
    for code in ACTIVE:
        _save(s, slug, code, dt.date(2024, 7, 1), dt.date(2024, 12, 31))
    vert = investments.add_investee(s, club, slug="vert-demain", name="Vert Demain",
                                    legal_form="SAS", siren="552100554")
    investments.subscribe(s, club, vert, date=dt.date(2024, 9, 10), shares=5,
                          unit_price=Money.parse("100.00"), today=TODAY)
    flows.add_expense(s, club, date=dt.date(2024, 10, 31), amount=Money.parse("15.50"),
                      kind="bank_fees", label="Frais", today=TODAY)
    bookkeeping.close(s, club, 2024, today=TODAY)
    atelier = investments.get_investee(s, club, "l-atelier")
    investments.dividend(s, club, atelier, date=dt.date(2025, 2, 1),
                         amount=Money.parse("42.00"), today=TODAY)
    for code in ACTIVE:
        _save(s, slug, code, dt.date(2025, 2, 1), dt.date(2025, 2, 28))


def wind_down(s: Session, slug: str) -> None:
    """Everything sold after D, so the liquidation plan can be compared."""
    club = get_club(s, slug)
    atelier = investments.get_investee(s, club, "l-atelier")
    vert = investments.get_investee(s, club, "vert-demain")
    investments.dispose(s, club, atelier, date=dt.date(2025, 3, 1), shares=40,
                        proceeds=Money.parse("400.00"), kind="sale", today=TODAY)
    investments.dispose(s, club, vert, date=dt.date(2025, 3, 1), shares=5, proceeds=None,
                        kind="redemption", today=TODAY)
