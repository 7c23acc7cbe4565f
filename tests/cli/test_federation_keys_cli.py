"""`cigales federation keys ...` and signed returns, end to end (issue #14, item 4).

The region's database is the backend under test (SQLite, and PostgreSQL when configured); each
club keeps its books in a SQLite file of its own, as a club would.
"""

from __future__ import annotations

import json

from cigales.federation.document import seal
from tests.cli.conftest import send_key, snapshot

SLUG = "les-fourmis"


def club_with_return(cli, tmp_path, slug: str = SLUG) -> tuple[str, dict]:
    """A club in its own file, and its provisional return of 2024 (a signed document)."""
    club_db = f"sqlite:///{tmp_path / (slug + '.db')}"
    assert cli("club", "create", slug, "--name", "Les Fourmis", "--founded", "2024-01-10",
               "--region", "Bretagne", db=club_db).exit_code == 0
    path = tmp_path / f"{slug}-2024.json"
    r = cli("federation", "return", "--club", slug, "--year", "2024", "--provisional",
            "-o", str(path), db=club_db)
    assert r.exit_code == 0, r.stderr
    return club_db, json.loads(path.read_text(encoding="utf-8"))


def write(tmp_path, name: str, document: dict) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_signed_return_imports_and_forgeries_are_rejected(cli, tmp_path, database_url):
    club_db, doc = club_with_return(cli, tmp_path)
    assert doc["signature"]["algorithm"] == "ed25519"
    shown = cli("federation", "keys", "show", "--club", SLUG, "--format", "json", db=club_db)
    assert doc["signature"]["key"] == shown.json()["fingerprint"]
    assert "PRIVATE" not in shown.stdout
    genuine = write(tmp_path, "genuine.json", doc)
    # Before the key exchange the region cannot check the signature.
    before = snapshot(database_url)
    r = cli("federation", "import", genuine, "--format", "json")
    assert (r.exit_code, r.error_code) == (1, "files_rejected")
    assert "[return_key_not_registered]" in r.json()["files"][0]["detail"]
    assert snapshot(database_url) == before

    send_key(cli, SLUG, club_db, database_url, tmp_path)
    assert cli("federation", "import", genuine).exit_code == 0
    imported = snapshot(database_url)
    inflated = {k: v for k, v in doc.items() if k != "checksum"}
    inflated["cash_year_end"] = "999999.00"
    unsigned = {k: v for k, v in inflated.items() if k != "signature"}
    files = [write(tmp_path, "inflated.json", seal(inflated)),
             write(tmp_path, "unsigned.json", seal(unsigned))]
    r = cli("federation", "import", *files, "--format", "json")
    assert (r.exit_code, r.error_code) == (1, "files_rejected")
    rows = r.json()["files"]
    assert [row["status"] for row in rows] == ["rejected", "rejected"]
    assert all("[return_signature_invalid]" in row["detail"] for row in rows)
    assert snapshot(database_url) == imported
    # In French by default, with the reason.
    r = cli("federation", "import", files[1], "--format", "json")
    assert "n'est pas signée" in r.json()["files"][0]["detail"].replace("’", "'")


def test_a_return_signed_by_another_club_is_rejected(cli, tmp_path, database_url):
    club_db, doc = club_with_return(cli, tmp_path)
    send_key(cli, SLUG, club_db, database_url, tmp_path)
    # Another club signs a return that claims to be les-fourmis'.
    _, other = club_with_return(cli, tmp_path, "les-intrus")
    forged = {k: v for k, v in other.items() if k != "checksum"}
    forged["club"] = doc["club"]
    before = snapshot(database_url)
    r = cli("--lang", "en", "federation", "import", write(tmp_path, "f.json", seal(forged)),
            "--format", "json")
    assert r.exit_code == 1
    assert "another key" in r.json()["files"][0]["detail"]
    assert "[return_signature_invalid]" in r.json()["files"][0]["detail"]
    assert snapshot(database_url) == before


def test_registering_keys_rotation_and_refusals(cli, tmp_path, database_url):
    club_db, _ = club_with_return(cli, tmp_path)
    send_key(cli, SLUG, club_db, database_url, tmp_path)
    before = snapshot(database_url)
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    for value in (str(bad), "not-a-key", "QUFBQQ=="):
        r = cli("federation", "keys", "register", "--club", SLUG, "--public-key", value)
        assert (r.exit_code, r.error_code) == (2, "invalid_public_key"), value
    r = cli("federation", "keys", "register", "--club", "Pas Un Slug", "--public-key", str(bad))
    assert r.exit_code == 2
    r = cli("federation", "keys", "register", "--club", "hors-base")  # not hosted, no key
    assert (r.exit_code, r.error_code) == (2, "missing_value")
    assert snapshot(database_url) == before

    # The club makes a new key: only with --replace.
    r = cli("federation", "keys", "generate", "--club", SLUG, db=club_db)
    assert (r.exit_code, r.error_code) == (1, "club_key_exists")
    old = cli("federation", "keys", "show", "--club", SLUG, "--format", "json", db=club_db)
    assert cli("federation", "keys", "generate", "--club", SLUG, "--replace",
               db=club_db).exit_code == 0
    new = cli("federation", "keys", "show", "--club", SLUG, "--format", "json", db=club_db)
    assert new.json()["fingerprint"] != old.json()["fingerprint"]
    path = tmp_path / "new.json"
    assert cli("federation", "return", "--club", SLUG, "--year", "2024", "--provisional",
               "-o", str(path), db=club_db).exit_code == 0
    # The region still holds the old key: the new return is refused ...
    r = cli("federation", "import", str(path), "--format", "json")
    assert "[return_signature_invalid]" in r.json()["files"][0]["detail"]
    # ... and the new key (given as its base64 text) needs --replace.
    key = new.json()["public_key"]
    r = cli("federation", "keys", "register", "--club", SLUG, "--public-key", key)
    assert (r.exit_code, r.error_code) == (1, "club_key_already_registered")
    assert snapshot(database_url) == before
    r = cli("federation", "keys", "register", "--club", SLUG, "--public-key", key, "--replace")
    assert r.exit_code == 0, r.stderr
    listed = cli("federation", "keys", "list", "--club", SLUG, "--format", "json").json()
    assert [(k["revision"], k["current"], k["fingerprint"]) for k in listed] == [
        (1, False, old.json()["fingerprint"]), (2, True, new.json()["fingerprint"])]
    assert listed[0]["replaced_on"] is not None
    assert cli("federation", "import", str(path)).exit_code == 0


def test_demo_registers_its_clubs_keys(cli, tmp_path, database_url):
    assert cli("demo", "--clubs", "1", "--no-reports", "--no-accounts").exit_code == 0
    slug = cli("club", "list", "--format", "json").json()[0]["slug"]
    path = tmp_path / "demo.json"
    r = cli("federation", "return", "--club", slug, "--year", "2025", "-o", str(path))
    assert r.exit_code == 0, r.stderr
    r = cli("federation", "import", str(path), "--format", "json")
    assert r.exit_code == 0, r.stdout
    assert r.json()["files"][0]["status"] == "imported"
