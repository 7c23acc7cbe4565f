"""Backups of a SQLite database and their restoration, each copy checked before it is trusted.

``backup`` uses SQLite's online backup API, which copies a consistent snapshot even while
another process writes (the WAL included), then runs the same checks as ``cigales check`` on
the copy. ``restore`` checks the file first (a SQLite file, a cigales schema this program
knows, every club's books passing the audit), and only then swaps it in, keeping the file it
replaces beside it. PostgreSQL has its own tools (pg_dump / pg_restore, see docs/cli.md).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, select

from cigales import db, migrate
from cigales.errors import CigalesError, DatabaseNotFound, DatabaseTooNew, NotACigalesDatabase
from cigales.models import Club
from cigales.services import bookkeeping
from ledger.errors import N_
from ledger.schema import Book

_SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupNeedsSQLite(CigalesError):
    code = "backup_needs_sqlite"
    template = N_("`cigales backup` and `restore` work on a SQLite file; for PostgreSQL use "
                  "pg_dump and pg_restore (see docs/cli.md).")


class BackupTargetExists(CigalesError):
    code = "backup_target_exists"
    template = N_("{path} already exists: choose another file name, nothing is overwritten.")


class BackupSourceMissing(CigalesError):
    code = "backup_file_not_found"
    template = N_("There is no file {path} to restore.")
    exit_code = 2


class NotASQLiteFile(CigalesError):
    code = "not_a_sqlite_file"
    template = N_("{path} is not a SQLite database: nothing was restored.")


class BackupCorrupt(CigalesError):
    code = "backup_corrupt"
    template = N_("{path} is damaged ({detail}): nothing was restored.")


class BackupFailsCheck(CigalesError):
    code = "backup_fails_check"
    template = N_("The books in {path} fail the integrity check ({clubs}): nothing was "
                  "restored.")
    exit_code = 4


@dataclass(frozen=True, slots=True)
class ClubCheck:
    slug: str
    name: str
    entries: int
    issues: int


@dataclass(frozen=True, slots=True)
class CopyReport:
    path: Path
    schema: str
    clubs: tuple[ClubCheck, ...]
    replaced: Path | None = None  # restore: where the database it replaced was kept

    @property
    def ok(self) -> bool:
        return all(c.issues == 0 for c in self.clubs)


def _source_path(url: str) -> Path:
    path = db.sqlite_path(url)
    if path is None:
        raise BackupNeedsSQLite()
    return path


def _copy(source: Path, target: Path) -> None:
    """A consistent snapshot of ``source`` into the new file ``target`` (online backup API)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            # A backup is one self-contained file: no WAL beside it.
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def check_copy(path: Path) -> CopyReport:
    """What ``cigales check`` says about every club of a database file (read only)."""
    with path.open("rb") as handle:
        if handle.read(16) != _SQLITE_MAGIC:
            raise NotASQLiteFile(path=str(path))
    raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = raw.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupCorrupt(path=str(path), detail=str(exc)) from exc
    finally:
        raw.close()
    if result != "ok":
        raise BackupCorrupt(path=str(path), detail=str(result))
    # Opened read-only and without our connection settings: checking a backup must not turn
    # it into a WAL database or touch it in any way.
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(
        f"file:{path}?mode=ro", uri=True))
    try:
        revision = migrate.current(engine)
        if revision is None:
            raise NotACigalesDatabase(url=str(path))
        if revision not in migrate.known_revisions():
            raise DatabaseTooNew(current=revision, head=migrate.head())
        checks = []
        with db.session_scope(engine, write=False) as session:
            for club, entries in session.execute(
                    select(Club, Book.chain_seq).join(Book, Book.id == Club.book_id)
                    .order_by(Club.slug)).all():
                issues = bookkeeping.audit(session, club)
                checks.append(ClubCheck(club.slug, club.name, int(entries), len(issues)))
    finally:
        engine.dispose()
    return CopyReport(path, revision, tuple(checks))


def backup(url: str, target: Path) -> CopyReport:
    source = _source_path(url)
    if not source.exists():
        raise DatabaseNotFound(url=str(source))
    if target.exists():
        raise BackupTargetExists(path=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, target)
    return check_copy(target)


def verify(file: Path) -> CopyReport:
    """Refuse a backup that is missing, not ours, newer than this program, or fails a check."""
    if not file.is_file():
        raise BackupSourceMissing(path=str(file))
    report = check_copy(file)
    if not report.ok:
        bad = ", ".join(c.slug for c in report.clubs if c.issues)
        raise BackupFailsCheck(path=str(file), clubs=bad)
    return report


def restore(url: str, file: Path, now: dt.datetime, verified: CopyReport | None = None
            ) -> CopyReport:
    """Replace the database by ``file`` once it passed every check; keep the old one aside."""
    current = _source_path(url)
    report = verified or verify(file)
    # Copied next to the database first, so that the final step is a rename on one disk.
    incoming = current.with_name(f".{current.name}.restoring")
    incoming.unlink(missing_ok=True)
    _copy(file, incoming)
    if report.schema != migrate.head():
        # An older backup is brought to this program's schema (migrations are additive).
        engine = db.make_engine(f"sqlite:///{incoming}")
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()
    replaced = None
    if current.exists():
        replaced = current.with_name(f"{current.name}.replaced-{now:%Y%m%d-%H%M%S}")
        # The old database is kept as one consistent file (its WAL folded in).
        _copy(current, replaced)
        for suffix in ("-wal", "-shm"):
            Path(f"{current}{suffix}").unlink(missing_ok=True)
    os.replace(incoming, current)
    return CopyReport(current, migrate.head(), report.clubs, replaced)
