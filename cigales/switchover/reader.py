"""Read a switchover workbook (XLSX) or a folder of CSV files into located cells.

French spreadsheet conventions are accepted as they come: ``;`` or ``,`` separators, decimal
comma, ``JJ/MM/AAAA`` dates, UTF-8 with or without a BOM, or Windows-1252. Nothing stops at the
first problem: every problem is collected with its sheet, row and column
(``investissements!F7``) so the treasurer fixes the whole file in one go.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from cigales.bank.encoding import decode
from cigales.errors import UsageProblem
from cigales.switchover.template import Column, Table, fold
from ledger.errors import N_, NP_, InvalidAmount, Msg, render_template
from ledger.money import Money

_DATE_FR = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
# Units held (units method): decimals kept, and a bound that keeps the exact fraction within
# the 64-bit integers it is stored in (capital_movement.units_numerator/_denominator).
UNITS_PLACES = 8
UNITS_MAX = Decimal(10) ** 9
# "1.234,56": dots grouping thousands before a decimal comma (French spreadsheet exports).
_DOTTED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in the file, where it is, and what is wrong (a msgid and its params)."""

    where: str  # "investissements!F7", "membres!7", "soldes", or the file's name
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, translate: Any) -> str:
        params = {k: translate(v) if isinstance(v, Msg) else v for k, v in self.params.items()}
        return f"{self.where} : {translate(self.template).format(**params)}"


class SwitchoverFileInvalid(UsageProblem):
    code = "switchover_file_invalid"
    template = NP_("{count} problem in {path}; nothing was written:\n{problems}",
                   "{count} problems in {path}; nothing was written:\n{problems}")

    def __init__(self, path: str, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(path=path, count=len(self.problems), problems="")

    def render(self, translate: Any) -> str:
        lines = "\n".join(f"  {p.render(translate)}" for p in self.problems)
        return render_template(self.template, self.params, translate).format(
            path=self.params["path"], count=len(self.problems), problems=lines)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how spreadsheets name columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True, slots=True)
class Row:
    sheet: str  # the sheet's name as written in the file
    number: int  # the row number the spreadsheet shows
    cells: dict[str, tuple[Any, str]]  # column key -> (raw value, "F7")

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.number}"


@dataclass
class Sheet:
    name: str
    header: list[str]
    rows: list[list[Any]]  # data rows with their spreadsheet row numbers in ``numbers``
    numbers: list[int]


