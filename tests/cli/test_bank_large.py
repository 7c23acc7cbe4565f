"""`cigales bank import` on a statement larger than a screen (issue #14, item 7): JSON and CSV
carry every line (streamed), a table shows the first lines and says so, -o is written whole
or not at all, the progress bar shows on a terminal only, and booking in batches keeps the
rules (every line once, links to savings, suspense)."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from cigales.cli import bank as bank_cli
from tests.bank.files import signed_csv, write
from tests.cli.conftest import snapshot

CLUB = ("--club", "les-fourmis")
TODAY = "2026-11-22"


def rows(count: int) -> list[tuple[str, str, str]]:
    """COUNT lines from 01/05/2021, fees and cheques, plus the saving the fixture recorded."""
    out = [("05/04/2021", "VIR ANNE MARTIN CIG-M01", "30,00")]
    for i in range(count - 1):
        day = 1 + i % 28
        if i % 3 == 0:
            out.append((f"{day:02d}/05/2021", "REMISE CHEQUE", f"{10 + i},00"))
        else:
            out.append((f"{day:02d}/05/2021", "FRAIS TENUE DE COMPTE", "-1,00"))
    return out


@pytest.fixture
def statement(tmp_path):
    return str(write(tmp_path, "mai.csv", signed_csv(rows(450)), "cp1252"))


def test_json_and_csv_list_every_line_and_a_table_the_first(club_cli, database_url, statement,
                                                           monkeypatch):
    before = snapshot(database_url)
    dry = club_cli("bank", "import", statement, *CLUB, "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.stderr
    payload = dry.json()
    assert (payload["lines"], payload["new"], payload["known"]) == (450, 450, 0)
    assert len(payload["proposals"]) == 450
    assert [p["line"] for p in payload["proposals"]] == list(range(2, 452))
    assert len({p["fingerprint"] for p in payload["proposals"]}) == 450
    as_csv = club_cli("bank", "import", statement, *CLUB, "--dry-run", "--format", "csv")
    listed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [int(r["line"]) for r in listed] == [p["line"] for p in payload["proposals"]]

    monkeypatch.setattr(bank_cli, "TABLE_ROWS", 20)
    table = club_cli("--lang", "en", "bank", "import", statement, *CLUB, "--dry-run")
    assert table.exit_code == 0, table.stderr
    assert "450 lines, 450 new, 0 already imported" in table.stdout
    assert table.stdout.count("FRAIS TENUE DE COMPTE") + table.stdout.count(
        "REMISE CHEQUE") == 19
    assert "The table shows the first 20 of 450 lines" in table.stderr
    assert snapshot(database_url) == before


def test_booking_in_batches_streams_every_line_once(club_cli, database_url, statement,
                                                    tmp_path):
    out = tmp_path / "import.json"
    done = club_cli("--lang", "en", "bank", "import", statement, *CLUB, "--yes",
                    "--format", "json", "-o", str(out))
    assert done.exit_code == 0, done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "import.json.part").exists()
    payload = json.loads(out.read_text(encoding="utf-8"))
    proposals = payload["proposals"]
    assert len(proposals) == 450
    # The saving the fixture recorded is linked, not booked again; cheques go to suspense.
    assert proposals[0]["status"] == "linked"
    assert {p["status"] for p in proposals[1:]} == {"booked"}
    assert payload["booked"] == 450
    assert payload["to_suspense"] == sum(p["kind"] == "suspense" for p in proposals) == 150
    assert all(isinstance(p["id"], int) for p in proposals)
    assert len({p["id"] for p in proposals}) == 450
    assert "450 lines booked (150 to 471 suspense)" in done.stderr
    # Suspense lines are named, at most NOTICE_LINES of them, then a count.
    assert f"and {150 - bank_cli.NOTICE_LINES} more" in done.stderr
    again = club_cli("bank", "import", statement, *CLUB, "--yes", "--format", "json")
    assert (again.json()["new"], again.json()["known"]) == (0, 450)
    assert [p["id"] for p in again.json()["proposals"]] == [p["id"] for p in proposals]
    assert club_cli("check", *CLUB).exit_code == 0


def test_an_output_that_cannot_be_written_is_refused_before_booking(club_cli, database_url,
                                                                     statement, tmp_path):
    before = snapshot(database_url)
    target = tmp_path / "missing-folder" / "out.json"
    r = club_cli("bank", "import", statement, *CLUB, "--yes", "--format", "json",
                 "-o", str(target))
    assert r.exit_code == 1
    assert r.error_code == "output_not_writable"
    assert snapshot(database_url) == before


def test_empty_statement_has_its_code(club_cli, tmp_path):
    path = write(tmp_path, "vide.csv", signed_csv([]), "utf-8")
    r = club_cli("--lang", "en", "bank", "import", str(path), *CLUB, "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert (r.json()["lines"], r.json()["proposals"]) == (0, [])
    assert r.stderr.strip().endswith("[bank_statement_empty]")


# -- the progress bar: on a terminal only ------------------------------------------------------

def _run(args: list[str], *, terminal: bool) -> tuple[int, str]:
    """Run the CLI as a process, stdout and stderr on a pseudo-terminal (or on pipes);
    returns the exit code and everything written."""
    env = {**os.environ, "CIGALES_TODAY": TODAY, "CIGALES_LANG": "en", "COLUMNS": "100"}
    env.pop("CIGALES_DB", None)
    argv = [sys.executable, "-m", "cigales", *args]
    if not terminal:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300,
                              check=False)
        return done.returncode, done.stdout + done.stderr
    leader, follower = pty.openpty()
    child = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=follower,
                             stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 300)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return child.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_the_progress_bar_shows_on_a_terminal_only(club_cli, database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the bar does not depend on the backend; one run is enough")
    path = str(write(tmp_path, "mai.csv", signed_csv(rows(300)), "cp1252"))
    dry = ["--db", database_url, "bank", "import", path, *CLUB, "--dry-run"]
    code, shown = _run(dry, terminal=True)
    assert code == 0, shown
    assert "Reading the statement" in shown
    code, piped = _run(dry, terminal=False)
    assert code == 0, piped
    assert "Reading the statement" not in piped
    code, as_json = _run([*dry, "--format", "json"], terminal=True)
    assert code == 0, as_json
    assert "Reading the statement" not in as_json
    assert "Writing the proposals" not in as_json
    booking = ["--db", database_url, "bank", "import", path, *CLUB, "--yes"]
    code, shown = _run(booking, terminal=True)
    assert code == 0, shown
    assert "Booking bank lines" in shown
    assert Path(path).exists()
