"""What the audit finds when a closed year or an idempotency key is edited with raw SQL.

The attacks of issue #14: drop the guards, reopen a closed year (``UPDATE fiscal_year SET
closed = ...``), put the guards back and post into the year; or change / clear an entry's
idempotency key so that a retry would post twice. The chain records the closings (the
à-nouveaux entry) and, from hash version 2, the keys; ``check`` must name the broken rule.
Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from cigales import db
from ledger.post import GENESIS_HASH, HASH_VERSION, canonical, chain_hash, post_entry
from tests.helpers import draft
from tests.ledger.test_audit import audit, book, build_book, cli_check, found, ids, ref, tamper

__all__ = ["book"]  # the fixture, imported for the tests below

D = dt.date


def flag(engine: Engine, value: bool) -> str:
    if engine.dialect.name == "sqlite":
        return "1" if value else "0"
    return "true" if value else "false"


def test_new_entries_are_hashed_with_the_current_version(engine, book):
    with engine.connect() as conn:
        versions = conn.execute(text(
            f"SELECT DISTINCT hash_version FROM entry WHERE book_id = {book.id}")).scalars().all()
    assert versions == [HASH_VERSION] == [2]


def test_reopening_a_closed_year_and_posting_into_it_is_found(engine, database_url, book,
                                                               capsys):
    # 2021 is closed, its à-nouveaux (AN 1) opened 2022. The attacker reopens 2021 behind the
    # guards' back; the program then accepts an entry dated in it.
    tamper(engine, f"UPDATE fiscal_year SET closed = {flag(engine, False)} "
                   f"WHERE book_id = {book.id} AND year = 2021")
    with db.session_scope(engine) as s:
        late = post_entry(s, book.id, draft(D(2021, 6, 1), ("6270", "7"), ("5121", "-7"),
                                            label="Frais oubliés"))
    issues = found(engine, book.id)
    assert ("year_reopened", None) in issues
    assert ("entry_after_closing", f"BQ {late.number}") in issues

    code, payload = cli_check(database_url, capsys)
    assert code == 4
    codes = {i["code"] for i in payload["issues"]}
    assert {"year_reopened", "entry_after_closing"} <= codes
    reopened = next(i for i in payload["issues"] if i["code"] == "year_reopened")
    assert reopened["detail"] == "year 2021 is open, but the chain closed it before AN 1"


def test_closing_the_year_again_after_posting_still_shows_the_late_entry(engine, book):
    tamper(engine, f"UPDATE fiscal_year SET closed = {flag(engine, False)} "
                   f"WHERE book_id = {book.id} AND year = 2021")
    with db.session_scope(engine) as s:
        late = post_entry(s, book.id, draft(D(2021, 12, 30), ("471", "1"), ("5121", "-1")))
    tamper(engine, f"UPDATE fiscal_year SET closed = {flag(engine, True)} "
                   f"WHERE book_id = {book.id} AND year = 2021")
    issues = found(engine, book.id)
    assert issues == {("entry_after_closing", f"BQ {late.number}"),
                      # the à-nouveaux no longer restate the 2021 balances either
                      ("opening_entry_mismatch", ref(book, "an"))}


def test_moving_the_end_of_a_closed_year_is_found(engine, book):
    # Shortening 2021 would let an entry dated in December 2021 pass the date guard.
    tamper(engine, f"UPDATE fiscal_year SET end_date = '2021-06-30' "
                   f"WHERE book_id = {book.id} AND year = 2021")
    issues = audit(engine, book.id)
    assert ("fiscal_year_bounds_mismatch", "year 2021 is stored as 2021-03-15..2021-06-30") in [
        (i.code, i.detail) for i in issues]


def test_deleting_a_closed_year_row_is_found(engine, book):
    tamper(engine, f"DELETE FROM fiscal_year WHERE book_id = {book.id} AND year = 2021")
    assert ("year_reopened", None) in found(engine, book.id)


def test_changing_an_idempotency_key_is_a_hash_mismatch(engine, book):
    tamper(engine, f"UPDATE entry SET idem_key = 'k-autre' WHERE id = {ids(book, 'keyed')}")
    assert found(engine, book.id) == {("hash_mismatch", ref(book, "keyed"))}


def test_clearing_an_idempotency_key_is_found_before_a_retry_posts_twice(engine, database_url,
                                                                         book, capsys):
    tamper(engine, f"UPDATE entry SET idem_key = NULL WHERE id = {ids(book, 'keyed')}")
    assert found(engine, book.id) == {("hash_mismatch", ref(book, "keyed"))}
    code, payload = cli_check(database_url, capsys)
    assert code == 4
    assert payload["issues"] == [{"code": "hash_mismatch",
                                  "detail": "entry content differs from what was hashed",
                                  "entry": ref(book, "keyed")}]


def test_relabelling_an_entry_as_an_old_hash_version_is_found(engine, book):
    # Version 1 did not cover the key; claiming it for a version-2 entry changes the text
    # that is recomputed, and a version may not go down along the chain.
    tamper(engine, f"UPDATE entry SET hash_version = 1, idem_key = NULL "
                   f"WHERE id = {ids(book, 'keyed')}")
    assert found(engine, book.id) == {("hash_mismatch", ref(book, "keyed")),
                                      ("hash_version_downgraded", ref(book, "keyed"))}


def test_unknown_hash_version_is_found(engine, book):
    tamper(engine, f"UPDATE entry SET hash_version = 9 WHERE id = {ids(book, 'interest')}")
    assert found(engine, book.id) == {("hash_version_unknown", ref(book, "interest"))}


def rehash_as_version_1(engine: Engine, book_id: int) -> None:
    """Rewrite a book as a program from before hash version 2 wrote it."""
    with engine.connect() as conn:
        code = conn.execute(text(f"SELECT code FROM book WHERE id = {book_id}")).scalar_one()
        rows = conn.execute(text(
            "SELECT id, journal, number, seq, date, label, reverses_id FROM entry "
            f"WHERE book_id = {book_id} ORDER BY seq")).all()
        refs = {r.id: f"{r.journal}:{r.number}" for r in rows}
        statements = []
        head = GENESIS_HASH
        for r in rows:
            lines = [tuple(x) for x in conn.execute(text(
                "SELECT a.code, p.amount_cents FROM posting p JOIN account a "
                f"ON a.id = p.account_id WHERE p.entry_id = {r.id} ORDER BY p.line_no"))]
            day = r.date if isinstance(r.date, dt.date) else dt.date.fromisoformat(r.date)
            new = chain_hash(head, canonical(code, r.journal, r.number, r.seq, day, r.label,
                                             refs.get(r.reverses_id), lines, version=1))
            statements.append(f"UPDATE entry SET hash_version = 1, prev_hash = '{head}', "
                              f"hash = '{new}' WHERE id = {r.id}")
            head = new
        statements.append(f"UPDATE book SET head_hash = '{head}' WHERE id = {book_id}")
    tamper(engine, *statements)


def test_books_hashed_with_version_1_still_verify_and_continue_with_version_2(engine):
    # Existing books are not rehashed by the migration: their entries keep version 1 and are
    # verified with the form they were hashed with; new entries chain on with version 2.
    old = build_book(engine)
    rehash_as_version_1(engine, old.id)
    assert audit(engine, old.id) == []
    with db.session_scope(engine) as s:
        post_entry(s, old.id, draft(D(2022, 6, 1), ("5121", "1"), ("471", "-1"), key="k-new"))
    assert audit(engine, old.id) == []
    # ... and a version-1 key can still be edited unseen: the limit docs/invariants.md states.
    tamper(engine, f"UPDATE entry SET idem_key = 'k-x' WHERE id = {ids(old, 'keyed')}")
    assert audit(engine, old.id) == []
