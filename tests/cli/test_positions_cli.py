"""`cigales report positions`: the share table as a report (table, JSON, CSV)."""

from __future__ import annotations

import csv
import io

from tests.cli.conftest import snapshot

CLUB = ("--club", "les-fourmis")


def test_positions_json_csv_and_bad_input(club_cli, database_url):
    # club_cli: M01 saved 30.00 on 2021-04-05; 4.00 of bank fees on 2021-04-28.
    assert club_cli("member", "add", *CLUB, "--code", "M02", "--name", "Bruno",
                    "--joined", "2021-04-01").exit_code == 0
    assert club_cli("saving", "add", *CLUB, "--member", "M02", "--date", "2021-05-05",
                    "--amount", "10").exit_code == 0
    data = club_cli("report", "positions", *CLUB, "--as-of", "2021-12-31",
                    "--format", "json").json()
    # Net assets 40 − 4 = 36.00, shared 3/4 – 1/4 of contributions: 27.00 and 9.00.
    assert (data["as_of"], data["method"], data["net_assets"]) == ("2021-12-31", "prorata",
                                                                    "36.00")
    assert [(m["member"], m["contributed"], m["share"], m["value"]) for m in data["members"]] \
        == [("M01", "30.00", "0.750000", "27.00"), ("M02", "10.00", "0.250000", "9.00")]
    rows = list(csv.DictReader(io.StringIO(
        club_cli("report", "positions", *CLUB, "--as-of", "2021-12-31",
                 "--format", "csv").stdout)))
    assert [(r["member"], r["book_capital"], r["value"]) for r in rows] == [
        ("M01", "30.00", "27.00"), ("M02", "10.00", "9.00")]
    # Before M02 joined, only M01 is listed.
    early = club_cli("report", "positions", *CLUB, "--as-of", "2021-03-31",
                     "--format", "json").json()
    assert [m["member"] for m in early["members"]] == ["M01"]
    before = snapshot(database_url)
    for args, code, exit_code in (
        (("--as-of", "2021-02-30"), "invalid_date", 2),
        (("--format", "xml"), "invalid_choice", 2),
    ):
        r = club_cli("report", "positions", *CLUB, *args)
        assert (r.exit_code, r.error_code) == (exit_code, code)
    r = club_cli("report", "positions", "--club", "nope")
    assert (r.exit_code, r.error_code) == (1, "unknown_club")
    assert snapshot(database_url) == before
