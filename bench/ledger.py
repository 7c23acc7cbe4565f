"""Ledger benchmark: bulk posting rate and trial-balance time against raw sqlite3.

Posts N random, realistic, balanced entries (2–3 postings each) through the real service
layer (``ledger.post.post_entries`` inside ``cigales.db.session_scope`` transactions) into a
fresh SQLite file, then times ``ledger.queries.trial_balance`` next to the same aggregate run
directly with the stdlib ``sqlite3`` module on the same file. Targets (design.md §7):

* bulk posting >= 20,000 postings/s;
* trial balance within 3x of the raw sqlite3 query.

Run ``python bench/ledger.py --help``; see bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

# Run as ``python bench/ledger.py`` this file's folder comes first on sys.path, where this
# very file would shadow the ``ledger`` package: drop it before importing the project.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from cigales import chart, db, migrate  # noqa: E402
from cigales.services import accounts, clubs  # noqa: E402
from ledger.money import Money  # noqa: E402
from ledger.post import EntryDraft, Line, post_entries  # noqa: E402
from ledger.queries import trial_balance  # noqa: E402

FOUNDED = dt.date(2021, 3, 15)
TODAY = dt.date(2026, 11, 22)
MEMBERS = [f"M{i:02d}" for i in range(1, 13)]

MIN_POSTINGS_PER_S = 20_000
MAX_TB_RATIO = 3.0

# Exactly the statement ledger.queries.trial_balance builds (book, journal <> 'AN',
# date <= as_of, grouped by account code and label, ordered by code), written by hand.
RAW_TRIAL_BALANCE = """
SELECT a.code, a.label,
       COALESCE(SUM(CASE WHEN p.amount_cents > 0 THEN p.amount_cents ELSE 0 END), 0) AS debit,
       COALESCE(SUM(CASE WHEN p.amount_cents < 0 THEN -p.amount_cents ELSE 0 END), 0) AS credit
