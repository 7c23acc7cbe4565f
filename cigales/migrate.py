"""Schema migrations (Alembic) driven from code: create on first use, upgrade on request.

The migration scripts live inside the package (cigales/migrations) rather than at the
repository root so that they ship with a normal, non-editable install.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from cigales.errors import (
    DatabaseNeedsUpgrade,
    DatabaseNotFound,
    DatabaseTooNew,
    NotACigalesDatabase,
)

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(script_location: Path = MIGRATIONS) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    return cfg


@functools.cache
def head() -> str:
    head_rev = ScriptDirectory.from_config(_config()).get_current_head()
    assert head_rev is not None
    return head_rev


@functools.cache
def known_revisions() -> frozenset[str]:
    return frozenset(s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions())


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head", *,
            script_location: Path = MIGRATIONS) -> None:
    cfg = _config(script_location)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def ensure_ready(engine: Engine, *, create: bool = True) -> None:
    """Migrate a brand-new database; refuse one that is behind, ahead or foreign.

    With ``create=False`` (read-only commands) an empty database is refused instead of
    being given the schema: reading must never leave a new database behind.
    """
    rev = current(engine)
    latest = head()
    if rev == latest:
        return
    if rev is None:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
        if tables:
            raise NotACigalesDatabase(url=engine.url.render_as_string(hide_password=True))
        if not create:
            raise DatabaseNotFound(url=engine.url.render_as_string(hide_password=True))
        upgrade(engine)
        return
    if rev not in known_revisions():
        raise DatabaseTooNew(current=rev, head=latest)
    raise DatabaseNeedsUpgrade(current=rev, head=latest)
