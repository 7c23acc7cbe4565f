"""Scratch databases for the tests: a temporary SQLite file, or a PostgreSQL schema.

Three costs are paid once per process (each pytest-xdist worker is a process) instead of once
per test, without changing what a test sees:

* **Migrating.** ``migrated=True`` gives a database at the packaged head without running
  Alembic for it: each process migrates one template (the real migrations, through
  cigales.migrate) and every scratch database is a copy of it: the SQLite file copied, or on
  PostgreSQL the template migration's statements replayed in a new schema. The schema is the
  same (test_migrations checks it).
* **Creating PostgreSQL schemas.** Creating a schema of 35 tables, 73 indexes and their
  triggers, then dropping it, cost about 0.11 s of a PostgreSQL test (and left dead rows in
  the system catalogs). A migrated schema a test is done with is made fresh again instead and
  kept for the next test of the process (``_make_fresh``): the tables the test wrote are
  emptied, the sequences it used set back to their start, and the schema's whole definition
  (tables, columns, constraints, triggers, indexes, functions, grants, planner statistics,
  stored revision, sequences) compared with a fresh one's. When they differ (a migration
  test, a role's grants, a dropped trigger, a large table) or the server refuses the reset,
  the schema is dropped, as before.
* **Building the same data.** ``fill(url, build)`` runs ``build`` once per process on
  a scratch database of its own and gives each caller's database a copy of the result:
  SQLite's backup of the whole file, or on PostgreSQL the rows copied table by table
  (triggers off: they are the rows the triggers accepted the first time) and the sequences
  set where they were. A fixture whose data many tests read (the example club of the web
  tests, the lake club of the reports) is built once per process instead of once per test.
"""

from __future__ import annotations

import functools
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, cast

import psycopg
import psycopg.errors
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

from cigales import db, migrate

Statement = tuple[str, Any, bool]


class ScratchDatabase:
    """A database of its own. PostgreSQL tests share one server and database (CI's ``test``),
    so each gets a schema and a URL whose search_path points at it; concurrent runs never see
    each other's tables."""

    def __init__(self, backend: str, prefix: str = "t", *, migrated: bool = False) -> None:
        self.backend = backend
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._schema: str | None = None
        self._reusable = migrated
        self._engine: Engine | None = None
        if backend == "sqlite":
            self._tmp = tempfile.TemporaryDirectory(prefix=f"cigales-{prefix}-")
            self.path = Path(self._tmp.name) / "test.db"
            if migrated:
                shutil.copyfile(_sqlite_template(), self.path)
            self.url = f"sqlite:///{self.path}"
            _LIVE[self.url] = self
            return
        pg_url = os.environ["CIGALES_TEST_PG_URL"]
        if migrated and _POOL:
            self._schema = _POOL.pop()
        else:
            self._schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
            # The schema and, for a migrated one, the template's statements in one
            # transaction on the process's own connection (search_path set there), sent as
            # scripts: a round trip per statement was most of a schema's creation.
            _admin([(f"CREATE SCHEMA {self._schema}", None, False),
                    *([(f"SET LOCAL search_path TO {self._schema}", None, False),
                       *_pg_template()] if migrated else [])])
            if migrated and "fingerprint" not in _TEMPLATES:
                _TEMPLATES["fingerprint"] = _fingerprint(self._schema)
        sep = "&" if "?" in pg_url else "?"
        self.url = f"{db.normalize_url(pg_url)}{sep}options=-csearch_path%3D{self._schema}"
        _LIVE[self.url] = self

    @property
    def schema(self) -> str | None:
        return self._schema

    def reader(self) -> Engine:
        """A plain SQLAlchemy engine on this database for the test's own reads
        (``snapshot``), made once and disposed when the database is dropped; the commands
        under test still open their own."""
        if self._engine is None:
            # SQLite: a new connection each time, opening the file by its path (``restore``
            # swaps the file under it); PostgreSQL: one session kept, a new one costs the
            # server a process.
            self._engine = create_engine(
                db.normalize_url(self.url),
                **({"poolclass": NullPool} if self.backend == "sqlite" else {}))
        return self._engine

    def drop(self) -> None:
        _LIVE.pop(self.url, None)
        if self._engine is not None:
            self._engine.dispose()  # its connections closed before the schema is reset
            self._engine = None
        if self._schema is not None:
            if self._reusable and _make_fresh(self._schema):
                _POOL.append(self._schema)
            else:
                _admin([(f"DROP SCHEMA {self._schema} CASCADE", None, False)])
            self._schema = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


