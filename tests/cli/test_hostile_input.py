"""Every CLI command, fed random and hostile values: never a traceback, never a half write.

Each example runs every command of the program once (walked from the Click tree, so a new
command is covered without touching this file) with values drawn for its options: huge and
negative numbers, text with control characters, escape sequences and NUL bytes, very long
text, odd dates, and now and then a plausible value so that commands get past their first
check. Whatever the values, the command must either succeed, or exit 1, 2 or 3 with a
bracketed rule code and leave every table exactly as it was. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer import _click as click
from typer.main import get_command

from cigales.cli.app import build_app
from tests.cli.conftest import snapshot

# demo generates up to 1,000 clubs with their papers: minutes per run, and nothing it reads
# comes from outside (its two numbers are bounded like every other integer).
# serve, given valid values, listens until it is stopped: its bad values are named cases below.
SKIPPED = {("demo",), ("serve",)}

HUGE_NUMBERS = ["99999999999999999999", "-99999999999999999999", "2147483648", "-1", "0",
                "1e9", "1" * 400]
NASTY_TEXT = ["\x1b[31mrouge\x1b[0m", "nul\x00byte", "a\tb", "ligne\nsuivante", "\x7f",
              "\u202eevil", "=1+1", "é" * 5000, "x" * 301, "", " ", "'; DROP TABLE entry; --",
              "../../etc/passwd", "%s%n{0}", "🙂" * 70]
ODD_DATES = ["2025-02-30", "0000-01-01", "9999-12-31", "10000-01-01", "2025-13-01",
             "2025-1-1", "-2025-01-01", "2025-06-01T00:00", "hier"]
PLAUSIBLE = ["les-fourmis", "M01", "2021-05-01", "2021", "2021-05", "BQ", "30,00", "5121=1",
             "6270", "json", "csv", "member", "bank_fees"]
PATH_PARAMS = {"output", "file", "files", "profile_dir", "rules"}
# Half of the time these get a value that exists, so that commands get past "unknown club"
# or "unknown member" and meet the hostile values of their other options.
REAL = {"club": "les-fourmis", "member": "M01", "date": "2021-05-01", "joined": "2021-05-01",
        "as_of": "2021-12-31", "journal": "BQ", "account": "6270"}


def leaf_commands() -> list[tuple[tuple[str, ...], Any]]:
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in sorted(subs.items()):
                walk(sub, (*path, name))
        elif path not in SKIPPED:
            found.append((path, command))

    root = get_command(build_app())
    ctx = click.Context(root)
    for name in root.list_commands(ctx):  # load the lazy command groups
        root.get_command(ctx, name)
    walk(root, ())
    return found


COMMANDS = leaf_commands()


def text_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY_TEXT + HUGE_NUMBERS + ODD_DATES + PLAUSIBLE),
        st.text(max_size=40),
        st.sampled_from(PLAUSIBLE).map(lambda v: v + "\x1b[2J"),
    )


def draw_args(data: st.DataObject, command: Any, tmp: Path) -> list[str]:
    args: list[str] = []
    for param in command.params:
        name = param.name or ""
        opts = param.opts or []
        is_option = bool(opts) and opts[0].startswith("-")
        annotation = param.type_descriptor.annotation
        if annotation is bool:
            if data.draw(st.booleans()):
                args.append(opts[0])
            continue
        if not param.required and not data.draw(st.booleans()):
            continue
        if name in PATH_PARAMS:
            hostile = tmp / "hostile.csv"
            values = [str(hostile), str(tmp / "sortie.out"), str(tmp / "absent" / "x"),
                      str(tmp), *NASTY_TEXT[:6]]
            value = data.draw(st.sampled_from(values))
        elif annotation is int:
            value = data.draw(st.one_of(st.sampled_from(HUGE_NUMBERS),
                                        st.integers().map(str)))
        elif name in REAL:
            value = data.draw(st.one_of(st.just(REAL[name]), text_values()))
        else:
            value = data.draw(text_values())
        if is_option:
            args += [opts[0], value]
        else:
            args.append(value)
    return args


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_command_refuses_hostile_values_cleanly(club_cli, database_url, tmp_path,
                                                      monkeypatch, data):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hostile.csv").write_bytes(
        b"Date;Libelle;Montant\n01/05/2021;\x1b[31mVIR\x00;99999999999999999999999,00\n"
         b'02/05/2021;"' + b"x" * 140_000 + b"\n")
    for path, command in COMMANDS:
        args = [*path, *draw_args(data, command, tmp_path)]
        before = snapshot(database_url)
        result = club_cli(*args)
        where = f"cigales {' '.join(map(repr, args))[:300]}"
        assert "Traceback" not in result.stderr + result.stdout, where
        if result.exit_code == 0:
            continue
        assert result.exit_code in (1, 2, 3), (where, result.exit_code, result.stderr[-500:])
        assert result.error_code is not None, (where, result.stderr[-500:])
        assert snapshot(database_url) == before, where


def test_the_walk_covers_the_whole_program():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"entry add", "entry reverse", "bank import", "federation import", "club create",
            "member erase", "export xlsx"} <= names
    assert len(names) >= 60


@pytest.mark.parametrize(("args", "code"), [
    (["entry", "add", "--club", "les-fourmis", "--date", "2021-05-01", "--label", "x",
      "--line", "5121=100000000000000000000", "--line", "471=-100000000000000000000"],
     "amount_too_large"),
    (["entry", "reverse", "--club", "les-fourmis", "--journal", "BQ",
      "--number", "99999999999999999999", "--date", "2021-05-01"], "number_out_of_range"),
    (["saving", "add", "--club", "les-fourmis", "--member", "M01", "--date", "2021-05-01",
      "--amount", "1000000000000,01"], "amount_too_large"),
    (["entry", "add", "--club", "les-fourmis", "--date", "2021-05-01", "--label", "x" * 301,
      "--line", "5121=1", "--line", "471=-1"], "text_too_long"),
    (["entry", "add", "--club", "les-fourmis", "--date", "2021-05-01",
      "--label", "a\x1b[2Jb", "--line", "5121=1", "--line", "471=-1"], "control_characters"),
    (["member", "add", "--club", "les-fourmis", "--code", "M09", "--name", "Nul\x00Byte",
      "--joined", "2021-05-01"], "control_characters"),
    (["club", "create", "x" * 65, "--name", "X", "--founded", "2021-01-01"], "text_too_long"),
    (["year", "close", "--club", "les-fourmis", "--year", "99999"], "number_out_of_range"),
    (["serve", "--port", "70000"], "number_out_of_range"),
    (["serve", "--port", "0"], "number_out_of_range"),
    (["serve", "--host", "nul\x01"], "control_characters"),
    (["serve", "--host", "no-such-host.invalid"], "host_unknown"),
])
def test_named_refusals(club_cli, database_url, args, code):
    before = snapshot(database_url)
    result = club_cli(*args)
    assert (result.exit_code, result.error_code) == (2, code), result.stderr
    assert snapshot(database_url) == before
