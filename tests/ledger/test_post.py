"""ledger.post: numbering, hash chain, every refusal, idempotency, reversals, all-or-nothing.

Every refusal is checked by its ``code`` and by a snapshot of the database taken in a separate
session before and after: an expected error must leave the books exactly as they were.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from cigales import db
from cigales.models import Club
from ledger.closing import close_year
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.post import (
    EntryDraft,
    Line,
    PostedEntry,
    canonical,
    chain_hash,
    post_entries,
    post_entry,
    reverse_entry,
)
from ledger.queries import balance, chain_head
from ledger.schema import GENESIS_HASH, Account, Entry, Posting
from tests.helpers import draft, m, make_club

D = dt.date
ERROR_DAY = D(2022, 3, 1)
REVERSAL_DAY = D(2022, 7, 1)


# -- helpers --------------------------------------------------------------------------------------


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything a write could touch, read in its own (read-only) session."""
    with db.session_scope(engine, write=False) as s:
        def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in s.execute(text(sql)).all()]

        return {
            "entry_count": s.execute(text("SELECT COUNT(*) FROM entry")).scalar_one(),
            "posting_count": s.execute(text("SELECT COUNT(*) FROM posting")).scalar_one(),
            "entries": rows(
                "SELECT seq, journal, number, date, label, hash, prev_hash, sealed "
                "FROM entry ORDER BY seq"
            ),
            "postings": rows(
                "SELECT entry_id, line_no, account_id, amount_cents FROM posting "
                "ORDER BY entry_id, line_no"
            ),
            "fiscal_years": [
                (y, bool(c))
                for y, c in rows("SELECT year, closed FROM fiscal_year ORDER BY year")
            ],
            "counters": rows(
                "SELECT journal, last_number FROM journal_counter ORDER BY journal"
            ),
            "book": rows("SELECT chain_seq, head_hash FROM book ORDER BY id"),
        }


def open_sub_account(engine: Engine, book_id: int, code: str) -> None:
    """A member sub-account written straight into the ledger (these tests bypass the club
    services, which reserve member accounts to the member commands)."""
    with db.session_scope(engine) as s:
        s.execute(insert(Account).values(book_id=book_id, code=code,
                                         label=f"Apports de l'indivisaire {code[5:]}",
                                         postable=True))


def post(engine: Engine, club: Club, *drafts: EntryDraft) -> list[PostedEntry]:
    with db.session_scope(engine) as s:
        return post_entries(s, club.book_id, list(drafts))


def stored_entries(engine: Engine, book_id: int) -> list[Any]:
    """Entry rows (plain named rows, usable after the session ended), in chain order."""
    with db.session_scope(engine, write=False) as s:
        return list(
            s.execute(
                select(Entry.id, Entry.journal, Entry.number, Entry.seq, Entry.date,
                       Entry.label, Entry.sealed, Entry.prev_hash, Entry.hash,
                       Entry.reverses_id)
                .where(Entry.book_id == book_id)
                .order_by(Entry.seq)
            ).all()
        )


def stored_lines(engine: Engine, entry_id: int) -> list[tuple[str, int]]:
    with db.session_scope(engine, write=False) as s:
        return [
            (code, int(cents))
            for code, cents in s.execute(
                select(Account.code, Posting.amount_cents)
                .join(Account, Account.id == Posting.account_id)
                .where(Posting.entry_id == entry_id)
                .order_by(Posting.line_no)
            ).all()
        ]


def numbers_by_journal(engine: Engine, book_id: int) -> dict[str, list[int]]:
    result: dict[str, list[int]] = {}
    for e in stored_entries(engine, book_id):
        result.setdefault(e.journal, []).append(e.number)
    return {j: sorted(ns) for j, ns in result.items()}


def savings(date: D, amount: str = "30", *, key: str | None = None,
            label: str = "Épargne M01") -> EntryDraft:
    return draft(date, ("5121", amount), ("1011-M01", f"-{amount}"), label=label, key=key)


def fee(date: D, amount: str = "4", *, journal: str = "BQ") -> EntryDraft:
    return draft(date, ("6270", amount), ("5121", f"-{amount}"), journal=journal,
                 label="Frais bancaires")


