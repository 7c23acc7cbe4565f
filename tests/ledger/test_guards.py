"""The database guards (ledger.guards) refuse bad writes made with RAW SQL.

Every write here bypasses the ORM and the Python checks of ledger.post: it is plain SQL sent
through ``engine.begin()``. Each refusal is asserted twice: the database raises an error whose
message carries the guard's rule code, and a snapshot of every ledger table is unchanged.
Runs on SQLite and on PostgreSQL (the ``engine`` fixture is parametrized over backends).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from cigales import db
from ledger import guards
from ledger.closing import close_year
from ledger.post import post_entry
from tests.helpers import draft, make_club

TABLES = ("book", "account", "fiscal_year", "journal_counter", "entry", "posting")


@dataclass(frozen=True)
class Book:
    id: int
    accounts: dict[str, int]
    sealed_id: int  # BQ 3, dated 2022-02-01 (open year), lines 5121 +50.00 / 471 -50.00
    sealed_postings: tuple[int, int]


def sql_bool(engine: Engine, value: bool) -> str:
    """A boolean literal for raw SQL: 1/0 on SQLite, true/false on PostgreSQL."""
    if engine.dialect.name == "sqlite":
        return "1" if value else "0"
    return "true" if value else "false"


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {
            t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1, 2"))]
            for t in TABLES
        }


def run_sql(engine: Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))


def refused(engine: Engine, *statements: str) -> str:
    """Run the statements in one transaction; they must fail. Returns the DB's message."""
    with pytest.raises(DBAPIError) as info:
        run_sql(engine, *statements)
    return str(info.value.orig)


def assert_refused(engine: Engine, code: str, *statements: str) -> None:
    before = snapshot(engine)
    message = refused(engine, *statements)
    assert code in message
    assert guards.guard_code(message) == code
    assert snapshot(engine) == before


def insert_entry_sql(engine: Engine, book_id: int, *, day: str = "2022-05-01",
                     sealed: bool = False, number: int = 999, seq: int = 999) -> str:
    return (
        "INSERT INTO entry (book_id, journal, number, seq, date, label, sealed, prev_hash, "
        "hash, content_digest) VALUES "
        f"({book_id}, 'OD', {number}, {seq}, '{day}', 'raw', {sql_bool(engine, sealed)}, "
        f"'{'0' * 64}', '{'a' * 64}', '{'b' * 64}')"
    )


def posting_sql(entry_id: int, line_no: int, account_id: int, cents: int) -> str:
    return ("INSERT INTO posting (entry_id, line_no, account_id, amount_cents) VALUES "
            f"({entry_id}, {line_no}, {account_id}, {cents})")


def raw_entry(engine: Engine, book: Book, *lines: tuple[str, int], day: str = "2022-05-01",
              number: int = 999, seq: int = 999) -> int:
    """Insert (and commit) an UNSEALED entry with the given postings by raw SQL."""
    with engine.begin() as conn:
        conn.execute(text(insert_entry_sql(engine, book.id, day=day, number=number, seq=seq)))
        entry_id = conn.execute(
            text(f"SELECT id FROM entry WHERE book_id = {book.id} AND seq = {seq}")
        ).scalar_one()
        for n, (code, cents) in enumerate(lines, start=1):
            conn.execute(text(posting_sql(entry_id, n, book.accounts[code], cents)))
    return entry_id


def seal_sql(engine: Engine, entry_id: int) -> str:
    return f"UPDATE entry SET sealed = {sql_bool(engine, True)} WHERE id = {entry_id}"


def is_sealed(engine: Engine, entry_id: int) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text(f"SELECT sealed FROM entry WHERE id = {entry_id}"))
                    .scalar_one())


@pytest.fixture
def book(engine: Engine) -> Book:
    """A club whose 2021 is closed (with entries) and 2022 open, with one sealed 2022 entry."""
    club = make_club(engine)
    with db.session_scope(engine) as s:
        post_entry(s, club.book_id, draft(dt.date(2021, 4, 1), ("5121", "100"), ("471", "-100")))
        post_entry(s, club.book_id, draft(dt.date(2021, 6, 1), ("6270", "5"), ("5121", "-5")))
        close_year(s, club.book_id, 2021)
        sealed = post_entry(s, club.book_id,
                            draft(dt.date(2022, 2, 1), ("5121", "50"), ("471", "-50")))
    with engine.connect() as conn:
        accounts = dict(conn.execute(
            text(f"SELECT code, id FROM account WHERE book_id = {club.book_id}")).all())
        posting_ids = tuple(conn.execute(
            text(f"SELECT id FROM posting WHERE entry_id = {sealed.id} ORDER BY line_no")
        ).scalars())
        closed = conn.execute(text(
            f"SELECT year, closed FROM fiscal_year WHERE book_id = {club.book_id} ORDER BY year"
        )).all()
    assert [(y, bool(c)) for y, c in closed] == [(2021, True), (2022, False)]
    assert len(posting_ids) == 2
    assert is_sealed(engine, sealed.id)
    return Book(club.book_id, accounts, sealed.id, posting_ids)


