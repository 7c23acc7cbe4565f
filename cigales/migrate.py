"""Schema migrations (Alembic) driven from code: create on first use, upgrade on request.

The migration scripts live inside the package (cigales/migrations) rather than at the
repository root so that they ship with a normal, non-editable install.

Every command checks the schema version when it opens the database. Importing Alembic costs
more than most commands' whole work, so that check does not: the packaged head is read from
the revision files themselves (``revision = "…"`` / ``down_revision = "…"``, checked against
Alembic's own reading by tests/test_migrations.py) and the stored revision with one SELECT.
Alembic is imported only to migrate.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from cigales.errors import (
    DatabaseNeedsUpgrade,
    DatabaseNotFound,
    DatabaseTooNew,
    NotACigalesDatabase,
)

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

# SQLAlchemy is imported by the functions that open the database: the packaged head (head())
# is also read by cigales.quick_read, which runs without SQLAlchemy (start-up).

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps
# The stored revision, read by every command (``current``; ``cigales.quick_read`` on the
# driver alone).
STORED_REVISION_SQL = f"SELECT version_num FROM {VERSION_TABLE}"  # noqa: S608 - a constant
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _config(script_location: Path = MIGRATIONS) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    return cfg


def _literal(source: str) -> str | None:
    value = source.strip()
    if value == "None":
        return None
    match = re.fullmatch(r"""(["'])([^"']+)\1""", value)
    assert match, f"revision files name one revision as a plain string, not {source!r}"
    return match.group(2)


@functools.cache
def revision_graph(folder: Path = MIGRATIONS / "versions") -> dict[str, str | None]:
    """revision -> down_revision, read from the revision files without importing them."""
    graph: dict[str, str | None] = {}
    for path in sorted(folder.glob("*.py")):
        text_ = path.read_text(encoding="utf-8")
        found: dict[str, str] = {m.group(1): m.group(2) for m in _ASSIGNMENT.finditer(text_)}
        if "revision" in found:
            graph[_literal(found["revision"]) or ""] = _literal(found.get("down_revision", "None"))
    return graph


@functools.cache
def head() -> str:
    graph = revision_graph()
    heads = set(graph) - {down for down in graph.values() if down}
    assert len(heads) == 1, f"the migrations must have one head, not {sorted(heads)}"
    return heads.pop()


@functools.cache
def known_revisions() -> frozenset[str]:
    return frozenset(revision_graph())


def current(engine: Engine) -> str | None:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        # One row at most: the migrations form a single chain (head() asserts it).
        return conn.execute(text(STORED_REVISION_SQL)).scalar()


def upgrade(engine: Engine, revision: str = "head", *,
            script_location: Path = MIGRATIONS) -> None:
    from alembic import command

    cfg = _config(script_location)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def ensure_ready(engine: Engine, *, create: bool = True) -> None:
    """Migrate a brand-new database; refuse one that is behind, ahead or foreign.

    With ``create=False`` (read-only commands) an empty database is refused instead of
    being given the schema: reading must never leave a new database behind.
    """
    from sqlalchemy import inspect

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
