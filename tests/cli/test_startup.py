"""Start-up: a command imports only what it uses (structural checks, not timings; the timings
are printed by bench/startup.py).

Each check runs a fresh interpreter, since the test process itself has imported everything.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from cigales import db
from cigales.cli import app as app_module
from ledger.post import post_entry
from tests.helpers import draft, make_club

ROOT = Path(__file__).resolve().parents[2]
# What only some commands need: PDF, XLSX, migrations, bank file readers, JSON schemas, demo,
# the signatures of federation returns.
HEAVY = ("reportlab", "openpyxl", "alembic", "ofxtools", "defusedxml", "jsonschema",
         "cryptography",
         "cigales.bank", "cigales.services.bank", "cigales.services.demo", "reports.pdf",
         "reports.xlsx")

PROBE = """
import json, sys
{code}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {roots}
                        and any(m == h or m.startswith(h + ".") for h in {heavy}))))
"""


def loaded_after(code: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    roots = sorted({h.split(".")[0] for h in heavy})
    env = {**os.environ, "CIGALES_TODAY": "2026-11-22", "PYTHONPATH": str(ROOT),
           "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code, roots=roots, heavy=list(heavy))],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_module():
    assert loaded_after("import cigales.cli.app") == []


def test_the_help_lists_every_command_without_loading_them():
    loaded = loaded_after(
        "import contextlib, io\n"
        "from cigales.cli.entry import run\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    assert run(['--lang', 'en', '--help']) == 0\n"
        "text = out.getvalue()\n"
        "from cigales.cli.app import COMMANDS\n"
        "missing = [n for n in [*COMMANDS, 'db', 'check'] if f' {n} ' not in text]\n"
        "assert not missing, missing\n"
        "assert 'Reports: trial balance' in text, text")
    assert loaded == []


def test_a_trial_balance_loads_no_heavy_module_and_no_alembic(database_url):
    # The database is at the packaged head: the start-up schema check must not need Alembic.
    # Its options are plain text: Typer's pydantic coercion is not loaded (cli/plain_values.py).
    # On SQLite, the PostgreSQL dialect (and the modules of its drivers) is not loaded either.
    heavy = (*HEAVY, "pydantic") if database_url.startswith("postgresql") else (
        *HEAVY, "pydantic", "sqlalchemy.dialects.postgresql")
    engine = db.make_engine(database_url)
    make_club(engine)
    engine.dispose()
    loaded = loaded_after(
        "import contextlib, io\n"
        "from cigales.cli.entry import run\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert run(['--db', {database_url!r}, 'report', 'balance', '--club', "
        "'les-fourmis', '--format', 'json']) == 0", heavy)
    assert loaded == []


# The ORM and the mapped classes cost more than the trial balance itself; so does SQLAlchemy's
# import: `report balance` reads on the driver alone (cigales.quick_read).
ORM = ("sqlalchemy.orm", "sqlalchemy.ext", "cigales.models", "cigales.services", "ledger.schema",
       "ledger.queries", "ledger.balances", "ledger.post")


@pytest.mark.parametrize("which", [("--club", "les-fourmis"), ("--all",)],
                         ids=["club", "all"])
def test_a_trial_balance_loads_no_sqlalchemy(database_url, which):
    """On a database at the packaged head the command reads on the driver alone (sqlite3 or
    psycopg: cigales.quick_read): importing SQLAlchemy would cost more than the command."""
    engine = db.make_engine(database_url)
    club = make_club(engine)
    with db.session_scope(engine) as s:
        post_entry(s, club.book_id, draft(dt.date(2022, 5, 1), ("6270", "1.50"),
                                          ("5121", "-1.50")))
    engine.dispose()
    for argv, codes in (([*which], ["5121", "6270"]),
                        ([*which, "--account", "62", "--as-of", "2022-05-31"], ["6270"])):
        loaded = loaded_after(
            "import contextlib, io, json\n"
            "from cigales.cli.entry import run\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            f"    assert run(['--db', {database_url!r}, 'report', 'balance', *{argv!r}, "
            "'--format', 'json']) == 0\n"
            "found = json.loads(out.getvalue())\n"
            "assert found['total_debit'] == '1.50', found\n"
            f"assert [a['code'] for a in found['accounts']] == {codes!r}, found",
            ("sqlalchemy", "cigales.db", "cigales.tables", "ledger.trial", "ledger.tables", *ORM))
        assert loaded == [], argv


def test_every_command_of_every_module_is_in_the_command_table():
    """A module's register() adds commands at the root: each must be listed in COMMANDS with
    that module, or `cigales` would never find it."""
    modules = {module for module, _help in app_module.COMMANDS.values()}
    for module_name in sorted(modules):
        holder = typer.Typer()
        __import__(module_name, fromlist=["register"]).register(holder)
        names = set(typer.main.get_group(holder).commands)
        listed = {n for n, (m, _h) in app_module.COMMANDS.items() if m == module_name}
        assert names == listed, module_name


def test_a_lazy_command_gets_its_help_line(capsys):
    from cigales.cli.entry import run

    assert run(["--lang", "en", "club", "--help"]) == 0
    assert "Clubs: create, list." in capsys.readouterr().out
    assert run(["--lang", "en", "portfolio", "--help"]) == 0
    assert "Every investment: kind, cost" in capsys.readouterr().out
