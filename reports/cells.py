"""Spreadsheet cells that cannot run: OWASP "CSV injection" (formula injection).

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some, a tab or carriage return followed by one) as a formula: a label such as
``=HYPERLINK("http://…", "clic")`` or ``=cmd|' /C calc'!A0`` typed into the books would run
on the treasurer's machine. Text cells that start so are prefixed with an apostrophe, which
spreadsheets show as plain text. Numbers keep their sign (``-4.50`` stays a number), and the
FEC, whose format is fixed by law (tab-separated, read by the tax administration's tools, not
a spreadsheet export), is written untouched.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def safe_text(value: str) -> str:
    """The text as a spreadsheet must show it, never evaluate it."""
    if value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value
