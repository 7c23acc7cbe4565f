"""`cigales entry add|reverse`: happy paths, and every kind of bad input refused cleanly."""

from __future__ import annotations

import pytest

from tests.cli.conftest import snapshot

CLUB = ("--club", "les-fourmis")


def add(cli, *lines, date="2022-02-01", label="Test", extra=()):
    args = ["entry", "add", *CLUB, "--date", date, "--label", label]
    for line in lines:
        args += ["--line", line]
    return cli(*args, *extra)


def test_add_prints_number_and_json(club_cli):
    r = add(club_cli, "5121=10", "7680=-10", extra=("--journal", "BQ"))
    assert (r.exit_code, r.stdout.strip()) == (0, "BQ 3")
    r = add(club_cli, "6281=1 234,50", "5121=-1234.5", extra=("--format", "json"))
    data = r.json()
    assert data["journal"] == "OD"
    assert data["number"] == 1
    assert data["date"] == "2022-02-01"
    assert len(data["hash"]) == 64


@pytest.mark.parametrize(
    ("lines", "code", "exit_code"),
    [
        (("5121=10", "7680=-9"), "entry_must_balance", 1),
        (("5121=10",), "entry_needs_two_lines", 1),
        (("5121=0", "7680=0"), "posting_must_not_be_zero", 1),
        (("5121=12.345", "7680=-12.345"), "amount_too_precise", 2),
        (("5121=abc", "7680=-1"), "invalid_amount", 2),
        (("5121", "7680=-1"), "invalid_line", 2),
        (("9999=1", "7680=-1"), "unknown_account", 1),
        (("1011=1", "5121=-1"), "account_not_postable", 1),
    ],
)
def test_bad_lines_are_refused_and_write_nothing(club_cli, database_url, lines, code, exit_code):
    before = snapshot(database_url)
    r = add(club_cli, *lines)
    assert (r.exit_code, r.error_code) == (exit_code, code)
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    assert snapshot(database_url) == before


@pytest.mark.parametrize(
    ("date", "code", "exit_code"),
    [
        ("2021-02-30", "invalid_date", 2),
        ("32/12/2021", "invalid_date", 2),
        ("2021/12/31", "invalid_date", 2),
        ("2021-03-14", "date_outside_club_life", 1),
        ("2031-03-15", "date_in_future", 1),
        ("2027-01-01", "date_in_future", 1),
    ],
)
def test_bad_dates_are_refused(club_cli, database_url, date, code, exit_code):
    before = snapshot(database_url)
    r = add(club_cli, "5121=1", "7680=-1", date=date)
    assert (r.exit_code, r.error_code) == (exit_code, code)
    assert snapshot(database_url) == before


def test_date_in_closed_year_is_refused(club_cli, database_url):
    assert club_cli("year", "close", *CLUB, "--year", "2021", "--yes").exit_code == 0
    before = snapshot(database_url)
    r = add(club_cli, "5121=1", "7680=-1", date="2021-06-01")
    assert (r.exit_code, r.error_code) == (1, "fiscal_year_closed")
    assert "01/01/2022" in r.stderr  # names the first date that is allowed
    assert snapshot(database_url) == before


def test_unknown_club_and_bad_journal(club_cli, database_url):
    before = snapshot(database_url)
    r = club_cli("entry", "add", "--club", "nope", "--date", "2022-01-01", "--label", "x",
                 "--line", "5121=1", "--line", "7680=-1")
    assert (r.exit_code, r.error_code) == (1, "unknown_club")
    assert "les-fourmis" in r.stderr  # lists the clubs that exist
    r = add(club_cli, "5121=1", "7680=-1", extra=("--journal", "AN"))
    assert (r.exit_code, r.error_code) == (2, "invalid_choice")
    r = add(club_cli, "5121=1", "7680=-1", extra=("--format", "xml"))
    assert (r.exit_code, r.error_code) == (2, "invalid_choice")
    r = club_cli("entry", "add", *CLUB, "--date", "2022-01-01", "--line", "5121=1")
    assert r.exit_code == 2  # missing --label: Click usage error
    assert snapshot(database_url) == before


