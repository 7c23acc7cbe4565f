"""Kept balances (ledger.balances, table account_balance_month): same figures as the postings.

* random books (hypothesis): entries in BQ and OD, reversals, an AN entry dated the opening
  day (counts) and AN entries of a closing (do not count); at random dates and periods the
  trial balance, the balances by account, one account's and one prefix's balance read from
  the kept table equal the ones summed from every posting, and the table equals its
  recomputation;
* the demo club (seed 1): the trial balance at every month's end and mid-month, the balance
  sheet, the income statement and the net assets equal the postings' own figures;
* tampering with raw SQL: lowering or deleting a kept total is refused by the guards; raising
  one, adding a row, or deleting one with the guards dropped is found by ``cigales check``
  (``balance_cache_mismatch``, exit 4);
* the migration fills the table from the postings already written.
Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, and_, func, select, text
from sqlalchemy.orm import Session

from cigales import db, migrate, shares
from cigales.cli.entry import run
from cigales.models import Club
from cigales.services import demo
from ledger import balances, guards
from ledger.audit import check_book
from ledger.closing import carry_forward, close_year
from ledger.money import Money
from ledger.post import EntryDraft, Line, deferred, pending, post_entries
from ledger.queries import (
    account_balance,
    balance,
    balances_by_account,
    balances_by_account_from_postings,
    prefix_balances,
    prefix_balances_from_postings,
    trial_balance,
    trial_balance_all,
    trial_balance_all_from_postings,
    trial_balance_from_postings,
)
from ledger.schema import Account, Book, Entry, Posting, counts_in_balances
from reports import data
from tests.conftest import BACKENDS, TODAY
from tests.helpers import FOUNDED, make_club, post_random_book
from tests.scratch import ScratchDatabase

D = dt.date
ACCOUNTS = ("5121", "5122", "6270", "7680", "471", "110")


# -- the figures, both ways ----------------------------------------------------------------------

def assert_same_figures(s: Session, book_id: int, as_of: dt.date | None,
                        from_date: dt.date | None = None) -> None:
    kept = trial_balance(s, book_id, as_of, from_date=from_date)
    summed = trial_balance_from_postings(s, book_id, as_of, from_date=from_date)
    assert kept == summed, (as_of, from_date)
    assert balances_by_account(s, book_id, as_of) == \
        balances_by_account_from_postings(s, book_id, as_of)
    by_code = balances_by_account_from_postings(s, book_id, as_of)
    for code in ("5121", "7680"):
        assert account_balance(s, book_id, code, as_of) == by_code.get(code, Money(0))
    assert balance(s, book_id, "51", as_of) == sum(
        (v for c, v in by_code.items() if c.startswith("51")), Money(0))


PREFIXES = ("51", "5121", "6", "7680", "4", "1")


def assert_same_region_figures(s: Session, as_of: dt.date | None) -> None:
    """Several books at once: the trial balance of every book and the balances by prefix of
    each book (alone, some of them, all) read the same from the kept balances."""
    books = list(s.execute(select(Book.id).order_by(Book.id)).scalars())
    for prefix in (None, "5", "7680"):
        assert trial_balance_all(s, as_of, prefix) == \
            trial_balance_all_from_postings(s, as_of, prefix), (as_of, prefix)
    for chosen in (books, books[-1:], books[::2]):
        assert prefix_balances(s, chosen, PREFIXES, as_of) == \
            prefix_balances_from_postings(s, chosen, PREFIXES, as_of), (as_of, chosen)


def days(start: dt.date, end: dt.date) -> st.SearchStrategy[dt.date]:
    return st.integers(0, (end - start).days).map(lambda n: start + dt.timedelta(days=n))


entry_lines = st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS),
                        st.integers(1, 500_000)).filter(lambda t: t[0] != t[1])
drafts = st.lists(st.tuples(days(FOUNDED, D(2023, 12, 31)), st.sampled_from(("BQ", "OD")),
                            entry_lines), min_size=1, max_size=25)


@pytest.fixture(scope="module", params=BACKENDS)
def shared_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """One database per backend for every hypothesis example (a new book each)."""
    scratch = ScratchDatabase(request.param, prefix="kept", migrated=True)
    engine = db.make_engine(scratch.url)
    migrate.ensure_ready(engine)
    yield engine
    engine.dispose()
    scratch.drop()


_books = iter(range(1_000_000))


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(written=drafts, opening=st.booleans(), close=st.booleans(),
       reversed_count=st.integers(0, 3), late_an=st.booleans(),
       dates=st.lists(days(FOUNDED - dt.timedelta(days=3), D(2024, 2, 1)), min_size=3,
                      max_size=6))
def test_random_books_read_the_same_from_the_kept_balances(
        shared_engine: Engine, written: list[tuple[dt.date, str, tuple[str, str, int]]],
        opening: bool, close: bool, reversed_count: int, late_an: bool,
        dates: list[dt.date]) -> None:
    engine = shared_engine
    club = make_club(engine, f"kept-{next(_books)}")
    book = club.book_id
    with db.session_scope(engine) as s:
        post_random_book(s, book, written, opening=opening, reversed_count=reversed_count)
        if late_an:  # an AN entry after the opening day restates balances: it never counts
            post_entries(s, book, [EntryDraft("AN", D(2023, 6, 1), "Restated", (
                Line("5122", Money(999)), Line("471", Money(-999))))], allow_opening=True)
    if close:  # the closing's à-nouveaux (1 January 2022) do not count either
        with db.session_scope(engine) as s:
            close_year(s, book, 2021, allocation=carry_forward("110", "119"))
    with db.session_scope(engine, write=False) as s:
        assert balances.differences(s, book) == []
        assert check_book(s, book) == []
        assert_same_figures(s, book, None)
        assert_same_region_figures(s, None)
        for day in dates:
            assert_same_figures(s, book, day)
            assert_same_region_figures(s, day)
        low, high = min(dates), max(dates)
        assert_same_figures(s, book, high, from_date=low)
        assert_same_figures(s, book, D(2023, 12, 31), from_date=D(2022, 1, 1))


def test_an_entry_counts_only_on_the_opening_day(engine: Engine) -> None:
    club = make_club(engine)
    with db.session_scope(engine) as s:
        post_entries(s, club.book_id, [
            EntryDraft("AN", FOUNDED, "Reprise", (Line("5121", Money(1000)),
                                                  Line("471", Money(-1000)))),
            EntryDraft("AN", D(2022, 1, 1), "Restated", (Line("5121", Money(70)),
                                                         Line("471", Money(-70)))),
        ], allow_opening=True)
    with db.session_scope(engine, write=False) as s:
        kept = balances.stored(s, club.book_id)
        ids = dict(s.execute(select(Account.code, Account.id)
                             .where(Account.book_id == club.book_id)).all())
        assert kept == {(ids["5121"], D(2021, 3, 1)): (1000, 0),
                        (ids["471"], D(2021, 3, 1)): (0, 1000)}
        assert account_balance(s, club.book_id, "5121") == Money(1000)


# -- a deferred block (ledger.post.deferred) -----------------------------------------------------

def test_kept_balances_read_inside_a_deferred_block_are_exact(engine: Engine) -> None:
    club = make_club(engine)
    with db.session_scope(engine) as s:
        with deferred(s):
            for day in range(1, 11):
                post_entries(s, club.book_id, [EntryDraft("BQ", D(2021, 4, day), "Frais", (
                    Line("6270", Money(100 * day)), Line("5121", Money(-100 * day))))])
                # read through the kept table while the block's totals wait: written first
                assert_same_figures(s, club.book_id, D(2021, 4, 30))
                assert balances.stored(s, club.book_id) == balances.recomputed(s, club.book_id)
            assert pending(s)  # reading wrote the totals, not the sealing
        assert not pending(s)
        assert balances.stored(s, club.book_id) == balances.recomputed(s, club.book_id)
    with db.session_scope(engine, write=False) as s:
        assert account_balance(s, club.book_id, "6270") == Money(5500)
        assert balances.differences(s, club.book_id) == []


def test_kept_totals_of_a_savepoint_rolled_back_are_dropped(engine: Engine) -> None:
    club = make_club(engine)
    with db.session_scope(engine) as s, deferred(s):
        post_entries(s, club.book_id, [EntryDraft("BQ", D(2021, 4, 1), "Frais", (
            Line("6270", Money(100)), Line("5121", Money(-100))))])
        nested = s.begin_nested()
        post_entries(s, club.book_id, [EntryDraft("BQ", D(2021, 4, 2), "Frais", (
            Line("6270", Money(40)), Line("5121", Money(-40))))])
        nested.rollback()
        post_entries(s, club.book_id, [EntryDraft("BQ", D(2021, 5, 3), "Frais", (
            Line("6270", Money(7)), Line("5121", Money(-7))))])
    with db.session_scope(engine, write=False) as s:
        assert account_balance(s, club.book_id, "6270") == Money(107)
        assert balances.differences(s, club.book_id) == []
        assert check_book(s, club.book_id) == []


# -- the demo club -------------------------------------------------------------------------------

def balances_before_closing_from_postings(s: Session, book_id: int, year: int,
                                          from_date: dt.date | None = None,
                                          before_entry: int | None = None) -> dict[str, Money]:
    """The balance sheet's figures as reports.data summed them before kept balances."""
    conds = [Entry.book_id == book_id, counts_in_balances(),
             Entry.date <= dt.date(year, 12, 31),
             Entry.id.not_in(data._closing_entry_ids(book_id, year))]
    if from_date is not None:
        conds.append(Entry.date >= from_date)
    if before_entry is not None:
        conds.append(Entry.id < before_entry)
    rows = s.execute(
        select(Account.code, func.sum(Posting.amount_cents))
        .select_from(Posting).join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(and_(*conds)).group_by(Account.code)).all()
    return {code: Money(int(total)) for code, total in rows if int(total)}


