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


def _copy(position: Path, tmp_path: Path) -> Path:
    """A copy of a position folder, free to be spoiled by the test."""
    target = tmp_path / "reprise"
    shutil.copytree(position, target)
    return target


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return _copy(POSITION, tmp_path)


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
    # Where each loan's schedule stands at D: the honour loan (24 × 50.00 from 01/05/2023)
    # repaid 500.00, so 10 instalments paid and March to June 2024 unpaid, 121 days late;
    # the shareholder loan (6 quarterly) 4 paid, on time.
    assert [(i["ref"], i["instalments_paid"], i["next_due"], i["overdue"], i["days_past_due"])
            for i in shown["investments"]] == [
        ("I1", None, None, None, None), ("I2", "10/24", "2024-03-01", "200.00", 121),
        ("I3", "4/6", "2024-09-01", "0.00", 0)]
    table = cli("club", "switchover", str(folder), *CLUB, *D, "--dry-run")
    assert "10/24" in table.stdout
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


def test_the_example_of_demo_switchover_moves_in(cli, database_url, tmp_path):
    """`cigales demo --switchover` writes the example of docs/switchover.md (a club in its
    fourth year): the workbook and the CSV files give the same position, and it moves in."""
    before = snapshot(database_url)
    written = cli("demo", "--switchover", "-o", str(tmp_path))
    assert written.exit_code == 0, written.stderr
    assert "cigales club switchover" in written.stderr
    workbook = tmp_path / "reprise-les-fourmis-du-lot.xlsx"
    folder = tmp_path / "reprise-les-fourmis-du-lot"
    assert workbook.is_file()
    assert sorted(p.name for p in folder.iterdir()) == [
        "cles.csv", "club.csv", "investissements.csv", "membres.csv", "soldes.csv"]
    assert snapshot(database_url) == before  # the database is not touched
    args = ("--club", "les-fourmis-du-lot", "--as-of", "2025-06-30", "--format", "json")
    shown = []
    for source in (workbook, folder):
        dry = cli("club", "switchover", str(source), *args, "--dry-run")
        assert dry.exit_code == 0, dry.stderr
        shown.append(dry.json())
        assert "investissements!" not in dry.stderr  # no stake with keys computed at D
    assert shown[0] == shown[1]
    assert (shown[0]["cash"], shown[0]["net_assets"]) == ("4133.45", "11043.45")
    # I1: the keys the club kept; I3: computed from the paid-in totals of 20/05/2024 (Inès
    # Blanc 1,300.00 of the club's 7,882.50); the loans: at D.
    assert [i["keys"] for i in shown[0]["investments"]] == [
        "fichier", "calculées au jour D", "versé à la souscription", "calculées au jour D"]
    assert cli("club", "switchover", str(workbook), *args).exit_code == 0
    assert cli("check", "--club", "les-fourmis-du-lot").exit_code == 0
    sheets = cli("tax", "sheet", "--club", "les-fourmis-du-lot", "--year", "2024",
                 "--format", "json").json()
    m09 = next(sh for sh in sheets if sh["member"] == "M09")
    assert [(t["key"], t["base"]) for t in m09["subscriptions"]] == [("0.164922", "659.69")]
    assert m09["warnings"] == []
    english = tmp_path / "en"
    assert cli("demo", "--switchover", "-o", str(english), "--lang", "en").exit_code == 0
    import openpyxl

    members = openpyxl.load_workbook(english / "reprise-les-fourmis-du-lot.xlsx")["members"]
    assert members["G1"].value == "paid in up to D"
    assert members["G2"].value == 1170  # typed as a number, as a treasurer would



PAID_IN = ("réf;membre;clé;versé à la souscription\n"
           "I1;M01;;390,00\nI1;M02;;520,00\nI1;M03;;650,00\nI1;M04;;260,00\nI1;M05;;780,00\n"
           "I1;M06;;40,00\n")


@pytest.mark.parametrize(("keys", "where", "message"), [
    # the key and the paid-in total on one row
    (PAID_IN.replace("I1;M03;;650,00", "I1;M03;65/264;650,00"), "cles!D4 : ",
     "pas les deux"),
    # neither
    (PAID_IN.replace("I1;M03;;650,00", "I1;M03;;"), "cles!4 : ", "versé à la souscription"),
    # keys and paid-in totals mixed in one investment
    (PAID_IN.replace("I1;M03;;650,00", "I1;M03;65/264;"), "cles!4 : ", "mélangent"),
    # an unreadable paid-in total
    (PAID_IN.replace("650,00", "6S0,00"), "cles!D4 : ", "montant illisible « 6S0,00 »"),
    # nothing paid in at all: no key can be computed
    ("réf;membre;versé à la souscription\nI1;M01;0\nI1;M02;0,00\n", "cles!2 : ", "I1"),
    # neither column
    ("réf;membre;part\nI1;M01;1\n", "cles!1 : ", "clé / versé à la souscription"),
])
def test_paid_in_at_subscription_problems(cli, database_url, folder, keys, where, message):
    (folder / "cles.csv").write_text(keys, encoding="utf-8")
    result = refused(cli, database_url, "club", "switchover", str(folder), *CLUB, *D,
                     "--dry-run", code="switchover_file_invalid", exit_code=2)
    line = next(x for x in result.stderr.splitlines() if where in x)
    assert message in line, line


