"""A hypothesis state machine over one book: post, refuse, reverse, replay and close years.

The machine keeps its own model of the books in plain Python (every posting with its date, the
entries per journal, which ones are reversed, the keys used) and after every step checks the
ledger against it and against its invariants: the book sums to zero, the trial balance
balances, numbering is 1..n per journal, the audit finds nothing, and every account's balance
is the model's. Each run gets a fresh database: a temporary SQLite file, or its own
PostgreSQL schema when CIGALES_TEST_PG_URL is set.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, insert, select, text

from cigales import db, migrate
from ledger.audit import check_book
from ledger.closing import carry_forward, close_year
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.post import EntryDraft, Line, post_entries, post_entry, reverse_entry
from ledger.queries import balances_by_account, chain_head, journal, trial_balance
from ledger.schema import Account, Entry, Posting
from tests.helpers import make_club
from tests.scratch import ScratchDatabase

PG_URL = os.environ.get("CIGALES_TEST_PG_URL")
FOUNDED = dt.date(2021, 3, 15)
ACCOUNTS = ("5121", "5122", "6270", "7680", "471", "110", "1011-M01")
LABELS = ("Épargne", "Frais bancaires", "Intérêts", "Virement", "Ligne à identifier")
LAST_YEAR_TO_CLOSE = 2030

SETTINGS = settings(
    max_examples=10,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

Lines = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ModelEntry:
    journal: str
    number: int
    date: dt.date
    lines: Lines
    is_reversal: bool = False
    reversed: bool = False


def _draft(journal: str, date: dt.date, label: str, lines: Lines,
           key: str | None = None) -> EntryDraft:
    return EntryDraft(journal, date, label, tuple(Line(a, Money(c)) for a, c in lines), key=key)


class LedgerMachine(RuleBasedStateMachine):
    backend = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self._scratch = ScratchDatabase(self.backend, prefix="t_sm", migrated=True)
        self.engine = db.make_engine(self._scratch.url)
        migrate.ensure_ready(self.engine)
        club = make_club(self.engine, founded=FOUNDED)
        with db.session_scope(self.engine) as s:
            s.execute(insert(Account).values(book_id=club.book_id, code="1011-M01",
                                             label="Apports de l'indivisaire M01",
                                             postable=True))
        self.club = club
        self.book_id = club.book_id
        # The model.
        self.oldest_open = FOUNDED.year
        self.postings: list[tuple[dt.date, str, int]] = []  # every non-AN posting
        self.entries: dict[tuple[str, int], ModelEntry] = {}
        self.counts: Counter[str] = Counter()
        self.keyed: dict[str, tuple[EntryDraft, str, int]] = {}
        self.next_key = 0

    def teardown(self) -> None:
        self.engine.dispose()
        self._scratch.drop()

    # -- model helpers ----------------------------------------------------------------------

    @property
    def open_start(self) -> dt.date:
        return max(FOUNDED, dt.date(self.oldest_open, 1, 1))

    @property
    def open_end(self) -> dt.date:
        return dt.date(self.oldest_open + 1, 12, 31)

    def draw_date(self, data: st.DataObject, lo: dt.date | None = None) -> dt.date:
        lo = max(lo or self.open_start, self.open_start)
        return data.draw(st.dates(min_value=lo, max_value=self.open_end), label="date")

    def draw_lines(self, data: st.DataObject) -> Lines:
        n = data.draw(st.integers(2, 3), label="lines")
        codes = data.draw(st.lists(st.sampled_from(ACCOUNTS), min_size=n, max_size=n),
                          label="accounts")
        amounts = data.draw(
            st.lists(st.integers(-500_000, 500_000).filter(bool), min_size=n - 1,
                     max_size=n - 1),
            label="amounts",
        )
        if sum(amounts) == 0:
            amounts[0] += 1 if amounts[0] > 0 else -1
        amounts.append(-sum(amounts))
        return tuple(zip(codes, amounts, strict=True))

    def model_balances(self, as_of: dt.date | None = None,
                       prefixes: tuple[str, ...] = ("",)) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for date, code, cents in self.postings:
            if (as_of is None or date <= as_of) and code.startswith(prefixes):
                totals[code] += cents
        return {code: c for code, c in sorted(totals.items()) if c != 0}

    def record(self, journal_code: str, number: int, date: dt.date, lines: Lines, *,
               is_reversal: bool = False) -> None:
        assert number == self.counts[journal_code] + 1
        self.counts[journal_code] = number
        self.entries[(journal_code, number)] = ModelEntry(journal_code, number, date, lines,
                                                          is_reversal=is_reversal)
        if journal_code != "AN":
            self.postings.extend((date, code, cents) for code, cents in lines)

    def fingerprint(self) -> tuple[Any, ...]:
        with db.session_scope(self.engine, write=False) as s:
            return (
                chain_head(s, self.book_id),
                s.execute(select(func.count()).select_from(Entry)).scalar_one(),
                s.execute(select(func.count()).select_from(Posting)).scalar_one(),
                tuple(tuple(r) for r in s.execute(text(
                    "SELECT year, closed FROM fiscal_year ORDER BY year")).all()),
                tuple(tuple(r) for r in s.execute(text(
                    "SELECT journal, last_number FROM journal_counter ORDER BY journal")).all()),
            )

    def stored_lines(self, journal_code: str, number: int) -> Lines:
        with db.session_scope(self.engine, write=False) as s:
            (entry,) = [e for e in journal(s, self.book_id, journal_code) if e.number == number]
        return tuple((ln.account, ln.amount.cents) for ln in entry.lines)

    def reversible(self) -> list[tuple[str, int]]:
        return sorted(k for k, e in self.entries.items()
                      if e.journal != "AN" and not e.is_reversal and not e.reversed)

    # -- rules ----------------------------------------------------------------------------------

    @rule(data=st.data())
    def post_balanced(self, data: st.DataObject) -> None:
        journal_code = data.draw(st.sampled_from(("BQ", "OD")), label="journal")
        lines = self.draw_lines(data)
        date = self.draw_date(data)
        label = data.draw(st.sampled_from(LABELS), label="label")
        key = None
        if data.draw(st.booleans(), label="keyed"):
            key = f"key-{self.next_key}"
            self.next_key += 1
        d = _draft(journal_code, date, label, lines, key)
        with db.session_scope(self.engine) as s:
            posted = post_entry(s, self.book_id, d)
        assert posted.created
        assert (posted.journal, posted.number, posted.date) == (
            journal_code, self.counts[journal_code] + 1, date)
        self.record(journal_code, posted.number, date, lines)
        if key is not None:
            self.keyed[key] = (d, posted.journal, posted.number)

    @precondition(lambda self: bool(self.keyed))
    @rule(data=st.data())
    def replay_keyed(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.keyed)), label="key")
        d, journal_code, number = self.keyed[key]
        before = self.fingerprint()
        with db.session_scope(self.engine) as s:
            again = post_entry(s, self.book_id, d)
        assert (again.journal, again.number, again.created) == (journal_code, number, False)
        assert self.fingerprint() == before

    @precondition(lambda self: bool(self.reversible()))
    @rule(data=st.data())
    def reverse_one(self, data: st.DataObject) -> None:
        ref = data.draw(st.sampled_from(self.reversible()), label="reverse")
        original = self.entries[ref]
        date = self.draw_date(data, lo=original.date)
        with db.session_scope(self.engine) as s:
            posted = reverse_entry(s, self.book_id, ref[0], ref[1], date)
        lines = tuple((code, -cents) for code, cents in original.lines)
        assert self.stored_lines(posted.journal, posted.number) == lines
        self.entries[ref] = replace(original, reversed=True)
        self.record(posted.journal, posted.number, date, lines, is_reversal=True)

    @rule(data=st.data())
    def post_invalid(self, data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from((
            "unbalanced", "single_line", "zero_line", "unknown_account", "collective",
            "journal_xx", "journal_an", "blank_label", "before_start", "closed_year",
            "unknown_entry", "reverse_reversal", "reverse_twice", "reversal_before_original",
            "reverse_opening", "idempotency_conflict", "batch",
        )), label="kind")
        lines = self.draw_lines(data)
        date = self.draw_date(data)
        reversals = sorted(k for k, e in self.entries.items() if e.is_reversal)
        reversed_ = sorted(k for k, e in self.entries.items() if e.reversed)
        later = [k for k in self.reversible()
                 if self.entries[k].date > FOUNDED]
        openings = sorted(k for k in self.entries if k[0] == "AN")
        # Kinds that need something the book does not have yet fall back to an unbalanced entry.
        if ((kind == "closed_year" and self.oldest_open == FOUNDED.year)
                or (kind == "reverse_reversal" and not reversals)
                or (kind == "reverse_twice" and not reversed_)
                or (kind == "reversal_before_original" and not later)
                or (kind == "reverse_opening" and not openings)
                or (kind == "idempotency_conflict" and not self.keyed)):
            kind = "unbalanced"

        def post(d: EntryDraft) -> Any:
            def act(s: Any) -> Any:
                return post_entry(s, self.book_id, d)
            return act

        def reverse(ref: tuple[str, int], on: dt.date) -> Any:
            def act(s: Any) -> Any:
                return reverse_entry(s, self.book_id, ref[0], ref[1], on)
            return act

        # Off by one cent (two if one cent would make the last line zero).
        off_by = 1 if lines[-1][1] != -1 else 2
        bad_lines = {
            "unbalanced": ((*lines[:-1], (lines[-1][0], lines[-1][1] + off_by)),
                           "entry_must_balance"),
            "single_line": (lines[:1], "entry_needs_two_lines"),
            "zero_line": ((*lines, ("471", 0)), "posting_must_not_be_zero"),
            "unknown_account": ((("5999", lines[0][1]), *lines[1:]), "unknown_account"),
            "collective": ((*lines[:-1], ("1011", lines[-1][1])), "account_not_postable"),
        }
        if kind in bad_lines:
            bad, code = bad_lines[kind]
            action = post(_draft("OD", date, "Refusée", bad))
        elif kind == "batch":
            bad, code = bad_lines[data.draw(st.sampled_from(sorted(bad_lines)), label="bad")]
            good = _draft("BQ", date, "Bonne", lines)

            def action(s: Any) -> Any:
                return post_entries(s, self.book_id, [good, _draft("OD", date, "Mauvaise", bad)])
        elif kind in ("journal_xx", "journal_an"):
            code = "unknown_journal"
            action = post(_draft("XX" if kind == "journal_xx" else "AN", date, "Refusée", lines))
        elif kind == "blank_label":
            code = "label_required"
            action = post(_draft("BQ", date, data.draw(st.sampled_from(("", " ", "\t"))),
                                 lines))
        elif kind == "before_start":
            code = "date_before_book_start"
            early = data.draw(st.dates(max_value=FOUNDED - dt.timedelta(days=1),
                                       min_value=dt.date(2000, 1, 1)), label="early")
            action = post(_draft("BQ", early, "Trop tôt", lines))
        elif kind == "closed_year":
            code = "fiscal_year_closed"
            closed_day = data.draw(st.dates(min_value=FOUNDED,
                                            max_value=dt.date(self.oldest_open - 1, 12, 31)),
                                   label="closed_day")
            action = post(_draft("BQ", closed_day, "Année close", lines))
        elif kind == "unknown_entry":
            code = "unknown_entry"
            j = data.draw(st.sampled_from(("BQ", "OD")), label="journal")
            action = reverse((j, self.counts[j] + data.draw(st.integers(1, 5))), date)
        elif kind == "reverse_reversal":
            code = "cannot_reverse_reversal"
            ref = data.draw(st.sampled_from(reversals))
            action = reverse(ref, self.draw_date(data, lo=self.entries[ref].date))
        elif kind == "reverse_twice":
            code = "entry_already_reversed"
            ref = data.draw(st.sampled_from(reversed_))
            action = reverse(ref, self.draw_date(data, lo=self.entries[ref].date))
        elif kind == "reversal_before_original":
            code = "reversal_before_original"
            ref = data.draw(st.sampled_from(later))
            action = reverse(ref, self.entries[ref].date - dt.timedelta(days=1))
        elif kind == "reverse_opening":
            code = "unknown_journal"
            ref = data.draw(st.sampled_from(openings))
            action = reverse(ref, self.draw_date(data, lo=self.entries[ref].date))
        else:
            code = "idempotency_conflict"
            key = data.draw(st.sampled_from(sorted(self.keyed)))
            prior = self.keyed[key][0]
            changed = replace(prior, label=prior.label + " (modifiée)")
            action = post(changed)

        before = self.fingerprint()
        with pytest.raises(LedgerError) as caught, db.session_scope(self.engine) as s:
            action(s)
        assert caught.value.code == code, (kind, caught.value)
        assert caught.value.exit_code == (3 if code == "idempotency_conflict" else 1)
        assert self.fingerprint() == before

    @precondition(lambda self: self.oldest_open < LAST_YEAR_TO_CLOSE)
    @rule(carry=st.booleans())
    def close_oldest_year(self, carry: bool) -> None:
        year = self.oldest_open
        end = dt.date(year, 12, 31)
        results = self.model_balances(end, ("6", "7"))
        net = sum(results.values())
        profit = -net
        result_account = "120" if profit >= 0 else "129"
        expected: list[Lines] = []
        if results:
            expected.append(tuple((code, -c) for code, c in results.items())
                            + (((result_account, net),) if net else ()))
        if carry and profit:
            target = "110" if profit > 0 else "119"
            expected.append(((result_account, profit), (target, -profit)))

        with db.session_scope(self.engine) as s:
            res = close_year(s, self.book_id, year,
                             allocation=carry_forward("110", "119") if carry else None,
                             today=end + dt.timedelta(days=1))
        assert res.year == year
        assert res.result == Money(profit)
        assert len(res.closing_entries) == len(expected)
        for posted, lines in zip(res.closing_entries, expected, strict=True):
            assert (posted.journal, posted.date) == ("OD", end)
            assert self.stored_lines("OD", posted.number) == lines
            self.record("OD", posted.number, end, lines)

        carried = self.model_balances(end)
        if len(carried) >= 2:
            assert res.opening_entry is not None
            assert (res.opening_entry.journal, res.opening_entry.date) == (
                "AN", dt.date(year + 1, 1, 1))
            stored = self.stored_lines("AN", res.opening_entry.number)
            assert dict(stored) == carried
            assert len(stored) == len(carried)
            self.record("AN", res.opening_entry.number, res.opening_entry.date, stored)
        else:
            assert carried == {}
            assert res.opening_entry is None
        self.oldest_open += 1

    # -- invariants -------------------------------------------------------------------------------

    @invariant()
    def books_agree_with_the_model(self) -> None:
        with db.session_scope(self.engine, write=False) as s:
            total = s.execute(
                select(func.coalesce(func.sum(Posting.amount_cents), 0))
                .join(Entry, Entry.id == Posting.entry_id)
                .where(Entry.book_id == self.book_id)
            ).scalar_one()
            tb = trial_balance(s, self.book_id)
            balances = {code: m.cents for code, m in balances_by_account(s, self.book_id).items()}
            numbers = s.execute(
                select(Entry.journal, Entry.number).where(Entry.book_id == self.book_id)
                .order_by(Entry.journal, Entry.number)
            ).all()
            head = chain_head(s, self.book_id)
            issues = check_book(s, self.book_id)
        assert int(total) == 0
        assert tb.total_debit == tb.total_credit
        assert {a.code: a.balance.cents for a in tb.accounts if a.balance} == balances
        assert balances == self.model_balances()
        by_journal: dict[str, list[int]] = {}
        for j, n in numbers:
            by_journal.setdefault(j, []).append(n)
        assert by_journal == {j: list(range(1, n + 1)) for j, n in self.counts.items() if n}
        assert head[0] == sum(self.counts.values())
        assert issues == []


@pytest.mark.parametrize(
    "backend",
    [
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.skipif(
            PG_URL is None, reason="CIGALES_TEST_PG_URL is not set")),
    ],
)
def test_ledger_state_machine(backend: str) -> None:
    machine = type(f"LedgerMachine_{backend}", (LedgerMachine,), {"backend": backend})
    run_state_machine_as_test(machine, settings=SETTINGS)