def test_the_demo_club_reads_the_same_from_the_kept_balances(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        built = demo.build_demo(s, seed=1, index=0, today=TODAY)
    with db.session_scope(engine, write=False) as s:
        club = s.execute(select(Club).where(Club.slug == built.slug)).scalar_one()
        book = club.book_id
        assert balances.differences(s, book) == []
        assert balances.stored(s, book)  # the club has books to compare
        day = club.founded
        while day <= TODAY:
            month_end = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) \
                - dt.timedelta(days=1)
            for as_of in (day.replace(day=15), month_end):
                assert_same_figures(s, book, as_of)
                assert_same_region_figures(s, as_of)
            day = month_end + dt.timedelta(days=1)
        for year in range(club.founded.year, TODAY.year + 1):
            first = D(year, 1, 1)
            assert_same_figures(s, book, D(year, 12, 31), from_date=first)
            assert data.balances_before_closing(s, book, year) == \
                balances_before_closing_from_postings(s, book, year)
            assert data.balances_before_closing(s, book, year, from_date=first) == \
                balances_before_closing_from_postings(s, book, year, from_date=first)
            # A liquidation's year stops before its first entry: cut at the year's middle.
            cut = s.execute(select(func.min(Entry.id)).where(
                Entry.book_id == book, Entry.date >= D(year, 7, 1))).scalar_one()
            if cut is not None:
                assert data.balances_before_closing(s, book, year, before_entry=cut) == \
                    balances_before_closing_from_postings(s, book, year, before_entry=cut)
            for as_of in (D(year, 6, 14), D(year, 12, 31)):
                by_code = balances_by_account_from_postings(s, book, as_of)
                assert shares.net_assets(s, club, as_of) == sum(
                    (v for c, v in by_code.items() if c[0] in shares.NET_ASSET_CLASSES),
                    Money(0))


