"""Rendering of command results as table (people), JSON or CSV (machines), to stdout or -o.

Rows hold Python values (Money, date, str, int); each format decides how they become text:
machine formats use plain amounts ("1234.50") and ISO dates, tables go through reports.fmt.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from cigales.errors import OutputNotWritable
from ledger.money import Money
from reports import fmt
from reports.cells import safe_text


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    numeric: bool = False


def plain(value: Any) -> Any:
    """Machine form of a value (JSON-ready)."""
    if isinstance(value, Money):
        return value.plain()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def human(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Money):
        return fmt.amount(value)
    if isinstance(value, dt.date):
        return fmt.date(value)
    if isinstance(value, bool):
        return "✓" if value else ""
    return str(value)


def to_json(payload: Any) -> str:
    return json.dumps(plain(payload), ensure_ascii=False, indent=2) + "\n"


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    shown = plain(value)
    # Text a spreadsheet would run as a formula is neutralised; numbers keep their sign.
    return safe_text(shown) if isinstance(shown, str) else shown


def to_csv(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(c.key)) for c in columns])
    return buffer.getvalue()


def to_table(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], title: str | None,
             footer: Mapping[str, Any] | None = None, width: int | None = None) -> str:
    table = Table(title=title, show_footer=footer is not None)
    for c in columns:
        table.add_column(c.header, justify="right" if c.numeric else "left",
                         footer=human(footer.get(c.key)) if footer else "")
    for row in rows:
        table.add_row(*(human(row.get(c.key)) for c in columns))
    console = Console(file=io.StringIO(), width=width or 120, force_terminal=False,
                      color_system=None)
    console.print(table)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return str(out)


def emit(
    fmt_name: str,
    *,
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    payload: Any,
    output: str | None = None,
    title: str | None = None,
    footer: Mapping[str, Any] | None = None,
) -> None:
    if fmt_name == "json":
        text = to_json(payload)
    elif fmt_name == "csv":
        text = to_csv(columns, rows)
    else:
        text = to_table(columns, rows, title, footer)
    write(text, output)


def write(text: str, output: str | None) -> None:
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise OutputNotWritable(path=output, reason=exc.strerror or str(exc)) from exc
    else:
        import sys

        sys.stdout.write(text)
        sys.stdout.flush()


def write_binary(data: bytes, output: str | Path | None) -> Path | None:
    """Write bytes (PDF, XLSX, CSV with a BOM) to a file, or to stdout without one."""
    if not output:
        import sys

        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return None
    path = Path(output)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise OutputNotWritable(path=str(output), reason=exc.strerror or str(exc)) from exc
    return path


# -- streamed output: rows written as they come, for results too large to hold ---------------------

@contextmanager
def text_target(output: str | None) -> Iterator[TextIO]:
    """stdout, or the file ``output`` written whole or not at all: the text goes to
    ``FILE.part`` first, which replaces ``FILE`` only once everything is written (an error
    half-way leaves any earlier ``FILE`` as it was). Refused before anything is computed
    when the file cannot be written."""
    if not output:
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(output)
    try:
        part = path.with_name(path.name + ".part")  # ValueError for "/", "." ...
        handle = part.open("w", encoding="utf-8", newline="")  # ValueError for a NUL byte
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise OutputNotWritable(path=output, reason=reason) from exc
    try:
        with handle:
            yield handle
        os.replace(part, path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise OutputNotWritable(path=output, reason=exc.strerror or str(exc)) from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise


class CsvStream:
    """``to_csv`` one row at a time."""

    def __init__(self, out: TextIO, columns: Sequence[Column]) -> None:
        self._columns = columns
        self._writer = csv.writer(out, lineterminator="\r\n")
        self._writer.writerow([c.key for c in columns])

    def row(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow([_csv_cell(row.get(c.key)) for c in self._columns])


class JsonStream:
    """An object written as ``to_json`` would (indent 2), whose one list ``key`` is written
    item by item: ``head`` keys first, then the list, then the keys given to ``close``."""

    def __init__(self, out: TextIO, head: Mapping[str, Any], key: str) -> None:
        self._out = out
        self._items = 0
        out.write("{\n")
        for k, v in head.items():
            out.write(f"  {self._dump(k)}: {self._dump(v, 2)},\n")
        out.write(f"  {self._dump(key)}: [")

    @staticmethod
    def _dump(value: Any, indent: int = 0) -> str:
        text = json.dumps(plain(value), ensure_ascii=False, indent=2)
        return text.replace("\n", "\n" + " " * indent) if indent else text

    def item(self, value: Any) -> None:
        self._out.write(("," if self._items else "") + "\n    " + self._dump(value, 4))
        self._items += 1

    def close(self, tail: Mapping[str, Any]) -> None:
        self._out.write("\n  ]" if self._items else "]")
        for k, v in tail.items():
            self._out.write(f",\n  {self._dump(k)}: {self._dump(v, 2)}")
        self._out.write("\n}\n")
