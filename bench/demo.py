"""Demo benchmark: how fast `cigales demo` fills a database with realistic clubs.

Builds ``--clubs`` demo clubs (default 20) with ``cigales.services.demo.build_demo``, each in
its own ``cigales.db.session_scope`` transaction exactly as the command does (generation only:
no reports), into a fresh temporary SQLite file or the database named by ``--db``. Prints
clubs/s, entries/s, postings/s, the statements sent to the database per entry, the time of one
club end to end, and the extrapolation to the 300 clubs of a regional association. Targets
(issue #13), each printed as met or MISSED: one club under 60 s, at least 1,000 entries/s,
at most 5 statements per entry, 300 clubs in under 5 minutes; with ``--pg URL``, the same clubs
built on PostgreSQL within 2x of the first run. With 20 clubs or more, the CPU per entry of the
last tenth of the clubs against the first tenth (issue #16: a club costs the same in a big
database as in an empty one, within 20 %).

Run ``python bench/demo.py --help``; see bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Run as ``python bench/demo.py`` this file's folder comes first on sys.path, where
# bench/ledger.py would shadow the ``ledger`` package: drop it before importing the project.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from sqlalchemy import event, func, select  # noqa: E402

from cigales import db, migrate  # noqa: E402
from cigales.services.demo import build_demo  # noqa: E402
from ledger.schema import Entry, Posting  # noqa: E402

TODAY = dt.date(2026, 11, 22)  # pinned, like the tests, so every run builds the same clubs
MAX_SECONDS_PER_CLUB = 60.0
ASSOCIATION_CLUBS = 300
MIN_ENTRIES_PER_SECOND = 1_000
MAX_QUERIES_PER_ENTRY = 5.0
MAX_REGION_MINUTES = 5.0
MAX_PG_RATIO = 2.0
# Issue #16: a club costs the same CPU whether it is the 10th or the 300th of the database
# (per entry, since demo clubs differ in size), within 20 %.
MAX_GROWTH = 0.20
DECILE_MIN_CLUBS = 20


def postings_of(url: str, book_ids: list[int]) -> int:
    engine = db.make_engine(url)
    try:
        with db.session_scope(engine, write=False) as s:
            return int(s.execute(
                select(func.count()).select_from(Posting)
                .join(Entry, Entry.id == Posting.entry_id)
                .where(Entry.book_id.in_(book_ids))).scalar_one())
    finally:
        engine.dispose()


def run(url: str, clubs: int, seed: int) -> tuple[list[float], int, list[int], int, int]:
    """Build the clubs; return per-club seconds, entries, book ids, clubs skipped and the
    statements sent while building them."""
    engine = db.make_engine(url)
    migrate.ensure_ready(engine)
    statements = [0]

    def count(*_args: object) -> None:
        statements[0] += 1

    # Counted after the migration: only what building the clubs sends (BEGIN included).
    event.listen(engine, "before_cursor_execute", count)
    times: list[float] = []
    entries = skipped = 0
    books: list[int] = []
    per_entry_cpu.clear()
    try:
        for index in range(clubs):
            started = time.perf_counter()
            cpu = time.process_time()
            with db.session_scope(engine) as s:
                result = build_demo(s, seed=seed, index=index, today=TODAY)
            if not result.created:
                skipped += 1
                continue
            times.append(time.perf_counter() - started)
            per_entry_cpu.append((time.process_time() - cpu) / max(result.entries, 1))
            entries += result.entries
            books.append(result.club.book_id)
    finally:
        engine.dispose()
    return times, entries, books, skipped, statements[0]


per_entry_cpu: list[float] = []
"""CPU seconds per entry of each club built by the last ``run``, in building order."""


def growth(costs: list[float]) -> tuple[float, float, float]:
    """Median cost of the first tenth of the clubs, of the last tenth, and the last's excess
    over the first (0.1 = 10 % more per entry at the end of the run)."""
    tenth = max(len(costs) // 10, 1)
    first, last = statistics.median(costs[:tenth]), statistics.median(costs[-tenth:])
    return first, last, last / first - 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clubs", type=int, default=20, help="clubs to build (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="demo seed (default 1)")
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--pg", metavar="URL",
                        help="also build the same clubs on this PostgreSQL database (an empty "
                             "one or schema) and check it is within 2x of the first run")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 if a target is missed")
    args = parser.parse_args()
    if args.clubs < 1:
        parser.error("--clubs must be at least 1")
    with tempfile.TemporaryDirectory(prefix="cigales-bench-demo-") as tmp:
        url = args.db or f"sqlite:///{tmp}/demo.db"
        wall = time.perf_counter()
        cpu = time.process_time()
        times, entries, books, skipped, statements = run(url, args.clubs, args.seed)
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        postings = postings_of(url, books) if books else 0
    backend = url.split(":", 1)[0]
    built = len(times)
    print(f"database        {backend}{' (temporary file)' if not args.db else ''}")
    print(f"built           {built} clubs (seed {args.seed}), {entries:,} entries, "
          f"{postings:,} postings" + (f"; {skipped} skipped (already there)" if skipped else ""))
    if not times:
        print("nothing built: the clubs of this seed already exist in that database")
        return 1
    total = sum(times)
    print(f"total           {wall:.2f} s wall clock, {cpu:.2f} s CPU")
    print(f"rate            {built / total:.3f} clubs/s   {entries / total:,.0f} entries/s   "
          f"{postings / total:,.0f} postings/s")
    # On a shared machine the wall clock also counts other processes' turns: CPU time is the
    # figure to compare between runs there (both are printed; the targets use wall time).
    print(f"rate (CPU)      {entries / cpu:,.0f} entries per CPU second")
    per_entry = statements / entries
    print(f"queries         {statements:,} statements, {per_entry:.1f} per entry")
    print(f"one club        first {times[0]:.2f} s   median {statistics.median(times):.2f} s   "
          f"max {max(times):.2f} s   ({entries / built:,.0f} entries per club)")
    if built == ASSOCIATION_CLUBS:
        print(f"300 clubs       {total / 60:.1f} min (measured, {entries:,} entries)")
    else:
        print(f"300 clubs       about {ASSOCIATION_CLUBS * total / built / 60:.1f} min "
              f"(extrapolated, {ASSOCIATION_CLUBS * entries / built:,.0f} entries)")
    region_minutes = ASSOCIATION_CLUBS * total / built / 60
    if built >= DECILE_MIN_CLUBS:
        first, last, excess = growth(per_entry_cpu)
        tenth = max(built // 10, 1)
        print(f"CPU per entry   clubs 1-{tenth}: {first * 1000:.3f} ms   clubs "
              f"{built - tenth + 1}-{built}: {last * 1000:.3f} ms   ({excess:+.0%})")
    checks = [
        (max(times) < MAX_SECONDS_PER_CLUB,
         f"slowest club {max(times):.2f} s < {MAX_SECONDS_PER_CLUB:.0f} s"),
        (entries / total >= MIN_ENTRIES_PER_SECOND,
         f"{entries / total:,.0f} entries/s >= {MIN_ENTRIES_PER_SECOND:,}"),
        (per_entry <= MAX_QUERIES_PER_ENTRY,
         f"{per_entry:.1f} queries per entry <= {MAX_QUERIES_PER_ENTRY:.0f}"),
        (region_minutes < MAX_REGION_MINUTES,
         f"{ASSOCIATION_CLUBS} clubs in {region_minutes:.1f} min < {MAX_REGION_MINUTES:.0f} min"),
    ]
    if built >= DECILE_MIN_CLUBS:
        checks.append((abs(excess) <= MAX_GROWTH,
                       (f"CPU per entry of the last clubs {excess:+.0%} of the first ones, "
                       f"within {MAX_GROWTH:.0%} (#16)")))
    if args.pg:
        pg_cpu = time.process_time()
        pg_times, pg_entries, _books, pg_skipped, pg_statements = run(args.pg, args.clubs,
                                                                      args.seed)
        pg_cpu = time.process_time() - pg_cpu
        if pg_times and pg_entries == entries:
            pg_rate = pg_entries / sum(pg_times)
            print(f"postgresql      {pg_rate:,.0f} entries/s, {pg_statements / pg_entries:.1f} "
                  f"queries per entry, one club median {statistics.median(pg_times):.2f} s")
            # This process's CPU only (the server's work is not counted): on a shared machine,
            # compare it with the SQLite run's CPU seconds above.
            print(f"postgresql      {sum(pg_times):.2f} s wall clock, {pg_cpu:.2f} s CPU, "
                  f"{pg_entries / pg_cpu:,.0f} entries per CPU second")
            ratio = (entries / total) / pg_rate
            checks.append((ratio <= MAX_PG_RATIO, (f"PostgreSQL {ratio:.2f}x slower than "
                           f"{backend} <= {MAX_PG_RATIO:.0f}x")))
        else:
            missing = (f"PostgreSQL: {pg_skipped} clubs already there, not compared (use an "
                       "empty database or schema)")
            checks.append((False, missing))
    for ok, text in checks:
        print(f"{'met   ' if ok else 'MISSED'}  {text}")
    missed = sum(1 for ok, _ in checks if not ok)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
