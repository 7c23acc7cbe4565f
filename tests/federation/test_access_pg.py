"""Access control on a shared PostgreSQL server, proved by connecting as each role.

Real roles are created for each test module (cluster-global names, unique per run, dropped at
the end) and connect with raw SQL: a club role sees and writes its own club only, in every
table; the federation role reads the aggregate views and nothing else; a role without a grant
sees nothing; the application, connected as the owner, keeps working. Two processes posting
500 entries each on one club (as two club roles) leave gapless numbering, exact balances and a
verified hash chain.

Skipped without CIGALES_TEST_PG_URL (CI always sets it).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import multiprocessing
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from cigales import db, migrate
from cigales.cli.entry import run
from cigales.federation import access
from cigales.models import Club
from cigales.services import bookkeeping, lifecycle, members
from cigales.services.clubs import get_club
from ledger.audit import check_book
from ledger.money import Money
from ledger.post import post_entry
from ledger.queries import trial_balance
from ledger.schema import Entry
from tests.helpers import TODAY, draft
from tests.scratch import ScratchDatabase

PG_URL = os.environ.get("CIGALES_TEST_PG_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CIGALES_TEST_PG_URL)")

CLUBS = {"club-a": "Bretagne", "club-b": "Occitanie"}
FOUNDED = "2021-03-15"
INSUFFICIENT_PRIVILEGE = "42501"  # permission denied, and RLS refusing a written row
UNDEFINED_TABLE = "42P01"  # no USAGE on the schema: the tables cannot even be named
LOCK_NOT_AVAILABLE = "55P03"


# -- roles and connections -----------------------------------------------------------------------

class Roles:
    """Login roles with unique names, dropped (with whatever they own or were granted) at the
    end: roles are global to the PostgreSQL cluster, unlike the test's schema."""

    def __init__(self) -> None:
        self.prefix = f"cigt_{uuid.uuid4().hex[:8]}"
        self.names: list[str] = []
        self._admin = create_engine(db.normalize_url(PG_URL or ""))

    def create(self, suffix: str, *options: str) -> str:
        name = f"{self.prefix}_{suffix}"
        with self._admin.begin() as conn:
            conn.execute(text(f"CREATE ROLE {name} LOGIN {' '.join(options)}"))
        self.names.append(name)
        return name

    def drop_all(self) -> None:
        with self._admin.begin() as conn:
            for name in reversed(self.names):
                conn.execute(text(f"REASSIGN OWNED BY {name} TO CURRENT_USER"))
                conn.execute(text(f"DROP OWNED BY {name}"))
                conn.execute(text(f"DROP ROLE {name}"))
        self._admin.dispose()


def url_as(url: str, role: str) -> str:
    return make_url(url).set(username=role).render_as_string(hide_password=False)


@contextmanager
def connected(url: str, role: str) -> Iterator[Connection]:
    """A raw connection as ROLE, in a transaction that is always rolled back."""
    engine = create_engine(url_as(url, role))
    try:
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                yield conn
            finally:
                trans.rollback()
    finally:
        engine.dispose()


def sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None)


def refused(url: str, role: str, statement: str, *, codes: tuple[str, ...] = (
        INSUFFICIENT_PRIVILEGE,), **params: Any) -> str:
    """Run STATEMENT as ROLE; it must fail with insufficient privilege. Returns the message."""
    with connected(url, role) as conn, pytest.raises(DBAPIError) as caught:
        conn.execute(text(statement), params)
    assert sqlstate(caught.value) in codes, caught.value
    return str(caught.value.orig)


def rows(conn: Connection, table: str) -> set[tuple[Any, ...]]:
    return {tuple(r) for r in conn.execute(text(f"SELECT * FROM {table}"))}


def cli(url: str, *args: str) -> int:
    return run(["--db", url, *args])


# -- the shared server: two clubs, each with data in every table --------------------------------

@dataclass
class World:
    url: str
    engine: Engine
    roles: Roles
    club_a: str  # club-a's role
    club_b: str
    federation: str
    nobody: str  # never granted anything
    raw: str  # given SELECT on the tables by hand, but no club: row-level security denies

    def club(self, slug: str) -> Club:
        with db.session_scope(self.engine, write=False) as s:
            return get_club(s, slug)

    def ids(self, table: str, where: str, **params: Any) -> list[int]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(f"SELECT id FROM {table} WHERE {where}"),
                                     params).scalars())