@pytest.fixture
def club(engine: Engine) -> Club:
    c = make_club(engine)
    open_sub_account(engine, c.book_id, "1011-M01")
    return c


# -- numbering ------------------------------------------------------------------------------------


def test_numbering_is_gapless_and_independent_per_journal(engine, club):
    posted = [
        post(engine, club, savings(D(2021, 4, 1)))[0],
        post(engine, club, fee(D(2021, 4, 2), journal="OD"))[0],
        post(engine, club, savings(D(2021, 5, 1)))[0],
        post(engine, club, fee(D(2021, 4, 30)))[0],  # dates need not follow numbers
    ]
    assert [(p.journal, p.number, p.created) for p in posted] == [
        ("BQ", 1, True), ("OD", 1, True), ("BQ", 2, True), ("BQ", 3, True),
    ]
    assert numbers_by_journal(engine, club.book_id) == {"BQ": [1, 2, 3], "OD": [1]}
    assert snapshot(engine)["counters"] == [("BQ", 3), ("OD", 1)]


def test_numbering_inside_one_batch_continues_per_journal(engine, club):
    post(engine, club, savings(D(2021, 4, 1)))
    batch = post(engine, club, fee(D(2021, 4, 2), journal="OD"), savings(D(2021, 5, 1)),
                 fee(D(2021, 5, 2), journal="OD"), savings(D(2021, 6, 1)))
    assert [(p.journal, p.number) for p in batch] == [("OD", 1), ("BQ", 2), ("OD", 2), ("BQ", 3)]
    assert numbers_by_journal(engine, club.book_id) == {"BQ": [1, 2, 3], "OD": [1, 2]}


def test_refused_posts_consume_no_number(engine, club):
    post(engine, club, savings(D(2021, 4, 1)))
    for bad in (
        draft(D(2021, 4, 2), ("5121", "10"), ("1011-M01", "-9")),
        draft(D(2021, 4, 2), ("5121", "10"), ("9999", "-10")),
    ):
        with pytest.raises(LedgerError), db.session_scope(engine) as s:
            post_entry(s, club.book_id, bad)
    second = post(engine, club, savings(D(2021, 4, 3)))[0]
    assert (second.journal, second.number) == ("BQ", 2)
    assert numbers_by_journal(engine, club.book_id) == {"BQ": [1, 2]}


# -- hash chain -----------------------------------------------------------------------------------


def test_hash_chain_links_every_entry_in_chain_order(engine, club):
    returned = [
        *post(engine, club, savings(D(2021, 4, 1))),
        *post(engine, club, fee(D(2021, 4, 2), journal="OD")),
        *post(engine, club, savings(D(2021, 5, 1)), fee(D(2021, 5, 2)), savings(D(2021, 6, 1))),
    ]
    with db.session_scope(engine) as s:
        returned.append(reverse_entry(s, club.book_id, "BQ", 1, D(2021, 7, 1)))

    entries = stored_entries(engine, club.book_id)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert [(e.journal, e.number) for e in entries] == [
        ("BQ", 1), ("OD", 1), ("BQ", 2), ("BQ", 3), ("BQ", 4), ("BQ", 5),
    ]
    assert [e.hash for e in entries] == [p.hash for p in returned]
    assert entries[0].prev_hash == GENESIS_HASH == "0" * 64
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in entries}) == 6
    assert all(e.sealed for e in entries)

    # Each hash is sha256(previous hash + canonical entry), recomputable from the rows.
    refs = {e.id: f"{e.journal}:{e.number}" for e in entries}
    for e in entries:
        text_ = canonical(club.slug, e.journal, e.number, e.seq, e.date, e.label,
                          refs.get(e.reverses_id) if e.reverses_id else None,
                          stored_lines(engine, e.id))
        assert chain_hash(e.prev_hash, text_) == e.hash
    assert entries[-1].reverses_id == entries[0].id

    with db.session_scope(engine, write=False) as s:
        assert chain_head(s, club.book_id) == (6, entries[-1].hash)


def test_chain_head_of_an_empty_book_is_genesis(engine, club):
    with db.session_scope(engine, write=False) as s:
        assert chain_head(s, club.book_id) == (0, GENESIS_HASH)


