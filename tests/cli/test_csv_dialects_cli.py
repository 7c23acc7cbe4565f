"""`--dialect rfc4180|excel-fr` on every command that offers CSV (issue 15, item 2).

Every command whose --format offers csv takes --dialect (found by walking the whole command
tree, so a new command cannot forget it). On a club with savings, an equity stake, a loan and
two closed years, each read command's CSV is parsed with the csv module in both dialects:
same header and rows, and every rfc4180 cell becomes the excel-fr cell by the dialect's rules
(decimal comma for amounts and numbers, dd/mm/yyyy for dates), nothing else changed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer

from cigales.cli.app import build_app
from reports.csvdialect import BOM, NAMES
from tests import scratch
from tests.cli.conftest import snapshot
from tests.reports.conftest import SLUG, build_lake_club

CLUB = ("--club", SLUG)

# Read commands offering CSV, with arguments that fit the lake club (tests/reports/conftest).
READ_COMMANDS = [
    ("check", *CLUB),
    ("portfolio", *CLUB),
    ("club", "list"),
    ("club", "show", *CLUB),
    ("account", "list", *CLUB),
    ("report", "balance", *CLUB),
    ("report", "positions", *CLUB),
    ("report", "ledger", *CLUB),
    ("report", "journal", *CLUB),
    ("member", "list", *CLUB),
    ("saving", "arrears", *CLUB),
    ("loan", "schedule", *CLUB, "--loan", "2"),
    ("loan", "arrears", *CLUB),
    ("tax", "sheet", *CLUB, "--year", "2025"),
    ("export", "csv", *CLUB),
    ("export", "csv", *CLUB, "--year", "2025"),
    ("federation", "report", "--year", "2025"),
    ("bank", "suspense", *CLUB),
    ("bank", "profiles"),
    ("bank", "ibans", *CLUB),
    ("web", "users"),
]

_NUMBER = re.compile(r"-?\d+\.\d+")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _walk(cmd: Any, path: list[str], ctx: Any) -> Iterator[tuple[str, Any]]:
    if hasattr(cmd, "list_commands"):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            yield from _walk(sub, [*path, name], type(ctx)(sub, parent=ctx))
    else:
        yield " ".join(path), cmd


def csv_commands() -> dict[str, Any]:
    """Every command whose --format help offers csv, and `export csv`."""
    root = typer.main.get_command(build_app())
    found = {}
    for name, cmd in _walk(root, [], typer.Context(root)):
        params = {p.name: p for p in cmd.params}
        offers = "format" in params and "csv" in (params["format"].help or "")
        if offers or name == "export csv":
            found[name] = params
    return found


def test_every_command_offering_csv_takes_the_shared_dialect_option():
    commands = csv_commands()
    assert len(commands) > 40
    # federation grants needs PostgreSQL roles: it is covered by this test only.
    assert "federation grants" in commands
    assert "report balance" in commands
    assert "export csv" in commands
    helps = set()
    for name, params in commands.items():
        assert "dialect" in params, f"{name} offers csv without --dialect"
        assert params["dialect"].default == "rfc4180"
        helps.add(params["dialect"].help)
    assert len(helps) == 1  # one shared option, one help text


def excel_form(cell: str) -> str:
    """What excel-fr writes for a cell that rfc4180 writes as ``cell``."""
    if _NUMBER.fullmatch(cell):
        return cell.replace(".", ",")
    date = _DATE.fullmatch(cell)
    if date:
        return f"{date[3]}/{date[2]}/{date[1]}"
    return cell


@pytest.fixture
def lake_cli(engine, cli, database_url):
    scratch.fill(database_url, build_lake_club)
    return cli


def parse(raw: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter))


@pytest.mark.parametrize("args", READ_COMMANDS, ids=[" ".join(a[:2]) for a in READ_COMMANDS])
def test_both_dialects_parse_and_hold_the_same_cells(lake_cli, args):
    extra = [] if args[0] == "export" else ["--format", "csv"]
    default = lake_cli(*args, *extra)
    rfc = lake_cli(*args, *extra, "--dialect", "rfc4180")
    fr = lake_cli(*args, *extra, "--dialect", "excel-fr")
    assert default.exit_code == rfc.exit_code == fr.exit_code == 0, fr.stderr
    assert default.stdout == rfc.stdout  # rfc4180 is the default
    assert not rfc.stdout.startswith(BOM)
    assert rfc.stdout.endswith("\r\n")
    assert fr.stdout.startswith(BOM)
    rfc_rows = parse(rfc.stdout, ",")
    fr_rows = parse(fr.stdout[1:], ";")
    assert len(rfc_rows) >= 1
    assert rfc_rows[0] == fr_rows[0]  # the header: machine keys in both
    assert len(rfc_rows) == len(fr_rows)
    for rfc_row, fr_row in zip(rfc_rows, fr_rows, strict=True):
        assert [excel_form(c) for c in rfc_row] == fr_row


def test_excel_fr_amounts_use_a_decimal_comma(lake_cli):
    fr = lake_cli("report", "balance", *CLUB, "--format", "csv", "--dialect", "excel-fr")
    rows = list(csv.DictReader(io.StringIO(fr.stdout[1:], newline=""), delimiter=";"))
    bank = next(r for r in rows if r["code"] == "5121")
    assert "," in bank["debit"]
    assert "." not in bank["debit"]


def test_a_writing_command_answers_in_the_dialect(lake_cli):
    fr = lake_cli("entry", "add", *CLUB, "--date", "2026-01-05", "--label", "=Frais",
                  "--line", "6270=1.50", "--line", "5121=-1.50", "--format", "csv",
                  "--dialect", "excel-fr")
    assert fr.exit_code == 0, fr.stderr
    rows = parse(fr.stdout[1:], ";")
    assert rows[0] == ["journal", "number", "date", "hash"]
    assert rows[1][2] == "05/01/2026"
    rfc = lake_cli("entry", "add", *CLUB, "--date", "2026-01-06", "--label", "Frais",
                   "--line", "6270=1.50", "--line", "5121=-1.50", "--format", "csv",
                   "--dialect", "rfc4180")
    assert parse(rfc.stdout, ",")[1][2] == "2026-01-06"


def test_the_dialect_is_machine_neutral_when_french_is_spoken(lake_cli):
    # The dialect, not the language, decides the CSV: English gives the same bytes.
    fr = lake_cli("member", "list", *CLUB, "--format", "csv", "--dialect", "excel-fr")
    en = lake_cli("--lang", "en", "member", "list", *CLUB, "--format", "csv",
                  "--dialect", "excel-fr")
    assert fr.stdout == en.stdout


@pytest.mark.parametrize("args", [
    ("report", "balance", *CLUB, "--format", "csv"),
    ("report", "balance", *CLUB, "--format", "json"),
    ("export", "csv", *CLUB),
    ("federation", "report", "--year", "2025", "--format", "csv"),
    ("entry", "add", *CLUB, "--date", "2026-01-05", "--label", "Frais",
     "--line", "6270=1.50", "--line", "5121=-1.50", "--format", "csv"),
])
def test_an_unknown_dialect_is_a_usage_error_listing_the_allowed_ones(lake_cli, database_url,
                                                                      args):
    before = snapshot(database_url)
    result = lake_cli(*args, "--dialect", "excel")
    assert result.exit_code == 2
    assert result.error_code == "invalid_choice"
    assert all(name in result.stderr for name in NAMES)
    assert result.stdout == ""
    assert snapshot(database_url) == before


def test_excel_fr_to_a_file_starts_with_the_byte_order_mark(lake_cli, tmp_path):
    target = tmp_path / "balance.csv"
    assert lake_cli("report", "balance", *CLUB, "--format", "csv", "--dialect", "excel-fr",
                    "-o", str(target)).exit_code == 0
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = parse(raw.decode("utf-8-sig"), ";")
    assert rows[0][0] == "code"
