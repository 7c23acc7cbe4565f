"""The quick read path of `report balance` (cigales.quick_read): the database driver alone.

* its statements (cigales/read_sql.py) are what SQLAlchemy compiles from ledger.trial and
  cigales.tables today;
* on random books (hypothesis: BQ/OD entries, reversals, an opening AN that counts, a
  closing's AN that does not, several clubs), at random dates and account prefixes (with the
  LIKE wildcards "%", "_" and the escape "/"), one club's and every club's trial balance are
  the Core path's (ledger.trial) and the postings' own sums (ledger.queries.*_from_postings);
* it steps aside (None) whenever the Core path must answer: another driver, a SQLite URL with
  options, a missing file, no server, a schema behind or foreign, an unknown club; and the
  command then says what it always said;
* the command prints the same thing both ways.
The figures and the output are compared on SQLite and on PostgreSQL (psycopg).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from cigales import db, migrate, quick_read
from cigales.cli.entry import run
from ledger import trial
from ledger.closing import carry_forward, close_year
from ledger.money import Money
from ledger.post import EntryDraft, Line, post_entries
from ledger.queries import trial_balance_all_from_postings, trial_balance_from_postings
from tests.conftest import BACKENDS
from tests.helpers import FOUNDED, make_club, post_random_book
from tests.scratch import ScratchDatabase

D = dt.date
ROOT = Path(__file__).resolve().parents[1]
ACCOUNTS = ("5121", "5122", "6270", "7680", "471", "110")
PREFIXES = (None, "", "5", "51", "5121", "6", "7", "47", "1", "9", "%", "_", "5_", "5%", "/")


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("compile_read_sql",
                                                  ROOT / "scripts" / "compile_read_sql.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_compiled_statements_are_those_sqlalchemy_compiles_today():
    generator = _generator()
    assert (ROOT / "cigales" / "read_sql.py").read_text(encoding="utf-8") == generator.render(), \
        "cigales/read_sql.py is out of date: run python scripts/compile_read_sql.py"
    from cigales.read_sql import STATEMENTS

    # One value per placeholder, and the arguments are the ones quick_read binds.
    assert set(STATEMENTS) == {"sqlite", "postgresql"}
    assert set(STATEMENTS["sqlite"]) == set(STATEMENTS["postgresql"])
    for dialect, placeholder in (("sqlite", "?"), ("postgresql", "%s")):
        for name, (sql, arguments) in STATEMENTS[dialect].items():
            assert sql.count(placeholder) == len(arguments), (dialect, name)
            assert {v for kind, v in arguments if kind == "argument"} <= {
                "book_id", "slug", "prefix_pattern", "as_of", "first_unkept_day"}, name
            # The same values in the same order on both databases.
            assert arguments == STATEMENTS["sqlite"][name][1], (dialect, name)
        found = STATEMENTS[dialect]
        assert ("argument", "first_unkept_day") in found["book_mid_month"][1]
        assert ("argument", "as_of") in found["book_mid_month"][1]
        assert ("argument", "as_of") not in found["book_month_end"][1]
        assert ("argument", "prefix_pattern") in found["all_month_end_prefix"][1]


# -- the figures, both ways ----------------------------------------------------------------------

def days(start: dt.date, end: dt.date) -> st.SearchStrategy[dt.date]:
    return st.integers(0, (end - start).days).map(lambda n: start + dt.timedelta(days=n))


entry_lines = st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS),
                        st.integers(1, 500_000)).filter(lambda t: t[0] != t[1])
# The first of a month: a cut-off where the postings read one by one are a single day's.
firsts = st.integers(2021, 2023).flatmap(lambda y: st.integers(1, 12).map(
    lambda mo: D(y, mo, 1))).filter(lambda d: d >= FOUNDED)
drafts = st.lists(st.tuples(st.one_of(days(FOUNDED, D(2023, 12, 31)), firsts),
                            st.sampled_from(("BQ", "OD")), entry_lines), min_size=1, max_size=25)
# Month ends (kept months only), firsts and other days (the postings since the 1st as well).
as_of_dates = st.one_of(
    days(FOUNDED - dt.timedelta(days=40), D(2024, 3, 1)), firsts,
    st.integers(2021, 2024).flatmap(lambda y: st.integers(1, 12).map(
        lambda mo: (D(y, mo, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1))))


@pytest.fixture(scope="module", params=BACKENDS)
def shared(request: pytest.FixtureRequest) -> Iterator[tuple[Engine, str]]:
    """One database for every hypothesis example (a new club each, so `--all` grows)."""
    scratch = ScratchDatabase(request.param, prefix="quick", migrated=True)
    engine = db.make_engine(scratch.url)
    migrate.ensure_ready(engine)
    yield engine, scratch.url
    engine.dispose()
    scratch.drop()


_clubs = itertools.count()


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(written=drafts, opening=st.booleans(), close=st.booleans(),
       reversed_count=st.integers(0, 3),
       dates=st.lists(as_of_dates, min_size=2, max_size=5),
       prefixes=st.lists(st.sampled_from(PREFIXES), min_size=1, max_size=4))
def test_random_books_read_the_same_both_ways(
        shared: tuple[Engine, str], written: list[tuple[dt.date, str, tuple[str, str, int]]],
        opening: bool, close: bool, reversed_count: int, dates: list[dt.date],
        prefixes: list[str | None]) -> None:
    engine, url = shared
    slug = f"quick-{next(_clubs)}"
    club = make_club(engine, slug)
    book = club.book_id
    with db.session_scope(engine) as s:
        post_random_book(s, book, written, opening=opening, reversed_count=reversed_count)
    if close:  # the closing's à-nouveaux (1 January 2022) do not count
        with db.session_scope(engine) as s:
            close_year(s, book, 2021, allocation=carry_forward("110", "119"))
    for as_of, prefix in itertools.product(dates, prefixes):
        one = quick_read.trial_balance(url, slug, as_of, prefix)
        every = quick_read.trial_balance(url, None, as_of, prefix)
        assert one is not None
        assert every is not None
        with db.read_scope(engine) as conn:
            assert one == (trial.trial_balance(conn, book, as_of, prefix), "Les Fourmis")
            assert every == (trial.trial_balance_all(conn, as_of, prefix), None)
        with db.session_scope(engine, write=False) as s:
            assert one[0] == trial_balance_from_postings(s, book, as_of, prefix), (as_of, prefix)
            assert every[0] == trial_balance_all_from_postings(s, as_of, prefix), (as_of, prefix)
        if prefix in ("%", "_", "5_", "5%", "/", "9"):  # wildcards match themselves only
            assert one[0].accounts == ()
            assert every[0].accounts == ()


def test_the_command_prints_the_same_both_ways(database_url, capsys, monkeypatch):
    assert run(["--db", database_url, "example", "--format", "json"]) == 0
    capsys.readouterr()
    outputs = {}
    for way in ("quick", "core"):
        if way == "core":  # the Core path, as for a database the quick path does not read
            monkeypatch.setattr(quick_read, "trial_balance", lambda *_args: None)
        else:
            assert quick_read.trial_balance(database_url, "les-fourmis", D(2026, 11, 22),
                                            None) is not None
        for argv in (["--club", "les-fourmis"], ["--all"], ["--club", "les-fourmis",
                                                            "--account", "5"],
                     ["--all", "--as-of", "2022-06-30"], ["--club", "les-fourmis",
                                                          "--as-of", "2022-06-15"]):
            for form in ("table", "json", "csv"):
                assert run(["--db", database_url, "report", "balance", *argv, "--format",
                            form]) == 0
                outputs[(way, tuple(argv), form)] = capsys.readouterr().out
    for (way, argv, form), printed in outputs.items():
        if way == "quick":
            assert printed == outputs[("core", argv, form)], (argv, form)
    found = json.loads(outputs[("quick", ("--club", "les-fourmis"), "json")])
    assert found["total_debit"] == found["total_credit"] != "0.00"


# -- when the Core path answers ------------------------------------------------------------------

@pytest.fixture
def club_file(tmp_path: Path) -> Iterator[tuple[Path, Engine]]:
    path = tmp_path / "club.db"
    engine = db.make_engine(str(path))
    migrate.ensure_ready(engine)
    club = make_club(engine)
    with db.session_scope(engine) as s:
        post_entries(s, club.book_id, [EntryDraft("BQ", D(2022, 5, 1), "Frais", (
            Line("6270", Money(150)), Line("5121", Money(-150))))])
    yield path, engine
    engine.dispose()


def test_an_ordinary_file_is_read_quickly(club_file):
    path, _engine = club_file
    for url in (str(path), f"sqlite:///{path}"):
        found = quick_read.trial_balance(url, "les-fourmis", D(2026, 11, 22), None)
        assert found is not None
        tb, name = found
        assert name == "Les Fourmis"
        assert tb.total_debit == Money(150)


def test_the_quick_path_steps_aside_for_the_core_path(club_file, tmp_path):
    path, engine = club_file
    day = D(2026, 11, 22)
    assert quick_read.trial_balance(str(path), "nobody", day, None) is None
    assert quick_read.trial_balance(str(tmp_path / "missing.db"), None, day, None) is None
    assert not (tmp_path / "missing.db").exists()  # looking created nothing
    assert quick_read.trial_balance(str(tmp_path), None, day, None) is None  # a folder
    assert quick_read.trial_balance(f"sqlite:///{path}?timeout=5", None, day, None) is None
    assert quick_read.trial_balance("postgresql+asyncpg://postgres@127.0.0.1/test", None, day,
                                    None) is None  # another driver
    assert quick_read.trial_balance("postgresql://postgres@127.0.0.1:1/test", None, day,
                                    None) is None  # no server there
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("not a database", encoding="utf-8")
    assert quick_read.trial_balance(str(not_a_database), None, day, None) is None
    with engine.begin() as conn:  # a schema behind the packaged head
        conn.execute(text("UPDATE alembic_version SET version_num = '0001_initial'"))
    assert quick_read.trial_balance(str(path), None, day, None) is None


def test_the_core_path_gives_its_usual_messages(club_file, tmp_path, capsys):
    path, engine = club_file
    assert run(["--lang", "en", "--db", str(path), "report", "balance", "--club",
                "nobody"]) == 1
    assert "There is no club “nobody”; known clubs: les-fourmis." in capsys.readouterr().err
    missing = tmp_path / "missing.db"
    assert run(["--lang", "en", "--db", str(missing), "report", "balance", "--all"]) != 0
    assert f"No cigales database at {missing}" in capsys.readouterr().err
    assert not missing.exists()
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001_initial'"))
    before = path.read_bytes()
    assert run(["--lang", "en", "--db", str(path), "report", "balance", "--all"]) != 0
    err = capsys.readouterr().err
    assert "0001_initial" in err, err
    assert migrate.head() in err, err
    assert path.read_bytes() == before  # reading changed nothing
