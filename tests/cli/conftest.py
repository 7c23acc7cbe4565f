"""CLI fixtures: run the real command line in-process and capture code, stdout, stderr."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from cigales.cli.entry import run
from cigales.db import normalize_url
from tests import scratch


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def error_code(self) -> str | None:
        """The stable rule code the CLI prints in brackets after an error message."""
        # Usage errors come in Typer's box: the code ends the message, before the border.
        match = re.search(r"\[([a-z_]+)\][\s│╰─╯]*$", self.stderr.strip())
        return match.group(1) if match else None

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(database_url: str, capsys: pytest.CaptureFixture[str]):
    def invoke(*args: str, db: str | None = database_url) -> Result:
        capsys.readouterr()
        argv = (["--db", db] if db else []) + list(args)
        code = run(argv)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return invoke


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove that a refused command wrote nothing. On a test's
    scratch database, through one engine kept for the test (the refusal tests take two
    snapshots per command: a new engine each time was most of their time on PostgreSQL)."""
    database = scratch.live(url)
    engine = database.reader() if database else create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
                    for t in tables}
    finally:
        if database is None:
            engine.dispose()


def build_fourmis(engine: Engine) -> None:
    """The club les-fourmis, its member M01 and two entries, written by the command line."""
    url = engine.url.render_as_string(hide_password=False)
    for args in (["club", "create", "les-fourmis", "--name", "Les Fourmis",
                  "--founded", "2021-03-15"],
                 ["member", "add", "--club", "les-fourmis", "--code", "M01",
                  "--name", "Anne Martin", "--joined", "2021-03-15"],
                 ["saving", "add", "--club", "les-fourmis", "--member", "M01",
                  "--date", "2021-04-05", "--amount", "30,00"],
                 ["entry", "add", "--club", "les-fourmis", "--date", "2021-04-28",
                  "--label", "Frais", "--journal", "BQ",
                  "--line", "6270=4", "--line", "5121=-4"]):
        assert run(["--db", url, *args]) == 0, args


@pytest.fixture
def club_cli(cli, database_url):
    """A CLI bound to a database that already holds the club les-fourmis and two entries
    (built once per process, then copied)."""
    scratch.fill(database_url, build_fourmis)
    return cli


def send_key(cli, slug: str, club_db: str | None, region_db: str, folder) -> None:
    """The key exchange of docs/federation.md: the club writes its public key, the region
    registers it (so that the club's signed returns import there)."""
    pem = folder / f"{slug}.pem"
    shown = cli("federation", "keys", "show", "--club", slug, "-o", str(pem), db=club_db)
    assert shown.exit_code == 0, shown.stderr
    done = cli("federation", "keys", "register", "--club", slug, "--public-key", str(pem),
               db=region_db)
    assert done.exit_code == 0, done.stderr
