"""Report data as JSON: the very frozen dataclasses the PDFs render, for scripts to check.

Machine-neutral like every JSON output (docs/formats.md): amounts as strings with a dot and two
decimals ("1234.50"), dates ISO 8601, exact shares as fractions ("5/27") beside a decimal
rounded to 6 places, codes rather than labels. Each dataclass also carries its computed
properties (totals, the result, whether the cash is explained), so a script reads the same
figures the PDF prints without recomputing them. Notices carry their rule code and their
message in the current language.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from cigales.errors import Notice
from cigales.i18n import _
from ledger.money import Money


def fraction(value: Fraction) -> dict[str, str]:
    decimal = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.000001"), rounding=ROUND_HALF_UP)
    return {"exact": f"{value.numerator}/{value.denominator}", "decimal": str(decimal)}


def _properties(obj: Any) -> dict[str, Any]:
    found = {}
    for klass in type(obj).__mro__:
        for name, attr in vars(klass).items():
            if isinstance(attr, property) and not name.startswith("_") and name not in found:
                found[name] = getattr(obj, name)
    return found


def to_data(value: Any) -> Any:
    """A JSON-ready structure of report data (dicts, lists, strings, numbers, booleans)."""
    if isinstance(value, Money):
        return value.plain()
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Fraction):
        return fraction(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Notice):
        return {"code": value.code, "message": value.render(_)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
        out.update({k: to_data(v) for k, v in _properties(value).items() if k not in out})
        return out
    if isinstance(value, Mapping):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(v) for v in value]
    raise TypeError(f"no JSON form for {type(value).__name__}")
