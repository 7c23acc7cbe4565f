"""Cell values as French banks write them: dates in a declared format, amounts with a declared
decimal separator and optional thousands separator. Errors name the line."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from cigales.bank.errors import AmbiguousAmount, BadAmount, BadDate
from ledger.errors import InvalidAmount
from ledger.money import Money

_SPACES = " \u00a0\u202f\u2009"


def parse_date(text: str, fmt: str, *, line: int, path: str) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - a calendar day
    except ValueError as exc:
        raise BadDate(line=line, path=path, text=text, format=fmt_human(fmt)) from exc


def fmt_human(fmt: str) -> str:
    return (fmt.replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY")
            .replace("%y", "YY"))


def parse_amount(text: str, *, decimal: str, thousands: str, line: int, path: str) -> Money:
    """Parse "1 234,56", "-14,90", "+30", "1.234,56" (thousands ".") exactly, or refuse.

    With a comma decimal separator and no dot thousands separator, "1.234" is refused as
    ambiguous (1234 or 1,234?) rather than guessed.
    """
    raw = text.strip().replace("€", "").strip()
    if raw.upper().endswith("EUR"):
        raw = raw[:-3].strip()
    if thousands:
        for sep in (_SPACES if thousands == " " else thousands):
            raw = raw.replace(sep, "")
    else:
        for sep in _SPACES:
            raw = raw.replace(sep, "")
    other = "." if decimal == "," else ","
    if other in raw:
        raise AmbiguousAmount(line=line, path=path, text=text, decimal=decimal,
                              thousands=thousands or "—", other=other)
    if raw.endswith("-") and not raw.startswith(("-", "+")):
        raw = "-" + raw[:-1]  # some exports put the sign last
    if decimal == ",":
        raw = raw.replace(",", ".")
    if not re.fullmatch(r"[+-]?[0-9]+(\.[0-9]*)?", raw):
        raise BadAmount(line=line, path=path, text=text, decimal=decimal)
    try:
        return Money.parse(raw)
    except InvalidAmount as exc:
        raise BadAmount(line=line, path=path, text=text, decimal=decimal) from exc


def normalise(text: str) -> str:
    """Upper case, no accents, single spaces: the form labels and names are compared in."""
    if text.isascii():  # nothing to decompose (most bank labels): the fast way
        return " ".join(text.upper().split())
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.upper().split())