def test_hash_depends_on_content(engine, club):
    first = post(engine, club, savings(D(2021, 4, 1), "30"))[0]
    other = make_club(engine, slug="les-abeilles")
    open_sub_account(engine, other.book_id, "1011-M01")
    same_content = post(engine, other, savings(D(2021, 4, 1), "30"))[0]
    other_amount = post(engine, other, savings(D(2021, 4, 1), "30.01"))[0]
    # Same content in another book still differs (the book code is hashed), and so does
    # a one-cent change.
    assert first.hash != same_content.hash
    assert other_amount.hash != same_content.hash
    assert len(first.hash) == 64


# -- refusals -------------------------------------------------------------------------------------


@pytest.fixture
def seeded(engine: Engine, club: Club) -> Club:
    """BQ 1-2 in 2021 (closed: OD 1, AN 1), BQ 3 reversed by BQ 4, BQ 5 on 2022-06-01."""
    post(engine, club, savings(D(2021, 4, 10)), fee(D(2021, 5, 10)))
    with db.session_scope(engine) as s:
        close_year(s, club.book_id, 2021)
    post(engine, club, savings(D(2022, 2, 10)))
    with db.session_scope(engine) as s:
        rev = reverse_entry(s, club.book_id, "BQ", 3, D(2022, 2, 11))
    assert (rev.journal, rev.number) == ("BQ", 4)
    last = post(engine, club, fee(D(2022, 6, 1)))[0]
    assert (last.journal, last.number) == ("BQ", 5)
    assert numbers_by_journal(engine, club.book_id) == {"AN": [1], "BQ": [1, 2, 3, 4, 5],
                                                        "OD": [1]}
    return club


Action = Callable[[Session, int], object]


def _post(*lines: tuple[str, str], journal: str = "BQ", date: D = ERROR_DAY,
          label: str = "Écriture refusée") -> Action:
    def act(s: Session, book_id: int) -> object:
        return post_entry(s, book_id, EntryDraft(journal, date, label,
                                                 tuple(Line(a, m(x)) for a, x in lines)))
    return act


def _reverse(journal: str, number: int, date: D = REVERSAL_DAY) -> Action:
    def act(s: Session, book_id: int) -> object:
        return reverse_entry(s, book_id, journal, number, date)
    return act


def _batch(*drafts: EntryDraft) -> Action:
    def act(s: Session, book_id: int) -> object:
        return post_entries(s, book_id, list(drafts))
    return act


def _two_calls(first: EntryDraft, second: EntryDraft) -> Action:
    """Two separate calls in one transaction: the second fails, the first must vanish too."""
    def act(s: Session, book_id: int) -> object:
        done = post_entry(s, book_id, first)
        assert done.created
        return post_entry(s, book_id, second)
    return act


GOOD = ("5121", "10"), ("1011-M01", "-10")

