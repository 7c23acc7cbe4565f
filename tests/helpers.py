"""Small builders shared by the tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from cigales import db
from cigales.models import Club
from cigales.services import clubs
from ledger.money import Money
from ledger.post import EntryDraft, Line

FOUNDED = dt.date(2021, 3, 15)
TODAY = dt.date(2026, 11, 22)


def make_club(engine: Engine, slug: str = "les-fourmis", founded: dt.date = FOUNDED) -> Club:
    with db.session_scope(engine) as s:
        return clubs.create_club(s, slug, "Les Fourmis", founded, today=TODAY)


def post_random_book(session: Any, book: int,
                     written: list[tuple[dt.date, str, tuple[str, str, int]]], *,
                     opening: bool, reversed_count: int) -> None:
    """Post a random book drawn by the property tests: ``written`` entries (date, journal,
    (debit account, credit account, cents)) in date order, the first ``reversed_count``
    reversed at the end of 2023, after (``opening``) the AN entry of a club that moved in
    with its position, which counts in balances."""
    from ledger.post import post_entries, reverse_entry

    if opening:
        post_entries(session, book, [EntryDraft("AN", FOUNDED, "Reprise", (
            Line("5121", Money(123_45)), Line("110", Money(-123_45))))], allow_opening=True)
    posted = post_entries(session, book, [
        EntryDraft(journal, date, "test", (Line(debit, Money(cents)),
                                           Line(credit, Money(-cents))))
        for date, journal, (debit, credit, cents) in sorted(written)])
    for p in posted[:reversed_count]:
        reverse_entry(session, book, p.journal, p.number, max(p.date, dt.date(2023, 12, 31)))


def m(text: str) -> Money:
    return Money.parse(text)


def draft(date: dt.date, *lines: tuple[str, str], journal: str = "BQ", label: str = "test",
          key: str | None = None) -> EntryDraft:
    return EntryDraft(journal, date, label, tuple(Line(a, m(x)) for a, x in lines), key=key)
