"""Labels that a spreadsheet would run as formulas are neutralised in CSV and XLSX exports.

OWASP "CSV injection": a cell starting with =, +, -, @ (or a tab / carriage return) is a
formula to Excel and LibreOffice. The CSV exports (both dialects, and ``--format csv`` of the
reports) and the XLSX workbook show such text with a leading apostrophe, so it is text; the
FEC keeps the label exactly as written (its format is fixed by law).
"""

from __future__ import annotations

import csv
import io

import openpyxl

from reports.cells import safe_text

CLUB = ("--club", "les-fourmis")
EVIL = '=HYPERLINK("http://example.org/x","clic")'
LABELS = [EVIL, "+33 1 23", "-Frais", "@SUM(A1)"]


def book_evil_labels(cli) -> None:
    for n, label in enumerate(LABELS, start=1):
        r = cli("entry", "add", *CLUB, "--date", f"2021-05-0{n}", "--label", label,
                "--journal", "BQ", "--line", "6270=1", "--line", "5121=-1")
        assert r.exit_code == 0, r.stderr


def test_safe_text_rules():
    assert safe_text("=1+1") == "'=1+1"
    assert safe_text("@x") == "'@x"
    assert safe_text("\tx") == "'\tx"
    assert safe_text("-4.50") == "-4.50"  # a number keeps its sign
    assert safe_text("+12,5") == "+12,5"
    assert safe_text("Frais - janvier") == "Frais - janvier"


def test_csv_exports_neutralise_formulas(club_cli, tmp_path):
    book_evil_labels(club_cli)
    for dialect, delimiter in (("rfc4180", ","), ("excel-fr", ";")):
        target = tmp_path / f"{dialect}.csv"
        r = club_cli("export", "csv", *CLUB, "--dialect", dialect, "-o", str(target))
        assert r.exit_code == 0, r.stderr
        rows = list(csv.reader(io.StringIO(target.read_text("utf-8-sig")),
                               delimiter=delimiter))
        labels = {row[3] for row in rows[1:]}
        assert {"'" + label for label in LABELS} <= labels
        assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_report_csv_neutralises_formulas_but_keeps_negative_numbers(club_cli):
    book_evil_labels(club_cli)
    r = club_cli("report", "journal", *CLUB, "--format", "csv")
    assert r.exit_code == 0, r.stderr
    cells = [cell for row in csv.reader(io.StringIO(r.stdout)) for cell in row]
    assert "'" + EVIL in cells
    assert not any(c.startswith(("=", "@")) for c in cells)
    # Balances are signed (credit negative): a number is never prefixed.
    r = club_cli("report", "balance", *CLUB, "--format", "csv")
    cells = [cell for row in csv.reader(io.StringIO(r.stdout)) for cell in row]
    assert "-30.00" in cells


def test_xlsx_cells_are_text_not_formulas(club_cli, tmp_path):
    book_evil_labels(club_cli)
    target = tmp_path / "books.xlsx"
    assert club_cli("export", "xlsx", *CLUB, "-o", str(target)).exit_code == 0
    wb = openpyxl.load_workbook(target)
    values = [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]
    assert not any(c.data_type == "f" for c in values)
    texts = {c.value for c in values if isinstance(c.value, str)}
    assert "'" + EVIL in texts


def test_fec_keeps_labels_as_written(club_cli, tmp_path):
    book_evil_labels(club_cli)
    target = tmp_path / "fec.txt"
    r = club_cli("export", "fec", *CLUB, "--year", "2021", "-o", str(target))
    assert r.exit_code == 0, r.stderr
    text = target.read_text("utf-8")
    assert f"\t{EVIL}\t" in text
    assert "'=" not in text
