"""`cigales bank ...` end to end, and bad input for every command leaving the database as
it was."""

from __future__ import annotations

import pytest

from tests.bank.files import OFX_V1, signed_csv, write
from tests.cli.conftest import snapshot

CLUB = ("--club", "les-fourmis")
ROWS = [("05/04/2021", "VIR ANNE MARTIN CIG-M01", "30,00"),
        ("06/04/2021", "FRAIS TENUE DE COMPTE", "-4,50"),
        ("07/04/2021", "REMISE CHEQUE", "100,00")]


@pytest.fixture
def statement(tmp_path):
    return str(write(tmp_path, "avril.csv", signed_csv(ROWS), "cp1252"))


def test_import_dry_run_then_book_then_nothing_new(club_cli, database_url, statement):
    before = snapshot(database_url)
    dry = club_cli("bank", "import", statement, *CLUB, "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.stderr
    payload = dry.json()
    assert (payload["lines"], payload["new"], payload["dry_run"]) == (3, 3, True)
    assert [p["kind"] for p in payload["proposals"]] == ["saving", "expense", "suspense"]
    assert snapshot(database_url) == before
    refused = club_cli("bank", "import", statement, *CLUB)  # no terminal, no --yes
    assert refused.exit_code == 1
    assert refused.error_code == "confirmation_required"
    assert snapshot(database_url) == before
    done = club_cli("bank", "import", statement, *CLUB, "--yes")
    assert done.exit_code == 0, done.stderr
    assert "3 lines booked (1 to 471 suspense)" in done.stderr or "3" in done.stderr
    again = club_cli("bank", "import", statement, *CLUB, "--yes", "--format", "json")
    assert again.json()["new"] == 0
    suspense = club_cli("bank", "suspense", *CLUB, "--format", "json").json()
    assert [x["label"] for x in suspense] == ["REMISE CHEQUE"]
    assigned = club_cli("bank", "assign", *CLUB, "--line", str(suspense[0]["id"]),
                        "--account", "7580")
    assert assigned.exit_code == 0, assigned.stderr
    assert club_cli("bank", "suspense", *CLUB, "--format", "json").json() == []
    # 30 (fixture's saving, which the bank line of 05/04 pays: linked, not booked again)
    # - 4 (fixture) - 4.50 + 100
    assert "linked" in done.stderr or "lié" in done.stderr
    ok = club_cli("bank", "reconcile", *CLUB, "--date", "2021-04-30", "--balance", "121,50")
    assert ok.exit_code == 0, ok.stderr
    bad = club_cli("bank", "reconcile", *CLUB, "--date", "2021-04-30", "--balance", "120",
                   "--format", "json")
    assert bad.exit_code == 1
    assert bad.error_code == "bank_balance_mismatch"
    assert bad.json()["difference"] == "-1.50"
    # The saving is accounted for by its bank line; the fixture's fees entry is not.
    assert {x["label"] for x in bad.json()["unreconciled"]} == {"Frais"}
    assert club_cli("check", *CLUB).exit_code == 0


def test_ofx_import_and_ibans_masked(club_cli, database_url, tmp_path):
    path = tmp_path / "x.ofx"
    path.write_bytes(OFX_V1.encode("cp1252"))
    out = club_cli("bank", "import", str(path), *CLUB, "--yes", "--format", "json")
    assert out.exit_code == 0, out.stderr
    assert out.json()["format"] == "ofx"
    rec = club_cli("bank", "iban", *CLUB, "--member", "M01", "--iban",
                   "FR76 3000 6000 0112 3456 7890 189")
    assert rec.exit_code == 0, rec.stderr
    assert "FR76 **** **** **** **** **** 189" in rec.stdout
    listing = club_cli("bank", "ibans", *CLUB, "--format", "json")
    assert listing.json() == [{"member": "M01", "iban": "FR76 **** **** **** **** **** 189"}]
    assert "0112" not in listing.stdout + rec.stdout


def test_profiles_listing(cli):
    out = cli("bank", "profiles", "--format", "json")
    assert out.exit_code == 0
    names = {p["name"] for p in out.json()}
    assert {"fr-generic", "fr-signed", "credit-agricole", "la-banque-postale",
            "societe-generale", "credit-mutuel", "bnp-paribas"} <= names


def _bad_file(tmp_path, name, text):
    return str(write(tmp_path, name, text))


@pytest.mark.parametrize(("args", "code", "exit_code"), [
    (("bank", "import", "{missing}", *CLUB, "--yes"), "bank_file_unreadable", 2),
    (("bank", "import", "{bad_date}", *CLUB, "--yes"), "bank_invalid_date", 2),
    (("bank", "import", "{ambiguous}", *CLUB, "--yes"), "bank_ambiguous_amount", 2),
    (("bank", "import", "{wrong_header}", *CLUB, "--yes", "--profile", "fr-signed"),
     "bank_header_not_found", 2),
    (("bank", "import", "{truncated}", *CLUB, "--yes"), "invalid_ofx", 2),
    (("bank", "import", "{good}", *CLUB, "--yes", "--profile", "nope"),
     "unknown_bank_profile", 2),
    (("bank", "import", "{good}", "--club", "nope", "--yes"), "unknown_club", 1),
    (("bank", "import", "{good}", *CLUB, "--yes", "--format", "xml"), "invalid_choice", 2),
    (("bank", "import", "{good}", *CLUB, "--yes", "--rules", "{bad_rules}"),
     "invalid_bank_rules", 2),
    (("bank", "import", "{future}", *CLUB, "--yes"), "bank_line_not_bookable", 1),
    (("bank", "suspense", "--club", "nope"), "unknown_club", 1),
    (("bank", "assign", *CLUB, "--line", "99", "--member", "M01"), "unknown_bank_line", 1),
    (("bank", "assign", *CLUB, "--line", "1"), "assign_target_required", 2),
    (("bank", "reconcile", *CLUB, "--date", "2021-13-01", "--balance", "1"), "invalid_date", 2),
    (("bank", "reconcile", *CLUB, "--date", "2021-04-30", "--balance", "1.234,5"),
     "invalid_amount", 2),
    (("bank", "reconcile", *CLUB, "--date", "2021-04-30", "--balance", "1"),
     "bank_balance_mismatch", 1),
    (("bank", "iban", *CLUB, "--member", "M01", "--iban", "FR76 1234"), "invalid_iban", 2),
    (("bank", "iban", *CLUB, "--member", "M09", "--iban",
      "FR7630006000011234567890189"), "unknown_member", 1),
    (("bank", "profiles", "--profile-dir", "{missing}"), "unknown_bank_profile", 2),
])
def test_bad_input_leaves_the_database_unchanged(club_cli, database_url, tmp_path, args, code,
                                                 exit_code):
    files = {
        "missing": str(tmp_path / "missing.csv"),
        "good": _bad_file(tmp_path, "good.csv", signed_csv(ROWS)),
        "bad_date": _bad_file(tmp_path, "d.csv", signed_csv([("31/04/2021", "A", "1,00")])),
        "ambiguous": _bad_file(tmp_path, "a.csv", signed_csv([("05/04/2021", "A", "1.234")])),
        "wrong_header": _bad_file(tmp_path, "h.csv", "Quand;Quoi\n05/04/2021;A\n"),
        "truncated": _bad_file(tmp_path, "t.ofx", OFX_V1[:400]),
        "future": _bad_file(tmp_path, "f.csv", signed_csv([("05/04/2021", "A", "1,00"),
                                                           ("05/04/2030", "B", "1,00")])),
        "bad_rules": _bad_file(tmp_path, "r.toml", '[[rule]]\npattern = "("\naccount = "6270"\n'),
    }
    argv = [a.format(**files) for a in args]
    before = snapshot(database_url)
    out = club_cli(*argv)
    assert (out.exit_code, out.error_code) == (exit_code, code), out.stderr
    assert "Traceback" not in out.stderr
    assert snapshot(database_url) == before


def test_reconcile_remembers_the_last_matched_date(club_cli, database_url, statement):
    assert club_cli("bank", "import", statement, *CLUB, "--yes").exit_code == 0
    first = club_cli("bank", "reconcile", *CLUB, "--date", "2021-04-30", "--balance",
                     "121,50", "--format", "json")
    assert first.exit_code == 0, first.stderr
    assert first.json()["since"] is None
    assert club_cli("entry", "add", *CLUB, "--date", "2021-05-03", "--label", "Frais mai",
                    "--journal", "BQ", "--line", "6270=2,00",
                    "--line", "5121=-2,00").exit_code == 0
    before = snapshot(database_url)
    bad = club_cli("bank", "reconcile", *CLUB, "--date", "2021-05-31", "--balance", "121,50",
                   "--format", "json")
    assert (bad.exit_code, bad.error_code) == (1, "bank_balance_mismatch")
    # Only what happened after the last matched date (30 April) is listed.
    assert bad.json()["since"] == "2021-04-30"
    assert [x["label"] for x in bad.json()["unreconciled"]] == ["Frais mai"]
    assert snapshot(database_url) == before  # a mismatch is not remembered
    table = club_cli("--lang", "en", "bank", "reconcile", *CLUB, "--date", "2021-05-31",
                     "--balance", "119,50")
    assert table.exit_code == 0, table.stderr
    assert "Last reconciliation on 30 Apr 2021" in table.stderr
    again = club_cli("bank", "reconcile", *CLUB, "--date", "2021-06-30", "--balance", "119,50",
                     "--format", "json")
    assert again.json()["since"] == "2021-05-31"


def test_one_line_number_across_import_suspense_and_assign(club_cli, statement):
    done = club_cli("--lang", "en", "bank", "import", statement, *CLUB, "--yes",
                    "--format", "json")
    assert done.exit_code == 0, done.stderr
    rows = {p["label"]: p for p in done.json()["proposals"]}
    cheque = rows["REMISE CHEQUE"]
    # Its number in the books is not its line in the file (the CSV has a header line).
    assert (cheque["line"], cheque["id"]) == (4, 3)
    assert "In suspense: No. 3;" in done.stderr
    suspense = club_cli("bank", "suspense", *CLUB, "--format", "json").json()
    assert [x["id"] for x in suspense] == [3]
    # A second look at the same file shows the same numbers for the known lines.
    again = club_cli("bank", "import", statement, *CLUB, "--dry-run", "--format", "json")
    assert {p["label"]: p["id"] for p in again.json()["proposals"]} == {
        k: v["id"] for k, v in rows.items()}
    # The cheque's file line (4) names no line of the books: refused, nothing misapplied.
    wrong = club_cli("bank", "assign", *CLUB, "--line", "4", "--account", "7580")
    assert (wrong.exit_code, wrong.error_code) == (1, "unknown_bank_line")
    assert club_cli("bank", "assign", *CLUB, "--line", "3", "--account", "7580").exit_code == 0


def test_a_bank_line_paying_a_recorded_saving_is_linked_not_booked_twice(club_cli,
                                                                          statement):
    # The fixture recorded M01's 30.00 saving of 05/04/2021 by hand (`saving add`).
    before = club_cli("saving", "arrears", *CLUB, "--as-of", "2021-04-30",
                      "--format", "json").json()["members"][0]["paid"]
    assert before == "30.00"
    done = club_cli("--lang", "en", "bank", "import", statement, *CLUB, "--yes",
                    "--format", "json")
    assert done.exit_code == 0, done.stderr
    saving = next(p for p in done.json()["proposals"] if p["kind"] == "saving")
    assert (saving["status"], saving["entry"]) == ("linked", "BQ 1")
    assert "1 line paid a saving already recorded" in done.stderr
    after = club_cli("saving", "arrears", *CLUB, "--as-of", "2021-04-30",
                     "--format", "json").json()["members"][0]["paid"]
    assert after == "30.00"
    # A second payment of the same amount in the same month is a new saving: the recorded
    # one is already tied to a bank line.
    second = write_second_payment(statement)
    again = club_cli("bank", "import", second, *CLUB, "--yes", "--format", "json")
    assert again.exit_code == 0, again.stderr
    new = [p for p in again.json()["proposals"] if p["status"] != "known"]
    assert [(p["kind"], p["status"]) for p in new] == [("saving", "booked")]
    assert club_cli("saving", "arrears", *CLUB, "--as-of", "2021-04-30",
                    "--format", "json").json()["members"][0]["paid"] == "60.00"
    assert club_cli("check", *CLUB).exit_code == 0


def write_second_payment(statement):
    from pathlib import Path

    folder = Path(statement).parent
    rows = [*ROWS, ("20/04/2021", "VIR ANNE MARTIN CIG-M01 BIS", "30,00")]
    return str(write(folder, "avril-bis.csv", signed_csv(rows), "cp1252"))
