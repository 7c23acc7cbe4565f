"""Exports benchmark: wall time and peak memory of every export of a club of 1M postings.

Builds (once) a club of ``--postings`` postings (default 1,000,000) with bench/ledger.py's
random balanced entries, bulk-posted through ``ledger.post.post_entries`` (numbering, hash
chain and seal included), into a SQLite file (``--db``; kept and reused when it already holds
the club) or a PostgreSQL database. Then runs each export (hledger, beancount, CSV in both
dialects, FEC of the busiest year, XLSX) as ``python -m cigales`` in a fresh child process,
and reads that child's own resource usage (``os.wait4``): wall time and peak RSS. Target
(issue #16): every export under 150 MB peak RSS, whatever the size of the books.

``--source DIR`` runs the exports of another checkout (e.g. the code before the streamed
exports) against the same database, for a before/after comparison.

``--trial-balance`` then takes the hledger export as the plain-text tools' copy of the books
and times, as whole processes (median of 3, bench/region.py's ``measure``), ``cigales report
balance`` of the club against ``ledger bal`` and ``hledger bal`` on that journal, checks that
the three agree account by account, and prints the ratios against issue #16's targets: one
club of 1M postings, a trial balance at least 20x faster than ledger and 100x faster than
hledger.

Run ``python bench/exports.py --help``; see bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as ``python bench/exports.py`` this file's folder comes first on sys.path, where
# bench/ledger.py would shadow the ``ledger`` package: drop it before importing the project.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from sqlalchemy import func, select  # noqa: E402

from cigales import chart, db, migrate  # noqa: E402
from cigales.errors import UnknownClub  # noqa: E402
from cigales.services import accounts, clubs  # noqa: E402
from ledger.post import post_entries  # noqa: E402
from ledger.schema import Entry, Posting  # noqa: E402

SLUG = "bench-exports"
MAX_PEAK_MB = 150.0
MIN_FASTER_THAN = {"ledger": 20.0, "hledger": 100.0}  # issue #16, one club of 1M postings
ROOT = _HERE.parent


def _bench_module(name: str):  # type: ignore[no-untyped-def]
    """bench/NAME.py, loaded by path (bench/ledger.py's name would shadow the package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", _HERE / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bench_ledger():  # type: ignore[no-untyped-def]
    return _bench_module("ledger")


def trial_balance(url: str, journal: Path, env: dict[str, str]) -> bool:
    """The club's trial balance against ledger and hledger on its hledger export: times,
    agreement and ratios. True when everything is met."""
    from reports.plaintext import account_names

    region = _bench_module("region")  # its measure() and its readers of each tool's balances
    cigales = [sys.executable, "-m", "cigales", "--db", url]
    ours_argv = [*cigales, "report", "balance", "--club", SLUG]
    print(f"trial balance   whole process, median of 3 (wall, CPU, peak RSS); {journal.name} "
          f"{journal.stat().st_size / 1e6:.0f} MB")
    wall, cpu, rss, _runs = region.measure(ours_argv, 3, env)
    print(f"  {'cigales report balance':<24}{wall:>8.3f}s{cpu:>8.3f}s{rss / 1024:>8.0f} MB")
    ours = region.nonzero(region.cigales_balances(cigales, ["report", "balance", "--club", SLUG],
                                                  env))
    by_name = {v: k for k, v in account_names(sorted(ours), "hledger").items()}
    ok = True
    for tool in ("ledger", "hledger"):
        if not shutil.which(tool):
            print(f"  {tool} is not installed: not compared (apt-get install -y {tool})")
            ok = False
            continue
        t_wall, t_cpu, t_rss, runs = region.measure([tool, "-f", str(journal), "bal"], 3, env)
        print(f"  {tool + ' bal':<24}{t_wall:>8.3f}s{t_cpu:>8.3f}s{t_rss / 1024:>8.0f} MB"
              + (f"   ({runs} run)" if runs < 3 else ""))
        read = region.hledger_balances if tool == "hledger" else region.ledger_balances
        same = region.nonzero(read(journal, by_name, env)) == ours
        ratio = t_wall / wall
        met = same and ratio >= MIN_FASTER_THAN[tool]
        ok &= met
        print(f"  {'same' if same else 'DIFFERENT'} balances ({len(ours)} accounts); "
              f"{ratio:.1f}x faster than {tool} >= {MIN_FASTER_THAN[tool]:.0f}x: "
              f"{'met' if met else 'MISSED'}")
    return ok


def postings_of(engine, slug: str) -> int | None:  # type: ignore[no-untyped-def]
    """Postings of the club ``slug``, or None when the database does not hold it."""
    with db.session_scope(engine, write=False) as s:
        try:
            club = clubs.get_club(s, slug)
        except UnknownClub:
            return None
        return int(s.execute(select(func.count()).select_from(Posting).join(Entry)
                             .where(Entry.book_id == club.book_id)).scalar_one())


def build(url: str, postings: int, seed: int) -> tuple[int, float]:
    """Post random entries until the club holds ``postings`` postings (about 2.2 each)."""
    bl = _bench_ledger()
    engine = db.make_engine(url)
    migrate.ensure_ready(engine)
    start = time.perf_counter()
    with db.session_scope(engine) as s:
        club = clubs.create_club(s, SLUG, "Club d'essai des exports", bl.FOUNDED,
                                 today=bl.TODAY)
        accounts.ensure_accounts(
            s, club, [(a.code, a.label) for m in bl.MEMBERS for a in chart.member_accounts(m)])
        book_id = club.book_id
    done = 0
    entries = int(postings / 2.2) + 1
    for batch in bl.draft_batches(entries, 2000, seed):
        # Trim the last batch so the club holds exactly ``postings`` postings when possible.
        kept = []
        for draft in batch:
            if done + len(draft.lines) > postings:
                break
            kept.append(draft)
            done += len(draft.lines)
        if kept:
            with db.session_scope(engine) as s:
                post_entries(s, book_id, kept)
        if done >= postings - 1:
            break
    engine.dispose()
    return done, time.perf_counter() - start


def measure(command: list[str], env: dict[str, str], cwd: Path) -> tuple[int, float, float]:
    """Exit code, wall seconds and peak RSS (MB) of one fresh child process."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        # cwd matters: ``python -m`` puts it first on sys.path, before PYTHONPATH.
        child = subprocess.Popen(command, env=env, cwd=cwd, stdout=sink,
                                 stderr=subprocess.PIPE)
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN would mix every run so far).
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        assert child.stderr is not None
        err = child.stderr.read().decode("utf-8", "replace")
        child.stderr.close()
    if child.returncode != 0:
        print(err.strip(), file=sys.stderr)
    # ru_maxrss is in kilobytes on Linux.
    return child.returncode, wall, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postings", type=int, default=1_000_000,
                        help="postings in the club (default 1,000,000)")
    parser.add_argument("--db", default=None,
                        help="SQLite file or database URL; reused when it holds the club "
                             "(default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--source", type=Path, default=ROOT,
                        help="checkout whose code runs the exports (default: this one)")
    parser.add_argument("--only", action="append", default=None,
                        help="run only this export (hledger, beancount, csv, csv-excel-fr, "
                             "fec, xlsx); repeatable")
    parser.add_argument("--trial-balance", action="store_true",
                        help="then compare the club's trial balance with ledger and hledger "
                             "on the hledger export (issue #16)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    if args.postings < 10:
        parser.error("--postings must be at least 10")

    tmp = tempfile.TemporaryDirectory(prefix="cigales-bench-exports-")
    try:
        url = db.normalize_url(args.db or str(Path(tmp.name) / "bench.db"))
        return run(args, url, Path(tmp.name))
    finally:
        tmp.cleanup()


def run(args: argparse.Namespace, url: str, scratch: Path) -> int:
    engine = db.make_engine(url)
    migrate.ensure_ready(engine)
    held = postings_of(engine, SLUG)
    engine.dispose()
    if held is None:
        held, seconds = build(url, args.postings, args.seed)
        print(f"built           {held:,} postings in {seconds:.1f} s (bulk ledger.post)")
    elif held != args.postings:
        print(f"note            the database holds {held:,} postings, not {args.postings:,}")
    safe_url = url.rsplit("@", maxsplit=1)[-1] if "@" in url else url
    print(f"database        {safe_url}")
    print(f"club            {SLUG}, {held:,} postings")
    print(f"code            {args.source.resolve()}")

    env = {**os.environ, "PYTHONPATH": str(args.source.resolve()), "CIGALES_LANG": "en",
           "CIGALES_TODAY": "2026-11-22"}
    base = [sys.executable, "-m", "cigales", "--db", url, "export"]
    exports = {
        "hledger": ["hledger"],
        "beancount": ["beancount"],
        "csv": ["csv"],
        "csv-excel-fr": ["csv", "--dialect", "excel-fr"],
        "fec": ["fec", "--year", "2025"],
        "xlsx": ["xlsx"],
    }
    ok = True
    print(f"{'export':<14}{'wall':>10}{'peak RSS':>12}{'size':>12}   target < {MAX_PEAK_MB:.0f} MB")
    for name, extra in exports.items():
        if args.only and name not in args.only:
            continue
        target = scratch / f"export-{name}"
        code, wall, peak = measure([*base, *extra, "--club", SLUG, "-o", str(target)], env,
                                   args.source.resolve())
        size = target.stat().st_size / 1e6 if target.exists() else 0.0
        met = code == 0 and peak < MAX_PEAK_MB
        ok &= met
        verdict = "FAILED" if code else ("met" if met else "MISSED")
        print(f"{name:<14}{wall:>8.1f} s{peak:>9.0f} MB{size:>9.1f} MB   "
              f"{peak / MAX_PEAK_MB:.2f}x  {verdict}")
        if name == "hledger" and args.trial_balance and code == 0:
            journal = target.with_suffix(".journal")
            target.rename(journal)
            ok &= trial_balance(url, journal, env)
            journal.unlink()
        target.unlink(missing_ok=True)
    if args.trial_balance and args.only and "hledger" not in args.only:
        print("--trial-balance needs the hledger export: add --only hledger")
        ok = False
    return 1 if (args.strict and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
