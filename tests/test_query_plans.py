"""The hot queries use indexes: no full scan of a large table (issue 16, item 1).

The statements are not written here: the real service calls run against a club's books
(tests/reports/conftest.py, the lake club) while every SELECT they send is recorded, then
each is explained with its own parameters:

* SQLite: ``EXPLAIN QUERY PLAN``; a step ``SCAN <table>`` on a large table is a full scan (with
  or without ``USING ... INDEX``: a whole-index scan still reads every club's rows);
  ``SEARCH <table> USING ...`` is an index lookup.
* PostgreSQL: ``EXPLAIN`` with ``enable_seqscan`` off, so that the planner takes an index
  whenever one can serve (on a small test database it would otherwise rightly prefer a
  sequential scan); a ``Seq Scan on <table>`` left is a table no index can serve.

Which calls are hot: those run per member, per investment or per report in a region of
hundreds of clubs (profiling of issue 16), and the balances at a date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from cigales import db, shares
from cigales.models import Club, Investment, Member
from cigales.services import investments, loans, savings
from ledger import queries
from reports import data
from tests import scratch
from tests.reports.conftest import SLUG, build_lake_club

D = dt.date

# Tables that grow with the books of every club in the database.
LARGE = ("account", "posting", "entry", "capital_movement", "investment_event",
         "account_balance_month", "loan_instalment", "member_key", "member_key_version",
         "bank_line")


@dataclass(frozen=True)
class Recorded:
    sql: str
    params: Any


@contextmanager
def recording(engine: Engine) -> Iterator[list[Recorded]]:
    found: list[Recorded] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
               executemany: bool) -> None:
        if not executemany and statement.lstrip().upper().startswith("SELECT"):
            found.append(Recorded(statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", record)


def full_scans(engine: Engine, statement: Recorded) -> list[str]:
    """The plan's steps that read a whole large table."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = [row[3] for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement.sql, statement.params).all()]
            pattern = re.compile(r"^SCAN (\w+)")
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = [row[0] for row in conn.exec_driver_sql(
                "EXPLAIN " + statement.sql, statement.params).all()]
            conn.exec_driver_sql("RESET enable_seqscan")
            pattern = re.compile(r"Seq Scan on (\w+)")
    scans = []
    for step in plan:
        match = pattern.search(step.strip().lstrip("->").strip())
        if match and match.group(1) in LARGE:
            scans.append(step.strip())
    return scans


def hot_calls(s: Session) -> dict[str, Callable[[], object]]:
    club = s.execute(select(Club).where(Club.slug == SLUG)).scalar_one()
    member = s.execute(select(Member).where(Member.club_id == club.id,
                                            Member.code == "M01")).scalar_one()
    stake = s.execute(select(Investment).where(Investment.club_id == club.id,
                                               Investment.number == 1)).scalar_one()
    loan, investee = loans.get_loan(s, club, 2)
    book = club.book_id
    mid_month = D(2025, 5, 20)
    return {
        "savings.paid_in_year": lambda: savings.paid_in_year(s, member, 2025),
        "investments.event_totals": lambda: investments.event_totals(
            s, [stake.id], as_of=mid_month),
        "loans.view (loans._events)": lambda: loans.view(s, loan, investee, mid_month),
        "trial balance at a month's end": lambda: queries.trial_balance(s, book, D(2025, 6, 30)),
        "trial balance inside a month": lambda: queries.trial_balance(s, book, mid_month),
        "trial balance of a period": lambda: queries.trial_balance(
            s, book, mid_month, from_date=D(2025, 2, 14)),
        "trial balance of every posting": lambda: queries.trial_balance_from_postings(
            s, book, mid_month),
        "account balance": lambda: queries.account_balance(s, book, "5121", mid_month),
        "balances by account": lambda: queries.balances_by_account(s, book, mid_month),
        "balances by prefix of some books (federation report)": lambda: queries.prefix_balances(
            s, [book], ("51", "2", "5"), mid_month),
        "general ledger of an account": lambda: queries.general_ledger(
            s, book, "5121", D(2025, 1, 1), mid_month),
        "net assets": lambda: shares.net_assets(s, club, mid_month),
        "members' positions": lambda: shares.positions(s, club, mid_month),
        "balance sheet": lambda: data.balance_sheet(s, club, 2025),
        "income statement": lambda: data.income_statement(s, club, 2025),
        "cash reconciliation (AGM pack)": lambda: data.cash_reconciliation(s, club, 2025),
    }


def explained(engine: Engine) -> dict[str, list[tuple[Recorded, list[str]]]]:
    """Per hot call, each statement it sent on a large table and its full scans."""
    out: dict[str, list[tuple[Recorded, list[str]]]] = {}
    with db.session_scope(engine, write=False) as s:
        for name, call in hot_calls(s).items():
            with recording(engine) as statements:
                call()
            out[name] = [(st, full_scans(engine, st)) for st in statements
                         if re.search(r"\b(" + "|".join(LARGE) + r")\b", st.sql)]
    return out


@pytest.fixture
def lake(engine: Engine, database_url: str) -> Engine:
    scratch.fill(database_url, build_lake_club)
    return engine


def test_hot_queries_scan_no_large_table(lake: Engine) -> None:
    results = explained(lake)
    # Every hot call was seen reading the large tables (the test is not vacuous).
    assert all(results.values()), [name for name, found in results.items() if not found]
    offenders = [f"{name}: {scans} in {st.sql}"
                 for name, found in results.items() for st, scans in found if scans]
    assert offenders == []


def test_a_missing_index_is_caught(lake: Engine) -> None:
    # Without the index of migration 0013_16b, savings.paid_in_year reads every club's
    # capital movements: the check above would fail on it.
    with lake.begin() as conn:
        conn.execute(text("DROP INDEX ix_capital_movement_member_kind_date"))
        conn.execute(text("DROP INDEX ix_capital_movement_club_kind_date"))
    found = explained(lake)["savings.paid_in_year"]
    scans = [s for _, found_scans in found for s in found_scans]
    pattern = "SCAN capital_movement" if lake.dialect.name == "sqlite" \
        else "Seq Scan on capital_movement"
    assert scans
    assert all(pattern in s for s in scans)