# Built on first use and kept as long as the process.
_TEMPLATES: dict[str, object] = {}
# Migrated PostgreSQL schemas made fresh again, for the next tests of this process.
_POOL: list[str] = []
# (backend, key) -> the database fill() copies, with (PostgreSQL) the statements copying it.
_PREPARED: dict[tuple[str, str], tuple[ScratchDatabase, list[str] | None]] = {}
# url -> the scratch database behind it, while it lives (``fill``, ``live``).
_LIVE: dict[str, ScratchDatabase] = {}


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


def _connection() -> Any:
    """This process's administration connection to CIGALES_TEST_PG_URL, opened once."""
    if "admin" not in _TEMPLATES:
        engine = db.make_engine(os.environ["CIGALES_TEST_PG_URL"], poolclass=NullPool)
        _TEMPLATES["admin"] = engine.raw_connection()  # lives as long as the process
    return cast(Any, _TEMPLATES["admin"]).driver_connection


def _admin(statements: list[Statement]) -> None:
    """Run ``statements`` in one transaction on the administration connection. Consecutive
    statements without parameters go as one script (one round trip, the simple query
    protocol, which also takes a statement of several commands); the others one by one with
    their parameters."""
    connection = _connection()
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


# Everything a test could change in a schema besides rows, a line each, read with the
# schema first on the search_path and the pg_get_*def functions in their "pretty" form, so
# that names print unqualified: the same text for every schema. Planner statistics are in it
# (relpages, reltuples, pg_statistic): a table emptied is still "never vacuumed", as at
# creation; a table analyzed or vacuumed is not.
_NS = "current_schema()::regnamespace"
DEFINITION_SQL = f"""
  SELECT concat_ws(' ', 'relation', c.relname, c.relkind, c.relowner, c.relacl,
                   c.relrowsecurity, c.relforcerowsecurity, c.relpersistence, c.relpages,
                   c.reltuples, c.relallvisible, c.relreplident, c.reloptions) AS line
    FROM pg_class c WHERE c.relnamespace = {_NS}
  UNION ALL
  SELECT concat_ws(' ', 'column', c.relname, a.attname, a.attnum,
                   format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                   a.attgenerated, pg_get_expr(d.adbin, d.adrelid), a.attacl, a.attstattarget,
                   a.attcollation)
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace = {_NS} AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT concat_ws(' ', 'constraint', conrelid::regclass, conname, convalidated,
                   pg_get_constraintdef(oid, true))
    FROM pg_constraint WHERE connamespace = {_NS}
  UNION ALL
  SELECT concat_ws(' ', 'trigger', t.tgname, t.tgenabled, pg_get_triggerdef(t.oid, true))
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace = {_NS} AND NOT t.tgisinternal  -- foreign keys': their constraints
  UNION ALL
  SELECT concat_ws(' ', 'index', pg_get_indexdef(i.indexrelid, 0, true), i.indisvalid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = {_NS}
  UNION ALL
  SELECT concat_ws(' ', 'function', p.proname, pg_get_function_identity_arguments(p.oid),
                   pg_get_function_result(p.oid), md5(p.prosrc), p.proowner, p.proacl,
                   p.prosecdef, p.proconfig)
    FROM pg_proc p WHERE p.pronamespace = {_NS}
  UNION ALL
  SELECT concat_ws(' ', 'view', c.relname, pg_get_viewdef(c.oid, true))
    FROM pg_class c WHERE c.relnamespace = {_NS} AND c.relkind IN ('v', 'm')
  UNION ALL
  SELECT concat_ws(' ', 'rule', tablename, rulename, definition)
    FROM pg_rules WHERE schemaname = current_schema()
  UNION ALL
  SELECT concat_ws(' ', 'policy', p.polrelid::regclass, p.polname, p.polcmd, p.polroles,
                   p.polpermissive, pg_get_expr(p.polqual, p.polrelid),
                   pg_get_expr(p.polwithcheck, p.polrelid))
    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = {_NS}
  UNION ALL
  SELECT concat_ws(' ', 'type', t.typname, t.typtype, t.typowner, t.typacl,
                   (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                      FROM pg_enum e WHERE e.enumtypid = t.oid))
    FROM pg_type t WHERE t.typnamespace = {_NS}
  UNION ALL
  SELECT concat_ws(' ', 'sequence', s.seqrelid::regclass, s.seqtypid, s.seqstart,
                   s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle, q.last_value)
    FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
    JOIN pg_sequences q ON q.schemaname = current_schema() AND q.sequencename = c.relname
    WHERE c.relnamespace = {_NS}
  UNION ALL
  SELECT concat_ws(' ', 'statistics', count(*))
    FROM pg_statistic s JOIN pg_class c ON c.oid = s.starelid WHERE c.relnamespace = {_NS}
  UNION ALL
  SELECT concat_ws(' ', 'comment', d.objoid::regclass, d.objsubid, d.description)
    FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
    WHERE d.classoid = 'pg_class'::regclass AND c.relnamespace = {_NS}
  UNION ALL
  SELECT concat_ws(' ', 'schema', nspowner, nspacl) FROM pg_namespace WHERE oid = {_NS}
  UNION ALL
  SELECT concat_ws(' ', 'revision', version_num) FROM {migrate.VERSION_TABLE}
"""
# Its lines as one digest, computed by the server: one row back per test, not a thousand.
FINGERPRINT_SQL = (f"SELECT md5(string_agg(line, E'\\n' ORDER BY line)) "
                   f"FROM ({DEFINITION_SQL}) AS lines")