def _build_club(url: str, slug: str, region: str) -> None:
    steps = [
        ("club", "create", slug, "--name", f"Club {slug}", "--founded", FOUNDED,
         "--region", region),
        ("member", "add", "--club", slug, "--code", "M01", "--name", f"Anne {slug}",
         "--joined", FOUNDED, "--email", "anne@example.org"),
        ("member", "add", "--club", slug, "--code", "M02", "--name", f"Bruno {slug}",
         "--joined", FOUNDED),
        ("saving", "add", "--club", slug, "--member", "M01", "--date", "2021-04-05",
         "--amount", "500"),
        ("saving", "add", "--club", slug, "--member", "M02", "--date", "2021-04-06",
         "--amount", "700"),
        # M03 finances the loan with the others, then hands the share over to M01: the
        # loan's keys get a new version (member_key_version has rows to protect).
        ("member", "add", "--club", slug, "--code", "M03", "--name", f"Chloé {slug}",
         "--joined", FOUNDED),
        ("saving", "add", "--club", slug, "--member", "M03", "--date", "2021-04-07",
         "--amount", "100"),
        ("investee", "add", "--club", slug, "--slug", "atelier", "--name", "Atelier",
         "--legal-form", "SCOP"),
        ("investee", "jobs", "--club", slug, "--investee", "atelier", "--date", "2022-06-30",
         "--created", "2", "--kept", "1"),
        ("loan", "grant", "--club", slug, "--investee", "atelier", "--date", "2021-06-01",
         "--principal", "300", "--instalments", "3"),
        ("loan", "repay", "--club", slug, "--loan", "1", "--date", "2021-08-01",
         "--amount", "100"),
        ("entry", "add", "--club", slug, "--date", "2022-02-01", "--label", "Frais",
         "--journal", "BQ", "--line", "6270=4,50", "--line", "5121=-4,50"),
        ("member", "leave", "--club", slug, "--member", "M03", "--date", "2022-03-01",
         "--settlement", "transfer", "--to", "M01"),
        ("club", "extend", "--club", slug, "--date", "2025-06-01"),
        ("member", "edit", "--club", slug, "--member", "M02", "--monthly", "20",
         "--from", "2021-05"),
        # Closing a year stores its return (closed_year_return has rows to protect).
        ("year", "close", "--club", slug, "--year", "2021", "--yes"),
    ]
    for step in steps:
        assert cli(url, *step) == 0, step


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIGALES_TODAY", TODAY.isoformat())
        mp.delenv("CIGALES_DB", raising=False)
        mp.delenv("CIGALES_LANG", raising=False)
        scratch = ScratchDatabase("postgresql", prefix="acc", migrated=True)
        roles = Roles()
        engine = db.make_engine(scratch.url)
        try:
            migrate.ensure_ready(engine)
            for slug, region in CLUBS.items():
                _build_club(scratch.url, slug, region)
            w = World(scratch.url, engine, roles, roles.create("club_a"),
                      roles.create("club_b"), roles.create("fed"), roles.create("nobody"),
                      roles.create("raw"))
            assert cli(scratch.url, "federation", "grant", "--club", "club-a",
                       "--role", w.club_a) == 0
            assert cli(scratch.url, "federation", "grant", "--club", "club-b",
                       "--role", w.club_b) == 0
            assert cli(scratch.url, "federation", "grant", "--federation",
                       "--role", w.federation) == 0
            with engine.begin() as conn:
                schema = conn.execute(text("SELECT current_schema()")).scalar_one()
                conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {w.raw}"))
                # What a hasty "GRANT SELECT ON ALL TABLES IN SCHEMA" would give.
                conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {w.raw}"))
            yield w
        finally:
            engine.dispose()
            roles.drop_all()
            scratch.drop()


# -- club roles ------------------------------------------------------------------------------

def test_every_table_is_forced_under_row_level_security(world):
    with world.engine.connect() as conn:
        flags = dict(conn.execute(text(
            "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class "
            "WHERE relnamespace = to_regnamespace(current_schema()) AND relkind = 'r'")).all())
    for table in [*access.CLUB_TABLES, access.ACCESS_TABLE]:
        assert flags[table] is True, table


