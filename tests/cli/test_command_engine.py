"""A command's engine (cigales.db.command_engine, db.release): the process keeps the engine
for the next command on the same database, with its idle session on a server (none on
SQLite), and a database that went away is reported as before."""

from __future__ import annotations

import shutil

from cigales import db
from cigales.db import normalize_url

CREATE = ("club", "create", "les-fourmis", "--name", "Les Fourmis", "--founded", "2021-03-15")


def test_the_next_command_reuses_the_engine_with_its_compiled_statements(cli, database_url):
    assert cli(*CREATE).exit_code == 0
    engine = db._KEPT[normalize_url(database_url)]
    assert cli("club", "list").exit_code == 0
    assert db._KEPT[normalize_url(database_url)] is engine
    compiled = len(engine._compiled_cache)
    assert compiled > 0
    assert cli("club", "list").exit_code == 0
    assert len(engine._compiled_cache) == compiled  # hits only: nothing compiled again


def idle(engine) -> list[object]:
    """The driver connections waiting in the engine's pool."""
    return [record.dbapi_connection for record in engine.pool._pool.queue]


def test_no_connection_stays_in_use_after_a_command(cli, database_url):
    sessions = []
    for args in (CREATE, ("club", "list"), ("club", "show", "--club", "nope"),
                 ("club", "list")):
        cli(*args)
        engine = db._KEPT[normalize_url(database_url)]
        assert engine.pool.checkedout() == 0, args  # nothing left in use, refusal or not
        sessions.append(idle(engine))
    if database_url.startswith("sqlite"):
        # Closed at the end of each command: `restore` may swap the file under them.
        assert sessions == [[]] * 4
    else:
        # One idle session, the same one, taken again by each command.
        assert len(sessions[0]) == 1
        assert sessions == [sessions[0]] * 4


def test_a_folder_gone_since_the_last_command_is_reported(cli, tmp_path):
    folder = tmp_path / "club"
    folder.mkdir()
    url = f"sqlite:///{folder / 'books.db'}"
    assert cli(*CREATE, db=url).exit_code == 0
    shutil.rmtree(folder)
    result = cli("club", "list", db=url)
    assert (result.exit_code, result.error_code) == (1, "database_unavailable"), result.stderr
    assert "does not exist" in result.stderr


def test_only_the_last_engines_are_kept(cli, tmp_path):
    urls = [f"sqlite:///{tmp_path / f'club{i}.db'}" for i in range(db.KEPT_ENGINES + 2)]
    engines = []
    for url in urls:
        assert cli(*CREATE, db=url).exit_code == 0
        engines.append(db._KEPT[normalize_url(url)])
    assert list(db._KEPT)[-db.KEPT_ENGINES:] == [normalize_url(u) for u in
                                                 urls[-db.KEPT_ENGINES:]]
    assert len(db._KEPT) == db.KEPT_ENGINES
    assert all(normalize_url(u) not in db._KEPT for u in urls[:2])
    assert all(e.pool.checkedin() == 0 for e in engines)
