"""Engines, connection settings and the one place that commits.

SQLite (the embedded default) gets WAL, synchronous=FULL, foreign keys and a busy timeout on
every connection, and write transactions start with BEGIN IMMEDIATE so two writers never both
read the chain head and then collide. PostgreSQL writers serialize on the book row instead
(SELECT ... FOR UPDATE in ledger.post).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from cigales import sqlite_settings
from cigales.db_url import DEFAULT_URL, default_url, normalize_url
from cigales.errors import DatabaseUnavailable

if TYPE_CHECKING:
    # Imported by session_scope when it runs: a read-only command on read_scope never loads
    # the ORM (start-up, bench/README.md).
    from sqlalchemy.orm import Session

# The URL helpers live in cigales.db_url (no SQLAlchemy there); re-exported for callers.
__all__ = ["DEFAULT_URL", "command_engine", "default_url", "flush_to_file", "make_engine",
           "normalize_url", "read_scope", "release", "session_scope", "sqlite_path"]

_READ_ONLY = "cigales_read_only"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database or an in-memory one)."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = normalize_url(url or default_url())
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _check_folder(url)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    if parsed.get_driver_name() == "psycopg" and not _psycopg_installed():
        raise DatabaseUnavailable(url=parsed.render_as_string(hide_password=True),
                                  reason="PostgreSQL support is not installed: "
                                         "pip install 'cigales[postgres]'")
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _check_folder(url: str) -> None:
    """A SQLite file's folder must exist: connecting would fail with a bare driver error."""
    path = sqlite_path(url)
    if path is not None and not (folder := path.resolve().parent).is_dir():
        raise DatabaseUnavailable(url=url, reason=f"folder {folder} does not exist")


# The engines of the last few databases a process opened, for command_engine.
_KEPT: OrderedDict[str, Engine] = OrderedDict()
KEPT_ENGINES = 4


def command_engine(url: str) -> Engine:
    """The engine of a command: ``make_engine``'s, kept by the process for the next command on
    the same database (the few last ones), with its compiled statements and the dialect's
    first reading of the server, and on a server its idle session (``release``). A shell runs one
    command per process, where this changes nothing; the tests run thousands in a process,
    where compiling every statement again for each command was a third of its time."""
    url = normalize_url(url)
    engine = _KEPT.pop(url, None)
    if engine is None:
        engine = make_engine(url)
    else:
        _check_folder(url)  # as make_engine would: the folder may have gone since
    _KEPT[url] = engine
    while len(_KEPT) > KEPT_ENGINES:
        _KEPT.popitem(last=False)[1].dispose()
    return engine


def release(engine: Engine) -> None:
    """The end of a command. A SQLite file's connections are closed: opening one costs
    nothing, and ``restore`` may have swapped the file under them. A server's stay in the
    pool of the engine ``command_engine`` keeps, for the process's next command on the same
    database (a new session costs the server a process), and are closed when the engine
    leaves the few kept. Sessions carry nothing from one command to the next: every setting
    is transaction-scoped (SET LOCAL, xact locks), and a connection goes back to the pool
    rolled back."""
    if engine.dialect.name == "sqlite" or engine not in _KEPT.values():
        engine.dispose()


def _psycopg_installed() -> bool:
    # psycopg is the optional [postgres] extra: SQLite users do not install it.
    import importlib.util

    return importlib.util.find_spec("psycopg") is not None


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        sqlite_settings.configure(
            dbapi_connection, file_backed=engine.url.database not in (None, "", ":memory:"))

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(_READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def flush_to_file(engine: Engine) -> None:
    """SQLite: copy the write-ahead log into the database file and empty it, so that content
    just overwritten (an erasure) survives in no older page of the log."""
    if engine.dialect.name == "sqlite":
        # On the driver's connection: a checkpoint cannot run inside the transaction that
        # SQLAlchemy would begin (see on_begin above).
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A transaction: commit on success, roll back on any error. The only place that commits."""
    from sqlalchemy.orm import sessionmaker

    bind = engine if write else _read_only(engine)
    factory = sessionmaker(bind=bind, expire_on_commit=False)
    session = factory()
    # Read by services.clubs.get_club: a writing transaction locks the club's row.
    session.info["write"] = write
    try:
        yield session
        if write:
            session.commit()
        # A read-only scope just closes: the transaction ends without expiring the objects
        # the caller still holds.
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _read_only(engine: Engine) -> Engine:
    """The engine whose transactions only read: on SQLite they start with a plain BEGIN
    (on_begin above), not BEGIN IMMEDIATE, so a reader never waits for a writer."""
    return engine.execution_options(**{_READ_ONLY: True})


@contextmanager
def read_scope(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction on a Core ``Connection``, for the commands that only read and
    need no mapped object (``report balance``): the same transaction as
    ``session_scope(engine, write=False)`` (same engine options, begun on the first statement,
    rolled back at the end, commits nothing) without importing the ORM."""
    with _read_only(engine).connect() as conn:
        yield conn
