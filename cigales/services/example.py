"""A short scripted example club: the README's first command, until the full demo exists.

Every entry carries an idempotency key, so running the example twice writes nothing new:
that is itself a demonstration of how imports and retries stay safe.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cigales import chart
from cigales.models import Club
from cigales.services import accounts, bookkeeping, clubs
from ledger.closing import closed_years
from ledger.money import Money

SLUG = "les-fourmis"
FOUNDED = dt.date(2021, 3, 15)
MEMBERS = {"M01": "30.00", "M02": "45.00", "M03": "20.00", "M04": "30.00", "M05": "50.00"}


@dataclass(frozen=True, slots=True)
class ExampleResult:
    club: Club
    entries_written: int
    closed_year: int | None


def build_example(session: Session, *, today: dt.date) -> ExampleResult:
    existing = session.execute(select(Club).where(Club.slug == SLUG)).scalar_one_or_none()
    club = existing or clubs.create_club(session, SLUG, "Les Fourmis du Val", FOUNDED,
                                         today=today, region="Pays de la Loire",
                                         department="44")
    accounts.ensure_accounts(
        session, club, [(a.code, a.label) for code in MEMBERS for a in chart.member_accounts(code)]
    )
    written = 0

    def post(key: str, date: dt.date, label: str, *lines: tuple[str, str]) -> None:
        nonlocal written
        posted = bookkeeping.add_entry(
            session, club, date=date, label=label, journal="BQ", key=f"example:{key}",
            lines=[(code, Money.parse(amount)) for code, amount in lines], today=today)
        written += int(posted.created)

    # Nine months of savings in 2021, then a few operations in 2022.
    for month in range(4, 13):
        day = dt.date(2021, month, 5)
        for code, amount in MEMBERS.items():
            post(f"saving:{code}:2021-{month:02d}", day, f"Versement {code} {month:02d}/2021",
                 (chart.BANK_ACCOUNT, amount), (f"1011-{code}", f"-{amount}"))
        post(f"fees:2021-{month:02d}", dt.date(2021, month, 28), "Frais de tenue de compte",
             ("6270", "2.50"), (chart.BANK_ACCOUNT, "-2.50"))
    post("dues:2021", dt.date(2021, 6, 15), "Cotisation association régionale",
         ("6281", "60.00"), (chart.BANK_ACCOUNT, "-60.00"))
    post("interest:2021", dt.date(2021, 12, 31), "Intérêts créditeurs",
         (chart.BANK_ACCOUNT, "3.12"), ("7680", "-3.12"))
    closed = None
    if 2021 not in closed_years(session, club.book_id) and today > dt.date(2021, 12, 31):
        bookkeeping.close(session, club, 2021, today=today)
        closed = 2021
    for month in (1, 2, 3):
        for code, amount in MEMBERS.items():
            post(f"saving:{code}:2022-{month:02d}", dt.date(2022, month, 5),
                 f"Versement {code} {month:02d}/2022",
                 (chart.BANK_ACCOUNT, amount), (f"1011-{code}", f"-{amount}"))
    return ExampleResult(club, written, closed)
