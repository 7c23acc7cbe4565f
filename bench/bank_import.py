"""Large bank statements: wall time and peak memory of `cigales bank import` (issue #14, item 7).

Generates a realistic CSV statement (profile fr-signed, ``Date;Libellé;Montant``, cp1252
with accents, dates in order from the club's founding to today: members' savings with their
reference or their name, bank fees, interest, investees' repayments, card payments, a few
identical lines on the same day) of ``--size-mb`` megabytes (default 50, about 950,000 lines),
then runs, each as a fresh process on a fresh SQLite database holding a club of 12 members:

1. ``cigales bank import FILE --dry-run --format json -o OUT`` on the whole file;
2. ``cigales bank import FILE --yes --format csv -o OUT`` (a real import) on the first
   ``--import-mb`` megabytes (default 2, about 38,000 lines: booking goes through the ledger,
   one entry per line, so the whole 50 MB would take the better part of an hour);
3. the same real import again: every line is then known, nothing is booked (idempotency on
   a large file).

For each it prints the wall-clock time, the CPU time (user + system: on a busy machine the
wall clock says more about the neighbours than about the code), the lines per CPU second and
the peak RSS of the child process (``os.wait4``: ``ru_maxrss``), against the target:
**peak RSS under 300 MB whatever the file size**. ``--strict`` exits 1 when a run misses it
(or fails). See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RSS_MB = 300
TODAY = dt.date(2026, 11, 22)
FOUNDED = dt.date(2021, 3, 15)
SLUG = "bench-banque"
MEMBERS = [(f"M{i:02d}", name) for i, name in enumerate([
    "Anne Martin", "Bruno Petit", "Chloé Durand", "Damien Leroy", "Élodie Moreau",
    "François Simon", "Gaëlle Laurent", "Hugo Lefèvre", "Inès Michel", "Jules Garcia",
    "Karine Bertrand", "Loïc Roux"], start=1)]
LINE_BYTES = 53  # what one generated line weighs on average, to size the file


def generate(path: Path, size_mb: float, seed: int = 2026) -> int:
    """Write the statement; returns the number of movement lines."""
    rng = random.Random(seed)
    target = int(size_mb * 1024 * 1024)
    days = (TODAY - FOUNDED).days
    estimate = max(1, target // LINE_BYTES)
    written = 0
    count = 0
    with path.open("w", encoding="cp1252", newline="") as out:
        header = "Date;Libellé;Montant\r\n"
        out.write(header)
        written += len(header)
        i = 0
        while written < target:
            day = FOUNDED + dt.timedelta(days=1 + (i * days) // estimate)
            day = min(day, TODAY)
            i += 1
            kind = rng.random()
            code, name = MEMBERS[rng.randrange(len(MEMBERS))]
            if kind < 0.35:
                label, amount = f"VIR SEPA {name.upper()} CIG-{code} EPARGNE", "30,00"
            elif kind < 0.50:
                label, amount = f"VIR {name.upper()} EPARGNE MENSUELLE", "30,00"
            elif kind < 0.65:
                label = f"CB CARREFOUR {rng.randrange(1000, 9999)} {day:%d%m}"
                amount = f"-{rng.randrange(1, 300)},{rng.randrange(100):02d}"
            elif kind < 0.75:
                label, amount = "FRAIS TENUE DE COMPTE", "-4,50"
            elif kind < 0.85:
                label = f"INTERETS CREDITEURS REF {rng.randrange(10**6, 10**7)}"
                amount = f"{rng.randrange(0, 20)},{rng.randrange(1, 100):02d}"
            elif kind < 0.95:
                label = f"REMBOURSEMENT ATELIER DES ÎLES ECHEANCE {rng.randrange(1, 60)}"
                amount = f"{rng.randrange(50, 500)},00"
            else:
                label, amount = "COTISATION FEDERATION", "-15,00"  # same day: identical lines
            line = f"{day:%d/%m/%Y};{label};{amount}\r\n"
            out.write(line)
            written += len(line.encode("cp1252"))
            count += 1
    return count


def head(source: Path, target: Path, size_mb: float) -> int:
    """The first ``size_mb`` megabytes of ``source``, cut at a line end."""
    limit = int(size_mb * 1024 * 1024)
    lines = 0
    with source.open("rb") as inp, target.open("wb") as out:
        written = 0
        for raw in inp:
            if written + len(raw) > limit and lines > 0:
                break
            out.write(raw)
            written += len(raw)
            lines += 1
    return lines - 1  # the header


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, int, str]:
    """Wall seconds, CPU seconds, peak RSS (KiB) and exit code of one child process, and its
    stderr."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return (wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
            os.waitstatus_to_exitcode(status), stderr)


