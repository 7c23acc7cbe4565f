"""check_book() (ledger.audit) finds what got past the guards.

A clean book (entries in two journals, an idempotency key, reversals, a closed year with its
à-nouveaux) audits to []. Each corruption is then made as an attacker would: drop the guards
(ledger.guards.drop), edit rows with raw SQL, put the guards back; the audit must name the
broken rule and the entry. Last, the same through the CLI: ``cigales check --format json``.
Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, text

from cigales import db
from cigales.cli.entry import run
from ledger import guards
from ledger.audit import AuditIssue, check_book
from ledger.closing import carry_forward, close_year
from ledger.post import canonical, chain_hash, post_entries, post_entry, reverse_entry
from tests.helpers import draft, make_club

D = dt.date


@dataclass(frozen=True)
class Ref:
    id: int
    journal: str
    number: int

    @property
    def ref(self) -> str:
        return f"{self.journal} {self.number}"


@dataclass(frozen=True)
class Book:
    id: int
    entries: dict[str, Ref]  # by a name used in the tests


def audit(engine: Engine, book_id: int) -> list[AuditIssue]:
    with db.session_scope(engine, write=False) as s:
        return check_book(s, book_id)


def found(engine: Engine, book_id: int) -> set[tuple[str, str | None]]:
    return {(i.code, i.entry) for i in audit(engine, book_id)}


def tamper(engine: Engine, *statements: str, restore_guards: bool = True) -> None:
    """What an attacker with the database file does: drop the guards, edit, restore them."""
    with engine.begin() as conn:
        guards.drop(conn)
        for sql in statements:
            conn.execute(text(sql))
        if restore_guards:
            guards.install(conn)


def build_book(engine: Engine, slug: str = "les-fourmis") -> Book:
    club = make_club(engine, slug)
    b = club.book_id
    refs: dict[str, Ref] = {}

    def keep(name: str, posted) -> None:
        refs[name] = Ref(posted.id, posted.journal, posted.number)

    with db.session_scope(engine) as s:
        first = post_entries(s, b, [
            draft(D(2021, 4, 1), ("5121", "100"), ("471", "-100"), label="Apports"),
            draft(D(2021, 6, 1), ("6270", "5"), ("5121", "-5"), label="Frais bancaires"),
            draft(D(2021, 9, 1), ("5122", "20"), ("5121", "-20"), journal="OD",
                  label="Virement au livret"),
        ])
        for name, p in zip(("apports", "frais", "livret"), first, strict=True):
            keep(name, p)
        keep("frais_rev", reverse_entry(s, b, "BQ", refs["frais"].number, D(2021, 7, 1)))
        post_entry(s, b, draft(D(2021, 11, 1), ("6270", "3"), ("5121", "-3")))
        closing = close_year(s, b, 2021, allocation=carry_forward("110", "119"))
        assert closing.opening_entry is not None
        keep("an", closing.opening_entry)
        keep("keyed", post_entry(s, b, draft(D(2022, 2, 1), ("5121", "50"), ("471", "-50"),
                                           label="Apport identifié", key="k-2022-1")))
        keep("interest", post_entry(s, b, draft(D(2022, 3, 1), ("5122", "0,37"),
                                                ("7680", "-0,37"), label="Intérêts")))
        keep("keyed_rev", reverse_entry(s, b, "BQ", refs["keyed"].number, D(2022, 4, 1)))
        keep("last", post_entry(s, b, draft(D(2022, 5, 1), ("471", "10"), ("5122", "-10"),
                                          journal="OD", label="Régularisation")))
    return Book(b, refs)


@pytest.fixture
def book(engine: Engine) -> Book:
    return build_book(engine)


def ids(book: Book, name: str) -> int:
    return book.entries[name].id


def ref(book: Book, name: str) -> str:
    return book.entries[name].ref


# -- a clean book ------------------------------------------------------------------------------
def test_clean_book_has_no_issues(engine, book):
    assert audit(engine, book.id) == []
    with engine.connect() as conn:
        counts = dict(conn.execute(text(
            f"SELECT journal, COUNT(*) FROM entry WHERE book_id = {book.id} GROUP BY journal"
        )).all())
        closed = conn.execute(text(
            f"SELECT year FROM fiscal_year WHERE book_id = {book.id} AND closed = "
            f"{'1' if engine.dialect.name == 'sqlite' else 'true'}")).scalars().all()
    # What the clean book is made of: 2 reversals, a closed 2021 and its à-nouveaux.
    assert counts == {"BQ": 7, "OD": 4, "AN": 1}
    assert closed == [2021]
    assert ref(book, "an") == "AN 1"


def test_empty_book_has_no_issues(engine):
    club = make_club(engine)
    assert audit(engine, club.book_id) == []


# -- corruptions ---------------------------------------------------------------------------------
def test_consistent_amount_change_is_a_hash_mismatch(engine, book):
    tamper(engine, "UPDATE posting SET amount_cents = amount_cents * 100 "
                   f"WHERE entry_id = {ids(book, 'interest')}")
    assert found(engine, book.id) == {
        ("hash_mismatch", ref(book, "interest")),
        # The kept balances (ledger.balances) still hold the amounts the postings had.
        ("balance_cache_mismatch", None),
    }


def test_changing_one_posting_breaks_the_balance_and_the_hash(engine, book):
    tamper(engine, "UPDATE posting SET amount_cents = 1 "
                   f"WHERE entry_id = {ids(book, 'interest')} AND line_no = 1")
    issues = audit(engine, book.id)
    assert {(i.code, i.entry) for i in issues} == {
        ("entry_must_balance", ref(book, "interest")),
        ("hash_mismatch", ref(book, "interest")),
        ("book_must_balance", None),
        # The kept balances (ledger.balances) still hold the amounts the postings had.
        ("balance_cache_mismatch", None),
    }
    unbalanced = next(i for i in issues if i.code == "entry_must_balance")
    assert unbalanced.detail == "lines sum to -0.36"


def test_deleting_the_last_entry_leaves_counter_and_head_behind(engine, book):
    last = ids(book, "last")
    assert ref(book, "last") == "OD 4"
    tamper(engine, f"DELETE FROM posting WHERE entry_id = {last}",
           f"DELETE FROM entry WHERE id = {last}")
    issues = audit(engine, book.id)
    assert {(i.code, i.entry) for i in issues} == {
        ("numbering_counter_mismatch", None),
        ("chain_head_mismatch", None),
        # The kept balances (ledger.balances) still hold the amounts the postings had.
        ("balance_cache_mismatch", None),
    }
    counter = next(i for i in issues if i.code == "numbering_counter_mismatch")
    assert counter.detail == "journal OD counter is 4, last entry is 3"


def test_deleting_a_middle_entry_breaks_numbering_and_chain(engine, book):
    gone = ids(book, "interest")
    tamper(engine, f"DELETE FROM posting WHERE entry_id = {gone}",
           f"DELETE FROM entry WHERE id = {gone}")
    codes = found(engine, book.id)
    # The entry after it in the chain (the reversal of the keyed entry) no longer links up.
    assert ("chain_broken", ref(book, "keyed_rev")) in codes
    assert ("chain_sequence_gap", ref(book, "keyed_rev")) in codes
    assert ("numbering_gap", None) in codes
    assert ("chain_head_mismatch", None) in codes


def test_label_change_is_a_hash_mismatch(engine, book):
    tamper(engine, f"UPDATE entry SET label = 'Autre chose' WHERE id = {ids(book, 'interest')}")
    assert found(engine, book.id) == {("hash_mismatch", ref(book, "interest"))}


def test_label_change_of_a_keyed_entry_also_breaks_its_idempotency_record(engine, book):
    tamper(engine, f"UPDATE entry SET label = 'Autre chose' WHERE id = {ids(book, 'keyed')}")
    assert found(engine, book.id) == {
        ("hash_mismatch", ref(book, "keyed")),
        ("idempotency_digest_mismatch", ref(book, "keyed")),
    }


def test_date_change_is_a_hash_mismatch(engine, book):
    tamper(engine, f"UPDATE entry SET date = '2022-03-02' WHERE id = {ids(book, 'interest')}")
    assert found(engine, book.id) == {("hash_mismatch", ref(book, "interest"))}


def test_counter_change_is_a_numbering_counter_mismatch(engine, book):
    tamper(engine, "UPDATE journal_counter SET last_number = last_number + 1 "
                   f"WHERE book_id = {book.id} AND journal = 'BQ'")
    issues = audit(engine, book.id)
    assert [(i.code, i.entry, i.detail) for i in issues] == [
        ("numbering_counter_mismatch", None, "journal BQ counter is 8, last entry is 7")]


def test_dropped_guards_are_reported(engine, book):
    tamper(engine, restore_guards=False)
    expected = guards.expected_triggers(engine.dialect.name)
    issues = audit(engine, book.id)
    assert [i.code for i in issues] == ["guard_missing"] * len(expected)
    assert [i.detail for i in issues] == [f"database guard {n} is missing" for n in expected]


def test_tampered_reversal_no_longer_mirrors_its_original(engine, book):
    tamper(engine, "UPDATE posting SET amount_cents = amount_cents * 2 "
                   f"WHERE entry_id = {ids(book, 'keyed_rev')}")
    assert found(engine, book.id) == {
        ("hash_mismatch", ref(book, "keyed_rev")),
        ("reversal_mismatch", ref(book, "keyed_rev")),
        # The kept balances (ledger.balances) still hold the amounts the postings had.
        ("balance_cache_mismatch", None),
    }


def test_editing_a_closed_year_breaks_its_opening_entry(engine, book):
    tamper(engine, "UPDATE posting SET amount_cents = amount_cents * 2 "
                   f"WHERE entry_id = {ids(book, 'apports')}")
    assert found(engine, book.id) == {
        ("hash_mismatch", ref(book, "apports")),
        ("opening_entry_mismatch", ref(book, "an")),
        # The kept balances (ledger.balances) still hold the amounts the postings had.
        ("balance_cache_mismatch", None),
    }


def test_unsealed_entry_is_reported(engine, book):
    false = "0" if engine.dialect.name == "sqlite" else "false"
    tamper(engine, f"UPDATE entry SET sealed = {false} WHERE id = {ids(book, 'interest')}")
    assert found(engine, book.id) == {("entry_not_sealed", ref(book, "interest"))}


def test_rehashing_one_entry_breaks_the_link_to_the_next(engine, book):
    # A smarter attacker recomputes the edited entry's own hash; the next entry still points
    # at the old one.
    target = ids(book, "interest")
    with engine.connect() as conn:
        seq, day, prev = conn.execute(text(
            f"SELECT seq, date, prev_hash FROM entry WHERE id = {target}")).one()
        lines = [tuple(r) for r in conn.execute(text(
            "SELECT a.code, p.amount_cents FROM posting p JOIN account a ON a.id = p.account_id "
            f"WHERE p.entry_id = {target} ORDER BY p.line_no"))]
    day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
    number = book.entries["interest"].number
    new_hash = chain_hash(prev, canonical("les-fourmis", "BQ", number, seq, day, "Autre chose",
                                          None, lines))
    tamper(engine, f"UPDATE entry SET label = 'Autre chose', hash = '{new_hash}' "
                   f"WHERE id = {target}")
    assert found(engine, book.id) == {("chain_broken", ref(book, "keyed_rev"))}


def test_corruption_of_one_book_does_not_leak_into_another(engine, book):
    other = build_book(engine, "autre-club")
    tamper(engine, f"UPDATE entry SET label = 'x' WHERE id = {ids(book, 'interest')}")
    assert audit(engine, other.id) == []
    assert found(engine, book.id) == {("hash_mismatch", ref(book, "interest"))}


# -- through the CLI -----------------------------------------------------------------------------
def cli_check(database_url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    capsys.readouterr()
    code = run(["--db", database_url, "check", "--club", "les-fourmis", "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_cli_check_passes_then_fails_with_exit_code_4(engine, database_url, book, capsys):
    code, payload = cli_check(database_url, capsys)
    assert (code, payload) == (0, {"ok": True, "issues": []})

    tamper(engine, "UPDATE posting SET amount_cents = amount_cents * 100 "
                   f"WHERE entry_id = {ids(book, 'interest')}")
    code, payload = cli_check(database_url, capsys)
    assert code == 4
    assert payload["ok"] is False
    assert payload["issues"][0] == {
        "code": "hash_mismatch",
        "detail": "entry content differs from what was hashed",
        "entry": ref(book, "interest"),
    }
    # The kept balances of March 2022 still hold the 0.37 of interest the postings had.
    assert sorted(payload["issues"][1:], key=lambda i: i["detail"]) == [
        {"code": "balance_cache_mismatch", "entry": None,
         "detail": "account 5122, 2022-03: kept debit 0.37 credit 0.00, postings debit 37.00 "
                   "credit 0.00"},
        {"code": "balance_cache_mismatch", "entry": None,
         "detail": "account 7680, 2022-03: kept debit 0.00 credit 0.37, postings debit 0.00 "
                   "credit 37.00"},
    ]


def test_cli_check_reports_missing_guards(engine, database_url, book, capsys):
    tamper(engine, restore_guards=False)
    code, payload = cli_check(database_url, capsys)
    assert code == 4
    assert payload["ok"] is False
    assert {i["code"] for i in payload["issues"]} == {"guard_missing"}
    assert len(payload["issues"]) == len(guards.expected_triggers(engine.dialect.name))
