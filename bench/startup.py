"""Start-up benchmark: whole-process time of `cigales --help` and `cigales report balance`.

Runs each command ``--runs`` times (default 7) as a fresh process, exactly as a treasurer
does, and prints the median wall-clock time, the median CPU time of the child process and
the peak RSS, beside a bare ``python -c pass`` (the interpreter's own start-up) and, when
installed, ``hledger -f JOURNAL bal`` and ``ledger -f JOURNAL bal`` on ``cigales export
hledger`` of the same club. Targets (issue #13), printed as met or MISSED: ``--help`` at most
0.25 s, ``report balance`` at most 0.35 s, and at most 5x hledger on the same club.

The club is the small example club in a temporary SQLite file unless ``--db`` and ``--club``
name one (the issue's figures are on a demo club: ``cigales --db demo.db demo --no-reports``).
Run ``python bench/startup.py --help``; see bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAX_HELP_SECONDS = 0.25
MAX_BALANCE_SECONDS = 0.35
MAX_RATIO_TO_HLEDGER = 5.0


def measure(argv: list[str], runs: int, env: dict[str, str]) -> tuple[float, float, int]:
    """Median wall seconds, median CPU seconds (user + system) and peak RSS (KiB) of the
    command's own process (os.wait4 gives each child's resource usage)."""
    walls, cpus, peak = [], [], 0
    for _ in range(runs):
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(child.pid, 0)
        walls.append(time.perf_counter() - started)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed with exit code {child.returncode}")
        cpus.append(usage.ru_utime + usage.ru_stime)
        peak = max(peak, usage.ru_maxrss)  # Linux: KiB
    return statistics.median(walls), statistics.median(cpus), peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database URL or SQLite file (default: an example club)")
    parser.add_argument("--club", help="club slug (with --db)")
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (default 7)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    if bool(args.db) != bool(args.club):
        parser.error("--db and --club go together")
    env = {**os.environ, "CIGALES_TODAY": "2026-11-22", "NO_COLOR": "1"}
    cigales = [sys.executable, "-m", "cigales"]
    with tempfile.TemporaryDirectory(prefix="cigales-bench-startup-") as tmp:
        url, club = args.db, args.club
        if url is None:
            url, club = f"sqlite:///{tmp}/example.db", "les-fourmis"
            subprocess.run([*cigales, "--db", url, "example"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
        journal = Path(tmp) / "club.journal"
        subprocess.run([*cigales, "--db", url, "export", "hledger", "--club", club,
                        "-o", str(journal)], env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        rows: list[tuple[str, tuple[float, float, int]]] = [
            ("python -c pass", measure([sys.executable, "-c", "pass"], args.runs, env)),
            ("cigales --help", measure([*cigales, "--help"], args.runs, env)),
            ("cigales report balance", measure(
                [*cigales, "--db", url, "report", "balance", "--club", club], args.runs, env)),
        ]
        for tool in ("hledger", "ledger"):
            if shutil.which(tool):
                rows.append((f"{tool} bal", measure([tool, "-f", str(journal), "bal"],
                                                    args.runs, env)))
            else:
                print(f"{tool} is not installed: not measured (apt-get install -y {tool})")
    backend = url.split(":", 1)[0] if "://" in url else "sqlite"
    print(f"club            {club} ({backend}), median of {args.runs} runs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'command':<26}{'wall':>9}{'CPU':>9}{'peak RSS':>11}")
    for name, (wall, cpu, rss) in rows:
        print(f"{name:<26}{wall:>8.3f}s{cpu:>8.3f}s{rss / 1024:>8.0f} MB")
    found = dict(rows)
    checks = [
        (found["cigales --help"][0] <= MAX_HELP_SECONDS,
         f"cigales --help {found['cigales --help'][0]:.3f} s <= {MAX_HELP_SECONDS} s"),
        (found["cigales report balance"][0] <= MAX_BALANCE_SECONDS,
         (f"report balance {found['cigales report balance'][0]:.3f} s <= "
          f"{MAX_BALANCE_SECONDS} s")),
    ]
    if "hledger bal" in found:
        ratio = found["cigales report balance"][0] / found["hledger bal"][0]
        checks.append((ratio <= MAX_RATIO_TO_HLEDGER,
                       f"report balance / hledger bal {ratio:.1f}x <= {MAX_RATIO_TO_HLEDGER}x"))
    else:
        checks.append((False, "report balance / hledger bal: not measured (no hledger)"))
    for ok, text in checks:
        print(f"{'met   ' if ok else 'MISSED'}  {text}")
    print("(wall clock includes waiting for a CPU on a loaded machine: compare the CPU column)")
    return 1 if args.strict and not all(ok for ok, _ in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
