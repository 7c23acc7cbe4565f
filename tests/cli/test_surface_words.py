"""What a treasurer reads, command by command: French words in French mode, English words in
English mode; no internal codes, no ISO dates and no dot decimals in human text.

Every command's ``--help`` is read in both languages, and every command's table output (and
its messages) is read on the demo club built by ``cigales demo``. JSON and ``--format csv``
are machine formats and keep codes, ISO dates and dot decimals: they are not checked here
(tests/cli/test_french_surface_cli.py checks that they do keep them).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cigales import i18n
from cigales.cli.entry import run
from tests import scratch

SLUG = "les-mesanges-du-vieux-port"  # the first club of `cigales demo` (seed 1)
CLUB = ("--club", SLUG)

# Codes and English words a French treasurer must never read (whole words, case-sensitive for
# the codes, which are lower case in the code base).
FRENCH_FORBIDDEN = [
    "slug", "phase_ends", "life_ends", "share_method", "phase_label", "net_assets",
    "members_active", "result_allocation", "as_of", "investment", "equity", "honour",
    "shareholder", "held", "late", "written_off", "written off", "exited", "repaid",
    "recorded", "already_recorded", "imported", "unchanged", "bank fees", "left",
    "carry_forward", "current", "active", "revoked", "skipped", "pending",
    "Show this message", "Usage:", "COMMAND", "ARGS", "<str>", "<bool>", "<int>", "<float>",
    "True", "False", "None", "Error", "paid", "due", "(s)",
]
# In help pages, the values to type (prorata, carry_forward, bank_fees) are shown as typed:
# the check is on the words around them.
FRENCH_HELP_FORBIDDEN = [
    "Show this message", "Usage:", "COMMAND", "ARGS", "FILE", "TEXT", "INTEGER",
    "<str>", "<bool>", "<int>", "<float>", "<path>", "required", "default", "slug",
]
ENGLISH_HELP_FORBIDDEN = ["Afficher", "Utilisation", "COMMANDE", "FICHIER", "TEXTE", "ENTIER",
                          "obligatoire", "par défaut", "Identifiant"]
# French words an English reader must never read.
# (Account labels, entry labels and bank file columns are the club's data, in French.)
ENGLISH_FORBIDDEN = [
    "détenu", "en retard", "enregistré", "importé", "Épargne", "Membre", "Quote-part",
    "fichier", "Afficher", "Utilisation", "au prorata", "Attente", "Écriture", "(s)",
]
ISO_DATE = re.compile(r"(?<![\w/-])\d{4}-\d{2}-\d{2}(?![\w-])")
# "192.50", "0.384615", "1.0000": a number with a dot decimal (not a version like "0012").
DOT_DECIMAL = re.compile(r"(?<![\w.])-?\d+\.\d+(?![\w.])")
# Words inside file names, e-mail addresses, URLs and slugs are data, not prose.
# (An example of what to type, "e.g. 2025-03-31", is input syntax too.)
DATA = re.compile(r"e\.g\. \d{4}-\d{2}-\d{2}|«[^»]*»|“[^”]*”|\S+@\S+|https?://\S+|sqlite:///\S*|postgresql\S*|\$\w+|\S+\.(?:toml|csv|"
                  r"ofx|xml|pdf|xlsx|json|db|txt|beancount|journal)\b|\b(?=[a-z0-9-]*[a-z])[a-z0-9]+(?:-[a-z0-9]+)+"
                  r"\b|\b[a-z]+_[a-z_]+\b(?=\])|--[a-z0-9-]+")


def prose(text: str) -> str:
    """The words people read: data (addresses, paths, slugs, option names) taken out."""
    return DATA.sub(" ", text.replace("\u202f", " ").replace("\u00a0", " "))


def problems(text: str, forbidden: list[str], *, where: str, dots: bool = False) -> list[str]:
    """What is wrong in ``text``; ``dots``: the language writes decimals with a dot
    (English), so only ISO dates are wrong among the numbers."""
    found = []
    words = prose(text)
    for word in forbidden:
        # Words are whole words; "<str>", "(s)" are found anywhere.
        match = re.search(rf"(?<![\w<-]){re.escape(word)}(?![\w>-])", words)
        at = match.start() if match else words.find(word) if not word[0].isalnum() else -1
        if at >= 0:  # the line it is on, to tell where it came from
            line = words[words.rfind("\n", 0, at) + 1:].split("\n", 1)[0]
            found.append(f"{where}: {word!r} in {line.strip()!r}")
    checks = [(ISO_DATE, "ISO date")] + ([] if dots else [(DOT_DECIMAL, "dot decimal")])
    for pattern, what in checks:
        for match in pattern.finditer(words):
            found.append(f"{where}: {what} {match.group(0)!r}")
    return found


# Clubs are named by their name in titles and messages; their slug is an identifier, kept
# where one is typed or read by a program: an option's value (`--club les-fourmis`), a file
# name, an e-mail address, the identifier column of a table.
SLUGS = (SLUG, "les-loriots")
TABLE_LINE = re.compile(r"^\s*[│┃┏┡┗└╇┣╭╰║]")
IDENTIFIER = re.compile(r"--club[ =]\S+|`[^`]*`|\S+@\S+|\S*/\S*|\S+\.(?:pdf|json|db|csv|xlsx|"
                        r"txt|journal|beancount|pem)\b")


def slugs_in_prose(text: str, *, where: str) -> list[str]:
    """Titles and messages that name a club by its slug instead of its name: every line
    outside a table's cells (titles are above the table) with the identifiers taken out."""
    found = []
    for line in text.splitlines():
        # A refusal about the identifier typed ("A club “les-loriots” already exists") names it.
        if TABLE_LINE.match(line) or line.rstrip().endswith(("[club_exists]",
                                                             "[unknown_club]")):
            continue
        words = IDENTIFIER.sub(" ", line)
        found += [f"{where}: slug {slug!r} in {line.strip()!r}" for slug in SLUGS
                  if slug in words]
    return found


