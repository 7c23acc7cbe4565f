"""Two processes posting to one club at once: numbering stays gapless, the chain intact.

SQLite writers serialize through BEGIN IMMEDIATE; PostgreSQL writers through the book row
lock (SELECT ... FOR UPDATE). Without either, both would read the same counter and chain head.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing

from sqlalchemy import func, select

from cigales import db
from ledger.audit import check_book
from ledger.post import post_entry
from ledger.queries import trial_balance
from ledger.schema import Entry
from tests.helpers import draft, make_club

PER_WORKER = 60


def _worker(url: str, book_id: int, worker: int) -> None:
    engine = db.make_engine(url)
    for i in range(PER_WORKER):
        with db.session_scope(engine) as s:
            post_entry(s, book_id, draft(dt.date(2022, 1, 1) + dt.timedelta(days=i % 300),
                                         ("5121", f"{worker}.{i % 100:02d}"),
                                         ("7680", f"-{worker}.{i % 100:02d}"),
                                         label=f"w{worker} #{i}"))
    engine.dispose()


def test_two_processes_posting_at_once(engine, database_url):
    club = make_club(engine)
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_worker, args=(database_url, club.book_id, w))
               for w in (1, 2)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=120)
        assert p.exitcode == 0
    with db.session_scope(engine, write=False) as s:
        numbers = sorted(s.execute(select(Entry.number).where(
            Entry.book_id == club.book_id, Entry.journal == "BQ")).scalars())
        assert numbers == list(range(1, 2 * PER_WORKER + 1))
        assert check_book(s, club.book_id) == []
        tb = trial_balance(s, club.book_id)
        expected = sum(w * 100 + i % 100 for w in (1, 2) for i in range(PER_WORKER))
        assert tb.total_debit.cents == expected == tb.total_credit.cents
        assert s.execute(select(func.count()).select_from(Entry)).scalar_one() == 2 * PER_WORKER
