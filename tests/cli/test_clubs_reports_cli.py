"""`cigales club|account|report|year|check`: outputs, and bad input refused with nothing written."""

from __future__ import annotations

import csv
import io

import pytest

from tests.cli.conftest import snapshot

CLUB = ("--club", "les-fourmis")


def test_club_create_and_list(cli):
    r = cli("club", "create", "les-fourmis", "--name", "Les Fourmis", "--founded", "2021-03-15",
            "--region", "Pays de la Loire", "--department", "44")
    assert r.exit_code == 0
    assert cli("club", "list", "--format", "json").json() == [{
        "slug": "les-fourmis", "name": "Les Fourmis", "founded": "2021-03-15",
        "region": "Pays de la Loire", "department": "44", "entries": 0, "cash": "0.00",
        "phase": "lapsed", "phase_label": "échue (indivision légale)"}]


def test_club_list_empty_is_an_empty_json_list(cli):
    # A database without clubs (`db upgrade` creates one; reading never does).
    assert cli("db", "upgrade").exit_code == 0
    r = cli("club", "list", "--format", "json")
    assert (r.exit_code, r.stdout.strip()) == (0, "[]")


@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (("Les Fourmis", "--name", "x", "--founded", "2021-03-15"), "invalid_slug", 1),
        (("ok-slug", "--name", " ", "--founded", "2021-03-15"), "name_required", 1),
        (("ok-slug", "--name", "x", "--founded", "2021-13-01"), "invalid_date", 2),
        (("ok-slug", "--name", "x", "--founded", "2030-01-01"), "date_in_future", 1),
        (("les-fourmis", "--name", "x", "--founded", "2021-03-15"), "club_exists", 1),
    ],
)
def test_club_create_bad_input(club_cli, database_url, args, code, exit_code):
    before = snapshot(database_url)
    r = club_cli("club", "create", *args)
    assert (r.exit_code, r.error_code) == (exit_code, code)
    assert snapshot(database_url) == before


@pytest.mark.parametrize(
    ("code_arg", "error", "exit_code"),
    [
        ("1011-M01", "account_exists", 1),
        ("8888-X", "unknown_parent_account", 1),
        ("51 21", "invalid_account_code", 2),
        ("abc", "invalid_account_code", 2),
    ],
)
def test_account_add_bad_input(club_cli, database_url, code_arg, error, exit_code):
    before = snapshot(database_url)
    r = club_cli("account", "add", *CLUB, "--code", code_arg, "--label", "x")
    assert (r.exit_code, r.error_code) == (exit_code, error)
    assert snapshot(database_url) == before


def test_account_add_and_list(club_cli):
    r = club_cli("account", "add", *CLUB, "--code", "51221", "--label", "Livret B")
    assert r.exit_code == 0
    listed = club_cli("account", "list", *CLUB, "--account", "512", "--format", "json").json()
    assert [a["code"] for a in listed] == ["5121", "5122", "51221"]
    collective = club_cli("account", "list", *CLUB, "--account", "1011", "--format", "json").json()
    assert collective == [
        {"code": "1011", "label": "Apports des indivisaires", "postable": False},
        {"code": "1011-M01", "label": "Apports de l'indivisaire M01", "postable": True},
    ]


def test_balance_json_shape_and_values(club_cli):
    data = club_cli("report", "balance", *CLUB, "--as-of", "2021-12-31", "--format", "json").json()
    assert data == {
        "club": "les-fourmis",
        "as_of": "2021-12-31",
        "accounts": [
            {"code": "1011-M01", "label": "Apports de l'indivisaire M01", "debit": "0.00",
             "credit": "30.00", "balance": "-30.00"},
            {"code": "5121", "label": "Banque – compte courant", "debit": "30.00",
             "credit": "4.00", "balance": "26.00"},
            {"code": "6270", "label": "Services bancaires", "debit": "4.00", "credit": "0.00",
             "balance": "4.00"},
        ],
        "total_debit": "34.00",
        "total_credit": "34.00",
    }
    before_fees = club_cli("report", "balance", *CLUB, "--as-of", "2021-04-10",
                           "--account", "5121", "--format", "json").json()
    assert before_fees["accounts"][0]["balance"] == "30.00"


def test_balance_csv_and_table_and_output_file(club_cli, tmp_path):
    text = club_cli("report", "balance", *CLUB, "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[1] == {"code": "5121", "label": "Banque – compte courant", "debit": "30.00",
                       "credit": "4.00", "balance": "26.00"}
    table = club_cli("report", "balance", *CLUB).stdout
    assert "26,00" in table  # French formatting for people
    target = tmp_path / "balance.json"
    r = club_cli("report", "balance", *CLUB, "--format", "json", "-o", str(target))
    assert (r.exit_code, r.stdout) == (0, "")
    assert '"total_debit": "34.00"' in target.read_text(encoding="utf-8")
    r = club_cli("report", "balance", *CLUB, "-o", str(tmp_path / "missing" / "x.txt"))
    assert (r.exit_code, r.error_code) == (1, "output_not_writable")


def test_ledger_running_balance(club_cli):
    data = club_cli("report", "ledger", *CLUB, "--account", "5121", "--format", "json").json()
    (bank,) = data["accounts"]
    assert [(ln["debit"], ln["credit"], ln["balance"]) for ln in bank["lines"]] == [
        ("30.00", "0.00", "30.00"), ("0.00", "4.00", "26.00")]
    later = club_cli("report", "ledger", *CLUB, "--account", "5121", "--from", "2021-04-10",
                     "--format", "json").json()
    assert later["accounts"][0]["opening"] == "30.00"
    assert later["accounts"][0]["closing"] == "26.00"