# -- sealing -----------------------------------------------------------------------------------
def test_positive_control_balanced_raw_entry_can_be_sealed(engine, book):
    entry_id = raw_entry(engine, book, ("5121", 1234), ("471", -1000), ("6270", -234))
    assert not is_sealed(engine, entry_id)
    run_sql(engine, seal_sql(engine, entry_id))
    assert is_sealed(engine, entry_id)
    # ... and once sealed it is immutable like any other.
    assert_refused(engine, "sealed_entry_immutable",
                   f"UPDATE entry SET label = 'x' WHERE id = {entry_id}")


def test_sealing_an_unbalanced_entry_is_refused(engine, book):
    entry_id = raw_entry(engine, book, ("5121", 1000), ("471", -900))
    assert_refused(engine, "entry_must_balance", seal_sql(engine, entry_id))
    assert not is_sealed(engine, entry_id)


def test_sealing_an_entry_with_one_posting_is_refused(engine, book):
    entry_id = raw_entry(engine, book, ("5121", 1000))
    assert_refused(engine, "entry_needs_two_lines", seal_sql(engine, entry_id))
    assert not is_sealed(engine, entry_id)


def test_sealing_an_entry_without_postings_is_refused(engine, book):
    entry_id = raw_entry(engine, book)
    assert_refused(engine, "entry_needs_two_lines", seal_sql(engine, entry_id))


def test_inserting_an_entry_already_sealed_is_refused(engine, book):
    assert_refused(engine, "entry_must_be_inserted_unsealed",
                   insert_entry_sql(engine, book.id, sealed=True))


def test_insert_then_seal_unbalanced_in_one_transaction_leaves_nothing(engine, book):
    # The attacker's one-shot: insert, add unbalanced lines, seal, all in one transaction.
    before = snapshot(engine)
    with pytest.raises(DBAPIError) as info, engine.begin() as conn:
        conn.execute(text(insert_entry_sql(engine, book.id)))
        entry_id = conn.execute(
            text(f"SELECT id FROM entry WHERE book_id = {book.id} AND seq = 999")).scalar_one()
        conn.execute(text(posting_sql(entry_id, 1, book.accounts["5121"], 700)))
        conn.execute(text(posting_sql(entry_id, 2, book.accounts["471"], -600)))
        conn.execute(text(seal_sql(engine, entry_id)))
    assert "entry_must_balance" in str(info.value.orig)
    assert snapshot(engine) == before


# -- sealed entries and their postings are immutable --------------------------------------------
def test_update_of_a_sealed_entry_label_is_refused(engine, book):
    assert_refused(engine, "sealed_entry_immutable",
                   f"UPDATE entry SET label = 'forged' WHERE id = {book.sealed_id}")


def test_unsealing_a_sealed_entry_is_refused(engine, book):
    assert_refused(engine, "sealed_entry_immutable",
                   f"UPDATE entry SET sealed = {sql_bool(engine, False)} "
                   f"WHERE id = {book.sealed_id}")


def test_delete_of_a_sealed_entry_is_refused(engine, book):
    assert_refused(engine, "sealed_entry_immutable",
                   f"DELETE FROM posting WHERE entry_id = {book.sealed_id}",
                   f"DELETE FROM entry WHERE id = {book.sealed_id}")
    assert_refused(engine, "sealed_entry_immutable",
                   f"DELETE FROM entry WHERE id = {book.sealed_id}")


def test_update_of_a_posting_amount_of_a_sealed_entry_is_refused(engine, book):
    first, _second = book.sealed_postings
    assert_refused(engine, "sealed_entry_immutable",
                   f"UPDATE posting SET amount_cents = 99999 WHERE id = {first}")
    # Changing both lines consistently (the entry would still balance) is refused too.
    assert_refused(engine, "sealed_entry_immutable",
                   f"UPDATE posting SET amount_cents = amount_cents * 2 "
                   f"WHERE entry_id = {book.sealed_id}")


def test_moving_a_posting_of_a_sealed_entry_to_another_account_is_refused(engine, book):
    first, _second = book.sealed_postings
    assert_refused(engine, "sealed_entry_immutable",
                   f"UPDATE posting SET account_id = {book.accounts['5122']} WHERE id = {first}")


def test_delete_of_a_posting_of_a_sealed_entry_is_refused(engine, book):
    _first, second = book.sealed_postings
    assert_refused(engine, "sealed_entry_immutable", f"DELETE FROM posting WHERE id = {second}")


def test_insert_of_a_posting_into_a_sealed_entry_is_refused(engine, book):
    assert_refused(engine, "sealed_entry_immutable",
                   posting_sql(book.sealed_id, 3, book.accounts["5121"], 100),
                   posting_sql(book.sealed_id, 4, book.accounts["471"], -100))