ERROR_CASES = [
    pytest.param(_post(("5121", "10"), ("1011-M01", "-9")), "entry_must_balance",
                 {"difference": "1.00"}, id="unbalanced"),
    pytest.param(_post(("5121", "-10.01"), ("1011-M01", "10")), "entry_must_balance",
                 {"difference": "-0.01"}, id="unbalanced-by-a-cent"),
    pytest.param(_post(("5121", "10")), "entry_needs_two_lines", {"count": 1},
                 id="single-line"),
    pytest.param(_post(), "entry_needs_two_lines", {"count": 0}, id="no-line"),
    pytest.param(_post(("5121", "10"), ("1011-M01", "-10"), ("471", "0")),
                 "posting_must_not_be_zero", {"line": 3, "account": "471"}, id="zero-line"),
    pytest.param(_post(("5121", "10"), ("5999", "-10")), "unknown_account",
                 {"account": "5999"}, id="unknown-account"),
    pytest.param(_post(("5121", "10"), ("1011-M99", "-10")), "unknown_account",
                 {"account": "1011-M99"}, id="unknown-sub-account"),
    pytest.param(_post(("5121", "10"), ("1011", "-10")), "account_not_postable",
                 {"account": "1011"}, id="collective-account"),
    pytest.param(_post(*GOOD, journal="XX"), "unknown_journal",
                 {"journal": "XX", "allowed": "BQ, OD"}, id="journal-XX"),
    pytest.param(_post(*GOOD, journal="AN"), "unknown_journal",
                 {"journal": "AN", "allowed": "BQ, OD"}, id="journal-AN"),
    pytest.param(_post(*GOOD, label=""), "label_required", {}, id="empty-label"),
    pytest.param(_post(*GOOD, label="   "), "label_required", {}, id="blank-label"),
    pytest.param(_post(*GOOD, date=D(2021, 3, 14)), "date_before_book_start",
                 {"date": "2021-03-14", "start": "2021-03-15"}, id="day-before-opening"),
    pytest.param(_post(*GOOD, date=D(2020, 12, 31)), "date_before_book_start",
                 {"date": "2020-12-31", "start": "2021-03-15"}, id="year-before-opening"),
    pytest.param(_post(*GOOD, date=D(2021, 6, 1)), "fiscal_year_closed",
                 {"date": "2021-06-01", "year": 2021, "next_open": "2022-01-01"},
                 id="closed-year"),
    pytest.param(_post(*GOOD, date=D(2021, 12, 31)), "fiscal_year_closed",
                 {"year": 2021}, id="closed-year-last-day"),
    pytest.param(_reverse("BQ", 3), "entry_already_reversed",
                 {"journal": "BQ", "number": 3, "by": "BQ 4"}, id="reverse-twice"),
    pytest.param(_reverse("BQ", 4), "cannot_reverse_reversal", {"journal": "BQ", "number": 4},
                 id="reverse-a-reversal"),
    pytest.param(_reverse("BQ", 5, D(2022, 5, 31)), "reversal_before_original",
                 {"original": "2022-06-01", "date": "2022-05-31"}, id="reversal-before-original"),
    pytest.param(_reverse("BQ", 99), "unknown_entry", {"journal": "BQ", "number": 99},
                 id="unknown-entry"),
    pytest.param(_reverse("OD", 2), "unknown_entry", {"journal": "OD", "number": 2},
                 id="unknown-entry-other-journal"),
    pytest.param(_reverse("BQ", 2, D(2021, 12, 1)), "fiscal_year_closed", {"year": 2021},
                 id="reversal-in-closed-year"),
    pytest.param(_reverse("AN", 1), "unknown_journal", {"journal": "AN"},
                 id="reverse-opening-entry"),
    pytest.param(_batch(savings(D(2022, 3, 1)),
                        draft(D(2022, 3, 2), ("5121", "10"), ("1011-M01", "-9"))),
                 "entry_must_balance", {"difference": "1.00"}, id="batch-last-unbalanced"),
    pytest.param(_batch(savings(D(2022, 3, 1)), fee(D(2022, 3, 2), journal="OD"),
                        draft(D(2022, 3, 3), ("5121", "10"), ("4711", "-10"))),
                 "unknown_account", {"account": "4711"}, id="batch-unknown-account"),
    pytest.param(_batch(savings(D(2023, 3, 1)), savings(D(2021, 3, 1))),
                 "date_before_book_start", {}, id="batch-new-year-then-early"),
    pytest.param(_batch(savings(D(2023, 3, 1)), savings(D(2021, 7, 1))),
                 "fiscal_year_closed", {"year": 2021}, id="batch-new-year-then-closed"),
    pytest.param(_two_calls(savings(D(2023, 3, 1)), fee(D(2021, 7, 1))),
                 "fiscal_year_closed", {"year": 2021}, id="second-call-in-transaction"),
    pytest.param(_two_calls(savings(D(2022, 3, 1)),
                            draft(D(2022, 3, 1), ("5121", "1"), ("1011", "-1"))),
                 "account_not_postable", {"account": "1011"}, id="second-call-collective"),
]


@pytest.mark.parametrize(("action", "code", "params"), ERROR_CASES)
def test_refusal_has_its_code_and_changes_nothing(engine, seeded, action, code, params):
    before = snapshot(engine)
    with pytest.raises(LedgerError) as caught, db.session_scope(engine) as s:
        action(s, seeded.book_id)
    err = caught.value
    assert err.code == code
    assert err.exit_code == 1
    for name, value in params.items():
        assert err.params[name] == value, name
    assert snapshot(engine) == before


