"""The member page and the treasurer dashboard read a club with a bounded number of queries,
whatever the size of the club (issue 11, item 8: no N+1).

Structural, not timed: two demo clubs of different sizes (members, investments, investment
events) give the same number of statements per page, under a fixed bound. A section that
went back to reading an investment's events or keys one investment at a time would make the
larger club's count grow and fail here. bench/web.py measures the times.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from cigales import db, migrate
from cigales.models import Investment, InvestmentEvent, Member
from cigales.services import portfolio, savings, web_accounts
from cigales.services.clubs import get_club
from cigales.services.demo import build_demo
from cigales.web.app import create_app
from tests.conftest import BACKENDS, TODAY
from tests.scratch import ScratchDatabase
from tests.web.conftest import SECRET, Site, post

# Statements of one GET, sign-in check included (account, roles, club...). Measured: 45 and
# 28 on SQLite (the member page was 62 with the tax sheet reading each investment's events
# and frozen keys one by one, 105 before that).
MEMBER_PAGE_MAX = 45
DASHBOARD_MAX = 28
SMALL, LARGE = 0, 7  # demo clubs of seed 1: 14 members and 9 investments, 15 and 10


@dataclass
class Demo:
    engine: Engine
    site: Site
    accounts: dict[int, list[tuple[str, str, web_accounts.Role]]]
    slugs: dict[int, str]


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest) -> Iterator[Demo]:
    scratch = ScratchDatabase(request.param, prefix="pages", migrated=True)
    engine = db.make_engine(scratch.url)
    migrate.ensure_ready(engine)
    accounts, slugs = {}, {}
    for index in (SMALL, LARGE):
        with db.session_scope(engine) as s:
            slugs[index] = build_demo(s, seed=1, index=index, today=TODAY).slug
        with db.session_scope(engine) as s:
            accounts[index] = web_accounts.demo_accounts(s, get_club(s, slugs[index]), TODAY)
    try:
        yield Demo(engine, Site(engine, create_app(engine=engine, secret=SECRET)), accounts,
                   slugs)
    finally:
        engine.dispose()
        scratch.drop()


def _count(engine: Engine, run: Any) -> tuple[int, Any]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        result = run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements), result


def _page_queries(demo: Demo, index: int, page: str) -> int:
    (member_email, member_password, member_role), (t_email, t_password, _) = \
        demo.accounts[index]
    client = demo.site.client()
    email, password = (member_email, member_password) if page == "member" else \
        (t_email, t_password)
    assert post(client, "/sign-in", {"email": email, "password": password}).status_code == 303
    slug = demo.slugs[index]
    path = f"/club/{slug}/member/{member_role.member}" if page == "member" else \
        f"/club/{slug}/dashboard"
    count, response = _count(demo.engine, lambda: client.get(path))
    assert response.status_code == 200, response.text
    return count


def test_the_two_demo_clubs_differ_in_size(demo: Demo) -> None:
    sizes = {}
    with db.session_scope(demo.engine, write=False) as s:
        for index, slug in demo.slugs.items():
            club = get_club(s, slug)
            sizes[index] = tuple(s.execute(q).scalar_one() for q in (
                select(func.count()).select_from(Member).where(Member.club_id == club.id),
                select(func.count()).select_from(Investment)
                .where(Investment.club_id == club.id),
                select(func.count()).select_from(InvestmentEvent).join(Investment)
                .where(Investment.club_id == club.id)))
    assert all(a < b for a, b in zip(sizes[SMALL], sizes[LARGE], strict=True)), sizes


@pytest.mark.parametrize(("page", "bound"), [("member", MEMBER_PAGE_MAX),
                                             ("dashboard", DASHBOARD_MAX)])
def test_a_page_reads_a_club_in_a_bounded_number_of_queries(demo: Demo, page: str,
                                                            bound: int) -> None:
    small = _page_queries(demo, SMALL, page)
    large = _page_queries(demo, LARGE, page)
    assert small == large, (page, small, large)  # no query per member, investment or event
    assert large <= bound, (page, large)


def test_tax_sheets_and_arrears_read_a_fixed_number_of_times(demo: Demo) -> None:
    """The two computations this change made set-based: one read per kind of fact, not one
    per investment (tax sheets) and no more than before per member (arrears)."""
    counts = {}
    for index, slug in demo.slugs.items():
        with db.session_scope(demo.engine, write=False) as s:
            club = get_club(s, slug)
            counts[index] = (
                _count(demo.engine, lambda s=s, club=club: portfolio.tax_sheets(
                    s, club, TODAY.year))[0],
                _count(demo.engine, lambda s=s, club=club: savings.arrears(s, club, TODAY))[0])
    assert counts[SMALL] == counts[LARGE], counts


def test_one_members_arrears_are_their_row_of_the_clubs(demo: Demo) -> None:
    """The member page asks for its member's arrears only: the same figures as the row of
    the whole club's (what `member arrears` and the dashboard show), for every member and on
    dates inside and after the saving months."""
    with db.session_scope(demo.engine, write=False) as s:
        for slug in demo.slugs.values():
            club = get_club(s, slug)
            for as_of in (TODAY, club.founded, TODAY.replace(year=TODAY.year - 3)):
                everyone = savings.arrears(s, club, as_of)
                assert everyone
                for row in everyone:
                    assert savings.arrears(s, club, as_of, member=row.member) == [row]
            assert savings.arrears(s, club, TODAY, member="NOBODY") == []
