"""The CSV dialects, one definition for every command that writes CSV (``--dialect``).

- ``rfc4180`` (default, for programs): comma separator, CRLF line ends and quoting as RFC
  4180 says, amounts with a dot decimal ("1234.50"), ISO 8601 dates, UTF-8 without BOM.
- ``excel-fr`` (for a French spreadsheet): semicolon separator (the comma is the decimal
  mark there), amounts with a decimal comma ("1234,50"), dates dd/mm/yyyy, UTF-8 with a
  byte-order mark (without it Excel reads the accents as Windows-1252), CRLF line ends.

Both neutralise text cells that a spreadsheet would run as a formula (reports.cells). The
FEC is not CSV: its layout is fixed by law (reports.export).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledger.money import Money
from reports.cells import safe_text

BOM = "\ufeff"
_DECIMAL_TEXT = re.compile(r"-?\d+\.\d+")


@dataclass(frozen=True, slots=True)
class CsvDialect:
    name: str
    delimiter: str
    decimal: str
    date_format: str | None  # None: ISO 8601
    bom: bool

    def amount(self, value: Money) -> str:
        return value.plain().replace(".", self.decimal)

    def date(self, value: dt.date) -> str:
        if isinstance(value, dt.datetime):
            if self.date_format is None:
                return value.isoformat()
            return value.strftime(f"{self.date_format} %H:%M:%S")
        return value.isoformat() if self.date_format is None else value.strftime(
            self.date_format)

    def number(self, value: Decimal | float) -> str:
        return str(value).replace(".", self.decimal)

    def machine_text(self, value: str) -> str:
        """A number that a command already wrote as text ("0.230769", a share; "1.0000", a
        ratio) in this dialect's decimal mark, so a French spreadsheet reads a number."""
        return value.replace(".", self.decimal) if _DECIMAL_TEXT.fullmatch(value) else value

    def cell(self, value: Any) -> Any:
        """A Python value as this dialect writes it; text neutralised against formulas."""
        if value is None:
            return ""
        if isinstance(value, Money):
            return self.amount(value)
        if isinstance(value, dt.date):
            return self.date(value)
        if isinstance(value, bool):
            return value
        if isinstance(value, (Decimal, float)):
            return self.number(value)
        if isinstance(value, str):
            return safe_text(value)
        return value

    def rows(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
        """The encoded file, a few hundred rows at a time (exports stream through this)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.delimiter, lineterminator="\r\n")
        if self.bom:
            buffer.write(BOM)
        writer.writerow(header)
        for count, row in enumerate(rows, start=1):
            writer.writerow(row)
            if count % 500 == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")


RFC4180 = CsvDialect("rfc4180", ",", ".", None, bom=False)
EXCEL_FR = CsvDialect("excel-fr", ";", ",", "%d/%m/%Y", bom=True)
DIALECTS = {d.name: d for d in (RFC4180, EXCEL_FR)}
NAMES = tuple(DIALECTS)
DEFAULT = RFC4180.name
