"""Reports built once: an AGM pack or the statements compute the club's portfolio, loans and
life cycle once per request (reports/club_view.py), with the same figures as before."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select

from cigales import db
from cigales.services import lifecycle, loans, portfolio
from cigales.services.clubs import get_club
from reports import club_view
from reports import data as report_data
from reports.club_view import ClubView
from tests.reports.conftest import SLUG, TODAY


@pytest.fixture
def calls(monkeypatch):
    """Count the calls of the expensive computations (the real functions still run)."""
    counted: Counter[str] = Counter()

    def spy(module, name):
        real = getattr(module, name)

        def counting(*args, **kwargs):
            counted[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)

    # One loan's schedule, payments and arrears: the arithmetic of loans.view, and of
    # loans.views, which views many loans at once.
    spy(loans, "_view_of")
    spy(lifecycle, "lifecycle")
    # The names the report modules and services import.
    for module in (report_data, club_view, portfolio):
        if hasattr(module, "portfolio") and callable(module.portfolio):
            spy(module, "portfolio")
    return counted


def test_the_agm_pack_computes_each_part_once(lake, calls):
    with db.session_scope(lake, write=False) as s:
        club = get_club(s, SLUG)
        numbers = [v.investment.number for v in loans.all_loans(s, club, dt.date(2025, 12, 31))]
        calls.clear()
        pack = report_data.build_agm_pack(s, club, 2025, generated=TODAY)
    assert numbers  # the club has loans: the count below means something
    # Each loan viewed once on 31/12/2025 (it was three times: portfolio, alerts, loan book),
    # plus the previous year's portfolio, a different date.
    previous = [line for line in pack.portfolio if line.kind != "equity"
                and line.date <= dt.date(2024, 12, 31)]
    assert calls["_view_of"] == len(numbers) + len(previous)
    assert calls["portfolio"] == 2  # this year's and last year's, nothing more
    assert calls["lifecycle"] == 1


def test_the_statements_compute_the_portfolio_once(lake, calls):
    with db.session_scope(lake, write=False) as s:
        statements = report_data.build_member_statements(s, get_club(s, SLUG), 2025,
                                                         generated=TODAY)
    assert len(statements) > 1
    assert calls["portfolio"] == 1
    assert calls["lifecycle"] == 1


def test_the_view_gives_what_the_services_give(lake):
    last = dt.date(2025, 12, 31)
    with db.session_scope(lake, write=False) as s:
        club = get_club(s, SLUG)
        view = ClubView(s, club, last)
        assert view.portfolio == portfolio.portfolio(s, club, last)
        assert view.investment_alerts == portfolio.investment_alerts(s, club, last)
        assert view.status == lifecycle.status(s, club, last)
        assert [v.outstanding for v in view.loans] == [
            v.outstanding for v in loans.all_loans(s, club, last)]


def test_loan_views_read_schedules_and_instalments_once_per_transaction(lake):
    """A report asking for two dates (the federation return's year and the year before) reads
    each loan's schedules and instalments once; the figures are the ones of ``loans.view``."""
    from sqlalchemy import event

    from cigales.models import Investee, Investment

    dates = (dt.date(2024, 12, 31), dt.date(2025, 12, 31), dt.date(2025, 6, 15))
    with db.session_scope(lake, write=False) as s:
        club = get_club(s, SLUG)
        rows = s.execute(select(Investment, Investee)
                         .join(Investee, Investee.id == Investment.investee_id)
                         .where(Investment.club_id == club.id,
                                Investment.kind.in_(loans.LOAN_KINDS))).all()
        assert rows
        read: list[str] = []

        def spy(conn, cursor, statement, parameters, context, executemany):
            read.append(statement)

        event.listen(s.get_bind(), "before_cursor_execute", spy)
        try:
            seen = {as_of: loans.views(s, [(i, e) for i, e in rows], as_of) for as_of in dates}
        finally:
            event.remove(s.get_bind(), "before_cursor_execute", spy)
        assert sum("FROM loan_instalment" in q for q in read) == 1
        assert sum("FROM loan_schedule" in q for q in read) == 1
    for as_of in dates:
        with db.session_scope(lake, write=False) as s:
            one_by_one = [loans.view(s, s.get(Investment, i.id), s.get(Investee, e.id), as_of)
                          for i, e in rows]
            assert [(v.investment.id, v.schedule.id, v.instalments, v.statuses, v.arrears,
                     v.written_off_on, v.repaid, v.interest_paid, v.outstanding)
                    for v in seen[as_of]] == \
                [(v.investment.id, v.schedule.id, v.instalments, v.statuses, v.arrears,
                  v.written_off_on, v.repaid, v.interest_paid, v.outstanding) for v in one_by_one]