@dataclass
class Cells:
    """Typed reading of located cells; every failure becomes a Problem and gives None."""

    problems: list[Problem] = field(default_factory=list)

    def problem(self, where: str, template: str, **params: Any) -> None:
        self.problems.append(Problem(where, template, params))

    def raw(self, row: Row, key: str) -> tuple[Any, str]:
        value, ref = row.cells.get(key, (None, f"{row.sheet}!{row.number}"))
        if isinstance(value, str):
            value = value.strip()
            if not value:
                value = None
        return value, ref

    def missing(self, row: Row, column: Column) -> bool:
        value, ref = self.raw(row, column.key)
        if value is None and column.required:
            self.problem(ref, N_("missing value for “{column}”"), column=column.fr)
            return True
        return value is None

    def text(self, row: Row, column: Column) -> str | None:
        if self.missing(row, column):
            return None
        value, _ref = self.raw(row, column.key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a code typed as a number: 12 read back as 12.0
        return str(value)

    def date(self, row: Row, column: Column) -> dt.date | None:
        if self.missing(row, column):
            return None
        value, ref = self.raw(row, column.key)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value)
        try:
            if m := _DATE_FR.match(text):
                return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            if m := _DATE_ISO.match(text):
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
        self.problem(ref, N_("unreadable date “{text}” (write DD/MM/YYYY)"), text=text)
        return None

    def money(self, row: Row, column: Column) -> Money | None:
        if self.missing(row, column):
            return None
        value, ref = self.raw(row, column.key)
        text = _number_text(value)
        try:
            if isinstance(value, str) and _DOTTED_THOUSANDS.match(text.replace(" ", "")):
                text = text.replace(".", "")
            return Money.parse(text)
        except (InvalidAmount, TypeError):
            self.problem(ref, N_("unreadable amount “{text}”"), text=str(value))
            return None

    def integer(self, row: Row, column: Column) -> int | None:
        if self.missing(row, column):
            return None
        value, ref = self.raw(row, column.key)
        text = _number_text(value)
        if re.fullmatch(r"[0-9]+", text.replace(" ", "").replace("\u00a0", "")):
            return int(text.replace(" ", "").replace("\u00a0", ""))
        self.problem(ref, N_("“{text}” is not a whole number"), text=str(value))
        return None

    def rate(self, row: Row, column: Column) -> Decimal | None:
        """"1,5 %" or "1.5%" -> 0.015; "0.015" -> 0.015 (a plain number below 1 is a rate)."""
        if self.missing(row, column):
            return None
        value, ref = self.raw(row, column.key)
        try:
            rate, percent = _percent(value)
            if not percent and rate >= 1:  # "2" in a rate column means 2 %
                rate /= 100
        except InvalidOperation:
            self.problem(ref, N_("unreadable rate “{text}” (write e.g. 1,5 %)"), text=str(value))
            return None
        if not rate.is_finite() or rate < 0 or rate > Decimal("0.5"):
            self.problem(ref, N_("rate “{text}” outside 0 to 50%"), text=str(value))
            return None
        return rate

    def fraction(self, row: Row, column: Column) -> Fraction | None:
        if self.missing(row, column):
            return None
        value, ref = self.raw(row, column.key)
        text = _number_text(value).replace(" ", "")
        try:
            share = Fraction(text) if "/" in text else Fraction(_percent(value)[0])
        except (InvalidOperation, ValueError, ZeroDivisionError):
            self.problem(ref, N_("unreadable key “{text}” (write 0,25, 25 % or 1/4)"),
                         text=str(value))
            return None
        if not 0 <= share <= 1:
            self.problem(ref, N_("key “{text}” outside 0 to 1"), text=str(value))
            return None
        return share

    def units(self, row: Row, column: Column) -> Fraction | None:
        """Units held (units method), kept exactly: "97,5", "97.5", "1 234,125" or "1.234,125".

        A dot alone is a decimal point (1.234 is one unit and a bit, not 1,234 units); dots
        group thousands only before a decimal comma. At most ``UNITS_PLACES`` decimals: more
        would be a formula's floating-point tail, which nobody can check against the records.
        """
        if self.missing(row, column):
            return None
        value, ref = self.raw(row, column.key)
        text = _number_text(value).replace(" ", "")
        if isinstance(value, str) and "," in text and _DOTTED_THOUSANDS.match(text):
            text = text.replace(".", "")
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            number = Decimal("NaN")
        if isinstance(value, bool) or not number.is_finite() or not re.fullmatch(
                r"[+-]?[0-9]*[.,]?[0-9]*", text):
            self.problem(ref, N_("unreadable number of units “{text}” (write e.g. 97,5)"),
                         text=str(value))
            return None
        if number < 0:
            self.problem(ref, N_("negative number of units “{text}”"), text=str(value))
            return None
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > UNITS_PLACES:
            self.problem(ref, N_("“{text}” has more than {places} decimals: round the units as "
                                 "the club's records do"), text=str(value), places=UNITS_PLACES)
            return None
        if number >= UNITS_MAX:
            self.problem(ref, N_("“{text}” units: more than a club can hold"), text=str(value))
            return None
        return Fraction(number)

    def choice(self, row: Row, column: Column, words: dict[str, str]) -> str | None:
        if self.missing(row, column):
            return None
        value, ref = self.raw(row, column.key)
        folded = {fold(k): v for k, v in words.items()}
        found = folded.get(fold(str(value)))
        if found is None:
            self.problem(ref, N_("unknown {column} “{text}”; allowed: {allowed}"),
                         column=column.fr, text=str(value), allowed=", ".join(column.choices))
        return found