def test_refusals_leave_the_next_numbers_unchanged(engine, seeded):
    for action, _code, _params in (p.values for p in ERROR_CASES):
        with pytest.raises(LedgerError), db.session_scope(engine) as s:
            action(s, seeded.book_id)
    nxt = post(engine, seeded, savings(D(2022, 8, 1)), fee(D(2022, 8, 2), journal="OD"))
    assert [(p.journal, p.number) for p in nxt] == [("BQ", 6), ("OD", 2)]
    with db.session_scope(engine, write=False) as s:
        assert chain_head(s, seeded.book_id)[0] == 9  # 5 BQ + OD 1 + AN 1 + 2 new


def test_float_amounts_are_refused_before_anything(engine, club):
    before = snapshot(engine)
    with pytest.raises(TypeError, match="float"):
        Line("5121", 10.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Line("5121", 1000)  # type: ignore[arg-type]
    assert snapshot(engine) == before


def test_opening_journal_only_with_allow_opening(engine, club):
    an = EntryDraft("AN", D(2021, 4, 1), "À-nouveaux repris", tuple(
        Line(a, m(x)) for a, x in (("5121", "100"), ("1011-M01", "-100"))))
    with pytest.raises(LedgerError) as caught, db.session_scope(engine) as s:
        post_entries(s, club.book_id, [an])
    assert caught.value.code == "unknown_journal"
    assert caught.value.params["allowed"] == "BQ, OD"
    with db.session_scope(engine) as s:
        posted = post_entries(s, club.book_id, [an], allow_opening=True)
    assert [(p.journal, p.number, p.created) for p in posted] == [("AN", 1, True)]
    # AN entries restate balances: they are never counted in balances.
    with db.session_scope(engine, write=False) as s:
        assert balance(s, club.book_id, "5121") == Money(0)


# -- idempotency ----------------------------------------------------------------------------------


def test_same_key_same_content_returns_the_existing_entry(engine, club):
    first = post(engine, club, savings(D(2021, 4, 1), key="import:2021-04:M01"))[0]
    post(engine, club, fee(D(2021, 4, 2)))
    before = snapshot(engine)
    again = post(engine, club, savings(D(2021, 4, 1), key="import:2021-04:M01"))[0]
    assert first.created is True
    assert again.created is False
    assert (again.id, again.journal, again.number, again.date, again.label, again.hash) == (
        first.id, "BQ", 1, D(2021, 4, 1), "Épargne M01", first.hash)
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(savings(D(2021, 4, 1), "31", key="k1"), id="amount"),
        pytest.param(savings(D(2021, 4, 2), key="k1"), id="date"),
        pytest.param(savings(D(2021, 4, 1), key="k1", label="Épargne M02"), id="label"),
        pytest.param(draft(D(2021, 4, 1), ("5121", "30"), ("1011-M01", "-30"), journal="OD",
                           label="Épargne M01", key="k1"), id="journal"),
        pytest.param(draft(D(2021, 4, 1), ("1011-M01", "-30"), ("5121", "30"),
                           label="Épargne M01", key="k1"), id="line-order"),
    ],
)
def test_same_key_other_content_is_a_conflict(engine, club, changed):
    first = post(engine, club, savings(D(2021, 4, 1), key="k1"))[0]
    before = snapshot(engine)
    with pytest.raises(LedgerError) as caught, db.session_scope(engine) as s:
        post_entry(s, club.book_id, changed)
    assert caught.value.code == "idempotency_conflict"
    assert caught.value.exit_code == 3
    assert caught.value.params == {"key": "k1", "journal": "BQ", "number": first.number}
    assert snapshot(engine) == before


def test_key_used_in_a_batch_with_an_existing_key(engine, club):
    first = post(engine, club, savings(D(2021, 4, 1), key="k1"))[0]
    result = post(engine, club, fee(D(2021, 4, 3), journal="OD"),
                  savings(D(2021, 4, 1), key="k1"), savings(D(2021, 4, 5), key="k2"))
    assert [(p.journal, p.number, p.created) for p in result] == [
        ("OD", 1, True), ("BQ", 1, False), ("BQ", 2, True)]
    assert result[1].id == first.id
    assert numbers_by_journal(engine, club.book_id) == {"BQ": [1, 2], "OD": [1]}


