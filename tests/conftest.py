"""Fixtures: every database test runs on SQLite, and on PostgreSQL when CIGALES_TEST_PG_URL is set.

Each PostgreSQL test gets its own schema (search_path), so concurrent runs on one server and
database never see each other's tables.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from cigales import db, migrate

PG_URL = os.environ.get("CIGALES_TEST_PG_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])

# Operations dated after "today" are refused; tests pin today so they never age.
TODAY = dt.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIGALES_TODAY", TODAY.isoformat())
    monkeypatch.delenv("CIGALES_DB", raising=False)
    monkeypatch.delenv("CIGALES_LANG", raising=False)


def _pg_url_with_schema(schema: str) -> str:
    assert PG_URL is not None
    sep = "&" if "?" in PG_URL else "?"
    return f"{db.normalize_url(PG_URL)}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database on the requested backend (default: parametrized)."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = db.make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _pg_url_with_schema(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Any test using a database fixture runs once per available backend.
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", BACKENDS, indirect=True)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database."""
    eng = db.make_engine(database_url)
    migrate.ensure_ready(eng)
    yield eng
    eng.dispose()