def test_a_club_role_sees_only_its_club_in_every_table(world):
    seen = {}
    for role in (world.club_a, world.club_b):
        with connected(world.url, role) as conn:
            seen[role] = {t: rows(conn, t) for t in access.CLUB_TABLES}
    with world.engine.connect() as conn:
        everything = {t: rows(conn, t) for t in access.CLUB_TABLES}
    # Filled by bank imports, reconciliations and statements e-mailed only.
    bank = {"bank_import", "bank_line", "member_bank_account", "bank_reconciliation",
            "statement_mailing"}
    for table in access.CLUB_TABLES:
        a, b = seen[world.club_a][table], seen[world.club_b][table]
        assert a.isdisjoint(b), table
        assert a | b == everything[table], table
        if table not in bank:
            assert a, f"{table} has no rows of club-a: the test would prove nothing"
            assert b, f"{table} has no rows of club-b: the test would prove nothing"
    with connected(world.url, world.club_a) as conn:
        assert conn.execute(text("SELECT slug FROM club")).scalars().all() == ["club-a"]
        names = conn.execute(text("SELECT name FROM member_identity ORDER BY name")).scalars()
        assert list(names) == ["Anne club-a", "Bruno club-a", "Chloé club-a"]
        # It sees its own access, not who else has access to what.
        assert conn.execute(text("SELECT role_name, club_id FROM club_access")).all() == [
            (world.club_a, world.club("club-a").id)]


def test_a_club_role_cannot_write_another_clubs_rows(world):
    a, b = world.club("club-a"), world.club("club-b")
    b_member = world.ids("member", "club_id = :c AND code = 'M01'", c=b.id)[0]
    a_member = world.ids("member", "club_id = :c AND code = 'M01'", c=a.id)[0]
    b_entry = world.ids("entry", "book_id = :b", b=b.book_id)[0]
    b_account = world.ids("account", "book_id = :b AND code = '5121'", b=b.book_id)[0]
    b_investment = world.ids("investment", "club_id = :c", c=b.id)[0]
    with world.engine.connect() as conn:
        before = {t: rows(conn, t) for t in access.CLUB_TABLES}

    role = world.club_a
    with connected(world.url, role) as conn:
        # Rows of another club are invisible: updates and deletes find nothing.
        assert conn.execute(text("UPDATE member SET monthly_cents = 1 WHERE id = :m"),
                            {"m": b_member}).rowcount == 0
        assert conn.execute(text("UPDATE member_identity SET name = 'x' WHERE member_id = :m"),
                            {"m": b_member}).rowcount == 0
        assert conn.execute(text("DELETE FROM member_identity WHERE member_id = :m"),
                            {"m": b_member}).rowcount == 0
        assert conn.execute(text("UPDATE club SET name = 'x' WHERE slug = 'club-b'")
                            ).rowcount == 0
        assert conn.execute(text("DELETE FROM loan_instalment WHERE schedule_id IN "
                                 "(SELECT id FROM loan_schedule WHERE investment_id = :i)"),
                            {"i": b_investment}).rowcount == 0
        assert conn.execute(text("SELECT id FROM book WHERE id = :b FOR UPDATE"),
                            {"b": b.book_id}).all() == []
    # New rows in another club, or own rows moved or pointed there, are refused.
    refused(world.url, role, "INSERT INTO member (club_id, code, joined) "
                             "VALUES (:c, 'M99', '2022-01-01')", c=b.id)
    refused(world.url, role, "UPDATE member SET club_id = :c WHERE id = :m", c=b.id, m=a_member)
    refused(world.url, role, "INSERT INTO member_identity (member_id, name) VALUES (:m, 'x')",
            m=b_member)
    refused(world.url, role, "INSERT INTO club_event (club_id, kind, date) "
                             "VALUES (:c, 'liquidation', '2026-01-01')", c=b.id)
    refused(world.url, role, "INSERT INTO entry (book_id, journal, number, seq, date, label, "
                             "prev_hash, hash, content_digest) VALUES (:b, 'OD', 999, 999, "
                             "'2022-03-01', 'x', '', '', '')", b=b.book_id)
    refused(world.url, role, "INSERT INTO posting (entry_id, line_no, account_id, amount_cents)"
                             " VALUES (:e, 9, :a, 100)", e=b_entry, a=b_account)
    refused(world.url, role, "INSERT INTO capital_movement (club_id, member_id, date, kind, "
                             "amount_cents, entry_id) SELECT :c, :m, '2022-01-01', 'saving', "
                             "1, min(id) FROM entry", c=a.id, m=b_member)
    refused(world.url, role, "INSERT INTO member_key (investment_id, member_id, numerator, "
                             "denominator, amount_cents) VALUES (:i, :m, 1, 1, 1)",
            i=b_investment, m=a_member)
    # Own unsealed entry, but a line on another club's account, or reversing its entry.
    with connected(world.url, role) as conn:
        own = conn.execute(text(
            "INSERT INTO entry (book_id, journal, number, seq, date, label, prev_hash, hash, "
            "content_digest) VALUES (:b, 'OD', 999, 999, '2022-03-01', 'x', '', '', '') "
            "RETURNING id"), {"b": a.book_id}).scalar_one()
        savepoint = conn.begin_nested()
        with pytest.raises(DBAPIError) as caught:
            conn.execute(text("INSERT INTO posting (entry_id, line_no, account_id, "
                              "amount_cents) VALUES (:e, 1, :a, 100)"), {"e": own, "a": b_account})
        assert sqlstate(caught.value) == INSUFFICIENT_PRIVILEGE
        savepoint.rollback()
        with pytest.raises(DBAPIError) as caught:
            conn.execute(text("UPDATE entry SET reverses_id = :r WHERE id = :e"),
                         {"r": b_entry, "e": own})
        assert sqlstate(caught.value) == INSUFFICIENT_PRIVILEGE
    with world.engine.connect() as conn:
        assert {t: rows(conn, t) for t in access.CLUB_TABLES} == before


