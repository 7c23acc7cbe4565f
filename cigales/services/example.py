"""A short scripted example club: the README's first command, until the full demo exists.

Every step is idempotent (members are added once, savings and flows carry idempotency keys),
so running the example twice writes nothing new: itself a demonstration of safe retries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cigales.models import Club, Member
from cigales.services import bookkeeping, clubs, flows, members, savings
from ledger.closing import closed_years
from ledger.money import Money
from ledger.post import PostedEntry

SLUG = "les-fourmis"
FOUNDED = dt.date(2021, 3, 15)
MEMBERS = {
    "M01": ("Anne Martin", "30.00"),
    "M02": ("Bruno Le Goff", "45.00"),
    "M03": ("Chloé Diallo", "20.00"),
    "M04": ("David Moreau", "30.00"),
    "M05": ("Émilie Robert", "50.00"),
}


@dataclass(frozen=True, slots=True)
class ExampleResult:
    club: Club
    entries_written: int
    closed_year: int | None


def build_example(session: Session, *, today: dt.date,
                  on_closed: bookkeeping.OnClosed | None = None) -> ExampleResult:
    existing = session.execute(select(Club).where(Club.slug == SLUG)).scalar_one_or_none()
    club = existing or clubs.create_club(session, SLUG, "Les Fourmis du Val", FOUNDED,
                                         today=today, region="Pays de la Loire",
                                         department="44")
    known = set(session.execute(select(Member.code).where(Member.club_id == club.id)).scalars())
    for code, (name, monthly) in MEMBERS.items():
        if code not in known:
            members.add_member(session, club, code=code, name=name, joined=FOUNDED,
                               monthly=Money.parse(monthly), today=today)
    written = 0

    def collect(year: int, month: int) -> None:
        nonlocal written
        result = savings.collect_month(session, club, year, month,
                                       date=dt.date(year, month, 5), today=today)
        written += len(result.recorded)

    def flow(add: Callable[..., PostedEntry], key: str, date: dt.date, amount: str, kind: str,
             label: str) -> None:
        nonlocal written
        entry = add(session, club, date=date, amount=Money.parse(amount), kind=kind,
                    label=label, key=f"example:{key}", today=today)
        written += int(entry.created)

    # Nine months of savings in 2021 with fees, dues and interest; close 2021; three more months.
    for month in range(4, 13):
        collect(2021, month)
        flow(flows.add_expense, f"fees:{month}", dt.date(2021, month, 28), "2.50", "bank_fees",
             "Frais de tenue de compte")
    flow(flows.add_expense, "dues:2021", dt.date(2021, 6, 15), "60.00", "dues",
         "Cotisation association régionale")
    flow(flows.add_income, "interest:2021", dt.date(2021, 12, 31), "3.12", "bank_interest",
         "Intérêts créditeurs")
    closed = None
    if 2021 not in closed_years(session, club.book_id) and today > dt.date(2021, 12, 31):
        bookkeeping.close(session, club, 2021, today=today, on_closed=on_closed)
        closed = 2021
    for month in (1, 2, 3):
        collect(2022, month)
    return ExampleResult(club, written, closed)
