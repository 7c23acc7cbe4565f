"""What a French treasurer types: JJ/MM/AAAA dates, and "o"/"oui" at a confirmation."""

from __future__ import annotations

import io

import pytest

from tests.cli.conftest import snapshot

CLUB = ("--club", "les-fourmis")


def entry(cli, date, *extra):
    return cli(*extra, "entry", "add", *CLUB, "--date", date, "--label", "Intérêts",
               "--journal", "BQ", "--line", "5121=1", "--line", "7680=-1", "--format", "json")


def test_french_dates_are_accepted_in_french_only(club_cli, database_url):
    r = entry(club_cli, "05/06/2021")
    assert r.exit_code == 0, r.stderr
    assert r.json()["date"] == "2021-06-05"
    assert entry(club_cli, "5/6/2021").json()["date"] == "2021-06-05"
    before = snapshot(database_url)
    # In English 05/06/2021 could be 6 May: refused, as before.
    r = entry(club_cli, "05/06/2021", "--lang", "en")
    assert (r.exit_code, r.error_code) == (2, "invalid_date")
    r = entry(club_cli, "31/06/2021")
    assert (r.exit_code, r.error_code) == (2, "invalid_date")
    assert "JJ/MM/AAAA" in r.stderr
    assert snapshot(database_url) == before


class Terminal(io.StringIO):
    """Typed answers on a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answers", "done"), [
    ("o\n", True), ("oui\n", True), ("OUI\n", True), ("y\n", True),
    ("\n", False), ("non\n", False), ("peut-être\nn\n", False), ("bof\noui\n", True),
])
def test_confirmation_accepts_o_and_oui(club_cli, database_url, monkeypatch, answers, done):
    monkeypatch.setattr("sys.stdin", Terminal(answers))
    before = snapshot(database_url)
    r = club_cli("year", "close", *CLUB, "--year", "2021")
    assert "[o/N]" in r.stdout
    if done:
        assert r.exit_code == 0, r.stderr
        assert snapshot(database_url) != before
    else:
        assert (r.exit_code, r.error_code) == (1, "confirmation_required")
        assert snapshot(database_url) == before
    assert "Error" not in r.stdout + r.stderr