# -- tampering -----------------------------------------------------------------------------------

@pytest.fixture
def kept_book(engine: Engine) -> int:
    club = make_club(engine)
    with db.session_scope(engine) as s:
        post_entries(s, club.book_id, [
            EntryDraft("BQ", D(2021, 4, 1), "Apports", (Line("5121", Money(10_000)),
                                                        Line("471", Money(-10_000)))),
            EntryDraft("BQ", D(2021, 4, 9), "Frais", (Line("6270", Money(500)),
                                                      Line("5121", Money(-500)))),
        ])
    return club.book_id


def kept_row(engine: Engine, book_id: int, code: str) -> str:
    return (f"account_id = (SELECT id FROM account WHERE book_id = {book_id} "
            f"AND code = '{code}')")


def audit_codes(engine: Engine, book_id: int) -> list[str]:
    with db.session_scope(engine, write=False) as s:
        return [i.code for i in check_book(s, book_id)]


def test_raising_a_kept_total_is_found_by_check(engine: Engine, database_url: str,
                                               kept_book: int, capsys) -> None:
    assert audit_codes(engine, kept_book) == []
    with engine.begin() as conn:  # the guards let a total grow: only check can tell
        conn.execute(text("UPDATE account_balance_month SET debit_cents = debit_cents + 1 "
                          f"WHERE {kept_row(engine, kept_book, '5121')}"))
    assert audit_codes(engine, kept_book) == ["balance_cache_mismatch"]
    capsys.readouterr()
    assert run(["--db", database_url, "check", "--club", "les-fourmis", "--format",
                "json"]) == 4
    issues = json.loads(capsys.readouterr().out)["issues"]
    assert issues == [{"code": "balance_cache_mismatch", "entry": None,
                       "detail": "account 5121, 2021-04: kept debit 100.01 credit 5.00, "
                                 "postings debit 100.00 credit 5.00"}]
    # And the figures read from the table are what it says: check is what tells.
    with db.session_scope(engine, write=False) as s:
        assert account_balance(s, kept_book, "5121") == Money(9_501)