def _percent(value: Any) -> tuple[Decimal, bool]:
    """"1,5 %" -> (0.015, True); "0,25" -> (0.25, False). Raises InvalidOperation."""
    text = _number_text(value).replace(",", ".").replace(" ", "")
    if text.endswith("%"):
        return Decimal(text[:-1]) / 100, True
    return Decimal(text), False


def _number_text(value: Any) -> str:
    """A numeric cell as exact text: the shortest decimal that round-trips the float."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value).strip().replace("\u00a0", " ").replace("\u202f", " ")


def _csv_sheet(data: bytes, name: str, path: str) -> Sheet:
    text, _encoding = decode(data, "auto", path)
    sample = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=sample.count)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = records[0] if records else []
    rows = records[1:]
    return Sheet(name, header, rows, list(range(2, len(rows) + 2)))


def _xlsx_sheets(path: Path) -> list[Sheet]:
    import openpyxl  # imported here: the CLI starts without it

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheets = []
    for ws in workbook.worksheets:
        records = [list(r) for r in ws.iter_rows(values_only=True)]
        header = ["" if c is None else str(c) for c in (records[0] if records else [])]
        sheets.append(Sheet(ws.title, header, records[1:], list(range(2, len(records) + 1))))
    workbook.close()
    return sheets


class FileUnreadable(UsageProblem):
    code = "switchover_file_unreadable"
    template = N_("{path} cannot be read as a workbook (.xlsx) or a folder of CSV files: "
                  "{detail}")


def load_sheets(path: Path) -> list[Sheet]:
    try:
        if path.is_dir():
            sheets = []
            for file in sorted(path.iterdir()):
                if file.suffix.lower() == ".csv":
                    sheets.append(_csv_sheet(file.read_bytes(), file.stem, str(file)))
            return sheets
        if path.suffix.lower() == ".csv":
            return [_csv_sheet(path.read_bytes(), path.stem, str(path))]
        return _xlsx_sheets(path)
    except FileNotFoundError as exc:
        raise FileUnreadable(path=str(path), detail="no such file") from exc
    except OSError as exc:
        raise FileUnreadable(path=str(path), detail=exc.strerror or type(exc).__name__) from exc
    except ValueError as exc:  # e.g. a NUL byte in the name
        raise FileUnreadable(path=repr(str(path)), detail=str(exc)) from exc
    except FileUnreadable:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise FileUnreadable(path=str(path), detail=type(exc).__name__) from exc


def read_tables(path: Path, tables: Sequence[Table], cells: Cells, *,
                single: bool = False) -> dict[str, list[Row]]:
    """Rows of each table, with unknown or missing sheets and columns reported in ``cells``.

    ``single``: the file holds one table (a CSV or the first sheet of a workbook), whatever
    its name, as for the member import.
    """
    sheets = load_sheets(path)
    by_name = {fold(s.name): s for s in sheets}
    result: dict[str, list[Row]] = {}
    for table in tables:
        sheet = (sheets[0] if single and sheets else
                 by_name.get(fold(table.fr)) or by_name.get(fold(table.en)))
        if sheet is None:
            if table.required:
                cells.problem(path.name, N_("sheet “{sheet}” is missing"), sheet=table.fr)
            result[table.key] = []
            continue
        positions: dict[str, int] = {}
        for i, name in enumerate(sheet.header):
            if name is None:
                continue
            for column in table.columns:
                if fold(str(name)) in (fold(column.fr), fold(column.en)):
                    positions.setdefault(column.key, i)
        for column in table.columns:
            if column.required and column.key not in positions:
                cells.problem(f"{sheet.name}!1", N_("column “{column}” is missing"),
                              column=column.fr)
        rows = []
        for number, record in zip(sheet.numbers, sheet.rows, strict=True):
            if not any(c is not None and str(c).strip() for c in record):
                continue  # blank rows, or rows of separators
            found = {}
            for key, pos in positions.items():
                value = record[pos] if pos < len(record) else None
                found[key] = (value, f"{sheet.name}!{column_letter(pos)}{number}")
            rows.append(Row(sheet.name, number, found))
        result[table.key] = rows
    return result
