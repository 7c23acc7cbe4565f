"""Fixtures: every database test runs on SQLite, and on PostgreSQL when CIGALES_TEST_PG_URL is set.

Each PostgreSQL test gets its own schema (search_path), so concurrent runs on one server and
database never see each other's tables.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from cigales import db, migrate
from tests import scratch
from tests.scratch import ScratchDatabase

PG_URL = os.environ.get("CIGALES_TEST_PG_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])

# Operations dated after "today" are refused; tests pin today so they never age.
TODAY = dt.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIGALES_TODAY", TODAY.isoformat())
    # Tables are laid out for the terminal's width: tests read them at a fixed one (the
    # width tests set their own).
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("CIGALES_DB", raising=False)
    monkeypatch.delenv("CIGALES_LANG", raising=False)


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL to a database at the packaged schema head, with nothing in it (default:
    parametrized). A copy of a template migrated once per worker (tests/helpers.py)."""
    scratch = ScratchDatabase(getattr(request, "param", "sqlite"), migrated=True)
    try:
        yield scratch.url
    finally:
        scratch.drop()


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL to a database without any table, for the tests of migrating on first use."""
    scratch = ScratchDatabase(getattr(request, "param", "sqlite"))
    try:
        yield scratch.url
    finally:
        scratch.drop()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Any test using a database fixture runs once per available backend (both of its
    # databases on the same backend when it uses the two fixtures).
    names = [n for n in ("database_url", "empty_database_url") if n in metafunc.fixturenames]
    if names:
        metafunc.parametrize(names, [(b,) * len(names) for b in BACKENDS], indirect=True)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database, through the engine the test's in-process commands use too
    (``db.command_engine``): on PostgreSQL a schema kept for the next test keeps its URL, so
    its engine's compiled statements and idle session serve the next test as well."""
    eng = db.command_engine(database_url)
    # Already at the head: this only checks the stored revision, as every command does.
    migrate.ensure_ready(eng)
    yield eng
    db.release(eng)  # as a command's end: SQLite's connections closed, a server's idle


# Every PostgreSQL test creates and drops a schema of its own: some 1,500 a run, each leaving
# dead rows in the system catalogs (pg_attribute, pg_depend, pg_class...). Where autovacuum is
# off (this project's CI server) they pile up run after run, and every catalog look-up (a new
# connection, DDL, reflection) slows down: after a few runs a PostgreSQL test cost 3-4 times
# a SQLite one and listing a schema's tables took 50 ms. So the run that made the garbage
# vacuums the catalogs it touched, once at the end (the xdist controller), when its role may.
CATALOGS = ("pg_attribute", "pg_depend", "pg_class", "pg_constraint", "pg_trigger", "pg_index",
            "pg_type", "pg_attrdef", "pg_proc", "pg_namespace", "pg_sequence", "pg_rewrite",
            "pg_description", "pg_init_privs", "pg_policy", "pg_statistic")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not PG_URL:
        return
    scratch.drop_pool()  # every process, its own kept schemas
    if hasattr(session.config, "workerinput"):  # a worker: the controller vacuums
        return
    engine = db.make_engine(PG_URL)
    try:
        with engine.connect() as opened:
            conn = opened.execution_options(isolation_level="AUTOCOMMIT")
            allowed = conn.exec_driver_sql(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar()
            if allowed:
                conn.exec_driver_sql("VACUUM (ANALYZE) " + ", ".join(
                    f"pg_catalog.{name}" for name in CATALOGS))
    except DBAPIError as exc:  # housekeeping: the tests' verdict stands without it
        print(f"\nnote: the PostgreSQL catalogs were not vacuumed ({exc.orig})", file=sys.stderr)
    finally:
        engine.dispose()
