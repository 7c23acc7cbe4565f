"""Fixtures: every database test runs on SQLite, and on PostgreSQL when CIGALES_TEST_PG_URL is set.

Each PostgreSQL test gets its own schema (search_path), so concurrent runs on one server and
database never see each other's tables.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from cigales import db, migrate
from tests.helpers import ScratchDatabase

PG_URL = os.environ.get("CIGALES_TEST_PG_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])

# Operations dated after "today" are refused; tests pin today so they never age.
TODAY = dt.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIGALES_TODAY", TODAY.isoformat())
    monkeypatch.delenv("CIGALES_DB", raising=False)
    monkeypatch.delenv("CIGALES_LANG", raising=False)


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL to an empty database on the requested backend (default: parametrized)."""
    scratch = ScratchDatabase(getattr(request, "param", "sqlite"))
    try:
        yield scratch.url
    finally:
        scratch.drop()


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