def test_duplicate_key_inside_one_batch_writes_once(engine, club):
    result = post(engine, club, savings(D(2021, 4, 1), key="dup"), fee(D(2021, 4, 2)),
                  savings(D(2021, 4, 1), key="dup"))
    assert [(p.journal, p.number, p.created) for p in result] == [
        ("BQ", 1, True), ("BQ", 2, True), ("BQ", 1, False)]
    assert result[2].id == result[0].id
    assert result[2].hash == result[0].hash
    snap = snapshot(engine)
    assert snap["entry_count"] == 2
    assert snap["posting_count"] == 4
    with db.session_scope(engine, write=False) as s:
        assert balance(s, club.book_id, "5121") == m("26")


def test_duplicate_key_with_other_content_inside_one_batch_is_a_conflict(engine, club):
    before = snapshot(engine)
    with pytest.raises(LedgerError) as caught, db.session_scope(engine) as s:
        post_entries(s, club.book_id, [savings(D(2021, 4, 1), key="dup"), fee(D(2021, 4, 2)),
                                       savings(D(2021, 4, 1), "31", key="dup")])
    assert caught.value.code == "idempotency_conflict"
    assert caught.value.exit_code == 3
    assert caught.value.params["key"] == "dup"
    assert snapshot(engine) == before


def test_reversal_with_a_key_is_idempotent(engine, club):
    post(engine, club, savings(D(2021, 4, 1)))
    with db.session_scope(engine) as s:
        rev = reverse_entry(s, club.book_id, "BQ", 1, D(2021, 4, 2), key="rev-1")
    before = snapshot(engine)
    with db.session_scope(engine) as s:
        again = reverse_entry(s, club.book_id, "BQ", 1, D(2021, 4, 2), key="rev-1")
    assert rev.created is True
    assert again.created is False
    assert (again.id, again.number, again.hash) == (rev.id, 2, rev.hash)
    assert snapshot(engine) == before
    # Without the key, a second reversal is refused; with the key but another date, conflict.
    with pytest.raises(LedgerError) as caught, db.session_scope(engine) as s:
        reverse_entry(s, club.book_id, "BQ", 1, D(2021, 4, 2))
    assert caught.value.code == "entry_already_reversed"
    with pytest.raises(LedgerError) as caught, db.session_scope(engine) as s:
        reverse_entry(s, club.book_id, "BQ", 1, D(2021, 4, 3), key="rev-1")
    assert caught.value.code == "idempotency_conflict"
    assert snapshot(engine) == before


def test_replay_after_the_year_was_closed_returns_the_existing_entry(engine, club):
    first = post(engine, club, savings(D(2021, 4, 1), key="k-2021"))[0]
    with db.session_scope(engine) as s:
        rev = reverse_entry(s, club.book_id, "BQ", 1, D(2021, 5, 1), key="rev-2021")
        close_year(s, club.book_id, 2021)
    before = snapshot(engine)
    # A retried request whose answer was lost must not look refused once the year is closed.
    again = post(engine, club, savings(D(2021, 4, 1), key="k-2021"))[0]
    assert (again.id, again.number, again.created) == (first.id, 1, False)
    with db.session_scope(engine) as s:
        rev_again = reverse_entry(s, club.book_id, "BQ", 1, D(2021, 5, 1), key="rev-2021")
    assert (rev_again.id, rev_again.number, rev_again.created) == (rev.id, 2, False)
    # Other content under the key is still a conflict, and a new entry is still refused.
    with pytest.raises(LedgerError) as caught, db.session_scope(engine) as s:
        post_entry(s, club.book_id, savings(D(2021, 4, 1), "31", key="k-2021"))
    assert caught.value.code == "idempotency_conflict"
    with pytest.raises(LedgerError) as caught, db.session_scope(engine) as s:
        post_entry(s, club.book_id, savings(D(2021, 4, 1), key="k-new"))
    assert caught.value.code == "fiscal_year_closed"
    assert snapshot(engine) == before


