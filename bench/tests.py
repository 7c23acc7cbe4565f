"""Time the test suite as the README runs it, and check issue #13's target (5 minutes).

Runs `python -m pytest -q -n auto -p no:cacheprovider --durations=0` (the README's command;
`--durations=0` only adds the report read below) in this checkout, whole process, and prints
the wall clock, the CPU time of pytest and its workers, the tests' outcome, and where the
worker-seconds went: set-up, calls and teardown of the PostgreSQL variants, the SQLite ones
and the tests without a backend. The PostgreSQL variants run when CIGALES_TEST_PG_URL is set
(or --pg URL), as in CI; set CIGALES_REQUIRE_TOOLS=1 as CI does so that no tool test skips.

    python bench/tests.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test --strict

`--strict` exits 1 when the suite fails or takes longer than the target. A timing, not a
test: the machine's speed varies by about 10 % from one run to the next (bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 300.0
COMMAND = [sys.executable, "-m", "pytest", "-q", "-n", "auto", "-p", "no:cacheprovider",
           "--durations=0"]
DURATION = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+(\S+)", re.MULTILINE)
SUMMARY = re.compile(r"^=*\s*(.*\d+ (?:passed|failed).*?) in [\d.]+s", re.MULTILINE)


def backend(test_id: str) -> str:
    if "[postgresql" in test_id or "-postgresql" in test_id:
        return "PostgreSQL"
    if "[sqlite" in test_id or "-sqlite" in test_id:
        return "SQLite"
    return "no backend"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", help="PostgreSQL URL for the PostgreSQL variants "
                                     "(default: CIGALES_TEST_PG_URL, if set)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 if the suite fails or misses the target")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.pg:
        env["CIGALES_TEST_PG_URL"] = args.pg
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run(COMMAND, cwd=ROOT, env=env, capture_output=True, text=True,
                         check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    spent: dict[tuple[str, str], float] = defaultdict(float)
    for seconds, phase, test_id in DURATION.findall(run.stdout):
        spent[(backend(test_id), phase)] += float(seconds)
    summary = SUMMARY.findall(run.stdout)
    outcome = summary[-1] if summary else f"no summary (exit code {run.returncode})"

    print(f"test suite      {' '.join(COMMAND[1:])}")
    print(f"backends        SQLite{' and PostgreSQL' if env.get('CIGALES_TEST_PG_URL') else ''}"
          f", load average {load:.1f} at the start")
    print(f"outcome         {outcome}")
    whole = round(wall)
    print(f"wall clock      {wall:.1f} s ({whole // 60} min {whole % 60:02d} s)")
    print(f"CPU             {cpu:.1f} s (pytest and its workers; the database server apart)")
    print("worker-seconds  set-up     call  teardown")
    for name in ("PostgreSQL", "SQLite", "no backend"):
        row = [spent.get((name, phase), 0.0) for phase in ("setup", "call", "teardown")]
        if any(row):
            print(f"  {name:<12} {row[0]:8.1f} {row[1]:8.1f} {row[2]:8.1f}")
    print(f"  {'all':<12} {sum(spent.values()):>26.1f}")

    passed = run.returncode == 0
    met = wall <= TARGET_SECONDS
    print(f"{'met' if met else 'MISSED':<7} test suite {wall:.0f} s <= {TARGET_SECONDS:.0f} s")
    if not passed:
        print("FAILED  the suite itself failed: its last lines follow")
        print("\n".join(run.stdout.splitlines()[-15:]), run.stderr[-2000:], sep="\n")
    return 1 if args.strict and not (met and passed) else 0


if __name__ == "__main__":
    sys.exit(main())
