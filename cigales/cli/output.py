"""Rendering of command results as table (people), JSON or CSV (machines), to stdout or -o.

Rows hold Python values (Money, date, str, int); each format decides how they become text:
machine formats use plain amounts ("1234.50") and ISO dates, tables go through reports.fmt.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from cigales.errors import OutputNotWritable
from ledger.money import Money
from reports import fmt
from reports.cells import safe_text


@dataclass(frozen=True, slots=True)
class Column:
    """A column: ``key`` names it in CSV and JSON, ``header`` in tables; ``show`` turns a
    value into the words people read (a status code into its name, a share into a
    percentage) in tables only — CSV keeps the value as it is."""

    key: str
    header: str
    numeric: bool = False
    show: Callable[[Any], str] | None = field(default=None, compare=False)
    # On a narrow terminal, columns with the highest ``drop`` go first (equal values go
    # together); 0: always shown. CSV and JSON always have every column.
    drop: int = 0

    def cell(self, value: Any) -> str:
        if self.show is not None and value is not None and value != "":
            return self.show(value)
        return human(value)


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


def terminal_width() -> int:
    """The width tables are laid out for: $COLUMNS, else the terminal's, else 120 (a file or
    a pipe, read later on any screen)."""
    import shutil

    return max(shutil.get_terminal_size(fallback=(120, 24)).columns, 40)


def _render(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], title: str | None,
            footer: Mapping[str, Any] | None, width: int, *, fold_numbers: bool = False
            ) -> str:
    table = Table(title=title, show_footer=footer is not None)
    cells = [[c.cell(row.get(c.key)) for c in columns] for row in rows]
    for i, c in enumerate(columns):
        # Amounts and dates are never cut in two; words wrap at spaces, and a text column
        # keeps room for a short word (up to 12 characters) so it never shrinks to nothing.
        longest_word = max((len(w) for row in cells for w in row[i].split()), default=0)
        table.add_column(c.header, justify="right" if c.numeric else "left",
                         footer=c.cell(footer.get(c.key)) if footer else "",
                         no_wrap=c.numeric and not fold_numbers, overflow="fold",
                         min_width=None if c.numeric else min(max(longest_word, 4), 12))
    for row_cells in cells:
        table.add_row(*row_cells)
    console = Console(file=io.StringIO(), width=width, force_terminal=False,
                      color_system=None)
    console.print(table)
    return str(console.file.getvalue())  # type: ignore[attr-defined]


def _natural_width(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]],
                   footer: Mapping[str, Any] | None) -> int:
    """The width of the table when nothing is wrapped."""
    text = _render(columns, rows, None, footer, 10_000)
    return max((len(line.rstrip()) for line in text.splitlines()), default=0)


def to_table(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], title: str | None,
             footer: Mapping[str, Any] | None = None, width: int | None = None) -> str:
    """A table for people, laid out for ``width`` (default: the terminal's): when it does
    not fit, the least useful columns are left out (``Column.drop``), then the text columns
    wrap; no line is wider than ``width``."""
    width = width or terminal_width()
    shown = list(columns)
    while any(c.drop for c in shown) and _natural_width(shown, rows, footer) > width:
        worst = max((c.drop for c in shown), default=0)
        shown = [c for c in shown if c.drop != worst]
    text = _render(shown, rows, title, footer, width)
    if "┏┳" in text or "┳┳" in text:
        # The numbers alone are wider than the terminal and squeezed a text column to
        # nothing: let the numbers fold instead, so that every column keeps its text.
        text = _render(shown, rows, title, footer, width, fold_numbers=True)
    return text


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
