"""Bounds on what may be written: money, numbers and text, the same on every backend.

Without them a hostile or careless value reaches the database and fails there, differently
per backend (SQLite: OverflowError above 2**63 and 100,000-character labels stored; PostgreSQL:
``bigint out of range`` or ``value too long``), as a traceback. Every entry point checks here
first and gives a coded error; the database keeps the same limits as a second wall (VARCHAR
lengths on PostgreSQL, CHECK constraints on SQLite: see migration 0010).
"""

from __future__ import annotations

import re
import unicodedata

from ledger.errors import N_, InvalidAmount, LedgerError

# One maximum for any amount of money: 10^12 € (a thousand billion euros), far above anything
# a club holds and far below what a BIGINT of cents can hold (9.2 * 10^16 €), so that sums of
# many amounts never overflow either.
MAX_AMOUNT_CENTS = 10**14

# Numbers a user types (entry, line and loan numbers, counts): the range of the INTEGER
# columns they are compared with on PostgreSQL.
MAX_NUMBER = 2**31 - 1

# Text lengths, one per kind of field; the database columns have the same sizes.
LABEL_MAX = 300
NAME_MAX = 200
KEY_MAX = 200
SLUG_MAX = 64
REGION_MAX = 100
ADDRESS_MAX = 500
TEXT_MAX = 1000  # any other free text (notes, file names ...)

# C0 and C1 control characters, DEL; tab is one too (a label is one line). Line and paragraph
# separators and the bidirectional overrides are refused too: they reorder or break what a
# terminal or a PDF shows.
_CONTROL = re.compile("[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class AmountTooLarge(InvalidAmount):
    code = "amount_too_large"
    template = N_("“{text}” is too large: amounts are limited to {limit} € either way.")


class NumberOutOfRange(LedgerError):
    code = "number_out_of_range"
    exit_code = 2
    template = N_("{field}: {value} is out of range ({low} to {high}).")


class TextTooLong(LedgerError):
    code = "text_too_long"
    exit_code = 2
    template = N_("{field} is too long: {length} characters, at most {limit}.")


class ControlCharacters(LedgerError):
    code = "control_characters"
    exit_code = 2
    template = N_("{field} contains a control character ({char}): type it without "
                  "control characters, tabs or line breaks.")


def limit_text() -> str:
    return f"{MAX_AMOUNT_CENTS // 100:,}".replace(",", " ")


def check_cents(cents: int, text: str | None = None) -> int:
    if abs(cents) > MAX_AMOUNT_CENTS:
        raise AmountTooLarge(text=text if text is not None else str(cents), limit=limit_text())
    return cents


def check_number(value: int, field: str, low: int = -MAX_NUMBER, high: int = MAX_NUMBER) -> int:
    if not low <= value <= high:
        raise NumberOutOfRange(field=field, value=value, low=low, high=high)
    return value


def control_character(text: str) -> str | None:
    """The first control character of text, shown as U+XXXX, or None."""
    match = _CONTROL.search(text)
    if match is None:
        return None
    return f"U+{ord(match.group()):04X}"


def check_text(value: str, field: str, limit: int) -> str:
    """Refuse control characters and text longer than limit; return the value unchanged."""
    char = control_character(value)
    if char is not None:
        raise ControlCharacters(field=field, char=char)
    if len(value) > limit:
        raise TextTooLong(field=field, length=len(value), limit=limit)
    return value


def check_fields(*fields: tuple[str | None, str, int]) -> None:
    """``check_text`` on each (value, field, limit) whose value is given: the services' own
    wall, for callers other than the command line (web forms, imports, scripts)."""
    for value, field, limit in fields:
        if value is not None:
            check_text(value, field, limit)


def visible(text: str, mark: str = "\ufffd") -> str:
    """Text from outside (a bank file) with its control characters replaced by a visible mark.

    Tabs and line breaks become spaces (they only separate words); any other control
    character becomes the replacement mark, so nothing is hidden and nothing is executed by a
    terminal. NFC so that the same name is always the same string.
    """
    text = unicodedata.normalize("NFC", text)
    text = re.sub("[\t\n\r\u2028\u2029]", " ", text)
    return _CONTROL.sub(mark, text)
