"""Reports built once: an AGM pack or the statements compute the club's portfolio, loans and
life cycle once per request (reports/club_view.py), with the same figures as before."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

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