# Undo the rows and sequences a test wrote: empty every table with a page on disk (a fresh
# one has none; any insert, even rolled back, makes one) and set every sequence that was
# used back to its start. Triggers are off (session_replication_role, which needs a
# superuser): the ledger's tables refuse DELETE otherwise, as they should.
#
# DELETE, not TRUNCATE: TRUNCATE gives a table new, empty files but marks its indexes "never
# built" in pg_class (the fingerprint then differs from a fresh schema's), and with CASCADE
# it reached most tables and cost more than making a new schema. What DELETE leaves is dead
# rows on a few pages, which the planner cannot see: a table never vacuumed counts as at
# least 10 pages (plancat.c, estimate_rel_size). So a schema holding a table of 10 pages or
# more is not kept (the exception below): it is dropped, and its successor made anew.
RESET_SQL = f"""
SET LOCAL session_replication_role = replica;
DO $reset$
DECLARE
  written record;
  used record;
BEGIN
  FOR written IN SELECT quote_ident(relname) AS name, pg_relation_size(oid) AS size
                   FROM pg_class
                  WHERE relnamespace = {_NS} AND relkind = 'r'
                    AND relname <> '{migrate.VERSION_TABLE}' AND pg_relation_size(oid) > 0 LOOP
    IF written.size >= 10 * current_setting('block_size')::int THEN
      RAISE EXCEPTION 'table % is too large to be emptied in place', written.name;
    END IF;
    EXECUTE 'DELETE FROM ' || written.name;
  END LOOP;
  FOR used IN SELECT quote_ident(sequencename) AS name, start_value FROM pg_sequences
               WHERE schemaname = current_schema() AND last_value IS NOT NULL LOOP
    PERFORM setval(used.name, used.start_value, false);
  END LOOP;
END
$reset$
"""


@contextmanager
def in_schema(schema: str) -> Iterator[Any]:
    """A cursor of the administration connection in a transaction whose search_path is
    ``schema`` (names print unqualified there)."""
    connection = _connection()
    with connection.transaction():
        cursor = connection.cursor()
        cursor.execute(f"SET LOCAL search_path TO {schema}")
        yield cursor


def _fingerprint(schema: str) -> str:
    with in_schema(schema) as cursor:
        return cast(str, cursor.execute(FINGERPRINT_SQL).fetchone()[0])