FROM posting AS p
JOIN entry AS e ON e.id = p.entry_id
JOIN account AS a ON a.id = p.account_id
WHERE e.book_id = ? AND e.journal != 'AN' AND e.date <= ?
GROUP BY a.code, a.label
ORDER BY a.code
"""


def cents(rng: random.Random, low_euros: int, high_euros: int) -> int:
    return rng.randint(low_euros * 100, high_euros * 100)


def random_draft(rng: random.Random, date: dt.date) -> EntryDraft:
    """One plausible club operation; amounts in cents, debit positive, credit negative."""
    kind = rng.random()
    lines: list[tuple[str, int]]
    if kind < 0.45:  # a member's monthly savings paid into the bank
        member = rng.choice(MEMBERS)
        amount = rng.choice((1000, 1500, 2000, 3000, 5000, 7500, 10000))
        journal, label = "BQ", f"Versement mensuel {member}"
        lines = [("5121", amount), (f"1011-{member}", -amount)]
    elif kind < 0.60:  # bank fees
        amount = cents(rng, 1, 15)
        journal, label = "BQ", "Frais bancaires"
        lines = [("6270", amount), ("5121", -amount)]
    elif kind < 0.70:  # savings-account interest
        amount = cents(rng, 1, 80)
        journal, label = "BQ", "Intérêts du livret"
        lines = [("5121", amount), ("7680", -amount)]
    elif kind < 0.80:  # transfer between current account and savings account
        amount = cents(rng, 50, 2000)
        journal, label = "BQ", "Virement interne"
        lines = [("5122", amount), ("5121", -amount)] if rng.random() < 0.5 else [
            ("5121", amount), ("5122", -amount)]
    elif kind < 0.90:  # one bank deposit shared by two members (3 lines)
        a, b = rng.sample(MEMBERS, 2)
        first, second = cents(rng, 10, 100), cents(rng, 10, 100)
        journal, label = "BQ", f"Versement groupé {a} {b}"
        lines = [("5121", first + second), (f"1011-{a}", -first), (f"1011-{b}", -second)]
    else:  # an invoice split between two expense accounts (3 lines)
        total = cents(rng, 20, 300)
        part = rng.randint(1, total - 1)
        journal, label = "OD", "Cotisation fédération et frais"
        lines = [("6281", part), ("6180", total - part), ("5121", -total)]
    return EntryDraft(journal, date, label, tuple(Line(acc, Money(c)) for acc, c in lines))


def draft_batches(n: int, size: int, seed: int) -> Iterator[list[EntryDraft]]:
    """Drafts in date order, one batch at a time (as an importer reading a file would),
    so the benchmark does not hold every draft in memory while posting."""
    rng = random.Random(seed)
    span = (TODAY - FOUNDED).days
    dates = sorted(FOUNDED + dt.timedelta(days=rng.randint(0, span)) for _ in range(n))
    for start in range(0, n, size):
        yield [random_draft(rng, d) for d in dates[start:start + size]]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000, help="entries to post")
    parser.add_argument("--batch", type=int, default=1000,
                        help="drafts per post_entries call, one transaction each")
    parser.add_argument("--db", type=Path, default=None,
                        help="SQLite file to create (must not exist; default: a temp file)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=5, help="trial-balance runs (best kept)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    if args.entries < 1 or args.batch < 1:
        parser.error("--entries and --batch must be positive")

    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory(prefix="cigales-bench-")
        path = Path(tmp.name) / "bench.db"
    else:
        path = args.db
        if path.exists():
            parser.error(f"{path} already exists; the benchmark needs a fresh file")
    try:
        return run(args, path)
    finally:
        if tmp is not None:
            tmp.cleanup()


def run(args: argparse.Namespace, path: Path) -> int:
    engine = db.make_engine(str(path))
    migrate.ensure_ready(engine)
    with db.session_scope(engine) as s:
        club = clubs.create_club(s, "bench", "Club de banc d'essai", FOUNDED, today=TODAY)
        accounts.ensure_accounts(
            s, club, [(a.code, a.label) for m in MEMBERS for a in chart.member_accounts(m)])
        book_id = club.book_id

    # Only the posting is timed: building the random drafts of a batch is not.
    n_entries = n_postings = 0
    elapsed = cpu = 0.0
    for batch in draft_batches(args.entries, args.batch, args.seed):
        start, start_cpu = time.perf_counter(), time.process_time()
        with db.session_scope(engine) as s:
            post_entries(s, book_id, batch)
        elapsed += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        n_entries += len(batch)
        n_postings += sum(len(d.lines) for d in batch)
    entries_rate = n_entries / elapsed
    postings_rate = n_postings / elapsed
    print(f"database        {path}")
    print(f"posted          {n_entries:,} entries, {n_postings:,} postings, in batches of "
          f"{args.batch:,} (seed {args.seed})")
    print(f"posting         {elapsed:.2f} s   {entries_rate:,.0f} entries/s   "
          f"{postings_rate:,.0f} postings/s")
    # CPU time of this process (Python + SQLite; fsync waits excluded): a busy machine
    # inflates the wall-clock figure above far more than this one.
    print(f"posting (CPU)   {cpu:.2f} s   {n_entries / cpu:,.0f} entries/s   "
          f"{n_postings / cpu:,.0f} postings/s")

    def orm_tb() -> list[tuple[str, str, int, int]]:
        with db.session_scope(engine, write=False) as s:
            tb = trial_balance(s, book_id, as_of=TODAY)
        return [(a.code, a.label, a.debit.cents, a.credit.cents) for a in tb.accounts]

    raw = sqlite3.connect(path)
    try:
        def raw_tb() -> list[tuple[str, str, int, int]]:
            rows = raw.execute(RAW_TRIAL_BALANCE, (book_id, TODAY.isoformat())).fetchall()
            return [(str(c), str(lb), int(d), int(cr)) for c, lb, d, cr in rows]

        orm_rows, raw_rows = orm_tb(), raw_tb()  # warm both (page cache, statement caches)
        # Alternate the two so that a busy moment on the machine hits both alike.
        orm_time = raw_time = float("inf")
        for _ in range(args.runs):
            orm_time = min(orm_time, timed(orm_tb))
            raw_time = min(raw_time, timed(raw_tb))
    finally:
        raw.close()
    engine.dispose()

    ratio = orm_time / raw_time
    print(f"trial balance   {orm_time * 1000:.1f} ms (ledger.queries, best of {args.runs})")
    print(f"raw sqlite3     {raw_time * 1000:.1f} ms (same aggregate, best of {args.runs})")
    print(f"ratio           {ratio:.2f}x")
    total_debit = sum(r[2] for r in orm_rows)
    total_credit = sum(r[3] for r in orm_rows)
    print(f"accounts        {len(orm_rows)}   total debit {Money(total_debit).plain()}   "
          f"total credit {Money(total_credit).plain()}")

    ok = True
    same = orm_rows == raw_rows and total_debit == total_credit
    print(f"{'PASS' if same else 'FAIL'}  trial balance identical to raw SQL and balanced")
    ok &= same
    fast = postings_rate >= MIN_POSTINGS_PER_S
    print(f"{'PASS' if fast else 'FAIL'}  posting {postings_rate:,.0f} postings/s "
          f">= {MIN_POSTINGS_PER_S:,}")
    ok &= fast
    close = ratio <= MAX_TB_RATIO
    print(f"{'PASS' if close else 'FAIL'}  trial balance ratio {ratio:.2f} <= {MAX_TB_RATIO}")
    ok &= close
    if not same:
        return 1  # wrong numbers are never just a performance warning
    return 1 if (args.strict and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
