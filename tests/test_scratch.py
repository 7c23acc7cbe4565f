"""The tests' scratch databases (tests/scratch.py) give every test what a fresh one would.

A kept PostgreSQL schema must be indistinguishable from a new one (rows, sequences,
definition); one a test changed must be dropped, not kept; a copy made by ``fill`` must hold
exactly the rows of the database it copies and keep working as books (the triggers, the hash
chain and the kept balances go on from the copied rows).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from cigales import db
from cigales.cli.entry import run
from tests import scratch
from tests.cli.conftest import snapshot
from tests.reports.conftest import SLUG, build_lake_club
from tests.scratch import ScratchDatabase

PG = os.environ.get("CIGALES_TEST_PG_URL")
needs_pg = pytest.mark.skipif(not PG, reason="PostgreSQL: set CIGALES_TEST_PG_URL")

def definition(schema: str) -> list[str]:
    """The lines of the fingerprint, to show what differs rather than two digests."""
    with scratch.in_schema(schema) as cursor:
        return sorted(row[0] for row in cursor.execute(scratch.DEFINITION_SQL))


def state(schema: str) -> dict[str, object]:
    """Every row count and every sequence of a schema."""
    with scratch.in_schema(schema) as cursor:
        tables = [row[0] for row in cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
            "AND relkind = 'r' ORDER BY 1")]
        counts = {t: cursor.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        sequences = cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences "
            "WHERE schemaname = current_schema() ORDER BY 1").fetchall()
    return {"rows": counts, "sequences": sequences}


def exists(schema: str) -> bool:
    connection = scratch._connection()
    with connection.transaction():
        return bool(connection.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()[0])


@pytest.fixture
def kept() -> Iterator[None]:
    """An empty pool before and after: the test sees its own schemas only."""
    scratch.drop_pool()
    yield
    scratch.drop_pool()


def books(url: str) -> None:
    """The lake club's two years of books, through the services."""
    engine = db.make_engine(url)
    try:
        build_lake_club(engine)
    finally:
        engine.dispose()


@needs_pg
def test_new_schemas_read_the_same(kept):
    # Every kept schema is compared with the first one made: their definitions must not
    # name the schema.
    first = ScratchDatabase("postgresql", migrated=True)
    second = ScratchDatabase("postgresql", migrated=True)
    names = sorted([first.schema, second.schema])
    try:
        assert first.schema != second.schema
        assert definition(first.schema) == definition(second.schema)
        assert not any(name in line for line in definition(second.schema) for name in names)
    finally:
        first.drop()
        second.drop()
    assert sorted(scratch._POOL) == names  # both kept


@needs_pg
def test_a_kept_schema_is_what_a_new_one_is(kept):
    fresh = ScratchDatabase("postgresql", migrated=True)
    new_state, new_definition = state(fresh.schema), definition(fresh.schema)
    books(fresh.url)
    written = state(fresh.schema)
    assert written["rows"]["posting"] > 0
    assert any(v for _, v in written["sequences"])
    name = fresh.schema
    fresh.drop()
    assert [name] == scratch._POOL

    again = ScratchDatabase("postgresql", migrated=True)
    try:
        assert again.schema == name  # taken from the pool, not made anew
        assert state(name) == new_state
        assert definition(name) == new_definition
        # Numbering starts over: the books written again are the same books.
        books(again.url)
        assert state(name) == written
    finally:
        again.drop()


CHANGES = {
    "a trigger disabled": "ALTER TABLE posting DISABLE TRIGGER USER",
    "statistics gathered": "ANALYZE member",
    "a grant": "GRANT SELECT ON club TO PUBLIC",
    "an index added": "CREATE INDEX ix_extra ON member (code)",
    "another revision stored": "UPDATE alembic_version SET version_num = '0001_initial'",
    "a function replaced": "CREATE OR REPLACE FUNCTION ledger_no_truncate() RETURNS trigger "
                           "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
    "a column added": "ALTER TABLE club ADD COLUMN extra integer",
    "a table too large to empty in place":
        "INSERT INTO web_sign_in_failure (email, address, at) "
        "SELECT 'x' || g, 'y', now() FROM generate_series(1, 5000) AS g",
}


@needs_pg
@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_changed_schema_is_dropped_not_kept(kept, change):
    used = ScratchDatabase("postgresql", migrated=True)
    engine = db.make_engine(used.url)
    try:
        with engine.begin() as conn:
            conn.execute(text(change))
    finally:
        engine.dispose()
    name = used.schema
    used.drop()
    assert scratch._POOL == []
    assert not exists(name)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=needs_pg)])
def test_a_filled_database_holds_the_rows_of_the_one_built(kept, backend):
    first = ScratchDatabase(backend, migrated=True)
    second = ScratchDatabase(backend, migrated=True)
    try:
        scratch.fill(first.url, build_lake_club)
        scratch.fill(second.url, build_lake_club)
        source, _ = scratch._PREPARED[(backend, scratch._key(build_lake_club))]
        built = snapshot(source.url)
        assert built["posting"]
        assert built["member"]
        assert snapshot(first.url) == built == snapshot(second.url)
        # The copies are books like any other: the audit passes, and a new saving continues
        # the numbering, the hash chain and the kept balances of the rows copied.
        for url in (first.url, second.url):
            assert run(["--db", url, "check", "--club", SLUG]) == 0
            assert run(["--db", url, "saving", "add", "--club", SLUG, "--member", "M01",
                        "--date", "2026-03-05", "--amount", "25,00"]) == 0
            assert run(["--db", url, "check", "--club", SLUG]) == 0
            after = snapshot(url)
            assert len(after["posting"]) == len(built["posting"]) + 2
            assert max(after["entry"]) > max(built["entry"])
    finally:
        first.drop()
        second.drop()


@needs_pg
def test_without_a_superuser_fill_builds_in_place(kept):
    # Turning triggers off to copy rows needs a superuser: under another role the copy is
    # refused, and fill builds the data in the database itself instead.
    role = "cigales_scratch_plain"
    target = ScratchDatabase("postgresql", migrated=True)
    connection = scratch._connection()
    try:
        scratch.fill(target.url, build_lake_club)  # the source, built as the superuser
        expected = snapshot(target.url)
        target.drop()
        target = ScratchDatabase("postgresql", migrated=True)
        source, _ = scratch._PREPARED[("postgresql", scratch._key(build_lake_club))]
        with connection.transaction():
            connection.execute(f"DROP ROLE IF EXISTS {role}")
            connection.execute(f"CREATE ROLE {role} NOSUPERUSER")
            for schema in (target.schema, source.schema):
                connection.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
                connection.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO {role}")
                connection.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA {schema} TO {role}")
        connection.execute(f"SET ROLE {role}")
        try:
            scratch.fill(target.url, build_lake_club)
        finally:
            connection.execute("RESET ROLE")
            connection.commit()
        copy = snapshot(target.url)
        assert copy.keys() == expected.keys()
        assert len(copy["posting"]) == len(expected["posting"]) > 0
        assert run(["--db", target.url, "check", "--club", SLUG]) == 0
    finally:
        target.drop()  # its grants differ from a fresh schema's: dropped, not kept
        with connection.transaction():
            connection.execute(f"DROP OWNED BY {role}")
            connection.execute(f"DROP ROLE {role}")