def test_a_club_role_runs_the_application_on_its_own_club(world):
    a = world.club("club-a")
    engine = db.make_engine(url_as(world.url, world.club_a))
    try:
        with db.session_scope(engine) as s:
            posted = post_entry(s, a.book_id, draft(dt.date(2022, 5, 1), ("6270", "1"),
                                                    ("5121", "-1"), journal="OD"))
            assert check_book(s, a.book_id) == []
            # The ledger's own guard still refuses editing a sealed entry, for this role too.
            with pytest.raises(DBAPIError, match="sealed_entry_immutable"), s.begin_nested():
                s.execute(text("UPDATE entry SET label = 'edited' WHERE id = :e"),
                          {"e": posted.id})
            s.rollback()
    finally:
        engine.dispose()
    # The CLI too: the other club does not exist for this role.
    url = url_as(world.url, world.club_a)
    assert cli(url, "check", "--club", "club-a") == 0
    assert cli(url, "check", "--club", "club-b") == 1


# -- the federation role and roles without a grant ------------------------------------------------

def test_the_federation_role_reads_aggregates_and_nothing_else(world):
    for table in [*access.CLUB_TABLES, access.ACCESS_TABLE]:
        message = refused(world.url, world.federation, f"SELECT * FROM {table}")
        assert "permission denied" in message
    refused(world.url, world.federation, "INSERT INTO club_access VALUES ('x', 1)")

    with connected(world.url, world.federation) as conn:
        summary = {r["slug"]: r for r in conn.execute(text(
            "SELECT * FROM federation_club_summary")).mappings()}
        accounts = {(r["slug"], r["year"], r["account_class"]): r for r in conn.execute(text(
            "SELECT * FROM federation_club_accounts")).mappings() if r["slug"] in CLUBS}
        columns = set(conn.execute(text("SELECT * FROM federation_club_summary")).keys())
    assert columns == {"slug", "name", "region", "department", "founded", "prorogation_on",
                       "liquidation_on", "closed_on", "phase", "members_active",
                       "members_ever"}

    # The same figures, computed by the owner through the application's own code.
    today = dt.date.today()
    expected_accounts = {}
    with db.session_scope(world.engine, write=False) as s:
        for slug, region in CLUBS.items():
            club = get_club(s, slug)
            row = summary[slug]
            assert (row["region"], row["founded"]) == (region, club.founded)
            assert row["members_active"] == lifecycle.active_members(s, club, today) == 2
            assert row["phase"] == lifecycle.lifecycle(s, club).phase_at(today).value
            for year in range(2021, TODAY.year + 1):
                tb = trial_balance(s, club.book_id, as_of=dt.date(year, 12, 31),
                                   from_date=dt.date(year, 1, 1))
                for line in tb.accounts:
                    key = (slug, year, line.code[0])
                    debit, credit = expected_accounts.get(key, (0, 0))
                    expected_accounts[key] = (debit + line.debit.cents,
                                              credit + line.credit.cents)
    assert {k: (r["debit_cents"], r["credit_cents"]) for k, r in accounts.items()} == \
        expected_accounts
    assert all(r["balance_cents"] == r["debit_cents"] - r["credit_cents"]
               for r in accounts.values())
    assert accounts[("club-a", 2021, "1")]["credit_cents"] == 130000  # 500 + 700 + 100 saved


