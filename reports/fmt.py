"""The only place where numbers and dates become text for people (Babel).

Machine formats (JSON, CSV, FEC) never come here: they use ``Money.plain()`` and ISO dates.
French uses U+202F (narrow no-break space) between thousands; the PDFs embed a font that has
it (reports/pdf/typeface.py), so PDF text is the same as everywhere else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.numbers import format_currency, format_decimal, format_percent

from cigales.errors import Amount, Notice, Percent
from cigales.i18n import babel_locale
from ledger.money import CURRENCY, Money


def money(amount: Money, lang: str | None = None) -> str:
    """"1 234,50 €" in French, "€1,234.50" in English."""
    return format_currency(amount.to_decimal(), CURRENCY, locale=babel_locale(lang))


def amount(value: Money, lang: str | None = None, *, blank_zero: bool = False) -> str:
    """Amount without currency sign, two decimals: "1 234,50" / "1,234.50"."""
    if blank_zero and value.is_zero():
        return ""
    return format_decimal(value.to_decimal(), format="#,##0.00", locale=babel_locale(lang))


def date(value: dt.date | None, lang: str | None = None) -> str:
    """31/12/2025 in French, 31 Dec 2025 in English; "—" for no date."""
    if value is None:
        return "—"
    fmt = "dd/MM/yyyy" if babel_locale(lang) == "fr_FR" else "d MMM yyyy"
    return _babel_date(value, format=fmt, locale=babel_locale(lang))


def month(value: dt.date, lang: str | None = None) -> str:
    """"mars 2025" / "March 2025"."""
    return _babel_date(value, format="LLLL yyyy", locale=babel_locale(lang))


def count(value: int, lang: str | None = None) -> str:
    """A whole number with the reader's grouping: "18 152" / "18,152"."""
    return format_decimal(value, locale=babel_locale(lang))


def long_date(value: dt.date, lang: str | None = None) -> str:
    return _babel_date(value, format="long", locale=babel_locale(lang))


def _percent_pattern(decimals: str, lang: str | None) -> str:
    """The locale's percent pattern (CLDR, through Babel) with the given decimal part
    (".00", ".####"): "#,##0.00\u00a0%" in French, "#,##0.00%" in English."""
    pattern = str(Locale.parse(babel_locale(lang)).percent_formats[None].pattern)
    assert "#,##0" in pattern, pattern
    return pattern.replace("#,##0", "#,##0" + decimals, 1)


def percent(value: Fraction | Decimal | str, lang: str | None = None, *,
            decimals: int | None = None, hundred: bool = False) -> str:
    """The one way a percentage becomes text, for the CLI, the PDFs, the XLSX labels and the
    messages: the locale's pattern, "38,4615\u00a0%" in French, "38.4615%" in English.

    ``value`` is a fraction of one (0.25 for 25 %), or with ``hundred`` already in percent
    ("25.03" for 25,03 %). ``decimals``: exactly that many; None: the decimals a text value
    carries (a fraction or a Decimal: up to four, only those needed)."""
    if isinstance(value, Fraction):
        dec = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        dec = Decimal(str(value))
    if hundred:
        dec = dec / 100
    if decimals is None and isinstance(value, str):
        exponent = Decimal(value).as_tuple().exponent
        decimals = max(-exponent, 0) if isinstance(exponent, int) else 0
        decimals = max(decimals - (0 if hundred else 2), 0)
    part = ("." + "0" * decimals if decimals else "") if decimals is not None else ".####"
    return format_percent(dec, format=_percent_pattern(part, lang), locale=babel_locale(lang))


def share(value: Fraction | Decimal, lang: str | None = None, digits: int = 2) -> str:
    """A fraction as a percentage: "12,50\u00a0%" / "12.50%"."""
    return percent(value, lang, decimals=digits)


def share_text(value: str | Decimal | Fraction, lang: str | None = None) -> str:
    """A member's share as machine text ("0.384615", six places) in a person's words:
    "38,4615 %" — the same digits, none invented or lost."""
    dec = value if isinstance(value, Decimal) else (
        Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction)
        else Decimal(str(value)))
    exponent = dec.as_tuple().exponent
    places = max(-exponent - 2, 0) if isinstance(value, str) and isinstance(exponent, int) \
        else 4
    return percent(dec, lang, decimals=int(places))


def rate(value: str | Decimal | Fraction, lang: str | None = None) -> str:
    """A rate as a percentage with only the decimals it needs: 0.25 → "25 %",
    0.025 → "2,5 %", 0.0125 → "1,25 %" (French; "25%", "2.5%", "1.25%" in English)."""
    dec = value if isinstance(value, Fraction) else Decimal(str(value))
    return percent(dec, lang)


def pdf_safe(text: str) -> str:
    """Text as the PDFs print it: unchanged since they embed a font with every glyph Babel
    uses, U+202F included (reports/pdf/typeface.py). Kept as the one hook for PDF text."""
    return text


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_AMOUNT = re.compile(r"-?\d+\.\d{2}")


def localized(params: dict[str, object], lang: str | None = None) -> dict[str, object]:
    """Message parameters marked as amounts or percentages, in the reader's format; the
    others unchanged (the CLI keeps ISO dates in its messages, scripts match them)."""
    out: dict[str, object] = {}
    for key, value in params.items():
        if isinstance(value, Percent):
            out[key] = percent(str(value), lang, hundred=True)
        elif isinstance(value, Amount):
            out[key] = amount(Money.parse(str(value)), lang)
        else:
            out[key] = value
    return out


def notice(item: Notice, translate: Callable[[str], str], lang: str | None = None) -> str:
    """A notice for people: its ISO dates and plain amounts ("511.12") in the reader's format.

    Notices carry machine values (JSON shows them as they are); documents print them here.
    """
    params = {}
    for key, value in item.params.items():
        if isinstance(value, (Amount, Percent)):
            params[key] = str(localized({key: value}, lang)[key])
        elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
            params[key] = date(dt.date.fromisoformat(value), lang)
        elif isinstance(value, str) and _PLAIN_AMOUNT.fullmatch(value):
            params[key] = amount(Money.parse(value), lang)
        else:
            params[key] = value
    return Notice(item.code, item.template, params).render(translate)
