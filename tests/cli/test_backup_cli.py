"""`cigales backup` and `cigales restore`: a checked copy, and a swap that keeps the old file."""

from __future__ import annotations

import sqlite3

import pytest

from cigales import db
from ledger import guards
from tests.cli.conftest import snapshot
from tests.cli.test_members_cli import build_club, ok


@pytest.fixture
def sqlite_club(engine, cli, database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("backup and restore are SQLite's; PostgreSQL uses pg_dump (docs/cli.md)")
    build_club(engine, count=3, months=[(2024, 1), (2024, 2)])
    engine.dispose()
    return db.sqlite_path(database_url)


def test_backup_copies_and_checks_and_never_overwrites(sqlite_club, cli, database_url,
                                                       tmp_path):
    target = tmp_path / "saves" / "fourmis.db"
    r = ok(cli("--lang", "en", "backup", "-o", str(target)))
    # The club by its name (a title for people; the slug is for commands and JSON).
    assert "Club Les Fourmis: 6 entries; every integrity check passes" in r.stdout
    assert snapshot(f"sqlite:///{target}") == snapshot(database_url)
    # One self-contained file, not turned into WAL by the check.
    assert sorted(p.name for p in target.parent.iterdir()) == ["fourmis.db"]
    r = cli("backup", "-o", str(target))
    assert (r.exit_code, r.error_code) == (1, "backup_target_exists")


def test_restore_swaps_in_the_backup_and_keeps_the_replaced_file(sqlite_club, cli,
                                                                 database_url, tmp_path):
    saved = tmp_path / "save.db"
    ok(cli("backup", "-o", str(saved)))
    at_backup = snapshot(database_url)
    ok(cli("saving", "add", "--club", "les-fourmis", "--member", "M01", "--date",
           "2024-03-01", "--amount", "30"))
    later = snapshot(database_url)
    r = ok(cli("--lang", "en", "restore", str(saved), "--yes"))
    assert snapshot(database_url) == at_backup
    kept = [p for p in sqlite_club.parent.iterdir() if ".replaced-" in p.name]
    assert len(kept) == 1
    assert str(kept[0]) in r.stdout
    assert snapshot(f"sqlite:///{kept[0]}") == later
    assert ok(cli("check", "--club", "les-fourmis")).exit_code == 0


def _tampered(source, target):
    """A copy whose books were edited behind the guards' back."""
    conn = sqlite3.connect(target)
    sqlite3.connect(source).backup(conn)
    conn.isolation_level = None
    engine = db.make_engine(f"sqlite:///{target}")
    with engine.begin() as sa_conn:
        guards.drop(sa_conn)
        sa_conn.exec_driver_sql("UPDATE posting SET amount_cents = amount_cents * 2")
        guards.install(sa_conn)
    engine.dispose()
    conn.close()


def _newer(source, target):
    conn = sqlite3.connect(target)
    sqlite3.connect(source).backup(conn)
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()


def _garbage(_source, target):
    target.write_bytes(b"not a database at all\n" * 10)


def _foreign(_source, target):
    conn = sqlite3.connect(target)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(("make", "code", "exit_code"), [
    (_tampered, "backup_fails_check", 4),
    (_newer, "database_too_new", 1),
    (_garbage, "not_a_sqlite_file", 1),
    (_foreign, "not_a_cigales_database", 1),
    (None, "backup_file_not_found", 2),
])
def test_restore_refuses_a_bad_backup_and_changes_nothing(sqlite_club, cli, database_url,
                                                          tmp_path, make, code, exit_code):
    bad = tmp_path / "bad.db"
    if make is not None:
        make(sqlite_club, bad)
    before = snapshot(database_url)
    files = sorted(p.name for p in sqlite_club.parent.iterdir())
    r = cli("restore", str(bad), "--yes")
    assert (r.exit_code, r.error_code) == (exit_code, code), r.stderr
    assert r.stdout == ""
    assert snapshot(database_url) == before
    assert sorted(p.name for p in sqlite_club.parent.iterdir()) == files


def test_backup_of_a_server_database_points_to_pg_dump(database_url, cli, tmp_path):
    if database_url.startswith("sqlite"):
        pytest.skip("the PostgreSQL refusal")
    r = cli("backup", "-o", str(tmp_path / "x.db"))
    assert (r.exit_code, r.error_code) == (1, "backup_needs_sqlite")
    assert "pg_dump" in r.stderr
