"""Federation benchmark: how long `cigales federation report --year Y` takes for a region.

Builds a region of ``--clubs`` demo clubs (default 30, seed ``--seed``) with ``cigales demo``
into a fresh temporary SQLite file, or into the database named by ``--db`` (clubs already
there are kept: a second run on the same URL builds nothing). Today is pinned (2026-11-22,
like the tests) so every run builds the same clubs. Then times the whole command, as a
separate process (start-up included), ``--runs`` times (default 3) in three situations:

- ``empty``: a year before any club (``--year 1990``): the start-up and fixed costs;
- ``cold``: no stored return is valid (they are deleted before each run, as when every club
  has posted since): every hosted club's return is computed from the books, for the year and
  the year before, and the closed years' returns are stored again;
- ``warm``: the stored returns of closed years are valid (the run before stored them) and
  reused; only the years still open are computed.

Prints the median wall clock, CPU time (user + system) and peak RSS of each, and checks that
the cold and warm reports are identical. The same cold and warm runs on a region of one club
(the first club of the same seed, in a second database: ``--db-one``, by default a temporary
SQLite file) give the slope: per club = (region − one club) ÷ (clubs − 1), and 300 clubs ≈
one club + 299 × per club, the fixed costs (start-up, imports, collation tables) counted
once. Target (issue #16): < 5 s for 300 clubs, printed as
met or MISSED for cold and warm, on the wall clock (``--clock cpu`` on a shared machine);
``--strict`` exits 1 on a miss. A report that differs between cold and warm always exits 1.

``--code DIR`` runs the commands with the cigales found in DIR (e.g. a checkout of main) to
measure the "before" figure on the same region; that code builds its own database (its schema
may be older than this one's).

Run ``python bench/federation.py --help``; see bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Run as ``python bench/federation.py`` this file's folder comes first on sys.path, where
# bench/ledger.py would shadow the ``ledger`` package: drop it before importing the project.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

TODAY = dt.date(2026, 11, 22)  # pinned, like the tests, so every run builds the same clubs
ASSOCIATION_CLUBS = 300
TARGET_SECONDS = 5.0
EMPTY_YEAR = 1990  # before any demo club: the report reads nothing


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    rss_mb: float
    stdout: str


def command(args: list[str], code: str | None) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "CIGALES_TODAY": TODAY.isoformat(), "CIGALES_LANG": "en"}
    env.pop("CIGALES_DB", None)
    if code:
        env["PYTHONPATH"] = code + os.pathsep + env.get("PYTHONPATH", "")
    return [sys.executable, "-m", "cigales", *args], env


def run(args: list[str], code: str | None) -> Run:
    """One whole process: wall clock, its own CPU time and peak RSS (os.wait4)."""
    argv, env = command(args, code)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{stderr}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout)


def forget_stored_returns(url: str) -> None:
    """Delete every stored closed-year return (no-op for a schema without them)."""
    from sqlalchemy import create_engine, inspect, text

    from cigales.db import normalize_url

    engine = create_engine(normalize_url(url))
    try:
        with engine.begin() as conn:
            if "closed_year_return" in inspect(conn).get_table_names():
                conn.execute(text("DELETE FROM closed_year_return"))
    finally:
        engine.dispose()


def median(runs: list[Run]) -> Run:
    def mid(values: list[float]) -> float:
        return statistics.median(values)

    return Run(mid([r.wall for r in runs]), mid([r.cpu for r in runs]),
               max(r.rss_mb for r in runs), runs[0].stdout)


def measure(url: str, clubs: int, seed: int, year: int, runs: int,
            code: str | None) -> tuple[float, Run, Run, list[Run], Run]:
    """Build (or find) the region in ``url``; time the report cold and warm ``runs`` times."""
    started = time.perf_counter()
    run(["--db", url, "demo", "--clubs", str(clubs), "--seed", str(seed), "--no-reports",
         "--no-accounts"], code)
    built = time.perf_counter() - started
    report = ["--db", url, "federation", "report", "--format", "json"]
    empty = median([run([*report, "--year", str(EMPTY_YEAR)], code) for _ in range(runs)])
    cold_runs = []
    for _ in range(runs):
        forget_stored_returns(url)
        cold_runs.append(run([*report, "--year", str(year)], code))
    warm = median([run([*report, "--year", str(year)], code) for _ in range(runs)])
    return built, empty, median(cold_runs), cold_runs, warm


def hosted(r: Run) -> int:
    return int(json.loads(r.stdout)["sources"]["hosted"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clubs", type=int, default=30,
                        help="clubs in the region (default 30, at least 2)")
    parser.add_argument("--seed", type=int, default=1, help="demo seed (default 1)")
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--db-one", help="database URL for the one-club region (default: a "
                                         "temporary SQLite file)")
    parser.add_argument("--year", type=int, default=TODAY.year - 1,
                        help=f"year of the report (default {TODAY.year - 1})")
    parser.add_argument("--runs", type=int, default=3, help="runs per situation (default 3)")
    parser.add_argument("--code", help="run the cigales found in this folder (e.g. main's)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="what the target is checked on (default wall; cpu on a shared "
                             "machine, where the wall clock counts other processes' turns)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if the target is missed")
    args = parser.parse_args()
    if args.clubs < 2 or args.runs < 1:
        parser.error("--clubs must be at least 2 and --runs at least 1")
    code = str(Path(args.code).resolve()) if args.code else None
    with tempfile.TemporaryDirectory(prefix="cigales-bench-federation-") as tmp:
        url = args.db or f"sqlite:///{tmp}/region.db"
        one_url = args.db_one or f"sqlite:///{tmp}/one.db"
        built, empty, cold, cold_runs, warm = measure(url, args.clubs, args.seed, args.year,
                                                      args.runs, code)
        _, _, one_cold, _, one_warm = measure(one_url, 1, args.seed, args.year, args.runs,
                                              code)
    clubs = hosted(cold)
    backend = url.split(":", 1)[0]
    print(f"database        {backend}{' (temporary file)' if not args.db else ''}"
          f"{f'; code from {code}' if code else ''}")
    print(f"region          {args.clubs} demo clubs (seed {args.seed}), built or found in "
          f"{built:.1f} s; report {args.year}: {clubs} hosted clubs (and 1 in the one-club "
          f"region)")
    print(f"runs            median of {args.runs}, whole process (start-up included)")
    print(f"{'':15} {'wall':>9} {'CPU':>9} {'peak RSS':>10}")
    for name, r in (("empty (start)", empty), ("one club cold", one_cold),
                    ("one club warm", one_warm), (f"{clubs} clubs cold", cold),
                    (f"{clubs} clubs warm", warm)):
        print(f"{name:15} {r.wall:8.2f}s {r.cpu:8.2f}s {r.rss_mb:7.0f} MB")
    same = [json.loads(r.stdout) for r in cold_runs] + [json.loads(warm.stdout)]
    identical = all(d == same[0] for d in same)
    checks = []
    for name, big, small in (("cold", cold, one_cold), ("warm", warm, one_warm)):
        for clock in ("wall", "cpu"):
            t_big, t_small = (big.wall, small.wall) if clock == "wall" else (big.cpu, small.cpu)
            per_club = max(t_big - t_small, 0.0) / max(clubs - hosted(small), 1)
            region = t_small + (ASSOCIATION_CLUBS - 1) * per_club
            print(f"{name + ' ' + clock:15} {per_club * 1000:7.1f} ms per club; "
                  f"{ASSOCIATION_CLUBS} clubs about {region:.2f} s (extrapolated)")
            if clock == args.clock:
                text = (f"{name}: {ASSOCIATION_CLUBS} clubs in {region:.2f} s ({clock}) "
                        f"< {TARGET_SECONDS:.0f} s")
                checks.append((region < TARGET_SECONDS, text))
    print(f"{'PASS' if identical else 'FAIL'}  cold and warm reports identical")
    for ok, text in checks:
        print(f"{'met   ' if ok else 'MISSED'}  {text}")
    if not identical:
        return 1
    return 1 if args.strict and not all(ok for ok, _ in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
