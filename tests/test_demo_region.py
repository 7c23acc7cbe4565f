"""The demo generator builds a whole region: the first 40 clubs of seed 1, with today's date
and with the tests' pinned date, each one through the services with all their checks.

With today's date (December 2026) club 29 of seed 1 used to stop on ``loan_settled``: its
failing loan was a short quarterly one, fully repaid before the write-off the story planned.
The stories depend on the date (founding dates, what falls before today), so both dates are
built. Slow (a few seconds a club): SQLite only, no reports. The 40 clubs of a date are built
in four runs of ten, each in its own database where its clubs meet a growing region, so that
parallel test workers share the work instead of one of them building 40 clubs at the end.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from cigales import db
from cigales.models import Club, InvestmentEvent
from cigales.services import demo
from ledger.audit import check_book
from tests.conftest import TODAY
from tests.scratch import ScratchDatabase

CLUBS = 40
RUN = 10  # clubs per test


@pytest.mark.slow
@pytest.mark.parametrize("first", range(0, CLUBS, RUN), ids=lambda i: f"clubs-{i}-{i + RUN - 1}")
@pytest.mark.parametrize("today", [dt.date.today(), TODAY], ids=["today", "pinned"])
def test_first_40_clubs_of_seed_1_build(today: dt.date, first: int) -> None:
    scratch = ScratchDatabase("sqlite", prefix="region", migrated=True)
    engine = db.make_engine(scratch.url)
    try:
        built = {}
        for index in range(first, first + RUN):
            with db.session_scope(engine) as s:
                result = demo.build_demo(s, seed=1, index=index, today=today)
            assert result.created, index
            built[index] = result.club.id
        with db.session_scope(engine, write=False) as s:
            assert s.execute(select(func.count()).select_from(Club)).scalar_one() == RUN
            # Every club's story has its failure: a company or a loan written off, each
            # dated on or before today (what falls after today never happens).
            write_offs = s.execute(select(func.count()).select_from(InvestmentEvent)
                                   .where(InvestmentEvent.kind == "write_off")).scalar_one()
            assert 0 < write_offs <= RUN
            # Every club's books are whole (among them the one that used to fail).
            for club_id in built.values():
                club = s.get(Club, club_id)
                assert club is not None
                assert check_book(s, club.book_id) == []
    finally:
        engine.dispose()
        scratch.drop()
