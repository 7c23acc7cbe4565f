"""Small builders shared by the tests."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, event, text

from cigales import db, migrate
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
    """A database of its own: a temporary SQLite file, or a PostgreSQL schema.

    PostgreSQL tests share one server and database (CI's ``test``), so each gets a schema and
    a URL whose search_path points at it; concurrent runs never see each other's tables.

    ``migrated=True`` gives a database at the packaged head without running Alembic for it:
    each process migrates one template once (the real migrations, through cigales.migrate),
    and every scratch database is a copy of it: the SQLite file copied, or on PostgreSQL the
    template migration's statements replayed in the new schema. Running Alembic per test cost
    most of the suite's database set-up; the schema is the same (test_migrations checks it).
    """

    def __init__(self, backend: str, prefix: str = "t", *, migrated: bool = False) -> None:
        self.backend = backend
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._schema: str | None = None
        if backend == "sqlite":
            self._tmp = tempfile.TemporaryDirectory(prefix=f"cigales-{prefix}-")
            path = Path(self._tmp.name) / "test.db"
            if migrated:
                shutil.copyfile(_sqlite_template(), path)
            self.url = f"sqlite:///{path}"
            return
        pg_url = os.environ["CIGALES_TEST_PG_URL"]
        self._schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self._admin(f"CREATE SCHEMA {self._schema}")
        sep = "&" if "?" in pg_url else "?"
        self.url = f"{db.normalize_url(pg_url)}{sep}options=-csearch_path%3D{self._schema}"
        if migrated:
            _replay(self.url, _pg_template())

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


# One template per process (each pytest-xdist worker is a process), built on first use.
_TEMPLATES: dict[str, object] = {}


def _sqlite_template() -> Path:
    if "sqlite" not in _TEMPLATES:
        folder = tempfile.TemporaryDirectory(prefix="cigales-template-")
        path = Path(folder.name) / "template.db"
        engine = db.make_engine(f"sqlite:///{path}")
        try:
            migrate.ensure_ready(engine)
        finally:
            # Closing the last connection checkpoints the WAL into the file we copy.
            engine.dispose()
        _TEMPLATES["sqlite"] = (folder, path)  # the folder lives as long as the process
    return cast(tuple[object, Path], _TEMPLATES["sqlite"])[1]


Statement = tuple[str, Any, bool]


def _pg_template() -> list[Statement]:
    """The statements the real migration sends, recorded once on a scratch schema."""
    if "postgresql" not in _TEMPLATES:
        scratch = ScratchDatabase("postgresql", prefix="tmpl")
        engine = db.make_engine(scratch.url)
        recorded: list[Statement] = []

        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                   executemany: bool) -> None:
            recorded.append((statement, parameters, executemany))

        event.listen(engine, "before_cursor_execute", record)
        try:
            migrate.ensure_ready(engine)
        finally:
            engine.dispose()
            scratch.drop()
        # Reads (Alembic's and the migrations' reflection) change nothing: not replayed.
        _TEMPLATES["postgresql"] = [r for r in recorded
                                    if not r[0].lstrip().upper().startswith("SELECT")]
    return cast(list[Statement], _TEMPLATES["postgresql"])


def _replay(url: str, statements: list[Statement]) -> None:
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            for statement, parameters, executemany in statements:
                if executemany:
                    cursor.executemany(statement, parameters)
                else:
                    cursor.execute(statement, parameters)
    finally:
        engine.dispose()