@pytest.mark.parametrize(
    "args",
    [
        ("report", "balance", *CLUB, "--as-of", "2021-02-29"),
        ("report", "ledger", *CLUB, "--from", "yesterday"),
        ("report", "journal", *CLUB, "--journal", "XX"),
        ("report", "balance", *CLUB, "--format", "pdf"),
    ],
)
def test_report_usage_errors(club_cli, args):
    r = club_cli(*args)
    assert r.exit_code == 2
    assert r.error_code in {"invalid_date", "invalid_choice"}


def test_reports_unknown_club(club_cli):
    for command in ("balance", "ledger", "journal"):
        r = club_cli("report", command, "--club", "nope")
        assert (r.exit_code, r.error_code) == (1, "unknown_club")


def test_year_close(club_cli, database_url):
    before = snapshot(database_url)
    r = club_cli("year", "close", *CLUB, "--year", "2021")  # stdin is not a terminal
    assert (r.exit_code, r.error_code) == (1, "confirmation_required")
    assert snapshot(database_url) == before
    r = club_cli("year", "close", *CLUB, "--year", "2021", "--yes", "--format", "json")
    assert r.exit_code == 0
    assert r.json() == {"year": 2021, "result": "-4.00", "closing_entries": ["OD 1", "OD 2"],
                        "opening_entry": "AN 1"}
    after = snapshot(database_url)
    for year, code in ((2021, "fiscal_year_already_closed"), (2026, "fiscal_year_not_ended"),
                       (2019, "unknown_fiscal_year")):
        r = club_cli("year", "close", *CLUB, "--year", str(year), "--yes")
        assert (r.exit_code, r.error_code) == (1, code)
    r = club_cli("year", "close", *CLUB, "--year", "2023", "--yes")
    assert (r.exit_code, r.error_code) == (1, "earlier_years_open")
    assert snapshot(database_url) == after
    balance = club_cli("report", "balance", *CLUB, "--as-of", "2022-01-01", "--format",
                       "json").json()
    by_code = {a["code"]: a["balance"] for a in balance["accounts"]}
    assert by_code == {"1011-M01": "-30.00", "119": "4.00", "129": "0.00", "5121": "26.00",
                       "6270": "0.00"}


def test_check_ok(club_cli):
    r = club_cli("check", *CLUB, "--format", "json")
    assert (r.exit_code, r.json()) == (0, {"ok": True, "issues": []})
    r = club_cli("check", "--club", "nope")
    assert (r.exit_code, r.error_code) == (1, "unknown_club")


def test_lang_option_is_validated(club_cli):
    r = club_cli("--lang", "de", "club", "list")
    assert (r.exit_code, r.error_code) == (2, "invalid_choice")


def test_example_is_idempotent(cli, database_url):
    first = cli("example", "--format", "json")
    assert first.exit_code == 0
    assert first.json()["total_debit"] == first.json()["total_credit"]
    state = snapshot(database_url)
    again = cli("example", "--format", "json")
    assert again.json() == first.json()
    assert snapshot(database_url) == state
    assert cli("check", *CLUB, "--format", "json").json()["ok"] is True


def test_balance_of_every_club_adds_each_clubs_balance(club_cli):
    # A second club with a different history: --all sums both books per account code.
    assert club_cli("club", "create", "les-abeilles", "--name", "Les Abeilles",
                    "--founded", "2021-02-01").exit_code == 0
    assert club_cli("entry", "add", "--club", "les-abeilles", "--date", "2021-05-02",
                    "--label", "Frais", "--journal", "BQ",
                    "--line", "6270=7,50", "--line", "5121=-7,50").exit_code == 0
    expected: dict[str, tuple[int, int]] = {}
    for slug in ("les-fourmis", "les-abeilles"):
        one = club_cli("report", "balance", "--club", slug, "--format", "json").json()
        for a in one["accounts"]:
            debit, credit = expected.get(a["code"], (0, 0))
            expected[a["code"]] = (debit + _cents(a["debit"]), credit + _cents(a["credit"]))
    every = club_cli("report", "balance", "--all", "--format", "json").json()
    got = {a["code"]: (_cents(a["debit"]), _cents(a["credit"])) for a in every["accounts"]}
    assert got == expected
    assert len(got) == 3  # 1011-M01, 5121 and 6270 across the two clubs
    assert every["club"] is None
    assert _cents(every["total_debit"]) == sum(d for d, _ in expected.values())
    assert every["total_debit"] == every["total_credit"]
    later = club_cli("report", "balance", "--all", "--as-of", "2021-04-30",
                     "--format", "json").json()
    assert {a["code"] for a in later["accounts"]} == {"1011-M01", "5121", "6270"}
    assert _cents(later["total_debit"]) == 3400  # only les-fourmis's two entries by then


def _cents(text: str) -> int:
    units, _, cents = text.partition(".")
    return int(units) * 100 + (int(cents) if not units.startswith("-") else -int(cents))


@pytest.mark.parametrize("args", [(), ("--club", "les-fourmis", "--all")])
def test_balance_needs_a_club_or_all(club_cli, database_url, args):
    before = snapshot(database_url)
    r = club_cli("report", "balance", *args)
    assert (r.exit_code, r.error_code) == (2, "club_or_all")
    assert snapshot(database_url) == before