def all_commands() -> list[list[str]]:
    """Every leaf command of the application, as its words ("bank import", ...)."""
    from typer import _click as click
    from typer.main import get_command

    from cigales.cli.app import build_app

    i18n.set_language("en")
    root = get_command(build_app())
    ctx = click.Context(root)
    found: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):  # type: ignore[attr-defined]
                walk(cmd.get_command(ctx, name), [*path, name])  # type: ignore[attr-defined]
        else:
            found.append(path)

    walk(root, [])
    return found


COMMANDS = all_commands()


def test_the_command_list_is_complete():
    names = {" ".join(c) for c in COMMANDS}
    assert {"member list", "bank import", "tax sheet", "portfolio", "report balance",
            "club show", "backup", "restore", "federation import"} <= names
    assert len(names) > 80


# Command names stay English (scripts use them): the usage line and the command panel
# show them as they are.
COMMAND_NAMES = re.compile(r"cigales(?: [a-z][a-z0-9-]*)*|(?<=│ )[a-z][a-z0-9-]*(?= )")


HELP_LOOP = """
import sys
from cigales.cli.entry import run
from tests import scratch
for line in sys.stdin:
    words = line.split()
    print("=== " + " ".join(words), flush=True)
    code = run(["--lang", sys.argv[1], *words, "--help"])
    print(f"=== exit {code}", flush=True)
"""


def help_pages(lang: str) -> dict[str, str]:
    """Every help page, read in a fresh interpreter: Typer reads its own strings in the
    language of the moment it is imported, as it does when a person runs the program."""
    commands = "\n".join(" ".join(c) for c in [[], *COMMANDS]) + "\n"
    env = {**os.environ, "COLUMNS": "100", "CIGALES_LANG": ""}
    done = subprocess.run([sys.executable, "-c", HELP_LOOP, lang], input=commands, env=env,
                          capture_output=True, text=True, check=True, timeout=300)
    pages: dict[str, str] = {}
    for block in done.stdout.split("=== ")[1:]:
        head, _, body = block.partition("\n")
        if head.startswith("exit "):
            assert head == "exit 0", head
            continue
        pages[head or "cigales"] = body
    assert len(pages) == len(COMMANDS) + 1
    return pages


