"""An empty statement (a header and no line) says so (issue #14, item 7)."""

from __future__ import annotations

from tests.bank.files import signed_csv, write
from tests.cli.conftest import snapshot


def test_empty_statement_says_it_is_empty(club_cli, database_url, tmp_path):
    path = write(tmp_path, "vide.csv", signed_csv([]), "utf-8")
    before = snapshot(database_url)
    for extra in ((), ("--yes",)):
        r = club_cli("--lang", "en", "bank", "import", str(path), "--club", "les-fourmis", *extra)
        assert r.exit_code == 0, r.stderr
        assert "The statement has no line to import (0 without movement)." in r.stderr
        assert "imported before" not in r.stderr
    assert snapshot(database_url) == before
