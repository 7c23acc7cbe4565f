"""Message catalogs: French by default, English available (``--lang`` or CIGALES_LANG).

Message ids in the code are English; ``locale/fr`` translates them. The same catalog also
carries French for the Click/Typer strings (usage errors, help headings), which those
libraries look up through the standard ``gettext`` domain we bind at start-up.
"""

from __future__ import annotations

import functools
import gettext
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "cigales"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

_state: dict[str, object] = {"lang": DEFAULT_LANGUAGE, "translations": None}


def resolve_language(explicit: str | None = None) -> str:
    lang = (explicit or os.environ.get("CIGALES_LANG") or DEFAULT_LANGUAGE).strip().lower()
    lang = lang.split("_")[0].split("-")[0]
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def set_language(lang: str) -> None:
    """Select the catalog for our messages and for Click/Typer's own gettext lookups."""
    lang = resolve_language(lang)
    translations = _catalog(lang)
    _state["lang"] = lang
    _state["translations"] = translations
    # Click and Typer call gettext.gettext(): point the process-wide domain at our catalog.
    os.environ["LANGUAGE"] = lang
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    _retranslate_typer()


# Typer translates these once, when typer.rich_utils is imported, in the language of that
# moment. A process that changes language after that (the tests run hundreds of commands in
# both languages in one process) kept the first one's: an English "Error" box over a French
# message, depending on which test happened to import the module first.
TYPER_CONSTANTS = {
    "DEPRECATED_STRING": "(deprecated) ", "DEFAULT_STRING": "[default: {}]",
    "ENVVAR_STRING": "[env var: {}]", "REQUIRED_LONG_STRING": "[required]",
    "ARGUMENTS_PANEL_TITLE": "Arguments", "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands", "ERRORS_PANEL_TITLE": "Error",
    "ABORTED_TEXT": "Aborted.",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}


def _retranslate_typer() -> None:
    module = sys.modules.get("typer.rich_utils")  # not imported here: start-up stays light
    if module is None:
        return  # its import will translate them in the language set now
    for name, message in TYPER_CONSTANTS.items():
        if hasattr(module, name):
            setattr(module, name, gettext.gettext(message))


@functools.cache
def _catalog(lang: str) -> NullTranslations:
    # Read once per process and language: a process that switches language (a PDF in
    # English, the tests) would otherwise parse the catalog at every switch.
    return Translations.load(str(LOCALE_DIR), [lang], DOMAIN)


@contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Render in ``lang`` (e.g. a PDF with ``--lang en``), then restore the previous language."""
    previous = language()
    if lang is None:
        yield previous
        return
    set_language(lang)
    try:
        yield language()
    finally:
        set_language(previous)


def language() -> str:
    return str(_state["lang"])


def _translations() -> NullTranslations:
    current = _state["translations"]
    if current is None:
        set_language(resolve_language())
        current = _state["translations"]
    assert isinstance(current, NullTranslations)
    return current


def _(message: str) -> str:
    return _translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations().ngettext(singular, plural, n)


# Messages with a plural form (ledger.errors.Plural) find ngettext on the translator.
_.ngettext = ngettext  # type: ignore[attr-defined]


def format_date(value: Any) -> str:
    """A date in the current language's format (04/11/2026; 4 Nov 2026)."""
    from reports import fmt  # Babel's date data, loaded by messages that show a date

    return fmt.date(value, language())


# Messages that name a date (ledger.errors.render_params) show it in the reader's format.
_.format_date = format_date  # type: ignore[attr-defined]


def babel_locale(lang: str | None = None) -> str:
    return {"fr": "fr_FR", "en": "en_GB"}[lang or language()]