@pytest.mark.parametrize(("lang", "forbidden"), [("fr", FRENCH_HELP_FORBIDDEN),
                                            ("en", ENGLISH_HELP_FORBIDDEN)])
def test_every_help_reads_in_the_language(lang, forbidden):
    found: list[str] = []
    for where, page in help_pages(lang).items():
        found += problems(COMMAND_NAMES.sub(" ", page), forbidden, where=where,
                          dots=lang == "en")
    assert not found, "\n".join(found)


def test_help_names_the_values_in_the_language():
    french = help_pages("fr")
    assert "Utilisation" in french["restore"]
    assert "FICHIER" in french["restore"]
    assert "Afficher ce message et quitter." in french["restore"]
    assert "TEXTE" in french["member add"]
    assert "--yes  " in french["restore"]
    assert "<bool>" not in french["restore"]
    english = help_pages("en")
    assert "Usage:" in english["restore"]
    assert "FILE" in english["restore"]
    assert "Show this message and exit." in english["restore"]


# -- table outputs on the demo club ----------------------------------------------------------

def build_demo(engine: Engine) -> None:
    """One demo club, written by `cigales demo`, whose summary is read like every output."""
    url = engine.url.render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder), \
            contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()) as err:
        code = run(["--db", url, "demo", "--clubs", "1", "--no-reports"])
    summary = err.getvalue()
    assert code == 0, summary
    # Its summary counts the way people write them: "1 003 écritures", not "1003".
    assert re.search(r"\b\d[\u202f\u00a0 ]\d{3} écritures", summary), summary
    assert not problems(summary, FRENCH_FORBIDDEN, where="demo")
    assert "trésorier de" in summary  # the demo accounts' roles in words
    assert not slugs_in_prose(summary, where="demo"), summary


@pytest.fixture
def demo_cli(cli, database_url, tmp_path, monkeypatch) -> object:
    monkeypatch.chdir(tmp_path)
    scratch.fill(database_url, build_demo)  # built once per process, then copied
    return cli


def read_commands(tmp: Path, sqlite: bool = True) -> list[list[str] | tuple[list[str], int]]:
    """Every command that shows something without changing the books, with its arguments."""
    return [
        ["club", "list"], ["club", "show", *CLUB], ["portfolio", *CLUB],
        ["account", "list", *CLUB], ["member", "list", *CLUB],
        ["saving", "arrears", *CLUB], ["report", "balance", *CLUB],
        ["report", "positions", *CLUB], ["report", "ledger", *CLUB, "--account", "5121",
                                          "--from", "2025-01-01"],
        ["report", "journal", *CLUB, "--from", "2025-06-01"],
        ["loan", "arrears", *CLUB], ["loan", "schedule", *CLUB, "--loan", "9"],
        ["tax", "sheet", *CLUB, "--year", "2023"], ["tax", "sheet", *CLUB, "--year", "2025"],
        ["bank", "suspense", *CLUB], ["bank", "ibans", *CLUB], ["bank", "profiles"],
        ["check", *CLUB], ["web", "users"], ["db", "status"],
        ["federation", "report", "--year", "2025"],
        ["member", "export", *CLUB, "--member", "M01", "-o", str(tmp / "m01.json")],
        ["report", "agm", *CLUB, "--year", "2025", "-o", str(tmp / "agm.pdf")],
        ["report", "statement", *CLUB, "--year", "2025", "-o", str(tmp / "st")],
        ["report", "statement", *CLUB, "--year", "2025", "--email", "--dry-run"],
        ["export", "fec", *CLUB, "--year", "2025", "-o", str(tmp / "fec.txt")],
        ["export", "xlsx", *CLUB, "-o", str(tmp / "club.xlsx")],
        ["export", "csv", *CLUB, "-o", str(tmp / "club.csv")],
        ["export", "hledger", *CLUB, "-o", str(tmp / "club.journal")],
        ["export", "beancount", *CLUB, "-o", str(tmp / "club.beancount")],
        ["federation", "return", *CLUB, "--year", "2025", "-o", str(tmp / "ret.json")],
        ["club", "switchover-template", "-o", str(tmp / "template.xlsx")],
        # On PostgreSQL backup refuses (pg_dump is the tool there): its message is read too.
        ["backup", "-o", str(tmp / "copy.db")] if sqlite else
        (["backup", "-o", str(tmp / "copy.db")], 1),
    ]


