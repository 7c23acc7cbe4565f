"""Message catalogs: complete French, compiled .mo files up to date, and a CLI that speaks French
by default and English on request.

When a test here fails after a message changed: run `bash scripts/i18n.sh`, translate the empty
entries of cigales/locale/fr/LC_MESSAGES/cigales.po, run the script again, commit the .po/.mo.
"""

from __future__ import annotations

import functools
import gettext
import io
import json
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from babel.messages import catalog as babel_catalog
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from cigales import i18n

ROOT = Path(__file__).resolve().parents[1]
LOCALE_DIR = ROOT / "cigales" / "locale"
LANGUAGES = ("fr", "en")
TYPER_PO = LOCALE_DIR / "click_fr.po"
TODAY = "2026-11-22"


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "cigales.po"


def read_catalog(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def msgid_key(message: str | tuple[str, ...]) -> str:
    return message if isinstance(message, str) else message[0]


@functools.cache
def extracted_msgids() -> dict[str, list[str]]:
    """Every message the code marks (babel.cfg), with the files it comes from."""
    cfg = ROOT / "babel.cfg"
    with cfg.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, str(cfg))
    found: dict[str, list[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.setdefault(msgid_key(message), []).append(filename)
    return found


def typer_msgids() -> dict[str, str]:
    """The msgids the installed Typer looks up through the standard gettext module."""
    package = Path(typer.__file__).parent
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        if "from gettext import gettext as _" not in path.read_text(encoding="utf-8"):
            continue
        for _lineno, message, _comments, _context in extract_from_file(
            "python", path, keywords={"_": None}
        ):
            found[msgid_key(message)] = str(path.relative_to(package.parent))
    return found


def placeholders(text: str) -> set[str]:
    """The replacement fields of a str.format() template, e.g. {"{slug}", "{name!r}"}."""
    fields = set()
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            fields.add("{" + name + (f"!{conversion}" if conversion else "")
                       + (f":{spec}" if spec else "") + "}")
    return fields


def strings(message: Message) -> list[str]:
    value = message.string
    return list(value) if isinstance(value, (list, tuple)) else [value]


def ids(message: Message) -> list[str]:
    value = message.id
    return list(value) if isinstance(value, (list, tuple)) else [value]


# --- (a) every message has a French translation with the same placeholders --------------------


def test_extraction_finds_the_code_messages() -> None:
    found = extracted_msgids()
    # One message per marker kind, so that a broken babel.cfg cannot pass the tests below.
    assert "There is no club “{slug}”; known clubs: {known}." in found  # N_() in cigales/
    assert "The entry does not balance" in " ".join(found)  # N_() in ledger/
    assert "Trial balance of {club} as of {date}" in found  # _() in cigales/cli/


def test_every_code_message_has_a_french_translation() -> None:
    fr = read_catalog(po_path("fr"), "fr")
    missing = []
    for msgid, files in sorted(extracted_msgids().items()):
        entry = fr.get(msgid)
        if entry is None or entry.fuzzy or not all(s.strip() for s in strings(entry)):
            missing.append(f"{msgid!r} ({', '.join(sorted(set(files)))})")
    assert not missing, (
        "messages without French translation (run `bash scripts/i18n.sh`, translate them in "
        "cigales/locale/fr/LC_MESSAGES/cigales.po, run it again):\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogs_are_updated_from_the_code(lang: str) -> None:
    catalog = read_catalog(po_path(lang), lang)
    absent = sorted(m for m in extracted_msgids() if catalog.get(m) is None)
    assert not absent, f"not in {lang}/cigales.po, run `bash scripts/i18n.sh`: {absent}"


def test_french_translations_keep_the_placeholders() -> None:
    fr = read_catalog(po_path("fr"), "fr")
    wrong = []
    for message in fr:
        if not message.id or not any(strings(message)):
            continue
        expected = set().union(*(placeholders(i) for i in ids(message)))
        try:
            got = set().union(*(placeholders(s) for s in strings(message) if s))
        except ValueError as exc:  # unbalanced braces: str.format() would fail at run time
            wrong.append(f"{message.id!r}: {exc}")
            continue
        if got != expected:
            wrong.append(f"{message.id!r}: expected {sorted(expected)}, got {sorted(got)}")
    assert not wrong, "\n".join(wrong)


def test_typer_strings_are_translated() -> None:
    """Typer's own gettext lookups (help panels, the error box) all have French."""
    reference = read_catalog(TYPER_PO, "fr")
    fr = read_catalog(po_path("fr"), "fr")
    found = typer_msgids()
    assert "Commands" in found, "Typer no longer uses gettext? check scripts/i18n.sh notes"
    untranslated = [
        f"{msgid!r} ({where})" for msgid, where in sorted(found.items())
        if not (reference.get(msgid) and reference[msgid].string)
    ]
    assert not untranslated, (
        "Typer strings missing from cigales/locale/click_fr.po (add them with a French "
        "msgstr, then run `bash scripts/i18n.sh`):\n" + "\n".join(untranslated)
    )
    stale = [m.id for m in reference if m.id and (fr.get(m.id) is None
                                                  or fr[m.id].string != m.string)]
    assert not stale, f"fr/cigales.po differs from click_fr.po, run scripts/i18n.sh: {stale}"


def test_typer_constants_follow_the_language() -> None:
    """typer.rich_utils translates its titles once, at import: cigales.i18n translates them
    again at each change of language, so a process that imported Typer in English and then
    runs a French command shows a French error box (and the other way round)."""
    source = (Path(typer.__file__).parent / "rich_utils.py").read_text(encoding="utf-8")
    constants = dict(re.findall(r'^([A-Z_]+) = _\("(.*)"\)$', source, re.MULTILINE))
    assert constants == i18n.TYPER_CONSTANTS  # every one, as Typer writes it
    script = (
        "import gettext; from cigales import i18n\n"
        "i18n.set_language('en')\n"
        "from typer import rich_utils\n"
        "english = rich_utils.ERRORS_PANEL_TITLE, rich_utils.RICH_HELP\n"
        "i18n.set_language('fr')\n"
        "import json; print(json.dumps([english,\n"
        "    (rich_utils.ERRORS_PANEL_TITLE, rich_utils.RICH_HELP)]))\n"
        "assert all(getattr(rich_utils, n) == gettext.gettext(m)\n"
        "           for n, m in i18n.TYPER_CONSTANTS.items())\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            encoding="utf-8", cwd=ROOT, timeout=60, check=False,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    help_text = i18n.TYPER_CONSTANTS["RICH_HELP"]
    french = read_catalog(po_path("fr"), "fr")[help_text].string
    assert french.startswith("Essayez")
    assert json.loads(result.stdout) == [["Error", help_text], ["Erreur", french]]


# --- (b) the committed .mo files are the compiled .po files ---------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_mo_files_are_up_to_date(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    mo_path = po_path(lang).with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run `bash scripts/i18n.sh`"
    committed = mo_path.read_bytes()
    # The .mo header names the Babel that wrote it; compile with the same name, so that a
    # newer Babel in the test environment does not count as a stale catalog.
    generated_by = gettext.GNUTranslations(io.BytesIO(committed)).info().get("generated-by", "")
    if generated_by.startswith("Babel "):
        monkeypatch.setattr(babel_catalog, "VERSION", generated_by.removeprefix("Babel "))
    fresh = io.BytesIO()
    write_mo(fresh, read_catalog(po_path(lang), lang))  # what `pybabel compile` does
    assert fresh.getvalue() == committed, (
        f"{mo_path.relative_to(ROOT)} is not the compiled {po_path(lang).name}: "
        "run `bash scripts/i18n.sh`"
    )


def test_compiled_french_catalog_is_what_gettext_loads() -> None:
    translations = gettext.translation("cigales", str(LOCALE_DIR), languages=["fr"])
    assert translations.gettext("Debit") == "Débit"
    assert translations.gettext("Commands") == "Commandes"


# --- (c) the CLI speaks French by default, English on request --------------------------------

ENTRY_FOR_UNKNOWN_CLUB = ("entry", "add", "--club", "nope", "--date", "2024-01-01",
                          "--label", "x", "--line", "5121=1", "--line", "7680=-1")


def run_cli(*args: str, lang_env: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"CIGALES_LANG", "CIGALES_DB", "LANGUAGE", "LC_ALL", "LC_MESSAGES",
                        "LANG", "FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS"}}
    env.update(CIGALES_TODAY=TODAY, NO_COLOR="1", COLUMNS="200", TERMINAL_WIDTH="200",
               _TYPER_FORCE_DISABLE_TERMINAL="1", PYTHONIOENCODING="utf-8",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])))
    if lang_env is not None:
        env["CIGALES_LANG"] = lang_env
    return subprocess.run([sys.executable, "-m", "cigales", *args], capture_output=True,
                          text=True, encoding="utf-8", env=env, cwd=ROOT, timeout=120,
                          check=False)


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "i18n.db")