def _make_fresh(schema: str) -> bool:
    """Make a migrated schema a test is done with as a fresh one again: True when it is, and
    may be taken by the next test; False when it must be dropped (its definition changed, or
    the server refused the reset)."""
    try:
        with in_schema(schema) as cursor:
            cursor.execute(RESET_SQL)
            fingerprint = cursor.execute(FINGERPRINT_SQL).fetchone()[0]
    except psycopg.Error:  # any refusal: the schema is dropped, as before
        return False
    return bool(fingerprint == _TEMPLATES.get("fingerprint"))


def drop_pool() -> None:
    """Drop this process's kept schemas (the end of a run)."""
    schemas = [*_POOL, *(source.schema for (backend, _), (source, _) in _PREPARED.items()
                         if backend == "postgresql")]
    _POOL.clear()
    _PREPARED.clear()  # the SQLite sources' folders go with the process
    if schemas:
        _admin([(f"DROP SCHEMA {schema} CASCADE", None, False) for schema in schemas])


def fill(url: str, build: Callable[[Engine], None]) -> None:
    """Give the scratch database at ``url`` (migrated and still empty) what ``build`` writes
    in one: ``build`` (a function, or a ``functools.partial`` of one) runs once per process
    and arguments, on a database of its own, and every call gets a copy of the result. The
    copy goes through the database (SQLite's backup, PostgreSQL rows), so connections already
    open on ``url`` see it like any commit."""
    target = _LIVE[url]
    backend = target.backend
    key = _key(build)
    if (backend, key) not in _PREPARED:
        source = ScratchDatabase(backend, prefix="src", migrated=True)
        del _LIVE[source.url]  # kept to the end of the process (drop_pool)
        _build_in(source.url, build)
        _PREPARED[(backend, key)] = (
            source, None if backend == "sqlite" else _pg_rows(cast(str, source.schema)))
    source, statements = _PREPARED[(backend, key)]
    if backend == "sqlite":
        with closing(sqlite3.connect(source.path)) as origin, \
                closing(sqlite3.connect(target.path)) as copy:
            origin.backup(copy)
        return
    try:
        _admin([(f"SET LOCAL search_path TO {target.schema}", None, False),
                ("SET LOCAL session_replication_role = replica", None, False),
                *[(s.format(source=source.schema), None, False) for s in statements or ()]])
    except psycopg.errors.InsufficientPrivilege:
        # Triggers can be turned off by a superuser only: another role builds in place.
        _build_in(url, build)


def _build_in(url: str, build: Callable[[Engine], None]) -> None:
    engine = db.make_engine(url)
    try:
        build(engine)
    finally:
        engine.dispose()


def live(url: str) -> ScratchDatabase | None:
    """The scratch database at ``url``, while it lives."""
    return _LIVE.get(url)


def _key(build: Callable[[Engine], None]) -> str:
    """What names a build: its function, and for a ``functools.partial`` its arguments."""
    if isinstance(build, functools.partial):
        return f"{_key(build.func)}{build.args!r}{sorted(build.keywords.items())!r}"
    return f"{build.__module__}.{build.__qualname__}"


def _pg_rows(schema: str) -> list[str]:
    """The statements that copy a schema's rows and sequences into the current one: one
    INSERT ... SELECT per table with rows (columns named: the same order as the source's),
    and the sequences set where they are."""
    with in_schema(schema) as cursor:
        tables = cursor.execute(f"""
            SELECT c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
              FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
             WHERE c.relnamespace = {_NS} AND c.relkind = 'r'
               AND c.relname <> '{migrate.VERSION_TABLE}' AND pg_relation_size(c.oid) > 0
               AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
             GROUP BY c.relname ORDER BY c.relname""").fetchall()
        sequences = cursor.execute("""
            SELECT sequencename, last_value FROM pg_sequences
             WHERE schemaname = current_schema() AND last_value IS NOT NULL""").fetchall()
    return [*(f"INSERT INTO {table} ({columns}) OVERRIDING SYSTEM VALUE "
              f"SELECT {columns} FROM {{source}}.{table}" for table, columns in tables),
            *(f"SELECT setval('{name}', {value})" for name, value in sequences)]