def write_commands(tmp: Path) -> list[list[str] | tuple[list[str], int]]:
    """Commands that change the books, in an order that works on the demo club."""
    bank = tmp / "releve.csv"
    bank.write_text("Date;Libellé;Débit;Crédit\n02/11/2026;FRAIS TENUE DE COMPTE;3,50;\n"
                    "03/11/2026;VIR SEPA INCONNU;;12,00\n", encoding="utf-8")
    return [
        ["club", "create", "les-loriots", "--name", "Les Loriots", "--founded", "2026-01-10",
         "--region", "Bretagne"],
        ["member", "add", "--club", "les-loriots", "--code", "L01", "--name", "Zoé Ébrard",
         "--joined", "2026-01-10", "--monthly", "30"],
        ["member", "edit", "--club", "les-loriots", "--member", "L01", "--monthly", "40",
         "--from", "2026-03"],
        ["saving", "collect", "--club", "les-loriots", "--month", "2026-02"],
        ["saving", "add", "--club", "les-loriots", "--member", "L01", "--date", "2026-03-05",
         "--amount", "40"],
        ["expense", "add", *CLUB, "--date", "2026-11-02", "--amount", "1,20",
         "--kind", "bank_fees", "--label", "Frais"],
        ["income", "add", *CLUB, "--date", "2026-11-02", "--amount", "0,20",
         "--kind", "bank_interest", "--label", "Intérêts"],
        ["entry", "add", *CLUB, "--date", "2026-11-03", "--label", "Frais",
         "--line", "6270=2", "--line", "5121=-2"],
        ["account", "add", *CLUB, "--code", "6270-1", "--label", "Frais de carte"],
        ["bank", "import", str(bank), *CLUB, "--profile", "fr-generic", "--dry-run"],
        ["bank", "import", str(bank), *CLUB, "--profile", "fr-generic", "--yes"],
        (["bank", "reconcile", *CLUB, "--date", "2026-11-03", "--balance", "0"], 1),
        ["bank", "iban", *CLUB, "--member", "M01", "--iban", "FR7630006000011234567890189"],
        # Refusals are read too: python-stdnum's reason, a phase rule, Click's messages.
        (["bank", "iban", *CLUB, "--member", "M02", "--iban", "FR7630006000011234567890188"],
         2),
        (["saving", "add", *CLUB, "--member", "M01", "--date", "2026-11-02", "--amount",
          "10"], 1),
        (["member", "list", *CLUB, "--as-of", "2026-13-01"], 2),
        (["member", "list", "--club"], 2),
        (["loan", "grant", *CLUB, "--investee", "garage-solidaire-roue-libre",
          "--date", "2026-11-04", "--principal", "500", "--instalments", "10"], 1),
        ["club", "liquidate", "--club", "les-loriots", "--date", "2026-11-05", "--dry-run"],
        ["federation", "import", str(tmp / "ret.json")],
        ["federation", "import", str(tmp / "ret.json")],
    ]