def test_errors_are_french_by_default(db_path: str) -> None:
    result = run_cli("--db", db_path, *ENTRY_FOR_UNKNOWN_CLUB)
    assert result.returncode == 1, result.stderr
    assert "Il n’existe aucun club" in result.stderr
    assert "nope" in result.stderr
    assert "There is no club" not in result.stderr


@pytest.mark.parametrize("option", [("--lang", "en"), ("--lang=en",)])
def test_errors_are_english_with_lang_option(db_path: str, option: tuple[str, ...]) -> None:
    result = run_cli(*option, "--db", db_path, *ENTRY_FOR_UNKNOWN_CLUB)
    assert result.returncode == 1, result.stderr
    assert "There is no club “nope”" in result.stderr


def test_errors_are_english_with_cigales_lang(db_path: str) -> None:
    result = run_cli("--db", db_path, *ENTRY_FOR_UNKNOWN_CLUB, lang_env="en")
    assert result.returncode == 1, result.stderr
    assert "There is no club “nope”" in result.stderr


def test_lang_option_wins_over_cigales_lang(db_path: str) -> None:
    result = run_cli("--lang", "fr", "--db", db_path, *ENTRY_FOR_UNKNOWN_CLUB, lang_env="en")
    assert result.returncode == 1, result.stderr
    assert "Il n’existe aucun club" in result.stderr