# -- reversals ------------------------------------------------------------------------------------


def test_reversal_is_the_exact_negation_linked_to_the_original(engine, club):
    original = post(engine, club, draft(
        D(2021, 6, 1), ("6270", "4.50"), ("6180", "12.34"), ("5121", "-16.84"),
        journal="OD", label="Frais juin"))[0]
    post(engine, club, savings(D(2021, 6, 2)))
    with db.session_scope(engine) as s:
        rev = reverse_entry(s, club.book_id, "OD", 1, D(2021, 6, 3))
    assert (rev.journal, rev.number, rev.date, rev.created) == ("OD", 2, D(2021, 6, 3), True)
    assert rev.label == "Extourne OD 1 – Frais juin"
    assert stored_lines(engine, original.id) == [("6270", 450), ("6180", 1234), ("5121", -1684)]
    assert stored_lines(engine, rev.id) == [("6270", -450), ("6180", -1234), ("5121", 1684)]
    by_id = {e.id: e for e in stored_entries(engine, club.book_id)}
    assert by_id[rev.id].reverses_id == original.id
    assert by_id[original.id].reverses_id is None
    with db.session_scope(engine, write=False) as s:
        assert balance(s, club.book_id, "6") == Money(0)
        assert balance(s, club.book_id, "5121") == m("30")


def test_reversal_with_own_label_on_the_same_day(engine, club):
    post(engine, club, savings(D(2021, 6, 1)))
    with db.session_scope(engine) as s:
        rev = reverse_entry(s, club.book_id, "BQ", 1, D(2021, 6, 1), label="Annulation")
    assert (rev.number, rev.label, rev.date) == (2, "Annulation", D(2021, 6, 1))
    assert stored_lines(engine, rev.id) == [("5121", -3000), ("1011-M01", 3000)]


def test_reversal_of_an_entry_from_a_closed_year_goes_in_the_open_year(engine, club):
    post(engine, club, fee(D(2021, 6, 1)))
    with db.session_scope(engine) as s:
        close_year(s, club.book_id, 2021)
    with db.session_scope(engine) as s:
        rev = reverse_entry(s, club.book_id, "BQ", 1, D(2022, 1, 15))
    assert (rev.journal, rev.number) == ("BQ", 2)
    with db.session_scope(engine, write=False) as s:
        assert balance(s, club.book_id, "6270", from_date=D(2022, 1, 1)) == m("-4")
        assert balance(s, club.book_id, "5121") == Money(0)


# -- all or nothing -------------------------------------------------------------------------------


def test_batch_with_one_invalid_draft_writes_nothing(engine, club):
    post(engine, club, savings(D(2021, 4, 1)))
    before = snapshot(engine)
    good = [savings(D(2022, 1, 5), key="a"), fee(D(2022, 1, 6), journal="OD"),
            savings(D(2023, 2, 1))]
    bad = draft(D(2022, 1, 7), ("5121", "5"), ("7680", "-5"), ("1011", "1"), ("471", "-1"))
    with pytest.raises(LedgerError) as caught, db.session_scope(engine) as s:
        post_entries(s, club.book_id, [*good, bad])
    assert caught.value.code == "account_not_postable"
    after = snapshot(engine)
    assert after == before
    # No fiscal year was left behind for 2022 or 2023 either.
    assert after["fiscal_years"] == [(2021, False)]
    # And the same good drafts then go through with the numbers the failed batch would have had.
    done = post(engine, club, *good)
    assert [(p.journal, p.number) for p in done] == [("BQ", 2), ("OD", 1), ("BQ", 3)]


def test_session_scope_rolls_back_earlier_posts_of_the_transaction(engine, club):
    before = snapshot(engine)
    with pytest.raises(LedgerError), db.session_scope(engine) as s:
        post_entry(s, club.book_id, savings(D(2021, 4, 1)))
        post_entry(s, club.book_id, fee(D(2021, 4, 2)))
        assert s.execute(select(func.count()).select_from(Entry)).scalar_one() == 2
        post_entry(s, club.book_id, savings(D(2021, 4, 3), "0"))
    assert snapshot(engine) == before
