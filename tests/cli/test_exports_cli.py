"""`cigales export xlsx | hledger | beancount` through the command line, and their bad input."""

from __future__ import annotations

import openpyxl
import pytest

from cigales.i18n import _
from reports.xlsx import sheet_title
from tests import scratch
from tests.cli.conftest import snapshot
from tests.test_export_plaintext import SLUG, build

CLUB = ("--club", SLUG)


@pytest.fixture
def built(engine, cli, database_url):
    scratch.fill(database_url, build)  # built once per process, then copied
    return cli


def test_xlsx_to_a_file(built, tmp_path):
    target = tmp_path / "club.xlsx"
    r = built("export", "xlsx", *CLUB, "--year", "2022", "-o", str(target))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames == [sheet_title(_(t)) for t in
                             ("Journal", "Trial balance", "Members", "Portfolio")]
    again = tmp_path / "again.xlsx"
    assert built("export", "xlsx", *CLUB, "--year", "2022", "-o", str(again)).exit_code == 0
    assert again.read_bytes() == target.read_bytes()


def test_xlsx_without_a_year(built, tmp_path):
    target = tmp_path / "all.xlsx"
    assert built("export", "xlsx", *CLUB, "--output", str(target)).exit_code == 0
    assert openpyxl.load_workbook(target).worksheets[0].max_row > 10


@pytest.mark.parametrize("tool", ["hledger", "beancount"])
def test_plaintext_to_stdout_and_to_a_file(built, tmp_path, tool):
    r = built("export", tool, *CLUB, "--year", "2023")
    assert (r.exit_code, r.stderr) == (0, "")
    assert "Assets:C51:C5121" in r.stdout
    marker = "commodity 1000.00 EUR" if tool == "hledger" else 'option "operating_currency"'
    assert marker in r.stdout
    target = tmp_path / f"club.{tool}"
    assert built("export", tool, *CLUB, "--year", "2023", "-o", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8") == r.stdout
    every = built("export", tool, *CLUB)
    assert every.exit_code == 0
    assert "2021-04-01" in every.stdout
    assert "2024-02-01" in every.stdout


def test_export_group_lists_the_new_commands(cli):
    r = cli("export", "--help")
    assert r.exit_code == 0
    for name in ("fec", "csv", "xlsx", "hledger", "beancount"):
        assert name in r.stdout


def test_xlsx_is_not_written_to_the_terminal(built, database_url):
    before = snapshot(database_url)
    r = built("export", "xlsx", *CLUB, "--year", "2022")
    assert (r.exit_code, r.error_code, r.stdout) == (2, "output_file_required", "")
    assert snapshot(database_url) == before


@pytest.mark.parametrize("command", ["xlsx", "hledger", "beancount"])
@pytest.mark.parametrize(("args", "exit_code", "code"), [
    (("--club", "nope"), 1, "unknown_club"),
    ((*CLUB, "--year", "20x2"), 2, "invalid_year"),
    ((*CLUB, "--year", "22"), 2, "invalid_year"),
    ((*CLUB, "--year", "0"), 2, "invalid_year"),
    ((*CLUB, "--year", "2020"), 1, "year_out_of_range"),  # before the founding (2021)
    ((*CLUB, "--year", "2027"), 1, "year_out_of_range"),  # after today (2026)
])
def test_bad_input(built, database_url, tmp_path, command, args, exit_code, code):
    before = snapshot(database_url)
    target = tmp_path / "out"
    r = built("export", command, *args, "-o", str(target))
    assert (r.exit_code, r.error_code, r.stdout) == (exit_code, code, "")
    assert not target.exists()
    assert snapshot(database_url) == before


@pytest.mark.parametrize("command", ["xlsx", "hledger", "beancount"])
def test_unwritable_output(built, database_url, tmp_path, command):
    before = snapshot(database_url)
    r = built("export", command, *CLUB, "--year", "2022", "-o",
              str(tmp_path / "no-such-folder" / "club.out"))
    assert (r.exit_code, r.error_code) == (1, "output_not_writable")
    assert snapshot(database_url) == before


@pytest.mark.parametrize("command", ["xlsx", "hledger", "beancount"])
def test_missing_club_option(built, database_url, tmp_path, command):
    before = snapshot(database_url)
    r = built("export", command, "-o", str(tmp_path / "x"))
    assert r.exit_code == 2  # Click usage error: --club is required
    assert snapshot(database_url) == before


def test_year_checks_also_apply_to_fec_and_csv(built):
    assert built("export", "fec", *CLUB, "--year", "0").error_code == "invalid_year"
    assert built("export", "csv", *CLUB, "--year", "1999").error_code == "year_out_of_range"
    assert built("export", "fec", *CLUB, "--year", "2021", "-o", "-").exit_code == 0


# -- the club's SIREN and the FEC's legal file name ----------------------------------------------

def test_fec_gets_its_legal_name_from_the_club_siren(built, database_url, tmp_path,
                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    # Without a SIREN the legal name cannot be built: refused, nothing written anywhere.
    before = snapshot(database_url)
    r = built("export", "fec", *CLUB, "--year", "2022")
    assert (r.exit_code, r.error_code, r.stdout) == (2, "siren_required", "")
    assert f"club set --club {SLUG} --siren" in r.stderr
    for bad in ("123456789", "12345678", "abc"):
        r = built("club", "set", *CLUB, "--siren", bad)
        assert (r.exit_code, r.error_code) == (2, "invalid_siren"), bad
    r = built("club", "create", "autre", "--name", "Autre", "--founded", "2021-01-01",
              "--siren", "552081318")
    assert (r.exit_code, r.error_code) == (2, "invalid_siren")
    assert snapshot(database_url) == before
    assert list(tmp_path.iterdir()) == []

    # Recorded later (spaces allowed, stored without), shown by `club show`.
    assert built("club", "set", *CLUB, "--siren", "552 081 317").exit_code == 0
    show = built("club", "show", *CLUB, "--format", "json").json()
    assert show["siren"] == "552081317"
    # Default: the legal name, closing date of the fiscal year, in the current folder.
    r = built("export", "fec", *CLUB, "--year", "2022")
    assert (r.exit_code, r.stdout) == (0, "")
    legal = tmp_path / "552081317FEC20221231.txt"
    assert legal.read_bytes().startswith(b"JournalCode\t")
    assert legal.name in r.stderr
    # -o DIR/ puts the legal name in DIR; -o FILE keeps its name; -o - is the terminal.
    (tmp_path / "out").mkdir()
    assert built("export", "fec", *CLUB, "--year", "2022", "-o", "out/").exit_code == 0
    assert (tmp_path / "out" / legal.name).read_bytes() == legal.read_bytes()
    assert built("export", "fec", *CLUB, "--year", "2022", "-o", "out").exit_code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [legal.name]
    assert built("export", "fec", *CLUB, "--year", "2022", "-o", "mine.txt").exit_code == 0
    assert (tmp_path / "mine.txt").read_bytes() == legal.read_bytes()
    r = built("export", "fec", *CLUB, "--year", "2022", "-o", "-")
    assert r.stdout.encode("utf-8") == legal.read_bytes()
    r = built("export", "fec", *CLUB, "--year", "2022", "-o", "missing/")
    assert (r.exit_code, r.error_code) == (1, "output_not_writable")


def test_club_create_records_a_siren(cli):
    r = cli("club", "create", "les-cigales", "--name", "Les Cigales", "--founded", "2024-01-10",
            "--siren", "443061841", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["siren"] == "443061841"
