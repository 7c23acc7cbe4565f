"""Demo benchmark: how fast `cigales demo` fills a database with realistic clubs.

Builds ``--clubs`` demo clubs (default 20) with ``cigales.services.demo.build_demo``, each in
its own ``cigales.db.session_scope`` transaction exactly as the command does (generation only:
no reports), into a fresh temporary SQLite file or the database named by ``--db``. Prints
clubs/s, entries/s, postings/s, the time of one club end to end, and the extrapolation to the
300 clubs of a regional association. Target: one club well under 60 s.

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

from sqlalchemy import func, select  # noqa: E402

from cigales import db, migrate  # noqa: E402
from cigales.services.demo import build_demo  # noqa: E402
from ledger.schema import Entry, Posting  # noqa: E402

TODAY = dt.date(2026, 11, 22)  # pinned, like the tests, so every run builds the same clubs
MAX_SECONDS_PER_CLUB = 60.0
ASSOCIATION_CLUBS = 300


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


def run(url: str, clubs: int, seed: int) -> tuple[list[float], int, list[int], int]:
    """Build the clubs; return per-club seconds, entries, book ids and clubs skipped."""
    engine = db.make_engine(url)
    migrate.ensure_ready(engine)
    times: list[float] = []
    entries = skipped = 0
    books: list[int] = []
    try:
        for index in range(clubs):
            started = time.perf_counter()
            with db.session_scope(engine) as s:
                result = build_demo(s, seed=seed, index=index, today=TODAY)
            if not result.created:
                skipped += 1
                continue
            times.append(time.perf_counter() - started)
            entries += result.entries
            books.append(result.club.book_id)
    finally:
        engine.dispose()
    return times, entries, books, skipped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clubs", type=int, default=20, help="clubs to build (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="demo seed (default 1)")
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 if one club takes 60 s or more")
    args = parser.parse_args()
    if args.clubs < 1:
        parser.error("--clubs must be at least 1")
    with tempfile.TemporaryDirectory(prefix="cigales-bench-demo-") as tmp:
        url = args.db or f"sqlite:///{tmp}/demo.db"
        wall = time.perf_counter()
        cpu = time.process_time()
        times, entries, books, skipped = run(url, args.clubs, args.seed)
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
    print(f"one club        first {times[0]:.2f} s   median {statistics.median(times):.2f} s   "
          f"max {max(times):.2f} s   ({entries / built:,.0f} entries per club)")
    print(f"300 clubs       about {ASSOCIATION_CLUBS * total / built / 60:.1f} min "
          f"(extrapolated, {ASSOCIATION_CLUBS * entries / built:,.0f} entries)")
    ok = max(times) < MAX_SECONDS_PER_CLUB
    print(f"{'PASS' if ok else 'FAIL'}  slowest club {max(times):.2f} s < "
          f"{MAX_SECONDS_PER_CLUB:.0f} s")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
