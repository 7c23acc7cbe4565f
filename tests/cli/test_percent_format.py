"""Percentages are written one way, the locale's (CLDR through Babel): "38,4615 %" in French
(no-break space before the sign), "38.4615%" in English (no space), in tables, PDFs, messages
and XLSX labels alike; JSON and CSV keep the plain fraction."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from babel import Locale

from cigales.errors import Notice, Percent
from cigales.i18n import babel_locale
from reports import fmt

NBSP = "\u00a0"


def french_sign() -> str:
    """The space Babel's French pattern puts before "%" (U+00A0 or U+202F by CLDR version)."""
    pattern = Locale.parse(babel_locale("fr")).percent_formats[None].pattern
    return pattern[pattern.index("0") + 1:pattern.index("%")]


@pytest.mark.parametrize(("value", "lang", "expected"), [
    ("0.384615", "en", "38.4615%"),
    ("0.384615", "fr", "38,4615{s}%"),
    ("0.250000", "en", "25.0000%"),
    ("1.000000", "fr", "100,0000{s}%"),
])
def test_share_text_keeps_its_digits(value, lang, expected):
    assert fmt.share_text(value, lang) == expected.format(s=french_sign())


def test_every_percentage_follows_the_locale():
    s = french_sign()
    assert s.strip() == ""  # a space of some kind, never nothing in French
    assert fmt.share(Fraction(1, 8), "en") == "12.50%"
    assert fmt.share(Fraction(1, 8), "fr") == f"12,50{s}%"
    assert fmt.share(Fraction(1, 3), "fr", digits=4) == f"33,3333{s}%"
    assert fmt.rate(Decimal("0.25"), "en") == "25%"
    assert fmt.rate(Decimal("0.025"), "fr") == f"2,5{s}%"
    assert fmt.rate("0.0125", "en") == "1.25%"
    assert fmt.percent(Fraction(1, 1), "fr", decimals=2) == f"100,00{s}%"
    # Thousands grouping is the locale's too.
    assert fmt.percent(Decimal(25), "en", decimals=0) == "2,500%"


def test_messages_print_percentages_with_the_sign_in_the_reader_s_format():
    s = french_sign()
    assert fmt.localized({"p": Percent("25.03")}, "fr")["p"] == f"25,03{s}%"
    assert fmt.localized({"p": Percent("25.03")}, "en")["p"] == "25.03%"
    assert fmt.localized({"p": Percent("5")}, "en")["p"] == "5%"
    note = Notice("cap_not_checked", "cap {cap} here", {"cap": Percent("25")})
    assert fmt.notice(note, lambda t: t, "en") == "cap 25% here"
    assert fmt.notice(note, lambda t: t, "fr") == f"cap 25{s}% here"


def test_no_message_writes_its_own_percent_sign():
    """A template writes "{percent}" and the parameter brings the sign in the reader's
    format; a template "{percent} %" would print "25.03% %"."""
    from cigales.services import investments, loans

    for cls in (investments.EquityCapExceeded, loans.CcaStakeTooSmall,
                loans.CcaCapitalUnknown):
        assert "} %" not in str(cls.template), cls


def test_percentages_in_the_cli_follow_the_language(cli, tmp_path, monkeypatch):
    """The share table and the portfolio keys, read in each language."""
    monkeypatch.chdir(tmp_path)
    assert cli("demo", "--clubs", "1", "--no-reports").exit_code == 0
    club = ("--club", "les-mesanges-du-vieux-port")
    s = french_sign()
    french = cli("--lang", "fr", "member", "list", *club).stdout
    english = cli("--lang", "en", "member", "list", *club).stdout
    assert re.search(rf"\b\d{{1,2}},\d{{4}}{s}%", french), french
    assert not re.search(r"\d %", french.replace(s, "")), french
    assert re.search(r"\b\d{1,2}\.\d{4}%", english), english
    assert not re.search(r"\d[ \u00a0\u202f]%", english), english
    # CSV stays the machine fraction.
    csv_text = cli("--lang", "en", "member", "list", *club, "--format", "csv").stdout
    assert "%" not in csv_text
