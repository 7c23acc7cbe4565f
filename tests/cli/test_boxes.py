"""cigales.cli.boxes draws laid-out tables without Rich: it must draw exactly what Rich draws
(Rich is the oracle here), and leave to Rich what it cannot draw the same."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cigales.cli import boxes, output

# Letters people's tables hold: accents, French number spaces (U+202F), dashes, the tick of a
# yes/no column, brackets and colons (which Rich would read as markup if given plain str).
ALPHABET = "abcXYZ019 ,.-–éÉçœ€\u202f✓[]:/()'"
WORDS = st.text(ALPHABET, max_size=12)
CELLS = st.lists(WORDS, min_size=1, max_size=3).map("\n".join)


def rich_drawing(title: str | None, headers: list[str], rows: list[list[str]],
                 footers: list[str] | None, widths: list[int], right: list[bool],
                 width: int) -> str:
    table = Table(title=Text(title) if title else None, show_footer=footers is not None)
    for i, header in enumerate(headers):
        table.add_column(Text(header), justify="right" if right[i] else "left",
                         footer=Text(footers[i]) if footers is not None else "",
                         width=widths[i], no_wrap=True)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console = Console(file=io.StringIO(), width=width, force_terminal=False,
                      color_system=None)
    console.print(table)
    return str(console.file.getvalue())  # type: ignore[attr-defined]


@st.composite
def tables(draw: st.DrawFn) -> tuple[object, ...]:
    n = draw(st.integers(1, 6))
    headers = draw(st.lists(CELLS, min_size=n, max_size=n))
    rows = draw(st.lists(st.lists(CELLS, min_size=n, max_size=n), max_size=5))
    footers = draw(st.none() | st.lists(CELLS, min_size=n, max_size=n))
    right = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    natural = output._natural_widths(rows, headers, footers or [""] * n)
    widths = [w + draw(st.integers(0, 3)) for w in natural]
    title = draw(st.none() | st.text(ALPHABET, min_size=1, max_size=90))
    width = sum(widths) + 3 * n + 1 + draw(st.integers(0, 20))
    return title, headers, rows, footers, widths, right, width


@settings(max_examples=300, deadline=None)
@given(table=tables())
def test_boxes_draws_what_rich_draws(table: tuple[object, ...]) -> None:
    drawn = boxes.draw(*table)  # type: ignore[arg-type]
    title = table[0]
    table_width = sum(table[4]) + 3 * len(table[4]) + 1  # type: ignore[arg-type]
    if title is None or len(str(title)) <= table_width:
        # Every character of the alphabet is one cell wide: only a long title goes to Rich.
        assert drawn is not None
    if drawn is not None:
        assert drawn == rich_drawing(*table)  # type: ignore[arg-type]


def test_what_boxes_leaves_to_rich() -> None:
    ok = boxes.draw("Titre", ["Compte"], [["5121"]], None, [6], [False], 80)
    assert ok is not None
    assert ok.splitlines()[0].strip() == "Titre"
    # A title longer than the table wraps in Rich: not drawn here.
    assert boxes.draw("Un titre plus long que la table", ["A"], [["x"]], None, [1], [False],
                      80) is None
    # Wide characters (two cells each), a cell wider than its column, a table wider than the
    # terminal.
    assert boxes.draw(None, ["名前"], [["x"]], None, [4], [False], 80) is None
    assert boxes.draw(None, ["A"], [["trop long"]], None, [3], [False], 80) is None
    assert boxes.draw(None, ["A"], [["x"]], None, [100], [False], 80) is None


def test_a_command_table_is_drawn_without_rich() -> None:
    columns = [output.Column("code", "Compte"), output.Column("label", "Libellé"),
               output.Column("balance", "Solde", True)]
    rows = [{"code": "5121", "label": "Banque – compte courant", "balance": "26\u202f358,02"}]
    text = output.to_table(columns, rows, "Balance au 22/11/2026", {"label": "Total"}, 80)
    widths = [len("Compte"), len("Banque – compte courant"), len("26\u202f358,02")]
    assert text == rich_drawing("Balance au 22/11/2026", ["Compte", "Libellé", "Solde"],
                                [["5121", "Banque – compte courant", "26\u202f358,02"]],
                                ["", "Total", ""], widths, [False, False, True], 80)
