"""The example switchover spreadsheet shipped with cigales (`cigales demo --switchover`).

A club in its fourth year, Les Fourmis du Lot, moving in at D = 30/06/2025: the CSV files in
``example/`` as a spreadsheet exports them (``;``, decimal comma, DD/MM/YYYY, a BOM here and
Windows-1252 there), and the same tables typed into the template workbook as a treasurer
fills it (dates as dates, amounts as numbers). docs/switchover.md walks through it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from cigales.switchover import template as t
from cigales.switchover.reader import _DATE_FR, _DOTTED_THOUSANDS, load_sheets
from ledger.money import Money

FOLDER = Path(__file__).parent / "example"
SLUG = "les-fourmis-du-lot"
AS_OF = dt.date(2025, 6, 30)
WORKBOOK = f"reprise-{SLUG}.xlsx"
CSV_FOLDER = f"reprise-{SLUG}"


def _typed(text: str, column: t.Column) -> Any:
    """A CSV cell as the workbook holds it once typed: dates as dates, amounts and counts
    as numbers (exact Decimals, never floats), the rest as text."""
    if not text.strip():
        return None
    if column.kind == "date" and (m := _DATE_FR.match(text.strip())):
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if column.kind == "money":
        plain = text.replace("\u00a0", " ").replace(" ", "")
        if _DOTTED_THOUSANDS.match(plain):
            plain = plain.replace(".", "")
        return Decimal(Money.parse(plain).cents) / 100
    if column.kind == "int" and text.strip().isdigit():
        return int(text)
    return text


def write_example(target: Path, lang: str, translate: Callable[[str], str]) -> list[Path]:
    """Write the example into ``target``: the CSV folder and the filled workbook."""
    import openpyxl  # imported here: the CLI starts without it

    target.mkdir(parents=True, exist_ok=True)
    folder = target / CSV_FOLDER
    folder.mkdir(exist_ok=True)
    for csv in sorted(FOLDER.glob("*.csv")):
        shutil.copyfile(csv, folder / csv.name)
    workbook_path = target / WORKBOOK
    t.write_template(str(workbook_path), lang, translate)
    workbook = openpyxl.load_workbook(workbook_path)
    sheets = {t.fold(s.name): s for s in load_sheets(FOLDER)}
    for table in t.TABLES:
        sheet = sheets.get(t.fold(table.fr))
        if sheet is None:
            continue
        ws = workbook[table.name(lang)]
        by_name = {t.fold(c.fr): c for c in table.columns}
        columns = [by_name.get(t.fold(str(h))) for h in sheet.header]
        order = [c.key for c in table.columns]
        for record in sheet.rows:
            row: list[Any] = [None] * len(order)
            for column, text in zip(columns, record, strict=False):
                if column is not None:
                    row[order.index(column.key)] = _typed(text, column)
            ws.append(row)
    workbook.save(workbook_path)
    return [workbook_path, folder]
