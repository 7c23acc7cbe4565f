"""The set-based club returns (reports.club_return.build_returns) give, figure for figure,
the documents of the per-club computation they replaced (tests/federation/return_oracle.py),
on demo clubs built by the demo generator, for every year of their lives; and they read any
number of clubs with the same number of queries."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, event, select

from cigales import db
from cigales.models import Club
from cigales.services import demo
from reports.club_return import build_return, build_returns
from tests.conftest import TODAY
from tests.federation.return_oracle import oracle_return

CLUBS = 3


@pytest.fixture
def region(engine: Engine) -> Engine:
    for index in range(CLUBS):
        with db.session_scope(engine) as s:
            assert demo.build_demo(s, seed=1, index=index, today=TODAY).created
    return engine


def _clubs(s) -> list[Club]:  # type: ignore[no-untyped-def]
    return list(s.execute(select(Club).order_by(Club.slug)).scalars())


def test_same_documents_as_the_per_club_computation(region: Engine) -> None:
    with db.session_scope(region, write=False) as s:
        clubs = _clubs(s)
        assert len(clubs) == CLUBS
        years = range(min(c.founded.year for c in clubs), TODAY.year + 1)
        assert len(years) >= 5
        compared = 0
        for year in years:
            docs = build_returns(s, clubs, year, generated=TODAY)
            for club, doc in zip(clubs, docs, strict=True):
                if club.founded.year > year:
                    continue
                assert doc == oracle_return(s, club, year, generated=TODAY), (club.slug, year)
                assert build_return(s, club, year, generated=TODAY) == doc
                compared += 1
        # The stories hold what the return sums: loans, repayments, sales or write-offs.
        totals = [build_returns(s, clubs, year, generated=TODAY) for year in years]
        flat = [d for docs in totals for d in docs]
        assert any(d["loans"]["outstanding"] != "0.00" for d in flat)
        assert any(d["repaid"] != "0.00" for d in flat)
        assert any(d["income"] != "0.00" for d in flat)
        assert any(d["written_off"] != "0.00" for d in flat)
        assert any(d["invested"]["count"] for d in flat)
    assert compared >= CLUBS * 5
    # Set-based: one club or all of them, the same statements (none per club or loan).
    check_one_club_or_all_take_the_same_queries(region)


def _queries(engine: Engine, year: int, how_many: int) -> int:
    """Statements run by build_returns for the first ``how_many`` clubs, in a fresh
    transaction (nothing read before)."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    with db.session_scope(engine, write=False) as s:
        clubs = _clubs(s)[:how_many]
        event.listen(engine, "before_cursor_execute", count)
        try:
            build_returns(s, clubs, year, generated=TODAY)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def check_one_club_or_all_take_the_same_queries(region: Engine) -> None:
    year = TODAY.year - 1
    one, every = _queries(region, year, 1), _queries(region, year, CLUBS)
    assert one == every
    assert every <= 20
