"""Schema migrations: created on first use, upgraded on request, guards always re-installed."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import inspect, text

from cigales import db, migrate
from cigales.cli.entry import run
from cigales.errors import DatabaseNeedsUpgrade, DatabaseTooNew, NotACigalesDatabase
from ledger import guards
from tests.helpers import make_club


def test_new_database_is_migrated_on_first_use(empty_database_url):
    engine = db.make_engine(empty_database_url)
    assert migrate.current(engine) is None
    migrate.ensure_ready(engine)
    assert migrate.current(engine) == migrate.head()
    with engine.connect() as conn:
        assert guards.missing(conn) == []
    engine.dispose()


def test_sqlite_file_created_with_wal(tmp_path, capsys):
    path = tmp_path / "new.db"
    assert run(["--db", str(path), "club", "create", "xy", "--name", "X", "--founded",
                "2024-01-10"]) == 0
    capsys.readouterr()
    assert run(["--db", str(path), "club", "list", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["slug"] == "xy"
    assert path.exists()
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()


def test_old_schema_is_refused_until_upgraded(empty_database_url, capsys):
    database_url = empty_database_url
    engine = db.make_engine(database_url)
    migrate.upgrade(engine, "0001")
    with pytest.raises(DatabaseNeedsUpgrade):
        migrate.ensure_ready(engine)
    assert run(["--db", database_url, "club", "list"]) == 1
    assert "[database_needs_upgrade]" in capsys.readouterr().err
    assert run(["--db", database_url, "db", "upgrade"]) == 0
    assert migrate.current(engine) == migrate.head()
    assert run(["--db", database_url, "db", "status"]) == 0
    assert capsys.readouterr().out.strip() == f"{migrate.head()} / {migrate.head()}"
    engine.dispose()


REBUILD_MIGRATION = '''"""Test-only migration: rebuild the ledger tables like batch operations."""
import sqlalchemy as sa
from alembic import op

revision = "9000"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for table in ("posting", "entry", "fiscal_year"):
            with op.batch_alter_table(table, recreate="always"):
                pass
    else:
        for table in ("posting", "entry", "fiscal_year"):
            op.add_column(table, sa.Column("scratch", sa.Integer()))
            op.drop_column(table, "scratch")


def downgrade():
    pass
'''


def test_guards_survive_a_table_rebuild(engine, tmp_path):
    club = make_club(engine)
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, scripts,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9000_rebuild.py").write_text(
        REBUILD_MIGRATION.format(head=migrate.head()), encoding="utf-8")
    migrate.upgrade(engine, script_location=scripts)
    assert migrate.current(engine) == "9000"
    with engine.connect() as conn:
        assert guards.missing(conn) == []
    # The rebuilt tables are still guarded: an unbalanced seal is refused.
    with pytest.raises(Exception, match="entry_needs_two_lines"), engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO entry (book_id, journal, number, seq, date, label, sealed, prev_hash,"
            " hash, content_digest) VALUES (:b, 'OD', 1, 1, '2022-01-01', 'x', :f, 'p', 'h',"
            " 'd')"), {"b": club.book_id, "f": False})
        conn.execute(text("UPDATE entry SET sealed = :t WHERE book_id = :b"),
                     {"t": True, "b": club.book_id})


def test_db_upgrade_restores_dropped_guards(engine, capsys):
    with engine.begin() as conn:
        guards.drop(conn)
    url = engine.url.render_as_string(hide_password=False)
    assert run(["--db", url, "db", "upgrade"]) == 0
    with engine.connect() as conn:
        assert guards.missing(conn) == []


def test_downgrade_and_upgrade_round_trip(engine):
    migrate.downgrade(engine, "0001")
    assert migrate.current(engine) == "0001"
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert guards.missing(conn) == []
    make_club(engine)


def test_foreign_and_newer_databases_are_refused(empty_database_url):
    engine = db.make_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE something_else (id INTEGER)"))
    with pytest.raises(NotACigalesDatabase):
        migrate.ensure_ready(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE something_else"))
    migrate.ensure_ready(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseTooNew):
        migrate.ensure_ready(engine)
    engine.dispose()


def test_missing_folder_is_a_clear_error(tmp_path, capsys):
    assert run(["--db", str(tmp_path / "nowhere" / "x.db"), "club", "list"]) == 1
    assert "[database_unavailable]" in capsys.readouterr().err


def _schema_of(url: str) -> dict[str, object]:
    """Everything the schema defines that a test can depend on, in a comparable form."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            insp = inspect(conn)
            tables = sorted(insp.get_table_names())
            shape = {t: (
                [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(t)],
                sorted((i["name"] or "", tuple(i["column_names"]), bool(i["unique"]))
                       for i in insp.get_indexes(t)),
                sorted((u["name"] or "", tuple(u["column_names"]))
                       for u in insp.get_unique_constraints(t)),
                sorted((f["referred_table"], tuple(f["constrained_columns"]))
                       for f in insp.get_foreign_keys(t)),
                sorted(c["name"] or "" for c in insp.get_check_constraints(t)),
            ) for t in tables}
            if conn.dialect.name == "sqlite":
                triggers = conn.execute(text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY 1"))
            else:
                triggers = conn.execute(text(
                    "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE NOT t.tgisinternal AND n.nspname = current_schema() ORDER BY 1"))
            # Rows the migrations seed (e.g. accounts added to existing books) and the version.
            rows = {t: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {t}"))))
                    for t in tables}
            schema = (None if conn.dialect.name == "sqlite"
                      else conn.execute(text("SELECT current_schema()")).scalar_one())
            # PostgreSQL names each test's own schema in the trigger definitions.
            trigger_defs = [(name, sql.replace(schema, "<schema>") if schema else sql)
                            for name, sql in triggers]
            found = {"tables": shape, "triggers": trigger_defs, "rows": rows,
                     "missing": guards.missing(conn)}
        return {**found, "revision": migrate.current(engine)}
    finally:
        engine.dispose()


def test_the_tests_template_database_equals_a_migrated_one(database_url, empty_database_url):
    """The test suite copies one migrated template instead of running Alembic per test
    (tests/helpers.py): the copy must be exactly what the migrations build."""
    engine = db.make_engine(empty_database_url)
    migrate.ensure_ready(engine)
    engine.dispose()
    copied, migrated = _schema_of(database_url), _schema_of(empty_database_url)
    assert copied["revision"] == migrate.head()
    assert copied["missing"] == []
    assert copied["tables"]  # not trivially equal
    assert copied == migrated


def test_the_head_read_from_the_revision_files_is_alembics():
    """The start-up check reads the head without importing Alembic (cigales.migrate): it must
    agree with Alembic's own reading of the same scripts."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate._config())
    assert migrate.head() == scripts.get_current_head()
    assert migrate.known_revisions() == {s.revision for s in scripts.walk_revisions()}
    assert migrate.revision_graph() == {s.revision: s.down_revision
                                        for s in scripts.walk_revisions()}


def test_read_only_commands_never_create_a_database(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CIGALES_DB", raising=False)
    for argv in (["club", "list"], ["report", "balance", "--club", "x"], ["db", "status"],
                 ["--lang", "en", "club", "list", "--format", "json"]):
        assert run(argv) == 1, argv
        err = capsys.readouterr().err
        assert "[database_not_found]" in err, argv
        assert "cigales.db" in err, argv
        assert "CIGALES_DB" in err, argv
    assert list(tmp_path.iterdir()) == []


def test_read_only_command_refuses_an_empty_server_database(empty_database_url, capsys):
    database_url = empty_database_url
    if not database_url.startswith("postgresql"):
        pytest.skip("the SQLite case is the missing file above")
    assert run(["--db", database_url, "club", "list"]) == 1
    assert "[database_not_found]" in capsys.readouterr().err
    engine = db.make_engine(database_url)
    assert migrate.current(engine) is None
    engine.dispose()


def test_migration_0013_gives_every_existing_club_a_signing_key(empty_database_url):
    """Clubs created before signed returns get their key pair on upgrade (issue #14)."""
    from cigales.federation import signing
    from cigales.services.federation_keys import sign_return

    engine = db.make_engine(empty_database_url)
    migrate.upgrade(engine, "0012")
    with engine.begin() as conn:
        # The length triggers just installed come from today's models, which know columns
        # that 0012 lacks; the code of the 0012 days installed none of those.
        for event in ("insert", "update"):
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_club_text_length_{event}")
        for slug in ("ancien", "autre"):
            book = conn.execute(text(
                "INSERT INTO book (code, name, opened_on) VALUES (:s, 'Ancien', '2020-01-10') "
                "RETURNING id"), {"s": slug}).scalar_one()
            conn.execute(text("INSERT INTO club (slug, name, founded, book_id) "
                              "VALUES (:s, 'Ancien', '2020-01-10', :b)"), {"s": slug, "b": book})
    migrate.upgrade(engine)
    with db.session_scope(engine, write=False) as s:
        from cigales.services.clubs import get_club

        keys = []
        for slug in ("ancien", "autre"):
            club = get_club(s, slug)
            assert club.signing_key is not None
            assert club.signing_key_created_on is not None
            document = sign_return(club, {"club": {"slug": slug}, "year": 2025})
            signing.verify(document, signing.public_key(signing.decode(club.signing_key)), "x")
            keys.append(club.signing_key)
        assert keys[0] != keys[1]
    engine.dispose()


def test_a_database_migrated_by_any_command_has_every_tables_length_triggers(tmp_path):
    """The length triggers come from the tables the migration environment knows: a process
    that never loaded the web models (every command but `serve`) must still give the web
    tables theirs (migration 0015_web)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from cigales import text_limits
    from cigales.webmodels import WebAccount

    path = tmp_path / "fresh.db"
    probe = ("import sys\nfrom cigales import db, migrate\n"
             f"migrate.ensure_ready(db.make_engine({str(path)!r}))\n"
             "print('cigales.webmodels' in sys.modules)")
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=False, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr
    expected = set(text_limits.triggers(WebAccount.metadata))
    assert {"trg_web_account_text_length_insert", "trg_web_audit_text_length_update"} <= expected
    engine = db.make_engine(str(path))
    with engine.connect() as conn:
        found = {r[0] for r in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
        assert expected <= found, sorted(expected - found)
        with pytest.raises(Exception, match="text_too_long"):
            conn.execute(text("INSERT INTO web_account (email, password_hash, created_at) "
                              "VALUES (:e, 'x', '2026-01-01 00:00:00')"), {"e": "a" * 201})
    engine.dispose()


def test_migration_0015_gives_a_database_at_0014_the_web_length_triggers(tmp_path):
    engine = db.make_engine(str(tmp_path / "old.db"))
    migrate.upgrade(engine, "0014_12u")
    with engine.begin() as conn:  # as a process without the web models left it
        for name in [r[0] for r in conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'trg_web_%_text_length_%'"))]:
            conn.execute(text(f"DROP TRIGGER {name}"))
    migrate.upgrade(engine)
    with engine.connect() as conn:
        found = {r[0] for r in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE 'trg_web_%_text_length_%'"))}
    assert "trg_web_role_text_length_insert" in found
    assert "trg_web_invitation_text_length_update" in found
    engine.dispose()
