"""The streamed exports write exactly what the exports wrote before they streamed.

tests/data/exports/ holds the exports of the demo club (seed 1, club 0, today 2026-11-22)
produced once by the export code of main at d1d58bd, which built each file in memory (issue
16, item 4). The streamed exports of the same club must give the same bytes, on SQLite and on
PostgreSQL, to a file and to the terminal. The XLSX workbook is now written by openpyxl's
write-only mode, whose XML differs from the normal mode's in markup only (see
reports/xlsx.py): it is compared cell by cell, with every number format, font, column width,
frozen pane, auto-filter and document property.

Regenerate the golden files only for a deliberate change of an export format, and say so in
the commit (``python -m tests.test_export_golden DATABASE_URL``).
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cigales import db, migrate
from cigales.cli.entry import run
from cigales.services import demo
from tests.conftest import BACKENDS, TODAY
from tests.scratch import ScratchDatabase

GOLDEN = Path(__file__).parent / "data" / "exports"
SLUG = "les-mesanges-du-vieux-port"

# (golden file, export command and its options)
TEXT_EXPORTS = [
    ("hledger-all.journal", ["hledger"]),
    ("hledger-2025.journal", ["hledger", "--year", "2025"]),
    ("beancount-all.beancount", ["beancount"]),
    ("beancount-2025.beancount", ["beancount", "--year", "2025"]),
    ("csv-rfc4180-all.csv", ["csv"]),
    ("csv-excel-fr-2025.csv", ["csv", "--dialect", "excel-fr", "--year", "2025"]),
    ("fec-2025.txt", ["fec", "--year", "2025"]),
    ("fec-2020.txt", ["fec", "--year", "2020"]),
]
XLSX_EXPORTS = [
    ("xlsx-all.xlsx", ["xlsx"]),
    ("xlsx-2025.xlsx", ["xlsx", "--year", "2025"]),
]


@dataclass
class Demo:
    url: str


@pytest.fixture(scope="module", params=BACKENDS)
def demo_club(request: pytest.FixtureRequest) -> Iterator[Demo]:
    scratch = ScratchDatabase(request.param, prefix="golden", migrated=True)
    engine = db.make_engine(scratch.url)
    migrate.ensure_ready(engine)
    with db.session_scope(engine) as s:
        club = demo.build_demo(s, seed=1, index=0, today=TODAY)
    assert club.slug == SLUG
    engine.dispose()
    yield Demo(scratch.url)
    scratch.drop()


def golden(name: str) -> bytes:
    return gzip.decompress((GOLDEN / f"{name}.gz").read_bytes())


def export(url: str, args: list[str], target: Path | str) -> int:
    return run(["--db", url, "export", *args, "--club", SLUG, "-o", str(target)])


@pytest.mark.parametrize(("name", "args"), TEXT_EXPORTS, ids=[n for n, _a in TEXT_EXPORTS])
def test_text_exports_are_byte_identical_to_the_golden_files(demo_club, tmp_path, name, args):
    target = tmp_path / name
    assert export(demo_club.url, args, target) == 0
    expected = golden(name)
    assert len(expected) > 10_000 or "2025" in name
    assert target.read_bytes() == expected


@pytest.mark.parametrize(("name", "args"), [e for e in TEXT_EXPORTS if e[1][0] != "fec"],
                         ids=[n for n, a in TEXT_EXPORTS if a[0] != "fec"])
def test_text_exports_to_the_terminal_are_byte_identical(demo_club, capfdbinary, name, args):
    capfdbinary.readouterr()
    code = run(["--db", demo_club.url, "export", *args, "--club", SLUG])
    sys.stdout.flush()
    out = capfdbinary.readouterr().out
    assert code == 0
    assert out == golden(name)


def test_fec_to_the_terminal_is_byte_identical(demo_club, capfdbinary):
    capfdbinary.readouterr()
    code = export(demo_club.url, ["fec", "--year", "2025"], "-")
    sys.stdout.flush()
    assert code == 0
    assert capfdbinary.readouterr().out == golden("fec-2025.txt")


def _sheet_contents(ws: Any) -> dict[str, Any]:
    cells = [[(c.value, c.number_format, bool(c.font.b), c.alignment.vertical) for c in row]
             for row in ws.iter_rows()]
    widths = {key: dim.width for key, dim in ws.column_dimensions.items() if dim.width}
    return {"cells": cells, "widths": widths, "freeze": ws.freeze_panes,
            "filter": ws.auto_filter.ref}


def workbook_contents(path: Path) -> dict[str, Any]:
    wb = openpyxl.load_workbook(path)
    props = wb.properties
    return {
        "sheets": wb.sheetnames,
        "props": (props.creator, props.lastModifiedBy, props.title, props.subject,
                  props.created, props.modified),
        **{ws.title: _sheet_contents(ws) for ws in wb.worksheets},
    }


@pytest.mark.parametrize(("name", "args"), XLSX_EXPORTS, ids=[n for n, _a in XLSX_EXPORTS])
def test_xlsx_holds_exactly_the_golden_workbook(demo_club, tmp_path, name, args):
    target = tmp_path / name
    assert export(demo_club.url, args, target) == 0
    got, expected = workbook_contents(target), workbook_contents(GOLDEN / name)
    assert len(expected["Journal"]["cells"]) > 100
    assert got == expected


def main(url: str) -> None:
    """Write the golden files from the demo club in the database at ``url``."""
    for name, args in TEXT_EXPORTS:
        target = GOLDEN / name
        assert export(url, args, target) == 0
        (GOLDEN / f"{name}.gz").write_bytes(gzip.compress(target.read_bytes(), mtime=0))
        target.unlink()
    for name, args in XLSX_EXPORTS:
        assert export(url, args, GOLDEN / name) == 0


if __name__ == "__main__":
    main(sys.argv[1])
