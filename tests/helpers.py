"""Small builders shared by the tests."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, event
from sqlalchemy.pool import NullPool

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
        sep = "&" if "?" in pg_url else "?"
        self.url = f"{db.normalize_url(pg_url)}{sep}options=-csearch_path%3D{self._schema}"
        # The schema and, for a migrated one, the template's statements in one transaction
        # on the worker's own connection (search_path set there), sent in a pipeline: a
        # round trip per statement was most of a PostgreSQL test's set-up.
        _admin([(f"CREATE SCHEMA {self._schema}", None, False),
                *([(f"SET LOCAL search_path TO {self._schema}", None, False),
                   *_pg_template()] if migrated else [])])

    def drop(self) -> None:
        if self._schema is not None:
            _admin([(f"DROP SCHEMA {self._schema} CASCADE", None, False)])
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


def _admin(statements: list[Statement]) -> None:
    """Run ``statements`` in one transaction on this process's administration connection
    (opened once, to CIGALES_TEST_PG_URL). Consecutive statements without parameters go as
    one script (one round trip, the simple query protocol, which also takes a statement of
    several commands); the others one by one with their parameters."""
    if "admin" not in _TEMPLATES:
        engine = db.make_engine(os.environ["CIGALES_TEST_PG_URL"], poolclass=NullPool)
        _TEMPLATES["admin"] = engine.raw_connection()  # lives as long as the process
    connection = cast(Any, _TEMPLATES["admin"]).driver_connection
    script: list[str] = []
    with connection.transaction():
        cursor = connection.cursor()

        def flush() -> None:
            if script:
                cursor.execute(";\n".join(script))
                script.clear()

        for statement, parameters, executemany in statements:
            # A "%" would be read as a placeholder or not depending on the parameters: such a
            # statement keeps its own (none of the migrations' has one today).
            if not parameters and not executemany and "%" not in statement:
                script.append(statement)
                continue
            flush()
            if executemany:
                cursor.executemany(statement, parameters)
            else:
                cursor.execute(statement, parameters)
        flush()
