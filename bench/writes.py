"""Service writes benchmark: `saving collect` and a bank statement import, statements per entry.

Creates a club of 15 members (through the services) in a fresh temporary SQLite file or the
database named by ``--db``, then:

1. collects ``--months`` months of savings with ``services.savings.collect_month`` (what
   `cigales saving collect` runs), one month per transaction;
2. imports a bank statement (CSV, the default profile) of the same members' savings for the
   following ``--months`` months, one line per member and month, each line naming the
   member's reference (``CIG-M01``), through ``services.bank.propose`` and ``book_all`` (what
   `cigales bank import` runs, ``BATCH_SIZE`` lines per transaction).

For each it prints entries/s (wall clock and per CPU second) and the statements sent to the
database per entry (a SQLAlchemy event listener counts them, BEGIN and SAVEPOINT included), and
the target of issue #13 (at most 5 per entry) as met or MISSED; ``--strict`` exits 1 on a miss.
Run ``python bench/writes.py --help``; see bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from sqlalchemy import event  # noqa: E402

from cigales import db, migrate  # noqa: E402
from cigales.bank import rules as rules_mod  # noqa: E402
from cigales.services import bank, clubs, members, savings  # noqa: E402
from cigales.services.clubs import get_club  # noqa: E402
from ledger.money import Money  # noqa: E402

TODAY = dt.date(2026, 11, 22)
FOUNDED = dt.date(2021, 1, 4)
MEMBERS = 15
MAX_QUERIES_PER_ENTRY = 5.0
SLUG = "bench-writes"


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--months", type=int, default=24, help="months of each (default 24)")
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file); it "
                                     "must not hold a club named bench-writes")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()
    if not 1 <= args.months <= 30:
        parser.error("--months must be from 1 to 30")
    with tempfile.TemporaryDirectory(prefix="cigales-bench-writes-") as tmp:
        url = args.db or f"sqlite:///{tmp}/writes.db"
        engine = db.make_engine(url)
        migrate.ensure_ready(engine)
        with db.session_scope(engine) as s:
            club = clubs.create_club(s, SLUG, "Bench writes", FOUNDED, today=TODAY)
            for i in range(1, MEMBERS + 1):
                members.add_member(s, club, code=f"M{i:02d}", name=f"Membre {i:02d}",
                                   joined=FOUNDED, monthly=Money(1_000 + 500 * i), today=TODAY)
        statements = [0]

        def count(*_args: object) -> None:
            statements[0] += 1

        event.listen(engine, "before_cursor_execute", count)
        results = []

        # 1. saving collect, one month per transaction
        wall, cpu, entries = time.perf_counter(), time.process_time(), 0
        for n in range(args.months):
            month = add_months(dt.date(2021, 2, 1), n)
            with db.session_scope(engine) as s:
                done = savings.collect_month(s, get_club(s, SLUG), month.year, month.month,
                                             date=month.replace(day=5), today=TODAY)
            entries += len(done.recorded)
        results.append(("saving collect", entries, time.perf_counter() - wall,
                        time.process_time() - cpu, statements[0]))

        # 2. a bank statement of the next months' savings
        rows = []
        for n in range(args.months, 2 * args.months):
            month = add_months(dt.date(2021, 2, 1), n)
            for i in range(1, MEMBERS + 1):
                rows.append(f"{month.replace(day=6).strftime('%d/%m/%Y')};VIR CIG-M{i:02d} "
                            f"épargne;{(1_000 + 500 * i) / 100:.2f}\n".replace(".", ","))
        path = Path(tmp) / "statement.csv"
        path.write_text("Date;Libellé;Montant\n" + "".join(rows), encoding="utf-8")
        statements[0] = 0
        wall, cpu = time.perf_counter(), time.process_time()
        statement, sha = bank.read(path)
        with db.session_scope(engine, write=False) as s:
            proposals = bank.propose(s, get_club(s, SLUG), statement, rules_mod.rules(None))
        info = bank.ImportInfo(sha, path.name, statement.profile, len(proposals), 0)
        result = bank.book_all(engine, SLUG, proposals, info, today=TODAY)
        results.append(("bank import", result.booked, time.perf_counter() - wall,
                        time.process_time() - cpu, statements[0]))
        kinds = {p.match.kind for p in proposals}
        engine.dispose()
    print(f"database        {url.split(':', 1)[0]}{' (temporary file)' if not args.db else ''}"
          f", {MEMBERS} members, {args.months} months each")
    missed = 0
    for name, n, wall_s, cpu_s, sent in results:
        per_entry = sent / n
        print(f"{name:<16}{n:,} entries   {n / wall_s:,.0f} entries/s   "
              f"{n / cpu_s:,.0f} per CPU second   {sent:,} statements, {per_entry:.1f} per entry")
        ok = per_entry <= MAX_QUERIES_PER_ENTRY
        missed += not ok
        print(f"{'met   ' if ok else 'MISSED'}  {name}: {per_entry:.1f} statements per entry "
              f"<= {MAX_QUERIES_PER_ENTRY:.0f}")
    print(f"bank lines matched as: {', '.join(sorted(kinds))}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
