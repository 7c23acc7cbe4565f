"""What a French treasurer reads in tables and messages: words, not codes; dates and amounts
the French way. (JSON and CSV keep codes, ISO dates and dot decimals.)"""

from __future__ import annotations

import json
import re

from tests.cli.conftest import send_key
from tests.cli.test_members_cli import CLUB, build_club, ok

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
DOT_DECIMAL = re.compile(r"\b\d+\.\d{2}\b")


def human(text: str) -> str:
    assert not ISO_DATE.search(text), text
    assert not DOT_DECIMAL.search(text), text
    return text


def test_tables_and_messages_read_french(engine, cli, tmp_path):
    r = ok(cli("club", "create", "les-cigales", "--name", "Les Cigales", "--founded",
               "2024-01-10"))
    assert "10/01/2024" in human(r.stdout)
    build_club(engine, count=3, months=[(2024, 1)])
    r = ok(cli("saving", "collect", *CLUB, "--month", "2024-02", "--date", "2024-02-29"))
    text = human(r.stdout)
    assert "février 2024" in text
    assert "29/02/2024" in text
    assert "enregistré" in text
    assert "recorded" not in text
    again = human(ok(cli("saving", "collect", *CLUB, "--month", "2024-02")).stdout)
    assert "déjà enregistré" in again
    assert "already_recorded" not in again
    # JSON keeps the codes.
    data = ok(cli("saving", "collect", *CLUB, "--month", "2024-02", "--format", "json"))
    assert {m["status"] for m in data.json()["members"]} == {"already_recorded"}
    listing = human(ok(cli("member", "list", *CLUB, "--as-of", "2024-03-31")).stdout)
    assert "31/03/2024" in listing
    assert "180,00" in listing
    assert "31/03/2024" in human(ok(cli("saving", "arrears", *CLUB, "--as-of",
                                        "2024-03-31")).stdout)
    assert "31/03/2024" in human(ok(cli("report", "positions", *CLUB, "--as-of",
                                        "2024-03-31")).stdout)


def test_federation_import_statuses_in_words(cli, tmp_path):
    club_db = f"sqlite:///{tmp_path / 'club.db'}"
    region_db = f"sqlite:///{tmp_path / 'region.db'}"
    ok(cli("club", "create", "les-cigales", "--name", "Les Cigales", "--founded",
           "2024-01-10", "--region", "Bretagne", db=club_db))
    path = tmp_path / "r.json"
    ok(cli("federation", "return", "--club", "les-cigales", "--year", "2024",
           "--provisional", "-o", str(path), db=club_db))
    send_key(cli, "les-cigales", club_db, region_db, tmp_path)
    first = ok(cli("federation", "import", str(path), db=region_db)).stdout
    assert "importé" in first
    assert "imported" not in first
    second = ok(cli("federation", "import", str(path), db=region_db)).stdout
    assert "déjà reçu" in second
    assert "unchanged" not in second
    data = ok(cli("federation", "import", str(path), "--format", "json", db=region_db))
    assert json.loads(data.stdout)["files"][0]["status"] == "unchanged"