def test_a_role_without_a_grant_sees_nothing(world):
    denied = (INSUFFICIENT_PRIVILEGE, UNDEFINED_TABLE)
    for table in [*access.CLUB_TABLES, "federation_club_summary", "federation_club_accounts"]:
        refused(world.url, world.nobody, f"SELECT * FROM {table}", codes=denied)
    # Table privileges alone are not enough: without a club, row-level security shows nothing.
    with connected(world.url, world.raw) as conn:
        assert {t: rows(conn, t) for t in access.CLUB_TABLES} == {
            t: set() for t in access.CLUB_TABLES}


# -- the owner, grants and revocation ------------------------------------------------------------

def test_the_application_as_owner_still_works_after_grants(world, capsys):
    capsys.readouterr()
    assert cli(world.url, "club", "list", "--format", "json") == 0
    assert [c["slug"] for c in json.loads(capsys.readouterr().out)] == sorted(CLUBS)
    with db.session_scope(world.engine) as s:
        club = get_club(s, "club-b")
        posted = bookkeeping.add_entry(s, club, date=dt.date(2022, 7, 1), label="Owner",
                                       lines=[("6270", Money.parse("2")),
                                              ("5121", Money.parse("-2"))], today=TODAY)
        assert posted.created
    for slug in CLUBS:
        assert cli(world.url, "check", "--club", slug) == 0
    capsys.readouterr()
    assert cli(world.url, "federation", "grants", "--format", "json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert {(g["role"], g["scope"], g["club"]) for g in listed} >= {
        (world.club_a, "club", "club-a"), (world.club_b, "club", "club-b"),
        (world.federation, "federation", None)}


def test_grant_twice_changes_nothing_and_revoke_takes_it_back(world):
    role = world.roles.create("both")
    a, b = world.club("club-a"), world.club("club-b")
    with db.session_scope(world.engine) as s:
        access.grant_club(s, a, role)
        access.grant_club(s, a, role)
        access.grant_club(s, b, role)
    with connected(world.url, role) as conn:
        assert sorted(conn.execute(text("SELECT slug FROM club")).scalars()) == sorted(CLUBS)
    with db.session_scope(world.engine) as s:
        assert [g.club for g in access.list_grants(s) if g.role == role] == ["club-a", "club-b"]
        assert [g.club for g in access.revoke(s, role, a)] == ["club-a"]
    with connected(world.url, role) as conn:
        assert conn.execute(text("SELECT slug FROM club")).scalars().all() == ["club-b"]
    assert cli(world.url, "federation", "revoke", "--role", role) == 0
    refused(world.url, role, "SELECT * FROM club", codes=(INSUFFICIENT_PRIVILEGE, UNDEFINED_TABLE))
    with db.session_scope(world.engine, write=False) as s:
        assert [g for g in access.list_grants(s) if g.role == role] == []


