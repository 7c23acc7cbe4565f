"""`cigales federation grant|revoke|grants` on SQLite: refused, nothing written.

SQLite has no roles: access control is a PostgreSQL deployment step (see
cigales.federation.access). The PostgreSQL behaviour is in test_access_pg.py.
"""

from __future__ import annotations

import pytest

from cigales.cli.entry import run
from tests.cli.conftest import Result, snapshot


@pytest.fixture
def club_cli(database_url, capsys):
    """The real command line on a database holding the club les-fourmis and one member."""
    def invoke(*args: str) -> Result:
        capsys.readouterr()
        code = run(["--db", database_url, *args])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    assert invoke("club", "create", "les-fourmis", "--name", "Les Fourmis",
                  "--founded", "2021-03-15").exit_code == 0
    assert invoke("member", "add", "--club", "les-fourmis", "--code", "M01",
                  "--name", "Anne Martin", "--joined", "2021-03-15").exit_code == 0
    return invoke


GRANTS = [
    ("federation", "grant", "--club", "les-fourmis", "--role", "tresorier_fourmis"),
    ("federation", "grant", "--federation", "--role", "federation_lecture"),
    ("federation", "grant", "--region", "Bretagne", "--role", "region_bretagne"),
    ("federation", "revoke", "--region", "Bretagne", "--role", "region_bretagne"),
    ("federation", "revoke", "--role", "tresorier_fourmis"),
    ("federation", "grants"),
    ("federation", "grants", "--format", "json"),
]


@pytest.mark.parametrize("args", GRANTS)
def test_access_control_is_refused_on_sqlite(club_cli, database_url, args):
    if not database_url.startswith("sqlite"):
        pytest.skip("the refusal is SQLite's; PostgreSQL is tested in test_access_pg.py")
    before = snapshot(database_url)
    result = club_cli(*args)
    assert result.exit_code == 1, result.stderr
    assert result.error_code == "access_control_needs_postgresql"
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert snapshot(database_url) == before


@pytest.mark.parametrize(("args", "code"), [
    (("--club", "les-fourmis", "--federation", "--role", "x"), "grant_scope_required"),
    (("--role", "x"), "grant_scope_required"),
    (("--region", "Bretagne", "--club", "les-fourmis", "--role", "x"), "grant_scope_required"),
    (("--region", "Bretagne", "--federation", "--role", "x"), "grant_scope_required"),
    (("--club", "les-fourmis", "--role", "x; DROP TABLE club"), "invalid_role_name"),
    (("--federation", "--role", "Tresorier"), "invalid_role_name"),
])
def test_grant_usage_errors(club_cli, database_url, args, code):
    # Read before the database is even looked at, so the same on both backends.
    before = snapshot(database_url)
    result = club_cli("federation", "grant", *args)
    assert result.exit_code == 2, result.stderr
    assert result.error_code == code
    assert snapshot(database_url) == before