def test_key_of_a_member_who_had_not_joined(cli, database_url, folder):
    # M06 joins after the stake (01/03/2023) and the honour loan (01/04/2023) were paid.
    edit(folder, "membres.csv", "M06;Membre M06;;15/01/2023", "M06;Membre M06;;15/04/2023")
    result = refused(cli, database_url, "club", "switchover", str(folder), *CLUB, *D,
                     code="switchover_file_invalid", exit_code=2)
    assert "2 problèmes dans" in result.stderr  # the keys' totals are not also wrong
    assert "cles!B7 : M06 n'était pas membre le 2023-03-01, date de I1" in result.stderr
    assert "cles!B13 : " in result.stderr


def test_paid_in_at_subscription_then_tax_sheet(cli, database_url, folder, tmp_path):
    """One investment's keys from the paid-in totals on its date, the others' from the club's
    records: no warning. Without the keys sheet, the tax sheet of the subscription's year
    warns each member that their key was computed at D."""
    kept = [line for line in (folder / "cles.csv").read_text("utf-8").splitlines()[1:]
            if not line.startswith("I1;")]
    (folder / "cles.csv").write_text(PAID_IN + "\n".join(kept) + "\n", encoding="utf-8")
    done = cli("club", "switchover", str(folder), *CLUB, *D, "--format", "json")
    assert done.exit_code == 0, done.stderr
    assert [i["keys"] for i in done.json()["investments"]] == [
        "versé à la souscription", "fichier", "fichier"]
    sheets = cli("tax", "sheet", *CLUB, "--year", "2023", "--format", "json").json()
    m01 = next(sh for sh in sheets if sh["member"] == "M01")
    assert (m01["subscriptions"][0]["key"], m01["warnings"]) == ("0.147727", [])

    (folder / "cles.csv").unlink()
    other = ("--club", "sans-cles")
    done = cli("club", "switchover", str(folder), *other, *D)
    assert done.exit_code == 0, done.stderr
    assert "investissements!A2" in done.stderr  # said at the switchover already
    sheets = cli("tax", "sheet", *other, "--year", "2023", "--format", "json").json()
    m01 = next(sh for sh in sheets if sh["member"] == "M01")
    assert [w["code"] for w in m01["warnings"]] == ["keys_computed_at_switchover"]
    assert "30/06/2024" in cli("tax", "sheet", *other, "--year", "2023").stderr
    statement = tmp_path / "m01.pdf"
    assert cli("report", "statement", *other, "--year", "2023", "--member", "M01",
               "-o", str(statement)).exit_code == 0
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(statement).pages)
    assert "calculée à la date de reprise" in " ".join(text.split())


# -- a club under the units method: the units held at D (membres!I, "parts détenues au") ------

POSITION_UNITS = POSITION.parent / "position_units"
UNITS_CLUB = ("--club", "les-cigognes")


@pytest.fixture
def units_folder(tmp_path: Path) -> Path:
    return _copy(POSITION_UNITS, tmp_path)


def test_units_club_moves_in_with_its_units(cli, units_folder):
    dry = cli("club", "switchover", str(units_folder), *UNITS_CLUB, *D, "--dry-run",
              "--format", "json")
    assert dry.exit_code == 0, dry.stderr
    assert [(m["code"], m["units"], m["value"]) for m in dry.json()["members"]] == [
        ("U01", "97.5000", "780.00"), ("U02", "0.0000", "0.00"), ("U03", "162.5000", "1300.00"),
        ("U04", "65.0000", "520.00"), ("U05", "195.0000", "1560.00"),
        ("U06", "82.0000", "656.00")]
    table = cli("club", "switchover", str(units_folder), *UNITS_CLUB, *D, "--dry-run")
    assert "162,5000" in table.stdout or "162.5000" in table.stdout
    done = cli("club", "switchover", str(units_folder), *UNITS_CLUB, *D)
    assert done.exit_code == 0, done.stderr
    # The July saving buys at the value per unit of 30/06 (4,816.00 for 602 units: 8.00).
    assert cli("saving", "add", *UNITS_CLUB, "--member", "U01", "--date", "2024-07-05",
               "--amount", "30").exit_code == 0
    members = {r["code"]: r for r in cli("member", "list", *UNITS_CLUB, "--as-of",
                                         "2024-07-05", "--format", "json").json()}
    assert members["U01"]["units"] == "101.2500"
    assert members["U01"]["value"] == "810.00"
    assert cli("check", *UNITS_CLUB).exit_code == 0