def test_grants_are_refused_for_roles_that_would_bypass_them(world, capsys):
    with world.engine.connect() as conn:
        owner = conn.execute(text("SELECT current_user")).scalar_one()
    cases = {
        ("--club", "club-a", "--role", "x'; DROP TABLE club; --"): (2, "invalid_role_name"),
        ("--club", "club-a", "--role", "Robert"): (2, "invalid_role_name"),
        ("--club", "club-a", "--role", "pg_monitor"): (2, "invalid_role_name"),
        ("--club", "club-a", "--role", f"{world.roles.prefix}_missing"): (1, "unknown_role"),
        ("--club", "club-a", "--role", owner): (1, "role_bypasses_security"),
        ("--federation", "--club", "club-a", "--role", world.nobody): (2, "grant_scope_required"),
        ("--role", world.nobody): (2, "grant_scope_required"),
        ("--club", "nowhere", "--role", world.nobody): (1, "unknown_club"),
    }
    with world.engine.connect() as conn:
        before = {t: rows(conn, t) for t in [*access.CLUB_TABLES, access.ACCESS_TABLE]}
    for args, (code, rule) in cases.items():
        capsys.readouterr()
        assert cli(world.url, "federation", "grant", *args) == code, args
        assert capsys.readouterr().err.strip().endswith(f"[{rule}]"), args
    with world.engine.connect() as conn:
        assert {t: rows(conn, t) for t in [*access.CLUB_TABLES, access.ACCESS_TABLE]} == before


def test_grants_need_the_tables_owner(world):
    stranger = world.roles.create("stranger")
    with world.engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {stranger}"))
        conn.execute(text(f"GRANT SELECT ON club, alembic_version TO {stranger}"))
    assert cli(url_as(world.url, stranger), "federation", "grant", "--federation",
               "--role", world.nobody) == 1


# -- writers serialize -----------------------------------------------------------------------------

def test_writers_to_one_club_wait_for_each_other(world):
    """While one role's posting transaction is open, another writer of the club waits on the
    book row (here it gives up after 300 ms), whatever role it connects as."""
    a = world.club("club-a")
    first = db.make_engine(url_as(world.url, world.club_a))
    second = db.make_engine(world.url)
    try:
        with db.session_scope(first) as s1:
            post_entry(s1, a.book_id, draft(dt.date(2022, 6, 1), ("6270", "1"), ("5121", "-1")))
            with pytest.raises(DBAPIError) as caught, db.session_scope(second) as s2:
                s2.execute(text("SET LOCAL lock_timeout = '300ms'"))
                post_entry(s2, a.book_id, draft(dt.date(2022, 6, 2), ("6270", "1"),
                                                ("5121", "-1")))
            assert sqlstate(caught.value) == LOCK_NOT_AVAILABLE
        with db.session_scope(second) as s2:  # once the first commits, the second goes through
            post_entry(s2, a.book_id, draft(dt.date(2022, 6, 2), ("6270", "1"), ("5121", "-1")))
            assert check_book(s2, a.book_id) == []
    finally:
        first.dispose()
        second.dispose()


def test_two_treasurers_cannot_both_add_the_twentieth_member(world):
    slug = "club-full"
    assert cli(world.url, "club", "create", slug, "--name", "Full", "--founded", FOUNDED) == 0
    with db.session_scope(world.engine) as s:
        club = get_club(s, slug)
        for i in range(1, 20):
            members.add_member(s, club, code=f"M{i:02d}", name=f"Membre {i}",
                               joined=dt.date(2021, 3, 15), today=TODAY)
    one, two = db.make_engine(world.url), db.make_engine(world.url)
    try:
        with db.session_scope(one) as s1:
            members.add_member(s1, get_club(s1, slug), code="M20", name="Vingt",
                               joined=dt.date(2022, 1, 1), today=TODAY)
            with db.session_scope(two) as s2:
                s2.execute(text("SET LOCAL lock_timeout = '300ms'"))
                members.add_member(s2, get_club(s2, slug), code="M21", name="Vingt et un",
                                   joined=dt.date(2022, 1, 1), today=TODAY)
    except Exception:  # refused or made to wait: either is correct
        pass
    finally:
        one.dispose()
        two.dispose()
    with db.session_scope(world.engine, write=False) as s:
        assert lifecycle.active_members(s, get_club(s, slug), dt.date(2022, 1, 1)) <= 20


# -- concurrency: two processes, 500 entries each, one club ---------------------------------------

PER_WORKER = 500


