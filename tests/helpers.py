"""Small builders shared by the tests."""

from __future__ import annotations

import datetime as dt

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


def m(text: str) -> Money:
    return Money.parse(text)


def draft(date: dt.date, *lines: tuple[str, str], journal: str = "BQ", label: str = "test",
          key: str | None = None) -> EntryDraft:
    return EntryDraft(journal, date, label, tuple(Line(a, m(x)) for a, x in lines), key=key)