@pytest.mark.parametrize(("old", "new", "where", "message"), [
    # unreadable
    ("870,00;;97,5", "870,00;;97,5x", "membres!I2 : ",
     "nombre de parts illisible « 97,5x »"),
    # negative
    ("1 450,00;;162,5", "1 450,00;;-162,5", "membres!I4 : ",
     "nombre de parts négatif « -162,5 »"),
    # missing under the units method
    ("580,00;;65", "580,00;;", "membres!I5 : ", "parts détenues au"),
    # zero for a member who paid in
    ("680,00;;82", "680,00;;0", "membres!I7 : ", "680.00"),
    # a leaver holds none
    ("920,00;", "920,00;115", "membres!I3 : ", "parts détenues au"),
    # a formula's floating-point tail
    ("870,00;;97,5", "870,00;;97,500000001", "membres!I2 : ", "8 décimales"),
])
def test_bad_units_located_and_nothing_written(cli, database_url, units_folder, old, new,
                                               where, message):
    edit(units_folder, "membres.csv", old, new)
    for extra in (("--dry-run",), ()):
        result = refused(cli, database_url, "club", "switchover", str(units_folder),
                         *UNITS_CLUB, *D, *extra, code="switchover_file_invalid", exit_code=2)
        assert where in result.stderr
        line = next(ln for ln in result.stderr.splitlines() if where in ln)
        assert message in line, line
        assert result.stdout == ""


def test_units_column_refused_under_prorata(cli, database_url, folder):
    edit(folder, "membres.csv", "reste dû", "reste dû;parts détenues au", "utf-8-sig")
    edit(folder, "membres.csv", "870,00;", "870,00;;87", "utf-8-sig")
    result = refused(cli, database_url, "club", "switchover", str(folder), *CLUB, *D,
                     code="switchover_file_invalid", exit_code=2)
    line = next(ln for ln in result.stderr.splitlines() if "membres!I2 : " in ln)
    assert "parts détenues au" in line
    assert "prorata" in line
    # A member import adds members of a new club: units belong to a switchover.
    assert cli("club", "create", "les-cigales-du-lot", "--name", "Les Cigales du Lot",
               "--founded", "2024-01-10").exit_code == 0
    result = refused(cli, database_url, "member", "import", str(folder / "membres.csv"),
                     "--club", "les-cigales-du-lot", code="switchover_file_invalid",
                     exit_code=2)
    assert "membres!I2" in result.stderr


def test_units_club_from_the_english_template(cli, database_url, tmp_path):
    """The template in English documents the units column; a workbook filled with its
    English headers and numbers typed as numbers (97.5) moves in."""
    import csv

    import openpyxl

    from cigales.switchover.template import TABLES

    template = tmp_path / "template.xlsx"
    assert cli("club", "switchover-template", "-o", str(template), "--lang", "en").exit_code == 0
    workbook = openpyxl.load_workbook(template)
    members_header = [c.value for c in workbook["members"][1]]
    assert "units held at D" in members_header
    instructions = " ".join(str(c.value) for row in workbook["instructions"].iter_rows()
                            for c in row if c.value)
    assert "units held at D" in instructions
    assert "Units method only" in instructions
    french = tmp_path / "modele.xlsx"
    assert cli("club", "switchover-template", "-o", str(french)).exit_code == 0
    assert "parts détenues au" in [c.value for c in openpyxl.load_workbook(french)["membres"][1]]

    english = {t.fr: (t.en, {c.fr: c.en for c in t.columns}) for t in TABLES}
    for name, table in (("club", "club"), ("membres", "membres"),
                        ("investissements", "investissements"), ("cles", "clés"),
                        ("soldes", "soldes")):
        sheet, columns = english[table]
        ws = workbook[sheet]
        header = [c.value for c in ws[1]]
        rows = list(csv.reader((POSITION_UNITS / f"{name}.csv").read_text("utf-8")
                               .splitlines(), delimiter=";"))
        for record in rows[1:]:
            values = {columns[k]: v for k, v in zip(rows[0], record, strict=True)}
            ws.append([_typed(values.get(h, "")) for h in header])
    filled = tmp_path / "switchover.xlsx"
    units_cell = f"{chr(ord('A') + members_header.index('units held at D'))}2"
    workbook["members"][units_cell] = "lots"
    workbook.save(filled)
    result = refused(cli, database_url, "--lang", "en", "club", "switchover", str(filled),
                     *UNITS_CLUB, *D, code="switchover_file_invalid", exit_code=2)
    assert f"members!{units_cell} : unreadable number of units “lots”" in result.stderr
    workbook["members"][units_cell] = 97.5
    workbook.save(filled)
    done = cli("club", "switchover", str(filled), *UNITS_CLUB, *D, "--format", "json")
    assert done.exit_code == 0, done.stderr
    assert done.json()["net_assets"] == "4816.00"
    members = {r["code"]: r for r in cli("member", "list", *UNITS_CLUB, "--as-of",
                                         "2024-06-30", "--format", "json").json()}
    assert members["U01"]["units"] == "97.5000"
