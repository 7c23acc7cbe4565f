"""Drawing a laid-out table: the same characters Rich draws, without Rich's renderer.

``output._layout`` has already chosen every column's width and folded every cell to it, so
what is left is drawing lines, and Rich's general renderer (measuring each cell, wrapping,
segments, styles) cost more than the query in a `cigales report balance` (about a fifth of
the command on a quiet machine, for a table of 40 accounts). This module draws Rich's default
table (``box.HEAVY_HEAD``, a padding of one space, the header at the bottom of its row, cells
at the top of theirs, the title centred above) for the tables that need nothing more: text
whose every character is one terminal cell, and a title that fits on one line. Anything else
(``draw`` returns None) goes to Rich. ``tests/cli/test_boxes.py`` checks both draw the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_TOP = ("┏", "━", "┳", "┓")
_HEAD = ("┃", "┃", "┃")
_HEAD_RULE = ("┡", "━", "╇", "┩")
_BODY = ("│", "│", "│")
_FOOT_RULE = ("├", "─", "┼", "┤")
_BOTTOM = ("└", "─", "┴", "┘")


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_cell_each(text: str) -> bool:
    """Every character of ``text`` takes exactly one terminal cell (no control, line
    separator, wide or zero-width character): its length is its width."""
    if _CONTROL.search(text):
        return False
    if text.isascii():
        return True
    from rich.cells import cell_len  # Rich's own widths: the two drawings must agree

    return cell_len(text) == len(text)


def _rule(parts: tuple[str, str, str, str], widths: Sequence[int]) -> str:
    left, line, cross, right = parts
    return left + cross.join(line * (w + 2) for w in widths) + right


def _rows(parts: tuple[str, str, str], cells: Sequence[str], widths: Sequence[int],
          right: Sequence[bool], *, bottom: bool) -> list[str]:
    """One table row, as many lines as its tallest cell; each cell padded to its width."""
    edge, inner, end = parts
    split = [cell.split("\n") for cell in cells]
    height = max((len(lines) for lines in split), default=1)
    out = []
    for n in range(height):
        texts = []
        for lines, width, is_right in zip(split, widths, right, strict=True):
            # The header sits at the bottom of its row, other cells at the top.
            k = n - (height - len(lines)) if bottom else n
            text = lines[k] if 0 <= k < len(lines) else ""
            # Rich strips the end of a right-aligned line (any Unicode space) before aligning.
            texts.append(text.rstrip().rjust(width) if is_right else text.ljust(width))
        out.append(edge + " " + f" {inner} ".join(texts) + " " + end)
    return out


def draw(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[str]],
         footers: Sequence[str] | None, widths: Sequence[int], right: Sequence[bool],
         width: int) -> str | None:
    """The table as Rich prints it at ``width`` columns, or None when Rich must draw it
    (a cell wider than its column, a character not one cell wide, a title on two lines)."""
    table_width = sum(widths) + 3 * len(widths) + 1
    if not widths or table_width > width:
        return None
    texts = [*headers, *(cell for row in rows for cell in row), *(footers or ())]
    for text, w in zip(texts, _cycle(widths, len(texts)), strict=True):
        if not one_cell_each(text.replace("\n", "")):
            return None
        if any(len(line) > w for line in text.split("\n")):
            return None
    lines = []
    if title:
        if len(title) > table_width or not one_cell_each(title):
            return None
        centred = title.rstrip()  # as Rich centres it
        excess = table_width - len(centred)
        lines.append(" " * (excess // 2) + centred + " " * (excess - excess // 2))
    lines.append(_rule(_TOP, widths))
    lines += _rows(_HEAD, headers, widths, right, bottom=True)
    lines.append(_rule(_HEAD_RULE, widths))
    for row in rows:
        lines += _rows(_BODY, row, widths, right, bottom=False)
    if footers is not None:
        lines.append(_rule(_FOOT_RULE, widths))
        lines += _rows(_BODY, footers, widths, right, bottom=False)
    lines.append(_rule(_BOTTOM, widths))
    return "\n".join(lines) + "\n"


def _cycle(widths: Sequence[int], count: int) -> list[int]:
    return [widths[i % len(widths)] for i in range(count)]