@pytest.mark.parametrize("statement", [
    "UPDATE account_balance_month SET debit_cents = debit_cents - 1 WHERE {row}",
    "UPDATE account_balance_month SET credit_cents = 0 WHERE {row}",
    "UPDATE account_balance_month SET month = '2021-05-01' WHERE {row}",
    "DELETE FROM account_balance_month WHERE {row}",
])
def test_lowering_moving_or_deleting_a_kept_total_is_refused(engine: Engine, kept_book: int,
                                                             statement: str) -> None:
    with pytest.raises(Exception, match="kept_balance_only_grows"), engine.begin() as conn:
        conn.execute(text(statement.format(row=kept_row(engine, kept_book, "5121"))))
    assert audit_codes(engine, kept_book) == []


def test_truncating_the_kept_balances_is_refused_on_postgresql(engine: Engine,
                                                              kept_book: int) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite's DELETE is refused above")
    with pytest.raises(Exception, match="kept_balance_only_grows"), engine.begin() as conn:
        conn.execute(text("TRUNCATE account_balance_month"))


def test_rows_added_or_deleted_behind_the_guards_are_found(engine: Engine,
                                                          kept_book: int) -> None:
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO account_balance_month (account_id, month, debit_cents, credit_cents) "
            f"SELECT id, '2022-02-01', 5, 0 FROM account WHERE book_id = {kept_book} "
            "AND code = '5122'"))
    assert audit_codes(engine, kept_book) == ["balance_cache_mismatch"]
    with engine.begin() as conn:
        guards.drop(conn)
        conn.execute(text(f"DELETE FROM account_balance_month WHERE "
                          f"{kept_row(engine, kept_book, '6270')}"))
        guards.install(conn)
    assert audit_codes(engine, kept_book) == ["balance_cache_mismatch"] * 2


def test_posting_after_tampering_adds_to_the_tampered_total(engine: Engine,
                                                           kept_book: int) -> None:
    # ledger.post adds to what is there; the mismatch stays until someone looks.
    with engine.begin() as conn:
        conn.execute(text("UPDATE account_balance_month SET credit_cents = credit_cents + 7 "
                          f"WHERE {kept_row(engine, kept_book, '5121')}"))
    with db.session_scope(engine) as s:
        post_entries(s, kept_book, [EntryDraft("BQ", D(2021, 4, 20), "Frais", (
            Line("6270", Money(100)), Line("5121", Money(-100))))])
    with db.session_scope(engine, write=False) as s:
        assert [(code, month) for _, month, *_ in balances.differences(s, kept_book)
                for code in ["5121"]] == [("5121", D(2021, 4, 1))]
        assert balances.differences(s, kept_book)[0][2:] == ((10_000, 607), (10_000, 600))


# -- the migration's backfill --------------------------------------------------------------------

def test_the_migration_fills_the_kept_balances_from_the_postings(engine: Engine,
                                                                kept_book: int) -> None:
    with db.session_scope(engine) as s:
        post_entries(s, kept_book, [EntryDraft("AN", FOUNDED, "Reprise", (
            Line("5122", Money(300)), Line("471", Money(-300))))], allow_opening=True)
        close_year(s, kept_book, 2021, allocation=carry_forward("110", "119"))
    with db.session_scope(engine, write=False) as s:
        before = balances.stored(s, kept_book)
    migrate.downgrade(engine, "0012")
    with engine.connect() as conn:
        assert "account_balance_month" not in conn.dialect.get_table_names(conn)
    migrate.upgrade(engine)
    with db.session_scope(engine, write=False) as s:
        assert balances.stored(s, kept_book) == before
        assert len(before) >= 5  # 5121, 471, 6270, 5122 and the closing's accounts
        assert check_book(s, kept_book) == []
    with engine.connect() as conn:
        assert guards.missing(conn) == []
