"""Regional roles on a shared PostgreSQL server (issue #14, item 5), proved by connecting as
a real role: a region's role reads its own region's aggregates, and nothing of another region
— neither through the views nor from the tables — and small cells are withheld.

Three clubs: two in Bretagne (one with four members, one with two), one in Occitanie. The
region role of Bretagne connects with raw SQL (and, for one test, SET ROLE from the owner).

Skipped without CIGALES_TEST_PG_URL (CI always sets it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from cigales import db, migrate
from cigales.federation import access
from tests.federation.test_access_pg import (
    INSUFFICIENT_PRIVILEGE,
    PG_URL,
    UNDEFINED_TABLE,
    Roles,
    cli,
    connected,
    refused,
)
from tests.helpers import TODAY
from tests.scratch import ScratchDatabase

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CIGALES_TEST_PG_URL)")

FOUNDED = "2021-03-15"
BRETAGNE, OCCITANIE = "Bretagne", "Occitanie"
CLUBS = {"bzh-grand": BRETAGNE, "bzh-petit": BRETAGNE, "oc-sud": OCCITANIE}
K = access.SMALL_CELL_MIN_MEMBERS


def _build(url: str) -> None:
    def run(*args: str) -> None:
        assert cli(url, *args) == 0, args

    for slug, region in CLUBS.items():
        run("club", "create", slug, "--name", f"Club {slug}", "--founded", FOUNDED,
            "--region", region)
    # bzh-grand: four members; in 2021 three of them save, in 2022 only M01 does (one
    # person's savings: withheld), in 2023 nobody saves but the club pays fees (shown).
    for code in ("M01", "M02", "M03", "M04"):
        run("member", "add", "--club", "bzh-grand", "--code", code, "--name", f"Nom {code}",
            "--joined", FOUNDED)
    for code, amount in (("M01", "100"), ("M02", "200"), ("M03", "300")):
        run("saving", "add", "--club", "bzh-grand", "--member", code, "--date", "2021-04-05",
            "--amount", amount)
    run("saving", "add", "--club", "bzh-grand", "--member", "M01", "--date", "2022-04-05",
        "--amount", "450")
    run("entry", "add", "--club", "bzh-grand", "--date", "2023-02-01", "--label", "Frais",
        "--journal", "BQ", "--line", "6270=4,50", "--line", "5121=-4,50")
    # bzh-petit: two members only, every year withheld.
    for code in ("M01", "M02"):
        run("member", "add", "--club", "bzh-petit", "--code", code, "--name", f"Petit {code}",
            "--joined", FOUNDED)
        run("saving", "add", "--club", "bzh-petit", "--member", code, "--date", "2021-05-02",
            "--amount", "250")
    # oc-sud: three savers, another region.
    for code in ("M01", "M02", "M03"):
        run("member", "add", "--club", "oc-sud", "--code", code, "--name", f"Sud {code}",
            "--joined", FOUNDED)
        run("saving", "add", "--club", "oc-sud", "--member", code, "--date", "2021-06-01",
            "--amount", "1000")


@dataclass
class World:
    url: str
    engine: Engine
    roles: Roles
    bretagne: str  # granted --region Bretagne
    federation: str  # granted --federation, for comparison

    def owner_rows(self, view: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(f"SELECT * FROM {view}")).mappings()]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIGALES_TODAY", TODAY.isoformat())
        mp.delenv("CIGALES_DB", raising=False)
        mp.delenv("CIGALES_LANG", raising=False)
        scratch = ScratchDatabase("postgresql", prefix="reg", migrated=True)
        roles = Roles()
        engine = db.make_engine(scratch.url)
        try:
            migrate.ensure_ready(engine)
            _build(scratch.url)
            w = World(scratch.url, engine, roles, roles.create("bzh"), roles.create("fed"))
            assert cli(scratch.url, "federation", "grant", "--region", BRETAGNE,
                       "--role", w.bretagne) == 0
            assert cli(scratch.url, "federation", "grant", "--federation",
                       "--role", w.federation) == 0
            yield w
        finally:
            engine.dispose()
            roles.drop_all()
            scratch.drop()


def _rows(url: str, role: str, query: str) -> list[dict[str, Any]]:
    with connected(url, role) as conn:
        return [dict(r) for r in conn.execute(text(query)).mappings()]


# -- what a region role sees -----------------------------------------------------------------

def test_a_region_role_sees_its_regions_clubs_only(world):
    summary = _rows(world.url, world.bretagne, "SELECT * FROM region_club_summary")
    assert sorted(r["slug"] for r in summary) == ["bzh-grand", "bzh-petit"]
    # The same rows as the federation's view, for those clubs.
    everything = {r["slug"]: r for r in world.owner_rows("federation_club_summary")}
    assert {r["slug"] for r in everything.values()} == set(CLUBS)
    assert all(r == everything[r["slug"]] for r in summary)

    accounts = _rows(world.url, world.bretagne, "SELECT * FROM region_club_accounts")
    assert {r["slug"] for r in accounts} == {"bzh-grand", "bzh-petit"}
    assert {r["region"] for r in accounts} == {BRETAGNE}
    # Asking for the other region by name finds nothing: the filter is the view's own.
    for view in ("region_club_summary", "region_club_accounts"):
        assert _rows(world.url, world.bretagne,
                     f"SELECT * FROM {view} WHERE region = '{OCCITANIE}' "
                     "OR slug = 'oc-sud'") == []


def test_a_region_role_cannot_read_the_tables_or_the_federation_views(world):
    denied = (INSUFFICIENT_PRIVILEGE, UNDEFINED_TABLE)
    for table in [*access.CLUB_TABLES, access.ACCESS_TABLE, access.REGION_ACCESS_TABLE,
                  *access.FEDERATION_VIEWS, *access.FEDERATION_TABLES]:
        message = refused(world.url, world.bretagne, f"SELECT * FROM {table}", codes=denied)
        assert "permission denied" in message, table
    # Nor through SET ROLE from a session that could (the owner's): the policies and
    # privileges follow the current role.
    with world.engine.connect() as conn:
        trans = conn.begin()
        try:
            conn.execute(text(f"SET LOCAL ROLE {world.bretagne}"))
            slugs = conn.execute(text("SELECT slug FROM region_club_summary")).scalars().all()
            assert sorted(slugs) == ["bzh-grand", "bzh-petit"]
            savepoint = conn.begin_nested()
            with pytest.raises(Exception, match="permission denied"):
                conn.execute(text("SELECT * FROM club WHERE region = :r"), {"r": OCCITANIE})
            savepoint.rollback()
        finally:
            trans.rollback()


def test_a_leaky_function_of_the_role_never_sees_another_region(world):
    """security_barrier: the role's own condition runs after the view's region filter.

    A cheap function that reports its argument (RAISE NOTICE) is what a role would use to
    peek at rows before the view filters them out.
    """
    seen: list[str] = []
    with connected(world.url, world.bretagne) as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.add_notice_handler(lambda diag: seen.append(diag.message_primary or ""))
        conn.execute(text(
            "CREATE FUNCTION pg_temp.peek(x text) RETURNS boolean LANGUAGE plpgsql "
            "IMMUTABLE COST 0.0000001 AS $$ BEGIN RAISE NOTICE 'peek %', x; "
            "RETURN true; END $$"))
        for view in ("region_club_summary", "region_club_accounts"):
            conn.execute(text(f"SELECT * FROM {view} WHERE pg_temp.peek(slug)")).all()
            conn.execute(text(f"SELECT * FROM {view} WHERE pg_temp.peek(region)")).all()
    assert seen, "the function ran on no row: the test would prove nothing"
    peeked = {m.removeprefix("peek ") for m in seen}
    assert peeked <= {"bzh-grand", "bzh-petit", BRETAGNE}, peeked


# -- small cells -------------------------------------------------------------------------------

def _cells(rows: list[dict[str, Any]], slug: str) -> dict[tuple[int, str], dict[str, Any]]:
    return {(r["year"], r["account_class"]): r for r in rows if r["slug"] == slug}


def test_small_cells_are_withheld(world):
    region = _rows(world.url, world.bretagne, "SELECT * FROM region_club_accounts")
    full = world.owner_rows("federation_club_accounts")
    figures = ("debit_cents", "credit_cents", "balance_cents")

    # A club of two members: every figure of every year withheld, the rows still listed.
    petit = _cells(region, "bzh-petit")
    assert petit
    assert all(r["suppressed"] is True for r in petit.values())
    assert all(r[f] is None for r in petit.values() for f in figures)
    assert set(petit) == set(_cells(full, "bzh-petit"))

    grand, grand_full = _cells(region, "bzh-grand"), _cells(full, "bzh-grand")
    assert set(grand) == set(grand_full)
    for (year, klass), row in grand.items():
        # 2022: one member saved, so the year's class 1 is their saving, and the other classes
        # (which balance it) would give it away too: the whole year is withheld.
        withheld = year == 2022
        assert row["suppressed"] is withheld, (year, klass)
        for f in figures:
            expected = None if withheld else grand_full[(year, klass)][f]
            assert row[f] == expected, (year, klass, f)
    # What is shown is the real figure: three savings in 2021, fees in 2023 (nobody saved).
    assert grand[(2021, "1")]["credit_cents"] == 60000
    assert grand[(2023, "6")]["debit_cents"] == 450
    assert grand_full[(2022, "1")]["credit_cents"] == 45000


def test_the_threshold_is_the_documented_one():
    doc = Path(__file__).resolve().parents[2] / "docs" / "federation.md"
    text_ = doc.read_text(encoding="utf-8")
    assert K == 3
    assert f"fewer than {K} members" in text_


# -- grants, listing and revocation --------------------------------------------------------------

def test_grant_checks_region_and_scope(world, capsys):
    role = world.roles.create("other")
    cases = {
        ("--region", "Bretagnee", "--role", role): (1, "unknown_region"),
        ("--region", BRETAGNE, "--club", "bzh-grand", "--role", role): (2, "grant_scope_required"),
        ("--region", BRETAGNE, "--federation", "--role", role): (2, "grant_scope_required"),
        ("--region", BRETAGNE, "--role", "Not A Role"): (2, "invalid_role_name"),
    }
    for args, (code, rule) in cases.items():
        capsys.readouterr()
        assert cli(world.url, "federation", "grant", *args) == code, args
        assert capsys.readouterr().err.strip().endswith(f"[{rule}]"), args
    refused(world.url, role, "SELECT * FROM region_club_summary",
            codes=(INSUFFICIENT_PRIVILEGE, UNDEFINED_TABLE))


def test_grants_list_and_revoke_a_region(world, capsys):
    role = world.roles.create("two")
    for region in (BRETAGNE, OCCITANIE, BRETAGNE):  # twice: no second grant
        assert cli(world.url, "federation", "grant", "--region", region, "--role", role) == 0
    assert sorted(r["slug"] for r in _rows(world.url, role,
                                           "SELECT * FROM region_club_summary")) == sorted(CLUBS)
    capsys.readouterr()
    assert cli(world.url, "federation", "grants", "--format", "json") == 0
    listed = [g for g in json.loads(capsys.readouterr().out) if g["role"] == role]
    assert listed == [{"role": role, "scope": "region", "club": None, "region": r}
                      for r in (BRETAGNE, OCCITANIE)]

    assert cli(world.url, "federation", "revoke", "--region", BRETAGNE, "--role", role) == 0
    assert [r["slug"] for r in _rows(world.url, role, "SELECT * FROM region_club_summary")] == [
        "oc-sud"]
    assert cli(world.url, "federation", "revoke", "--role", role) == 0
    refused(world.url, role, "SELECT * FROM region_club_summary",
            codes=(INSUFFICIENT_PRIVILEGE, UNDEFINED_TABLE))
    capsys.readouterr()
    assert cli(world.url, "federation", "grants", "--format", "json") == 0
    assert [g for g in json.loads(capsys.readouterr().out) if g["role"] == role] == []
    # The region role granted at the start still reads its region.
    assert _rows(world.url, world.bretagne, "SELECT slug FROM region_club_summary")
