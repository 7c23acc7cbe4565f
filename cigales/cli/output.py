"""Rendering of command results as table (people), JSON or CSV (machines), to stdout or -o.

Rows hold Python values (Money, date, str, int); each format decides how they become text:
machine formats use plain amounts ("1234.50") and ISO dates, tables go through reports.fmt.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from cigales.cli import boxes
from cigales.errors import OutputNotWritable
from ledger.money import Money
from reports import csvdialect, fmt


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


# The --dialect of the running command, set once it is checked (common.check_format) and
# read by emit(): one option on every command that offers CSV, without threading it through
# every helper that renders a result.
_DIALECT: ContextVar[str] = ContextVar("csv_dialect", default=csvdialect.DEFAULT)


def use_dialect(name: str) -> None:
    _DIALECT.set(name)


def _csv_cell(value: Any, dialect: csvdialect.CsvDialect) -> Any:
    if isinstance(value, (Mapping, list, tuple)):
        return plain(value)
    if isinstance(value, str):
        # Free text of a result row (names, labels) stays as written, neutralised; a number
        # the command rendered as text takes the dialect's decimal mark.
        value = dialect.machine_text(value)
    # Text a spreadsheet would run as a formula is neutralised; numbers keep their sign.
    return dialect.cell(value)


def to_csv(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]],
           dialect: str = csvdialect.DEFAULT) -> bytes:
    """CSV in a dialect of reports.csvdialect: rfc4180 (default) or excel-fr."""
    d = csvdialect.DIALECTS[dialect]
    return b"".join(d.rows([c.key for c in columns],
                           ([_csv_cell(row.get(c.key), d) for c in columns] for row in rows)))


def terminal_width() -> int:
    """The width tables are laid out for: $COLUMNS, else the terminal's, else 120 (a file or
    a pipe, read later on any screen)."""
    import shutil

    return max(shutil.get_terminal_size(fallback=(120, 24)).columns, 40)


# Where a line may break inside a word: after a hyphen between letters or digits
# ("le-fournil-|des-|deux-|rives", "Île-|de-|France"), as textwrap breaks.
_HYPHEN_BREAK = re.compile(r"(?<=[^\W_]-)(?=[^\W_])")


def pieces(text: str) -> list[str]:
    """The parts of ``text`` a line never breaks inside: words, split after their hyphens."""
    return [p for word in text.split() for p in _HYPHEN_BREAK.split(word)]


def fold(text: str, width: int) -> str:
    """``text`` folded to ``width`` at spaces and after hyphens; a piece longer than the
    width (never asked for by ``_layout``) is cut as a last resort."""
    import textwrap

    if len(text) <= width:
        return text
    return "\n".join(
        "\n".join(textwrap.wrap(line, width, break_on_hyphens=True,
                                break_long_words=True)) or ""
        for line in text.split("\n"))


def _natural_widths(cells: list[list[str]], headers: list[str],
                    footers: list[str]) -> list[int]:
    """Each column's width when nothing is folded: its longest line (at least 1)."""
    return [max(max((len(line) for t in [*(row[i] for row in cells), headers[i], footers[i]]
                     for line in t.split("\n")), default=0), 1)
            for i in range(len(headers))]


def _layout(columns: Sequence[Column], cells: list[list[str]], headers: list[str],
            footers: list[str], width: int) -> list[int] | None:
    """Widths of the columns' text so that the table is at most ``width`` wide: every
    column as wide as its longest cell when that fits; else the widest text columns are
    narrowed, one character at a time, never below their longest piece (a word, or a
    hyphenated name's part), so that folding them cuts no word. None when even that does
    not fit (numbers and pieces alone are wider than the terminal)."""
    frame = 3 * len(columns) + 1  # "│ " before each cell, " " after, and the last "│"
    room = width - frame
    natural = _natural_widths(cells, headers, footers)
    least = []
    for i, c in enumerate(columns):
        texts = [row[i] for row in cells] + [headers[i], footers[i]]
        # Numbers are never folded; their header and footer fold like text.
        whole = [row[i] for row in cells] if c.numeric else []
        least.append(max([len(t) for t in whole]
                         + [len(p) for t in texts for p in pieces(t)] + [1]))
    if sum(least) > room:
        return None
    widths = list(natural)
    while sum(widths) > room:
        narrowable = [i for i in range(len(columns)) if widths[i] > least[i]]
        widest = max(narrowable, key=lambda i: (widths[i], -i))
        widths[widest] -= 1
    return widths


def _texts(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]],
           footer: Mapping[str, Any] | None) -> tuple[list[list[str]], list[str], list[str]]:
    """The cells, headers and footers of a table as people read them."""
    cells = [[c.cell(row.get(c.key)) for c in columns] for row in rows]
    footers = [c.cell(footer.get(c.key)) if footer else "" for c in columns]
    return cells, [c.header for c in columns], footers


