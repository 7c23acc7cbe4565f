"""Audit rules that tie the closing of fiscal years to the hash chain.

The ``fiscal_year.closed`` flag is a plain column: an attacker who drops the guards can reopen
a year, post into it and close it again. The chain cannot be rewritten that quietly, and a
year's closing is in the chain: ``close_year`` posts the à-nouveaux entry (journal AN, dated
1 January of the next year) right after the closing entries, in the same transaction. So the
chain position of AN dated Y+1-01-01 is the moment year Y (and every year before it) closed,
and the audit checks the rows against it:

* ``year_reopened``: a year at or before an à-nouveaux entry's year is not closed (or has no
  row) although the chain closed it;
* ``entry_after_closing``: an entry dated in a closed year comes after that year's à-nouveaux
  in chain order, i.e. it was posted after the closing;
* ``fiscal_year_bounds_mismatch``: a year's stored start or end is not the calendar year
  (moving the end of a closed year would let entries slip past the date guard).

A year closed with fewer than two balance-sheet balances has no à-nouveaux entry and so no
trace in the chain; nothing could be carried, and the other rules still apply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.post import fiscal_year_bounds
from ledger.schema import OPENING_JOURNAL, Book, Entry, FiscalYear

# (code, detail, entry reference or None), turned into AuditIssue by ledger.audit.
Finding = tuple[str, str, str | None]


def check_closings(session: Session, book_id: int) -> Iterator[Finding]:
    book = session.execute(select(Book).where(Book.id == book_id)).scalar_one()
    years = {
        year: (start, end, bool(closed))
        for year, start, end, closed in session.execute(
            select(FiscalYear.year, FiscalYear.start_date, FiscalYear.end_date,
                   FiscalYear.closed).where(FiscalYear.book_id == book_id)
        ).all()
    }
    for year, (start, end, _closed) in sorted(years.items()):
        if (start, end) != fiscal_year_bounds(book.opened_on, year):
            yield ("fiscal_year_bounds_mismatch",
                   f"year {year} is stored as {start.isoformat()}..{end.isoformat()}", None)

    openings = session.execute(
        select(Entry.seq, Entry.date, Entry.journal, Entry.number)
        .where(Entry.book_id == book_id, Entry.journal == OPENING_JOURNAL)
        .order_by(Entry.seq)
    ).all()
    reopened: set[int] = set()
    late: dict[int, tuple[str, int, str]] = {}  # chain position -> (entry, year, closing)
    for seq, day, journal, number in openings:
        if (day.month, day.day) != (1, 1):
            continue  # not written by close_year; its restatement is checked elsewhere
        closed_year = day.year - 1
        an_ref = f"{journal} {number}"
        for year in range(book.opened_on.year, closed_year + 1):
            if year not in reopened and not years.get(year, (None, None, False))[2]:
                reopened.add(year)
                yield ("year_reopened",
                       f"year {year} is open, but the chain closed it before {an_ref}", None)
        for e_seq, e_journal, e_number, e_date in session.execute(
            select(Entry.seq, Entry.journal, Entry.number, Entry.date)
            .where(Entry.book_id == book_id, Entry.seq > seq,
                   Entry.date <= dt.date(closed_year, 12, 31))
        ).all():
            late.setdefault(e_seq, (f"{e_journal} {e_number}", e_date.year, an_ref))
    for _seq, (ref, year, an_ref) in sorted(late.items()):
        yield ("entry_after_closing",
               f"dated in {year}, posted after that year was closed ({an_ref})", ref)