def run_all(cli, lang: str, forbidden: list[str], tmp: Path, *, first: bool,
            sqlite: bool = True) -> list[str]:
    """Run every command, return what reads wrong. On the ``first`` pass every command must
    do its job (exit code 0, or the refusal it is there for); the second pass meets the
    writes of the first, so refusals are expected and read like the rest."""
    tmp.mkdir()
    found: list[str] = []
    for item in [*read_commands(tmp, sqlite), *write_commands(tmp)]:
        words, expected = item if isinstance(item, tuple) else (item, 0)
        r = cli("--lang", lang, *words)
        where = " ".join(words[:3])
        found += problems(r.stdout + r.stderr, forbidden, where=where, dots=lang == "en")
        found += slugs_in_prose(r.stdout + r.stderr, where=where)
        if r.exit_code != expected and (first or r.exit_code not in (0, 1, 2)):
            found.append(f"{where}: exit code {r.exit_code}: {r.stderr}")
    return found


def test_every_table_reads_in_the_language_on_the_demo_club(demo_cli, database_url, tmp_path):
    # One demo club for both languages (building it takes a while); the second pass meets
    # the writes of the first one, whose refusals are read as well.
    sqlite = database_url.startswith("sqlite")
    french = run_all(demo_cli, "fr", FRENCH_FORBIDDEN, tmp_path / "fr", first=True,
                     sqlite=sqlite)
    english = run_all(demo_cli, "en", ENGLISH_FORBIDDEN, tmp_path / "en", first=False,
                      sqlite=sqlite)
    assert not french + english, "\n".join(french + english)


def test_club_show_and_shares_in_words(demo_cli):
    shown = demo_cli("club", "show", *CLUB).stdout
    for words in ("Identifiant", "Fin de la phase en cours", "au prorata des apports nets",
                  "report à nouveau (110/119)", "Membres actifs"):
        assert words in shown, words
    shares = demo_cli("member", "list", *CLUB).stdout.replace("\u00a0", " ")
    assert re.search(r"\b\d{1,2},\d{4} %", shares), shares
    data = demo_cli("club", "show", *CLUB, "--format", "json").json()
    assert (data["share_method"], data["result_allocation"]) == ("prorata", "carry_forward")
    csv_text = demo_cli("club", "show", *CLUB, "--format", "csv").stdout
    assert "share_method,prorata" in csv_text
    assert "phase_ends," in csv_text
    assert re.search(r"\b0\.\d{6}\b", demo_cli("member", "list", *CLUB, "--format",
                                               "csv").stdout)


# -- tables at 80 columns ----------------------------------------------------------------------

def test_main_tables_fit_80_columns(demo_cli, tmp_path, monkeypatch):
    """At 80 columns the main tables drop their least useful columns, never a key one, and
    no line is wider than the terminal; a wide terminal shows every column."""
    bank = tmp_path / "releve.csv"
    bank.write_text("Date;Libellé;Débit;Crédit\n02/11/2026;FRAIS TENUE DE COMPTE;3,50;\n"
                    "03/11/2026;VIR SEPA MME GAELLE NGUYEN COTISATION CLUB NOVEMBRE;;20,00\n",
                    encoding="utf-8")
    tables = {
        ("member", "list", *CLUB): ["Membre", "Nom", "Quote-part", "Valeur", "Gaëlle Nguyen"],
        ("portfolio", *CLUB): ["Instrument", "Coût", "Restant dû", "État", "détenu"],
        ("tax", "sheet", *CLUB, "--year", "2021"): ["Membre", "Base", "Réduction"],
        ("report", "balance", *CLUB): ["Compte", "Libellé", "Solde", "5121"],
        ("bank", "import", str(bank), *CLUB, "--profile", "fr-generic", "--dry-run"): [
            "Date", "Montant", "Libellé", "Proposition", "État"],
    }
    for words, key_words in tables.items():
        monkeypatch.setenv("COLUMNS", "80")
        narrow = demo_cli(*words)
        assert narrow.exit_code == 0, narrow.stderr
        lines = narrow.stdout.splitlines()
        assert max(len(line) for line in lines) <= 80, (words, narrow.stdout)
        for word in key_words:
            assert word in narrow.stdout, (words, word, narrow.stdout)
        monkeypatch.setenv("COLUMNS", "200")
        wide = demo_cli(*words).stdout
        # A wide terminal gets more: the columns left out at 80 come back.
        assert max(len(line) for line in wide.splitlines()) > 80, words
    monkeypatch.setenv("COLUMNS", "200")
    assert "Capital comptable" in demo_cli("member", "list", *CLUB).stdout
    monkeypatch.setenv("COLUMNS", "80")
    assert "Capital comptable" not in demo_cli("member", "list", *CLUB).stdout


