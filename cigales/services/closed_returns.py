"""Stored returns of closed years (issue 16): computed once, reused while the books are
unchanged.

When a year is closed its return is computed (reports.club_return) and stored here with the
book's chain head. A later reader (``federation report``, ``federation return``) reuses the
stored document while the head is the same: every entry posted to the book, in any year,
moves the head (ledger/post.py), so an unchanged head means the books it was computed from
are unchanged. Otherwise the return is computed again and stored in its place. The few
facts a return reads besides the entries (jobs, an investee's SIREN, phase decisions, members
joining) are written without an entry: their writers drop the club's stored returns
(``forget``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cigales.models import ClosedYearReturn, Club
from ledger.queries import chain_heads
from ledger.schema import FiscalYear


@dataclass(frozen=True, slots=True)
class ToStore:
    """A closed year's return computed because none was stored or the books changed since."""

    club_id: int
    year: int
    document: dict[str, Any]


def reusable(session: Session, clubs: Sequence[Club], year: int) -> dict[int, dict[str, Any]]:
    """The stored returns of ``year`` still valid (chain head unchanged), by club id: two
    queries for any number of clubs."""
    ids = [c.id for c in clubs]
    if not ids:
        return {}
    heads = chain_heads(session, [c.book_id for c in clubs])
    book = {c.id: c.book_id for c in clubs}
    found = {}
    for row in session.execute(select(ClosedYearReturn).where(
            ClosedYearReturn.club_id.in_(ids), ClosedYearReturn.year == year)).scalars():
        if heads[book[row.club_id]] == (row.chain_entries, row.chain_hash):
            found[row.club_id] = json.loads(row.document)
    return found


def closed_in(session: Session, clubs: Sequence[Club], year: int) -> set[int]:
    """Ids of the clubs whose fiscal year ``year`` is closed."""
    books = {c.book_id: c.id for c in clubs}
    if not books:
        return set()
    return {books[b] for b in session.execute(select(FiscalYear.book_id).where(
        FiscalYear.book_id.in_(list(books)), FiscalYear.year == year,
        FiscalYear.closed.is_(True))).scalars()}


def forget(session: Session, club_id: int) -> None:
    """Drop a club's stored returns: called by the writers of facts a return reads that are
    not entries (jobs, investee details, phase decisions, members), which do not move the
    chain head."""
    session.execute(delete(ClosedYearReturn).where(ClosedYearReturn.club_id == club_id))


def store(session: Session, returns: Sequence[ToStore], *, today: dt.date) -> int:
    """Store (or replace) returns of closed years; each keeps the chain head written in its
    document, the one it was computed at. A return for a year that is not closed is not
    stored. Returns how many were stored. A few statements for any number of returns."""
    closed: set[tuple[int, int]] = set()
    for year in {item.year for item in returns}:
        clubs = list(session.execute(select(Club).where(
            Club.id.in_([i.club_id for i in returns if i.year == year]))).scalars())
        closed |= {(club_id, year) for club_id in closed_in(session, clubs, year)}
    keep = [item for item in returns if (item.club_id, item.year) in closed]
    if not keep:
        return 0
    rows = [{"club_id": item.club_id, "year": item.year,
             "chain_entries": int(item.document["chain_head"]["entries"]),
             "chain_hash": str(item.document["chain_head"]["hash"]), "computed_on": today,
             "document": json.dumps(item.document, ensure_ascii=False, sort_keys=True)}
            for item in keep]
    # Replace in a savepoint: when another reader stored some of the same returns first (a
    # unique violation), theirs stay (same books, same figures) and these are dropped.
    try:
        with session.begin_nested():
            for year in {item.year for item in keep}:
                session.execute(delete(ClosedYearReturn).where(
                    ClosedYearReturn.year == year,
                    ClosedYearReturn.club_id.in_([i.club_id for i in keep if i.year == year])))
            session.execute(insert(ClosedYearReturn), rows)
    except IntegrityError:
        return 0
    return len(rows)