def _worker(url: str, slug: str, worker: int) -> None:
    """Post PER_WORKER entries, one transaction each, alternating journals BQ and OD; the
    first worker goes through the club service, the second straight to the ledger."""
    os.environ["CIGALES_TODAY"] = TODAY.isoformat()
    engine = db.make_engine(url)
    try:
        for i in range(PER_WORKER):
            amount = Money(worker * 1000 + i)
            date = dt.date(2022, 1, 1) + dt.timedelta(days=i % 360)
            journal = "BQ" if i % 2 else "OD"
            with db.session_scope(engine) as s:
                club = get_club(s, slug)
                if worker == 1:
                    bookkeeping.add_entry(s, club, date=date, label=f"w{worker} #{i}",
                                          lines=[("6270", amount), ("5121", -amount)],
                                          journal=journal, today=TODAY)
                else:
                    post_entry(s, club.book_id, draft(date, ("5121", amount.plain()),
                                                      ("7680", (-amount).plain()),
                                                      journal=journal, label=f"w{worker} #{i}"))
    finally:
        engine.dispose()


def test_two_club_roles_posting_at_once_keep_the_books_exact(world):
    slug = "club-busy"
    assert cli(world.url, "club", "create", slug, "--name", "Busy", "--founded", FOUNDED) == 0
    treasurers = [world.roles.create("treasurer1"), world.roles.create("treasurer2")]
    with db.session_scope(world.engine) as s:
        club = get_club(s, slug)
        for role in treasurers:
            access.grant_club(s, club, role)
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_worker, args=(url_as(world.url, role), slug, w))
               for w, role in enumerate(treasurers, start=1)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=300)
        assert p.exitcode == 0
    with db.session_scope(world.engine, write=False) as s:
        club = get_club(s, slug)
        for journal in ("BQ", "OD"):
            numbers = sorted(s.execute(select(Entry.number).where(
                Entry.book_id == club.book_id, Entry.journal == journal)).scalars())
            assert numbers == list(range(1, PER_WORKER + 1)), journal
        assert s.execute(select(func.count()).select_from(Entry).where(
            Entry.book_id == club.book_id)).scalar_one() == 2 * PER_WORKER
        assert check_book(s, club.book_id) == []
        # The two really ran at once: the hash chain interleaves their entries.
        labels = s.execute(select(Entry.label).where(Entry.book_id == club.book_id)
                           .order_by(Entry.seq)).scalars().all()
        switches = sum(x[:2] != y[:2] for x, y in itertools.pairwise(labels))
        assert switches > 10
        tb = trial_balance(s, club.book_id)
        per_worker = {w: sum(w * 1000 + i for i in range(PER_WORKER)) for w in (1, 2)}
        balances = {line.code: line.balance.cents for line in tb.accounts}
        assert balances == {"6270": per_worker[1], "7680": -per_worker[2],
                            "5121": per_worker[2] - per_worker[1]}
    assert cli(world.url, "check", "--club", slug) == 0


# -- an owner that is not a superuser (managed PostgreSQL services) ------------------------------

def test_an_owner_that_is_not_a_superuser_keeps_full_access():
    """FORCE applies to a table's owner unless it is a superuser: the owner policy must let
    the application (migrations, CLI, aggregates) see every club, and grants still work."""
    scratch = ScratchDatabase("postgresql", prefix="own")
    roles = Roles()
    try:
        owner, treasurer, fed = (roles.create("owner"), roles.create("treasurer"),
                                 roles.create("fed"))
        schema = str(make_url(scratch.url).query["options"]).split("=")[-1]
        with roles._admin.begin() as conn:
            conn.execute(text(f"ALTER SCHEMA {schema} OWNER TO {owner}"))
        url = url_as(scratch.url, owner)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("CIGALES_TODAY", TODAY.isoformat())
            for slug, region in CLUBS.items():
                _build_club(url, slug, region)
            assert cli(url, "federation", "grant", "--club", "club-a", "--role", treasurer) == 0
            assert cli(url, "federation", "grant", "--federation", "--role", fed) == 0
            for slug in CLUBS:  # the owner still sees and writes both clubs
                assert cli(url, "check", "--club", slug) == 0
                assert cli(url, "entry", "add", "--club", slug, "--date", "2022-03-01",
                           "--label", "Frais", "--journal", "BQ", "--line", "6270=1",
                           "--line", "5121=-1") == 0
        with connected(scratch.url, treasurer) as conn:
            assert conn.execute(text("SELECT slug FROM club")).scalars().all() == ["club-a"]
        with connected(scratch.url, fed) as conn:
            assert sorted(conn.execute(text(
                "SELECT slug FROM federation_club_summary")).scalars()) == sorted(CLUBS)
    finally:
        roles.drop_all()
        scratch.drop()