def test_idempotency_key(club_cli, database_url):
    first = add(club_cli, "5121=5", "7680=-5", extra=("--key", "k1", "--format", "json"))
    assert first.exit_code == 0
    after_first = snapshot(database_url)
    again = add(club_cli, "5121=5", "7680=-5", extra=("--key", "k1", "--format", "json"))
    assert again.exit_code == 0
    assert again.json() == first.json()
    assert snapshot(database_url) == after_first
    conflict = add(club_cli, "5121=6", "7680=-6", extra=("--key", "k1"))
    assert (conflict.exit_code, conflict.error_code) == (3, "idempotency_conflict")
    assert snapshot(database_url) == after_first


def test_reverse_once(club_cli, database_url):
    r = club_cli("entry", "reverse", *CLUB, "--journal", "BQ", "--number", "1",
                 "--date", "2021-05-01", "--format", "json")
    assert r.exit_code == 0
    assert (r.json()["journal"], r.json()["number"]) == ("BQ", 3)
    journal = club_cli("report", "journal", *CLUB, "--journal", "BQ", "--format", "json").json()
    reversal = journal["entries"][2]
    assert reversal["reverses"] == "BQ 1"
    assert [(ln["account"], ln["debit"], ln["credit"]) for ln in reversal["lines"]] == [
        ("5121", "0.00", "30.00"), ("1011-M01", "30.00", "0.00")]
    before = snapshot(database_url)
    twice = club_cli("entry", "reverse", *CLUB, "--journal", "BQ", "--number", "1",
                     "--date", "2021-05-02")
    assert (twice.exit_code, twice.error_code) == (1, "entry_already_reversed")
    of_reversal = club_cli("entry", "reverse", *CLUB, "--journal", "BQ", "--number", "3",
                           "--date", "2021-05-02")
    assert (of_reversal.exit_code, of_reversal.error_code) == (1, "cannot_reverse_reversal")
    unknown = club_cli("entry", "reverse", *CLUB, "--journal", "BQ", "--number", "99",
                       "--date", "2021-05-02")
    assert (unknown.exit_code, unknown.error_code) == (1, "unknown_entry")
    early = club_cli("entry", "reverse", *CLUB, "--journal", "BQ", "--number", "2",
                     "--date", "2021-04-01")
    assert (early.exit_code, early.error_code) == (1, "reversal_before_original")
    bad_number = club_cli("entry", "reverse", *CLUB, "--journal", "BQ", "--number", "two",
                          "--date", "2021-05-02")
    assert bad_number.exit_code == 2
    assert snapshot(database_url) == before


def test_member_accounts_are_reserved_to_member_commands(club_cli, database_url):
    before = snapshot(database_url)
    r = add(club_cli, "5121=10", "1011-M01=-10")
    assert (r.exit_code, r.error_code) == (1, "member_account_reserved")
    r = club_cli("account", "add", *CLUB, "--code", "1018-M07", "--label", "x")
    assert (r.exit_code, r.error_code) == (1, "member_account_reserved")
    assert snapshot(database_url) == before


def test_reversing_a_saving_gives_the_contribution_back(club_cli):
    listed = club_cli("member", "list", *CLUB, "--format", "json").json()
    assert (listed[0]["paid"], listed[0]["contributed"]) == ("30.00", "30.00")
    r = club_cli("entry", "reverse", *CLUB, "--journal", "BQ", "--number", "1",
                 "--date", "2021-05-01")
    assert r.exit_code == 0
    listed = club_cli("member", "list", *CLUB, "--format", "json").json()
    assert (listed[0]["paid"], listed[0]["contributed"], listed[0]["share"]) == (
        "0.00", "0.00", "0.000000")


def test_a_departure_cannot_be_reversed(club_cli, database_url):
    assert club_cli("member", "leave", *CLUB, "--member", "M01", "--date", "2021-05-01",
                    "--settlement", "deferred").exit_code == 0
    journal = club_cli("report", "journal", *CLUB, "--journal", "OD", "--format", "json").json()
    departure = journal["entries"][-1]
    before = snapshot(database_url)
    r = club_cli("entry", "reverse", *CLUB, "--journal", "OD", "--number",
                 str(departure["number"]), "--date", "2021-05-02")
    assert (r.exit_code, r.error_code) == (1, "departure_not_reversible")
    assert snapshot(database_url) == before
