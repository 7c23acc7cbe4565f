"""Small builders shared by the tests."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid

from sqlalchemy import Engine, text

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


class ScratchDatabase:
    """An empty database of its own: a temporary SQLite file, or a PostgreSQL schema.

    PostgreSQL tests share one server and database (CI's ``test``), so each gets a schema and
    a URL whose search_path points at it; concurrent runs never see each other's tables.
    """

    def __init__(self, backend: str, prefix: str = "t") -> None:
        self.backend = backend
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._schema: str | None = None
        if backend == "sqlite":
            self._tmp = tempfile.TemporaryDirectory(prefix=f"cigales-{prefix}-")
            self.url = f"sqlite:///{self._tmp.name}/test.db"
            return
        pg_url = os.environ["CIGALES_TEST_PG_URL"]
        self._schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self._admin(f"CREATE SCHEMA {self._schema}")
        sep = "&" if "?" in pg_url else "?"
        self.url = f"{db.normalize_url(pg_url)}{sep}options=-csearch_path%3D{self._schema}"

    def _admin(self, statement: str) -> None:
        admin = db.make_engine(os.environ["CIGALES_TEST_PG_URL"])
        try:
            with admin.begin() as conn:
                conn.execute(text(statement))
        finally:
            admin.dispose()

    def drop(self) -> None:
        if self._schema is not None:
            self._admin(f"DROP SCHEMA {self._schema} CASCADE")
        if self._tmp is not None:
            self._tmp.cleanup()