def _render(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], title: str | None,
            footer: Mapping[str, Any] | None, width: int, *, fold_numbers: bool = False
            ) -> str:
    cells, headers, footers = _texts(columns, rows, footer)
    widths = None if fold_numbers else _layout(columns, cells, headers, footers, width)
    if widths is not None:
        # Laid out here: text folded at spaces and hyphens to its column's width, which
        # holds its longest piece, so no word is cut.
        headers = [fold(h, widths[i]) for i, h in enumerate(headers)]
        footers = [fold(f, widths[i]) for i, f in enumerate(footers)]
        cells = [[fold(text, widths[i]) for i, text in enumerate(row_cells)]
                 for row_cells in cells]
        drawn = boxes.draw(title, headers, cells, footers if footer else None, widths,
                           [c.numeric for c in columns], width)
        if drawn is not None:
            return drawn
        table = _rich_table(title, footer is not None)
        for i, c in enumerate(columns):
            table.add_column(headers[i], justify="right" if c.numeric else "left",
                             footer=footers[i] if footer else "", width=widths[i],
                             no_wrap=True)
        for row_cells in cells:
            table.add_row(*row_cells)
        return _rich_print(table, width)
    table = _rich_table(title, footer is not None)
    for i, c in enumerate(columns):
        # Amounts and dates are never cut in two; words wrap at spaces, and a text column
        # keeps room for a short word (up to 12 characters) so it never shrinks to nothing.
        longest_word = max((len(w) for row in cells for w in row[i].split()), default=0)
        table.add_column(c.header, justify="right" if c.numeric else "left",
                         footer=footers[i] if footer else "",
                         no_wrap=c.numeric and not fold_numbers, overflow="fold",
                         min_width=None if c.numeric else min(max(longest_word, 4), 12))
    for row_cells in cells:
        table.add_row(*row_cells)
    return _rich_print(table, width)


def _rich_table(title: str | None, show_footer: bool) -> Any:
    # Rich is loaded only for the tables boxes.draw leaves to it.
    from rich.table import Table

    return Table(title=title, show_footer=show_footer)


def _rich_print(table: Any, width: int) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, force_terminal=False,
                      color_system=None)
    console.print(table)
    return str(console.file.getvalue())  # type: ignore[attr-defined]


def _natural_width(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]],
                   footer: Mapping[str, Any] | None) -> int:
    """The width of the table when nothing is folded: its columns' longest lines and the
    frame (what Rich draws at an unlimited width, without drawing it)."""
    return sum(_natural_widths(*_texts(columns, rows, footer))) + 3 * len(columns) + 1


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
    dialect: str | None = None,
) -> None:
    if fmt_name == "json":
        text = to_json(payload)
    elif fmt_name == "csv":
        # Bytes: the excel-fr dialect starts with a byte-order mark, whatever stdout's encoding.
        write_binary(to_csv(columns, rows, dialect or _DIALECT.get()), output)
        return
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


def stream(chunks: Iterable[str | bytes], output: str | Path | None) -> None:
    """Write a file piece by piece as it is produced (exports of a million postings never
    hold the whole text), to ``output`` or to stdout; text in UTF-8, as written.

    The first piece is produced before the file is opened, so a refusal found while
    preparing (unknown club, clashing account names) leaves no file behind; a failure
    after that removes the partial file."""
    import sys

    pieces = iter(chunks)
    try:
        first = next(pieces)
    except StopIteration:
        first = b""
    if not output:
        out = sys.stdout.buffer
        sys.stdout.flush()
        _copy(first, pieces, out)
        out.flush()
        return
    with output_file(output) as handle:
        _copy(first, pieces, handle)


@contextmanager
def output_file(output: str | Path) -> Iterator[BinaryIO]:
    """The file ``output`` opened for writing bytes; removed again if writing fails, so an
    interrupted export never leaves half a file that looks whole."""
    path = Path(output)
    try:
        handle = path.open("wb")
    except OSError as exc:
        raise OutputNotWritable(path=str(output), reason=exc.strerror or str(exc)) from exc
    try:
        with handle:
            yield handle
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise OutputNotWritable(path=str(output), reason=exc.strerror or str(exc)) from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _copy(first: str | bytes, pieces: Iterator[str | bytes], out: BinaryIO) -> None:
    # Gathered into writes of about 64 kB: one write per line would cost more than the line.
    batch: list[bytes] = []
    size = 0
    for piece in itertools.chain((first,), pieces):
        data = piece.encode("utf-8") if isinstance(piece, str) else piece
        batch.append(data)
        size += len(data)
        if size >= 65536:
            out.write(b"".join(batch))
            batch, size = [], 0
    out.write(b"".join(batch))


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
    """``to_csv`` one row at a time, in the command's dialect (``--dialect``)."""

    def __init__(self, out: TextIO, columns: Sequence[Column],
                 dialect: str | None = None) -> None:
        self._columns = columns
        self._dialect = csvdialect.DIALECTS[dialect or _DIALECT.get()]
        if self._dialect.bom:
            out.write(csvdialect.BOM)
        self._writer = csv.writer(out, delimiter=self._dialect.delimiter, lineterminator="\r\n")
        self._writer.writerow([c.key for c in columns])

    def row(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow([_csv_cell(row.get(c.key), self._dialect) for c in self._columns])


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