def test_moving_a_posting_into_a_sealed_entry_is_refused(engine, book):
    entry_id = raw_entry(engine, book, ("5121", 100), ("471", -100))
    assert_refused(engine, "sealed_entry_immutable",
                   f"UPDATE posting SET entry_id = {book.sealed_id}, line_no = 3 "
                   f"WHERE entry_id = {entry_id} AND line_no = 1")


def test_truncate_of_sealed_entries_is_refused(engine, book):
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has no TRUNCATE; DELETE goes through the row triggers")
    assert_refused(engine, "sealed_entry_immutable", "TRUNCATE posting, entry CASCADE")


# -- zero postings -------------------------------------------------------------------------------
def test_zero_posting_is_refused(engine, book):
    entry_id = raw_entry(engine, book, ("5121", 100))
    assert_refused(engine, "posting_must_not_be_zero",
                   posting_sql(entry_id, 2, book.accounts["471"], 0))


def test_updating_a_posting_to_zero_is_refused_with_its_code(engine, book):
    entry_id = raw_entry(engine, book, ("5121", 100), ("471", -100))
    assert_refused(engine, "posting_must_not_be_zero",
                   f"UPDATE posting SET amount_cents = 0 WHERE entry_id = {entry_id} "
                   "AND line_no = 1")


def test_zero_posting_is_still_refused_by_the_check_constraint_without_triggers(engine, book):
    entry_id = raw_entry(engine, book, ("5121", 100))
    with engine.begin() as conn:
        guards.drop(conn)
    before = snapshot(engine)
    message = refused(engine, posting_sql(entry_id, 2, book.accounts["471"], 0))
    assert "amount_not_zero" in message
    assert snapshot(engine) == before


# -- closed fiscal years --------------------------------------------------------------------------
def test_inserting_an_entry_dated_in_a_closed_year_is_refused(engine, book):
    for day in ("2021-03-15", "2021-06-01", "2021-12-31"):
        assert_refused(engine, "fiscal_year_closed",
                       insert_entry_sql(engine, book.id, day=day))
    # The day after the closed year is open: the same raw insert goes through.
    run_sql(engine, insert_entry_sql(engine, book.id, day="2022-01-01"))


def test_reopening_a_closed_fiscal_year_is_refused(engine, book):
    assert_refused(engine, "fiscal_year_closed",
                   f"UPDATE fiscal_year SET closed = {sql_bool(engine, False)} "
                   f"WHERE book_id = {book.id} AND year = 2021")


def test_moving_the_dates_of_a_closed_fiscal_year_is_refused(engine, book):
    assert_refused(engine, "fiscal_year_closed",
                   f"UPDATE fiscal_year SET end_date = '2021-06-30' "
                   f"WHERE book_id = {book.id} AND year = 2021")


def test_deleting_a_closed_fiscal_year_is_refused(engine, book):
    assert_refused(engine, "fiscal_year_closed",
                   f"DELETE FROM fiscal_year WHERE book_id = {book.id} AND year = 2021")


def test_redating_an_unsealed_entry_into_a_closed_year_is_refused(engine, book):
    entry_id = raw_entry(engine, book, ("5121", 100), ("471", -100))
    assert_refused(engine, "fiscal_year_closed",
                   f"UPDATE entry SET date = '2021-06-01' WHERE id = {entry_id}")


# -- install / drop / missing ---------------------------------------------------------------------
def test_missing_is_empty_on_a_fresh_database(engine):
    with engine.connect() as conn:
        assert guards.missing(conn) == []
        names = guards.expected_triggers(conn.dialect.name)
    # 14 ledger guards + 2 of the kept balances on SQLite; 8 + 2 on PostgreSQL.
    assert len(names) == (16 if engine.dialect.name == "sqlite" else 10)


def test_drop_then_install_restores_every_guard(engine, book):
    with engine.begin() as conn:
        guards.drop(conn)
    with engine.connect() as conn:
        assert guards.missing(conn) == list(guards.expected_triggers(conn.dialect.name))
    # Without guards the same raw write goes through: the guards were what refused it.
    run_sql(engine, f"UPDATE entry SET label = 'forged' WHERE id = {book.sealed_id}")
    with engine.begin() as conn:
        guards.install(conn)
        guards.install(conn)  # idempotent
    with engine.connect() as conn:
        assert guards.missing(conn) == []
    assert_refused(engine, "sealed_entry_immutable",
                   f"UPDATE entry SET label = 'again' WHERE id = {book.sealed_id}")


def test_missing_names_one_dropped_guard(engine):
    name = guards.expected_triggers(engine.dialect.name)[0]
    table = "" if engine.dialect.name == "sqlite" else " ON entry"
    run_sql(engine, f"DROP TRIGGER {name}{table}")
    with engine.connect() as conn:
        assert guards.missing(conn) == [name]


def test_guard_code_maps_messages_back_to_rules():
    assert guards.guard_code("entry_must_balance\nCONTEXT: ...") == "entry_must_balance"
    assert guards.guard_code("(sqlite3.IntegrityError) sealed_entry_immutable") == (
        "sealed_entry_immutable")
    assert guards.guard_code("UNIQUE constraint failed: entry.seq") is None
