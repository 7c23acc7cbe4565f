"""`cigales club switchover|switchover-template` and `cigales member import` through the CLI.

Bad files: every class of problem gives its location (sheet!cell), the exit code of
design.md §4 (2 for a file that cannot be taken, 1 for a rule: unbalanced opening, second
switchover) and leaves every table exactly as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import snapshot

POSITION = Path(__file__).parent.parent / "switchover" / "position"
CLUB = ("--club", "les-grillons")
D = ("--as-of", "2024-06-30")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "reprise"
    shutil.copytree(POSITION, target)
    return target


def edit(folder: Path, name: str, old: str, new: str, encoding: str = "utf-8") -> None:
    path = folder / name
    text = path.read_bytes().decode(encoding)
    assert old in text
    path.write_bytes(text.replace(old, new).encode(encoding))


def refused(cli, database_url, *args, code, exit_code):
    assert cli("club", "list").exit_code == 0  # a new database is created on first use
    before = snapshot(database_url)
    result = cli(*args)
    assert result.exit_code == exit_code, result.stderr
    assert result.error_code == code, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(database_url) == before
    return result


def test_switchover_then_everything_works(cli, folder):
    dry = cli("club", "switchover", str(folder), *CLUB, *D, "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.stderr
    shown = dry.json()
    assert shown["dry_run"] is True
    assert [(m["code"], m["value"]) for m in shown["members"]][:2] == [("M01", "874.55"),
                                                                       ("M02", "0.00")]
    assert {(line["account"], line["amount"]) for line in shown["opening_entry"]} >= {
        ("5121", "4487.00"), ("274-boulangerie-causse", "700.00"), ("4567-M02", "-1039.19")}
    assert cli("club", "list", "--format", "json").json() == []  # the dry run wrote nothing

    done = cli("club", "switchover", str(folder), *CLUB, *D)
    assert done.exit_code == 0, done.stderr
    assert "AN 1" in done.stderr
    members = {r["code"]: r for r in cli("member", "list", *CLUB, "--format", "json").json()}
    assert members["M05"]["value"] == "1749.10"
    # The books open at D: the day after works as if the club had always been here.
    assert cli("saving", "add", *CLUB, "--member", "M01", "--date", "2024-07-05",
               "--amount", "30").exit_code == 0
    assert cli("check", *CLUB).exit_code == 0
    early = cli("saving", "add", *CLUB, "--member", "M01", "--date", "2024-06-29",
                "--amount", "30")
    assert early.exit_code == 1
    assert early.error_code == "date_before_book_start"


def test_second_switchover_refused_then_replace(cli, database_url, folder):
    assert cli("club", "switchover", str(folder), *CLUB, *D).exit_code == 0
    refused(cli, database_url, "club", "switchover", str(folder), *CLUB, *D,
            code="club_already_switched_over", exit_code=1)
    edit(folder, "membres.csv", "M04;Membre M04;;10/01/2022;;20,00;580,00;",
         "M04;Membre M04;;10/01/2022;;20,00;590,00;")
    edit(folder, "soldes.csv", "5121;4 487,00;", "5121;4 497,00;", "cp1252")
    refused(cli, database_url, "club", "switchover", str(folder), *CLUB, "--as-of",
            "2024-07-31", "--replace", code="switchover_replace_other_date", exit_code=1)
    replaced = cli("club", "switchover", str(folder), *CLUB, *D, "--replace")
    assert replaced.exit_code == 0, replaced.stderr
    members = {r["code"]: r for r in cli("member", "list", *CLUB, "--format", "json").json()}
    assert members["M04"]["contributed"] == "590.00"
    assert cli("check", *CLUB).exit_code == 0
    # Once something else is booked, the position is history: no more --replace.
    assert cli("saving", "add", *CLUB, "--member", "M01", "--date", "2024-07-05",
               "--amount", "30").exit_code == 0
    refused(cli, database_url, "club", "switchover", str(folder), *CLUB, *D, "--replace",
            code="switchover_replace_refused", exit_code=1)


@pytest.mark.parametrize(("name", "old", "new", "where", "encoding"), [
    # unreadable amount
    ("membres.csv", "1 450,00", "1.234,5x", "membres!G4 : ", "utf-8"),
    # unknown legal form
    ("investissements.csv", "Boulangerie Causse;;EI;", "Boulangerie Causse;;EIRL;",
     "investissements!D3 : ", "utf-8"),
    # duplicated member code
    ("membres.csv", "M06;Membre M06", "M03;Membre M06", "membres!A7 : ", "utf-8"),
    # loan repaid more than its principal
    ("investissements.csv", "01/05/2023;;500,00", "01/05/2023;;1 300,00",
     "investissements!R3 : ", "utf-8"),
    # member keys not summing to 1
    ("cles.csv", "I1;M06;1/66", "I1;M06;1/33", "cles!2 : ", "utf-8"),
    # unreadable date
    ("membres.csv", "15/01/2023", "31/02/2023", "membres!D7 : ", "utf-8"),
    # a first due date the terms do not give
    ("investissements.csv", "01/09/2023", "01/10/2023", "investissements!P4 : ", "utf-8"),
])
def test_bad_file_located_and_nothing_written(cli, database_url, folder, name, old, new,
                                              where, encoding):
    edit(folder, name, old, new, encoding)
    for extra in (("--dry-run",), ()):
        result = refused(cli, database_url, "club", "switchover", str(folder), *CLUB, *D,
                         *extra, code="switchover_file_invalid", exit_code=2)
        assert where in result.stderr
        assert result.stdout == ""


def test_every_problem_reported_at_once(cli, database_url, folder):
    edit(folder, "membres.csv", "1 450,00", "1.234,5x")
    edit(folder, "investissements.csv", "Boulangerie Causse;;EI;", "Boulangerie Causse;;EIRL;")
    edit(folder, "cles.csv", "I1;M06;1/66", "I1;M06;1/33")
    result = refused(cli, database_url, "club", "switchover", str(folder),
                     *CLUB, *D, code="switchover_file_invalid", exit_code=2)
    assert "3 problèmes dans" in result.stderr  # the plural agrees (no "(s)")
    assert "membres!G4 : montant illisible « 1.234,5x »" in result.stderr
    for where in ("investissements!D3", "cles!2"):
        assert where in result.stderr


def test_missing_sheet(cli, database_url, folder):
    (folder / "soldes.csv").unlink()
    result = refused(cli, database_url, "club", "switchover", str(folder), *CLUB, *D,
                     code="switchover_file_invalid", exit_code=2)
    assert "reprise : " in result.stderr
    assert "soldes" in result.stderr


def test_unbalanced_opening_then_difference_to(cli, database_url, folder):
    edit(folder, "soldes.csv", "5121;4 487,00;", "5121;4 480,00;", "cp1252")
    result = refused(cli, database_url, "--lang", "en", "club", "switchover", str(folder),
                     *CLUB, *D, code="opening_entry_unbalanced", exit_code=1)
    assert "debit side is short by 7.00" in result.stderr
    refused(cli, database_url, "club", "switchover", str(folder), *CLUB, *D,
            "--difference-to", "1011-M01", code="difference_account_refused", exit_code=2)
    done = cli("club", "switchover", str(folder), *CLUB, *D, "--difference-to", "471",
               "--format", "json")
    assert done.exit_code == 0, done.stderr
    assert {"account": "471", "amount": "7.00"} in done.json()["opening_entry"]


def test_xlsx_workbook_from_the_template(cli, database_url, tmp_path):
    import csv

    import openpyxl

    template = tmp_path / "modele.xlsx"
    assert cli("club", "switchover-template", "-o", str(template)).exit_code == 0
    workbook = openpyxl.load_workbook(template)
    assert workbook.sheetnames == ["instructions", "club", "membres", "investissements",
                                   "clés", "soldes"]
    assert workbook["investissements"].data_validations.dataValidation  # lists, numbers
    # Fill it from the CSV position, as a treasurer would type it (numbers as numbers).
    for sheet, name, encoding in (("club", "club", "utf-8"), ("membres", "membres", "utf-8-sig"),
                                  ("investissements", "investissements", "utf-8"),
                                  ("clés", "cles", "utf-8"), ("soldes", "soldes", "cp1252")):
        ws = workbook[sheet]
        text = (POSITION / f"{name}.csv").read_text(encoding)
        rows = list(csv.reader(text.splitlines(), delimiter=";"))
        header = [c.value for c in ws[1]]
        for record in rows[1:]:
            values = dict(zip(rows[0], record, strict=True))
            ws.append([_typed(values.get(h, "")) for h in header])
    workbook["membres"]["G4"] = "1.234,5x"
    filled = tmp_path / "reprise.xlsx"
    workbook.save(filled)
    result = refused(cli, database_url, "club", "switchover", str(filled), *CLUB, *D,
                     code="switchover_file_invalid", exit_code=2)
    assert "membres!G4" in result.stderr
    workbook["membres"]["G4"] = 1450
    workbook.save(filled)
    done = cli("club", "switchover", str(filled), *CLUB, *D, "--format", "json")
    assert done.exit_code == 0, done.stderr
    assert done.json()["cash"] == "4487.00"

    english = tmp_path / "template.xlsx"
    assert cli("club", "switchover-template", "-o", str(english), "--lang", "en").exit_code == 0
    assert openpyxl.load_workbook(english)["members"]["G1"].value == "paid in up to D"


def _typed(text: str):
    """A cell as a spreadsheet would hold it: dates as dates, plain numbers as numbers."""
    import datetime as dt

    if not text:
        return None
    parts = text.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return dt.datetime(int(parts[2]), int(parts[1]), int(parts[0]))
    plain = text.replace(" ", "").replace(",", ".")
    try:
        return int(plain)
    except ValueError:
        pass
    try:
        number = float(plain)
    except ValueError:
        return text
    return number


def test_member_import_all_or_nothing(cli, database_url, tmp_path):
    assert cli("club", "create", "les-cigales-du-lot", "--name", "Les Cigales du Lot",
               "--founded", "2025-09-01").exit_code == 0
    good = tmp_path / "membres.csv"
    good.write_bytes("code;nom;e-mail;entrée;épargne mensuelle\r\n"
                     "M01;Anne Martin;anne@example.org;01/09/2025;30,00\r\n"
                     "M02;Bernard Roux;;01/09/2025;25\r\n".encode("cp1252"))
    club = ("--club", "les-cigales-du-lot")
    dry = cli("member", "import", str(good), *club, "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.stderr
    assert [m["code"] for m in dry.json()] == ["M01", "M02"]
    assert cli("member", "list", *club, "--format", "json").json() == []

    bad = tmp_path / "mauvais.csv"
    bad.write_text("code;nom;entrée;épargne mensuelle\n"
                   "M03;Claire;01/09/2025;30\n"
                   "m 4;Denis;01/09/2025;30\n"
                   "M05;;01/09/2025;30\n"
                   "M06;Eve;01/09/2024;30\n", encoding="utf-8")
    result = refused(cli, database_url, "member", "import", str(bad), *club,
                     code="switchover_file_invalid", exit_code=2)
    for where in ("mauvais!A3", "mauvais!B4", "mauvais!C5"):
        assert where in result.stderr

    done = cli("member", "import", str(good), *club)
    assert done.exit_code == 0, done.stderr
    assert [m["code"] for m in cli("member", "list", *club, "--format", "json").json()] == [
        "M01", "M02"]
    again = refused(cli, database_url, "member", "import", str(good), *club,
                    code="switchover_file_invalid", exit_code=2)
    assert "membres!A2" in again.stderr


def test_the_example_in_docs_moves_in(cli):
    """docs/switchover/ (a club in its fourth year, docs/switchover.md) stays a valid file."""
    docs = Path(__file__).parent.parent.parent / "docs" / "switchover"
    args = ("club", "switchover", str(docs), "--club", "les-fourmis-du-lot",
            "--as-of", "2025-06-30", "--format", "json")
    dry = cli(*args, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    shown = dry.json()
    assert (shown["cash"], shown["net_assets"]) == ("4133.45", "11043.45")
    assert "investissements!A4" in dry.stderr  # I3: keys computed at D, said on stderr
    assert cli(*args).exit_code == 0
    assert cli("check", "--club", "les-fourmis-du-lot").exit_code == 0