BOX = re.compile(r"[\s│┃┏┓┗┛┡┩┳┻╇━─└┘┌┐├┤┼╋]+")


def whole_words(text: str) -> set[str]:
    """What a reader may see of the words of ``text`` on one line: each word, and each run of
    its hyphenated parts ("le-fournil-" of "le-fournil-des-deux-rives")."""
    allowed: set[str] = set()
    for word in BOX.split(text):
        parts = re.split(r"(?<=[^\W_]-)(?=[^\W_])", word)
        allowed |= {"".join(parts[i:j]) for i in range(len(parts))
                    for j in range(i + 1, len(parts) + 1)}
    return allowed


def cut_words(narrow: str, wide: str) -> list[str]:
    """Words of the narrow table that are no word (or hyphen-run) of the wide one."""
    allowed = whole_words(wide)
    return sorted({w for w in BOX.split(narrow) if w and w not in allowed})


def test_no_word_is_cut_at_80_columns(demo_cli, tmp_path, monkeypatch):
    """At 80 columns text folds at spaces and after hyphens, never inside a word: every word
    of the narrow table is a word of the same table laid out wide (or a run of a hyphenated
    word's parts)."""
    bank = tmp_path / "releve.csv"
    bank.write_text("Date;Libellé;Débit;Crédit\n02/11/2026;FRAIS TENUE DE COMPTE;3,50;\n"
                    "03/11/2026;VIR SEPA MME GAELLE NGUYEN COTISATION CLUB NOVEMBRE "
                    "REFERENCE-MANDAT-2026-11-CIGALES-DU-VIEUX-PORT;;20,00\n",
                    encoding="utf-8")
    tables = [
        ("member", "list", *CLUB), ("portfolio", *CLUB),
        ("tax", "sheet", *CLUB, "--year", "2021"), ("report", "balance", *CLUB),
        ("report", "ledger", *CLUB, "--account", "5121", "--from", "2025-01-01"),
        ("loan", "arrears", *CLUB), ("report", "positions", *CLUB),
        ("bank", "import", str(bank), *CLUB, "--profile", "fr-generic", "--dry-run"),
    ]
    found = []
    for lang in ("fr", "en"):
        for words in tables:
            monkeypatch.setenv("COLUMNS", "80")
            narrow = demo_cli("--lang", lang, *words)
            assert narrow.exit_code == 0, narrow.stderr
            assert max(len(line) for line in narrow.stdout.splitlines()) <= 80, words
            monkeypatch.setenv("COLUMNS", "400")
            wide = demo_cli("--lang", lang, *words).stdout
            found += [f"{lang} {' '.join(words[:2])}: {w!r}"
                      for w in cut_words(narrow.stdout, wide)]
    assert not found, "\n".join(found)


def test_the_cut_word_check_sees_a_cut_word():
    wide = "│ le-fournil-des-deux-rives │ Remboursement prêt │"
    assert cut_words("│ le-fournil- │\n│ des-deux-  │\n│ rives │ Remboursement", wide) == []
    assert cut_words("│ le-fournil-des │\n│ -deux-rives │", wide) == [
        "-deux-rives", "le-fournil-des"]
    assert cut_words("│ Remboursemen │\n│ t prêt │", wide) == ["Remboursemen", "t"]
