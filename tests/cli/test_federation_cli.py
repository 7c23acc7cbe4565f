"""`cigales federation return|import|report` and `cigales member export|erase`, end to end."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from tests import scratch
from tests.cli.conftest import send_key, snapshot
from tests.reports.conftest import SLUG, build_lake_club


@pytest.fixture
def lake_cli(cli, engine, database_url):
    scratch.fill(database_url, build_lake_club)
    return cli


def test_return_import_report_flow(lake_cli, cli, tmp_path, database_url):
    path = tmp_path / "lac-2025.json"
    result = lake_cli("federation", "return", "--club", SLUG, "--year", "2025", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == "cigales-return/1"
    for key in ("year", "checksum", "savings_collected", "cash_year_end", "net_assets"):
        assert key in doc
    # A regional database receives it, twice, with a broken file in between.
    region = f"sqlite:///{tmp_path / 'region.db'}"
    send_key(cli, SLUG, database_url, region, tmp_path)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**doc, "net_assets": "1.00"}), encoding="utf-8")
    result = cli("federation", "import", str(path), str(broken), str(path),
                 str(tmp_path / "missing.json"), "--format", "json", db=region)
    assert result.exit_code == 1
    assert result.error_code == "files_rejected"
    rows = result.json()["files"]
    assert [r["status"] for r in rows] == ["imported", "rejected", "unchanged", "rejected"]
    assert "[return_checksum_mismatch]" in rows[1]["detail"]
    assert "[file_unreadable]" in rows[3]["detail"]
    report = cli("federation", "report", "--year", "2025", "--format", "json", db=region)
    assert report.exit_code == 0, report.stderr
    payload = report.json()
    assert payload["year"] == 2025
    for group in (payload["totals"], *payload["regions"]):
        for key in ("clubs", "members_active", "savings_collected", "cash_year_end",
                    "invested", "loans_outstanding", "par30"):
            assert key in group
    assert payload["totals"]["clubs"] == 1
    assert payload["totals"]["savings_collected"] == "2500.00"
    assert payload["totals"]["par30"] == "1.0000"
    assert payload["regions"][0]["region"] == "Bretagne"
    assert payload["sources"] == {"hosted": 0, "returns": 1}
    # The same figures from the hosted books.
    hosted = lake_cli("federation", "report", "--year", "2025", "--format", "json").json()
    assert hosted["totals"]["savings_collected"] == "2500.00"
    assert hosted["sources"] == {"hosted": 1, "returns": 0}


def test_report_as_csv_table_and_pdf(lake_cli, tmp_path):
    csv = lake_cli("federation", "report", "--year", "2025", "--format", "csv")
    assert csv.exit_code == 0
    assert csv.stdout.splitlines()[0].startswith("region,clubs,")
    assert "Bretagne,1," in csv.stdout
    table = lake_cli("federation", "report", "--year", "2025")
    assert "Bretagne" in table.stdout
    pdf = tmp_path / "federation.pdf"
    result = lake_cli("federation", "report", "--year", "2025", "--format", "pdf", "-o", str(pdf))
    assert result.exit_code == 0, result.stderr
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Page 1 / " in text
    assert "2\u202f500,00" in text  # the PDF font has the narrow no-break space


@pytest.mark.parametrize(("args", "exit_code", "code"), [
    (("federation", "return", "--club", "inconnu", "--year", "2025"), 1, "unknown_club"),
    (("federation", "return", "--club", SLUG, "--year", "2019"), 1,
     "year_out_of_range"),
    (("federation", "report", "--year", "2025", "--format", "xml"), 2, "invalid_choice"),
    (("federation", "report", "--year", "2025", "--format", "pdf"), 2, "missing_value"),
    (("member", "export", "--club", SLUG, "--member", "M42"), 1, "unknown_member"),
    (("member", "erase", "--club", SLUG, "--member", "M01", "--yes"), 1,
     "member_still_in_club"),
    (("member", "erase", "--club", SLUG, "--member", "M99", "--yes"), 1, "unknown_member"),
])
def test_bad_input_writes_nothing(lake_cli, database_url, args, exit_code, code):
    before = snapshot(database_url)
    result = lake_cli(*args)
    assert (result.exit_code, result.error_code) == (exit_code, code), result.stderr
    assert snapshot(database_url) == before


def test_year_must_be_a_number(lake_cli):
    assert lake_cli("federation", "report", "--year", "deux").exit_code == 2


def test_member_export_gives_the_member_their_data(lake_cli):
    result = lake_cli("member", "export", "--club", SLUG, "--member", "M01")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["format"] == "cigales-member-data/1"
    assert data["identity"]["name"] == "Anne Martin"
    assert data["member"]["transfer_reference"] == "CIG-M01"
    assert [(mv["date"], mv["amount"]) for mv in data["capital_movements"]] == [
        ("2024-02-05", "1000.00"), ("2025-03-05", "500.00")]
    assert data["position"]["contributed"] == "1500.00"


def test_member_erase_after_the_retention_period(cli, database_url, monkeypatch):
    # A club with no retention: it closes and its departed member can then be erased.
    assert cli("club", "create", "court", "--name", "Court", "--founded", "2021-01-10",
               "--retention-years", "0").exit_code == 0
    for code, name in (("M01", "Anne Martin"), ("M02", "Bruno Le Goff")):
        assert cli("member", "add", "--club", "court", "--code", code, "--name", name,
                   "--joined", "2021-01-10").exit_code == 0
        assert cli("saving", "add", "--club", "court", "--member", code, "--date",
                   "2021-02-05", "--amount", "100").exit_code == 0
    refused = cli("member", "erase", "--club", "court", "--member", "M01", "--yes")
    assert (refused.exit_code, refused.error_code) == (1, "member_still_in_club")
    assert cli("club", "liquidate", "--club", "court", "--date", "2021-06-30",
               "--yes").exit_code == 0
    ledger_before = {t: rows for t, rows in snapshot(database_url).items()
                     if t in ("entry", "posting", "capital_movement", "member_key")}
    result = cli("member", "erase", "--club", "court", "--member", "M01", "--yes")
    assert result.exit_code == 0, result.stderr
    exported = cli("member", "export", "--club", "court", "--member", "M01").json()
    assert exported["identity"]["name"] == "[erased]"
    assert exported["identity"]["erased_on"] == "2026-11-22"
    after = snapshot(database_url)
    assert {t: after[t] for t in ledger_before} == ledger_before
    assert cli("check", "--club", "court").exit_code == 0
    again = cli("member", "erase", "--club", "court", "--member", "M01", "--yes")
    assert again.error_code == "member_already_erased"


def test_member_erase_is_refused_during_retention(cli, database_url):
    assert cli("club", "create", "long", "--name", "Long", "--founded", "2021-01-10"
               ).exit_code == 0
    assert cli("member", "add", "--club", "long", "--code", "M01", "--name", "Anne",
               "--joined", "2021-01-10").exit_code == 0
    assert cli("saving", "add", "--club", "long", "--member", "M01", "--date", "2021-02-05",
               "--amount", "100").exit_code == 0
    still = cli("member", "erase", "--club", "long", "--member", "M01", "--yes")
    assert still.error_code == "member_still_in_club"
    # A member who left a club that is still running: kept until 10 years after it closes.
    assert cli("member", "add", "--club", "long", "--code", "M02", "--name", "Bruno",
               "--joined", "2021-01-10").exit_code == 0
    assert cli("member", "leave", "--club", "long", "--member", "M02", "--date", "2021-03-01",
               "--settlement", "payout").exit_code == 0
    before = snapshot(database_url)
    open_club = cli("member", "erase", "--club", "long", "--member", "M02", "--yes")
    assert (open_club.exit_code, open_club.error_code) == (1, "retention_applies")
    assert snapshot(database_url) == before
    assert cli("club", "liquidate", "--club", "long", "--date", "2021-06-30",
               "--yes").exit_code == 0
    before = snapshot(database_url)
    refused = cli("member", "erase", "--club", "long", "--member", "M01", "--yes")
    assert (refused.exit_code, refused.error_code) == (1, "retention_applies")
    assert "30/06/2031" in refused.stderr
    assert snapshot(database_url) == before


def test_return_of_an_open_year_is_refused_unless_provisional(cli, engine, tmp_path,
                                                               database_url):
    assert cli("club", "create", "les-fourmis", "--name", "Les Fourmis", "--founded",
               "2024-01-10", "--region", "Bretagne").exit_code == 0
    path = tmp_path / "r.json"
    before = snapshot(database_url)
    r = cli("federation", "return", "--club", "les-fourmis", "--year", "2024", "-o", str(path))
    assert (r.exit_code, r.error_code) == (1, "year_not_closed")
    assert "--provisional" in r.stderr
    assert not path.exists()
    assert snapshot(database_url) == before
    r = cli("federation", "return", "--club", "les-fourmis", "--year", "2024", "--provisional",
            "-o", str(path))
    assert r.exit_code == 0, r.stderr
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["provisional"] is True
    # A provisional return is a valid document: the region can import it.
    region = f"sqlite:///{tmp_path / 'region.db'}"
    send_key(cli, "les-fourmis", database_url, region, tmp_path)
    assert cli("federation", "import", str(path), db=region).exit_code == 0


def test_closed_year_return_is_not_marked_provisional(lake_cli, tmp_path):
    path = tmp_path / "r.json"
    assert lake_cli("federation", "return", "--club", SLUG, "--year", "2025",
                    "-o", str(path)).exit_code == 0
    assert "provisional" not in json.loads(path.read_text(encoding="utf-8"))


def _region_db(cli, tmp_path, regions):
    """A regional database holding one provisional return per (slug, region)."""
    region_db = f"sqlite:///{tmp_path / 'region.db'}"
    for slug, region in regions:
        club_db = f"sqlite:///{tmp_path / (slug + '.db')}"
        assert cli("club", "create", slug, "--name", slug, "--founded", "2024-01-10",
                   "--region", region, db=club_db).exit_code == 0
        path = tmp_path / f"{slug}.json"
        assert cli("federation", "return", "--club", slug, "--year", "2024", "--provisional",
                   "-o", str(path), db=club_db).exit_code == 0
        send_key(cli, slug, club_db, region_db, tmp_path)
        assert cli("federation", "import", str(path), db=region_db).exit_code == 0
    return region_db


def test_regions_sort_in_french_order_and_unknown_region_lists_the_known(cli, tmp_path):
    region_db = _region_db(cli, tmp_path, [("aa", "Occitanie"), ("bb", "Île-de-France"),
                                           ("cc", "Auvergne-Rhône-Alpes")])
    data = cli("federation", "report", "--year", "2024", "--format", "json", db=region_db)
    assert [g["region"] for g in data.json()["regions"]] == [
        "Auvergne-Rhône-Alpes", "Île-de-France", "Occitanie"]
    r = cli("federation", "report", "--year", "2024", "--region", "Bretagne", db=region_db)
    assert (r.exit_code, r.error_code) == (1, "unknown_region")
    assert "Auvergne-Rhône-Alpes, Île-de-France, Occitanie" in r.stderr
    assert r.stdout == ""
    # Accents and case as typed do not matter.
    r = cli("federation", "report", "--year", "2024", "--region", "ile-de-france",
            "--format", "json", db=region_db)
    assert r.exit_code == 0, r.stderr
    assert r.json()["region"] == "Île-de-France"
    assert r.json()["totals"]["clubs"] == 1