def setup_club(cigales: list[str], url: str, env: dict[str, str]) -> None:
    steps = [["club", "create", SLUG, "--name", "Banc d'essai", "--founded", FOUNDED.isoformat()]]
    steps += [["member", "add", "--club", SLUG, "--code", code, "--name", name,
               "--joined", FOUNDED.isoformat(), "--monthly", "30"] for code, name in MEMBERS]
    for step in steps:
        subprocess.run([*cigales, "--db", url, *step], env=env, check=True,
                       stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=50.0,
                        help="size of the generated statement for the dry run (default 50)")
    parser.add_argument("--import-mb", type=float, default=2.0,
                        help="size of the part really imported (default 2; 0: skip)")
    parser.add_argument("--keep", metavar="DIR", help="write the files here and keep them")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()

    env = {**os.environ, "CIGALES_TODAY": TODAY.isoformat(), "CIGALES_LANG": "en",
           "NO_COLOR": "1"}
    env.pop("CIGALES_DB", None)
    cigales = [sys.executable, "-m", "cigales"]
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-bank-"))
    folder.mkdir(parents=True, exist_ok=True)
    statement = folder / "releve.csv"
    started = time.perf_counter()
    lines = generate(statement, args.size_mb)
    size = statement.stat().st_size
    print(f"statement       {size / 1024 / 1024:.1f} MB, {lines:,} lines "
          f"(generated in {time.perf_counter() - started:.1f} s)")

    runs: list[tuple[str, int, list[str]]] = []
    url = f"sqlite:///{folder / 'dry.db'}"
    setup_club(cigales, url, env)
    runs.append(("dry run", lines, ["--db", url, "bank", "import", str(statement), "--club",
                                    SLUG, "--dry-run", "--format", "json",
                                    "-o", str(folder / "dry.json")]))
    if args.import_mb > 0:
        part = folder / "releve-debut.csv"
        part_lines = head(statement, part, args.import_mb)
        url2 = f"sqlite:///{folder / 'real.db'}"
        setup_club(cigales, url2, env)
        real = ["--db", url2, "bank", "import", str(part), "--club", SLUG, "--yes",
                "--format", "csv"]
        runs.append(("import", part_lines, [*real, "-o", str(folder / "real.csv")]))
        runs.append(("import again", part_lines, [*real, "-o", str(folder / "again.csv")]))

    missed = False
    for name, count, argv in runs:
        wall, cpu, rss_kib, code, stderr = run([*cigales, *argv], env)
        rss_mb = rss_kib / 1024
        ok = code == 0 and rss_mb < TARGET_RSS_MB
        missed |= not ok
        verdict = "PASS " if ok else "MISS "
        status = "" if code == 0 else f"  exit {code}: {stderr.strip().splitlines()[-1:]}"
        print(f"{verdict}{name:<13} {count:>9,} lines  wall {wall:7.1f} s  CPU {cpu:7.1f} s  "
              f"{count / cpu if cpu else 0:>8,.0f} lines/CPU-s  peak RSS {rss_mb:6.1f} MB "
              f"(target < {TARGET_RSS_MB} MB){status}")
    dry = folder / "dry.json"
    if dry.exists():
        # Read back without loading it whole: one proposal per "fingerprint" key.
        written = 0
        with dry.open(encoding="utf-8") as f:
            for text_line in f:
                written += '"fingerprint":' in text_line
        with dry.open(encoding="utf-8") as f:
            start = f.read(4096)  # the counts come before the proposals
        counted = json.loads(start[:start.index('"proposals":')].rstrip().rstrip(",") + "}")
        print(f"dry-run JSON    {counted['lines']:,} lines, {counted['new']:,} new, "
              f"{written:,} proposals written")
        missed |= counted["lines"] != lines or written != lines
    if not args.keep:
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
    if missed:
        print("target missed" + ("" if args.strict else " (exit 0 without --strict)"))
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