def test_usage_errors_use_french_typer_text(db_path: str) -> None:
    result = run_cli("--db", db_path, "entry", "add", "--club", "nope")
    assert result.returncode == 2, result.stderr
    assert "Erreur" in result.stderr
    assert "Essayez" in result.stderr
    assert "cigales entry add --help" in result.stderr
    assert "--date" in result.stderr


def test_usage_errors_in_english_on_request(db_path: str) -> None:
    result = run_cli("--lang", "en", "--db", db_path, "entry", "add", "--club", "nope")
    assert result.returncode == 2, result.stderr
    assert "Error" in result.stderr
    assert "Try" in result.stderr
    assert "Erreur" not in result.stderr


def test_unknown_command_is_french() -> None:
    result = run_cli("nosuch")
    assert result.returncode == 2, result.stderr
    assert "Commande 'nosuch' inconnue." in result.stderr


def test_help_is_french_by_default() -> None:
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    assert "Comptabilité et cycle de vie d’un club d’investissement solidaire" in result.stdout
    assert "Commandes" in result.stdout
    assert "États : balance générale" in result.stdout.replace("\u00a0", " ")

    sub = run_cli("entry", "add", "--help")
    assert sub.returncode == 0, sub.stderr
    assert "Date de l’opération" in sub.stdout
    assert "[obligatoire]" in sub.stdout
    assert "par défaut" in sub.stdout


def test_help_is_english_on_request() -> None:
    result = run_cli("--lang", "en", "--help")
    assert result.returncode == 0, result.stderr
    assert "Books and life cycle of a CIGALES solidarity investment club." in result.stdout
    assert "Commands" in result.stdout
    assert "Commandes" not in result.stdout
