"""Access control on a shared PostgreSQL server: each club's role sees its own club only.

A regional association may host many clubs in one PostgreSQL database. Each club's treasurer
then connects as a database role of their own, and the federation as another; what each may
read or write is enforced by PostgreSQL itself, so a bug, a script or a hand-written query
cannot cross from one club into another:

* **Row-level security**, ENABLED and FORCED, on every club-scoped table (``CLUB_TABLES``: the
  club's own tables and the ledger's, keyed by ``club_id`` or, for the ledger, by the club's
  ``book_id``). Without a policy that lets a row through, a role sees nothing: the default is
  deny. The one permissive policy, ``cigales_club``, lets a row through when it belongs to a
  club listed for ``current_user`` in the mapping table ``club_access(role_name, club_id)``;
  its WITH CHECK clause is the same, so a role can neither write a row into another club nor
  move one there, and rows a club points at (a posting's account, a saving's member, a
  reversal's original entry, ...) must be the role's too.
* **Table privileges** say which tables a role may touch at all: a club role gets SELECT,
  INSERT, UPDATE and DELETE on the club-scoped tables (the ledger's triggers still refuse any
  edit of a sealed entry), USAGE on their sequences, SELECT on ``alembic_version`` and on its
  own rows of ``club_access``. The federation role gets none of these: only SELECT on the
  aggregate views ``federation_club_summary`` and ``federation_club_accounts`` and on the
  yearly returns clubs send (``federation_return``, no personal data by design). A view runs
  with its owner's rights (these are not ``security_invoker`` views), which is what lets
  the aggregates out while the tables, with members' names and individual postings, stay
  closed. Tables added by later migrations get no privilege until ``grant`` is run again
  (which then also puts them under row-level security): new tables start closed.
* **The owner** of the tables (the role that runs the migrations and the administrative
  CLI) keeps full access: a superuser bypasses row-level security, and a non-superuser owner,
  to which FORCE applies, gets the policy ``cigales_owner`` (TO the owner, USING true).
  Grants must be run by that owner (or a superuser): they alter its tables.

Access control is a step of a PostgreSQL deployment, not part of the schema: the mapping
table, the policies and the views are created, idempotently, by the first grant (and
refreshed by every later one), never by a migration, so a single-user SQLite file keeps no
trace of them. SQLite has no roles, users or row-level security: whoever can open the file
can read and write all of it, so every function here refuses SQLite with
``access_control_needs_postgresql`` rather than pretend.

Role names are checked to be plain lower-case identifiers and are always quoted as
identifiers when they enter a statement; values go in as bound parameters.

Functions take a Session and never commit (``cigales.db.session_scope`` does). Writers to one
club serialize on the club's book row (``SELECT ... FOR UPDATE`` in ``ledger.post``) whatever
role they connect as: row-level security filters rows, it does not change locking. Club-level
services that check a rule before their first posting (the 20-member limit, cash available
for a payment) do not take that lock first yet, so on PostgreSQL two writers of the *same*
club can both pass such a check (docs/federation.md, "Limits"; a strict xfail test shows it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, inspect, text
from sqlalchemy.orm import Session

from cigales.errors import CigalesError, UsageProblem
from cigales.models import Club
from ledger.errors import N_

__all__ = [
    "ACCESS_TABLE",
    "CLUB_TABLES",
    "EXCLUDED_TABLES",
    "FEDERATION_TABLES",
    "FEDERATION_VIEWS",
    "REGION_ACCESS_TABLE",
    "REGION_VIEWS",
    "SMALL_CELL_MIN_MEMBERS",
    "AccessControlNeedsOwner",
    "AccessControlNeedsPostgreSQL",
    "Grant",
    "GrantScopeRequired",
    "InvalidRoleName",
    "RoleBypassesSecurity",
    "UnknownRegion",
    "UnknownRole",
    "club_scoped_tables",
    "grant_club",
    "grant_federation",
    "grant_region",
    "install",
    "known_regions",
    "list_grants",
    "require_postgresql",
    "revoke",
    "validate_role",
]

ACCESS_TABLE = "club_access"
REGION_ACCESS_TABLE = "region_access"


class AccessControlNeedsPostgreSQL(CigalesError):
    code = "access_control_needs_postgresql"
    template = N_(
        "Access control needs a PostgreSQL server: a SQLite file has no database roles, "
        "whoever can open it can read and write all of it. Host the clubs on PostgreSQL "
        "(--db postgresql://...) to give each club a role of its own."
    )


class InvalidRoleName(UsageProblem):
    code = "invalid_role_name"
    template = N_(
        "“{role}” is not a plain role name: lower-case letters, digits and underscores, "
        "starting with a letter or an underscore, at most 63 characters, not starting with "
        "pg_ (e.g. tresorier_fourmis)."
    )


class UnknownRole(CigalesError):
    code = "unknown_role"
    template = N_(
        "There is no database role “{role}” on this server: create it first, e.g. "
        "CREATE ROLE {role} LOGIN PASSWORD '...';"
    )


class RoleBypassesSecurity(CigalesError):
    code = "role_bypasses_security"
    template = N_(
        "Role “{role}” is a superuser, has BYPASSRLS or owns the tables: it sees every club "
        "whatever is granted. Grant access to an ordinary role instead."
    )


class AccessControlNeedsOwner(CigalesError):
    code = "access_control_needs_owner"
    template = N_(
        "Role “{role}” does not own the cigales tables: run grants as their owner (the role "
        "that ran the migrations) or as a superuser."
    )


class GrantScopeRequired(UsageProblem):
    code = "grant_scope_required"
    template = N_("Give exactly one of --club SLUG, --region NAME or --federation.")


class UnknownRegion(CigalesError):
    code = "unknown_region"
    template = N_(
        "No club of this database is in the region “{region}” (regions known: {known}). "
        "Check the spelling: the name must be the one given to the clubs (--region)."
    )


# -- what is protected, and how ------------------------------------------------------------------

_MY_CLUBS = "SELECT club_id FROM club_access WHERE role_name = current_user"


@dataclass(frozen=True, slots=True)
class Scope:
    """How a table's rows belong to a club, as SQL over the row's own columns.

    ``using`` decides which rows a role sees (and may update or delete); ``check`` is added
    for rows written, for the other club-scoped rows the row refers to. Subqueries on other
    protected tables are themselves filtered by those tables' policies (the invoker's rights),
    so ``x_id IN (SELECT id FROM x)`` means "x_id is one of my rows of x".
    """

    using: str
    check: str = ""

    @property
    def with_check(self) -> str:
        return f"({self.using}) AND ({self.check})" if self.check else self.using


_BY_BOOK = Scope("book_id IN (SELECT book_id FROM club)")
_BY_INVESTMENT = Scope("investment_id IN (SELECT id FROM investment)")

# Every club-scoped table, written once. tests/federation/test_access_tables.py fails when
# the database holds a table with a club_id or book_id column (or a foreign key to such a
# table) that is neither here nor in EXCLUDED_TABLES.
CLUB_TABLES: dict[str, Scope] = {
    "club": Scope(f"id IN ({_MY_CLUBS})"),
    "book": Scope("id IN (SELECT book_id FROM club)"),
    "account": _BY_BOOK,
    "fiscal_year": _BY_BOOK,
    "journal_counter": _BY_BOOK,
    # A reversal's original must be one of the role's entries too (it is unique per
    # original, so pointing at another club's entry would block that club's reversal).
    "entry": Scope(_BY_BOOK.using,
                   "reverses_id IS NULL OR cigales_access_entry_visible(reverses_id)"),
    # A posting belongs to one of my entries, and its account to the same book.
    "posting": Scope("entry_id IN (SELECT id FROM entry)",
                     "EXISTS (SELECT 1 FROM entry e JOIN account a ON a.book_id = e.book_id "
                     "WHERE e.id = posting.entry_id AND a.id = posting.account_id)"),
    "member": Scope("club_id IN (SELECT id FROM club)",
                    "transfer_to_id IS NULL OR cigales_access_member_visible(transfer_to_id)"),
    "member_identity": Scope("member_id IN (SELECT id FROM member)"),
    "capital_movement": Scope(
        "club_id IN (SELECT id FROM club)",
        "member_id IN (SELECT id FROM member WHERE member.club_id = capital_movement.club_id) "
        "AND (counterpart_id IS NULL OR counterpart_id IN (SELECT id FROM member)) "
        "AND entry_id IN (SELECT id FROM entry)"),
    "club_event": Scope("club_id IN (SELECT id FROM club)",
                        "entry_id IS NULL OR entry_id IN (SELECT id FROM entry)"),
    "investee": Scope("club_id IN (SELECT id FROM club)"),
    "investee_jobs": Scope("investee_id IN (SELECT id FROM investee)"),
    "investment": Scope(
        "club_id IN (SELECT id FROM club)",
        "investee_id IN (SELECT id FROM investee WHERE investee.club_id = investment.club_id) "
        "AND entry_id IN (SELECT id FROM entry)"),
    "loan_schedule": _BY_INVESTMENT,
    "loan_instalment": Scope("schedule_id IN (SELECT id FROM loan_schedule)"),
    "investment_event": Scope(_BY_INVESTMENT.using,
                              "entry_id IS NULL OR entry_id IN (SELECT id FROM entry)"),
    "member_key": Scope(_BY_INVESTMENT.using, "member_id IN (SELECT id FROM member)"),
    "member_key_version": Scope(
        _BY_INVESTMENT.using,
        "member_id IN (SELECT id FROM member) AND settled_member_id IN (SELECT id FROM member)"),
    # Bank statement import (migration 0005); a member's IBAN is personal data.
    "bank_import": Scope("club_id IN (SELECT id FROM club)"),
    "bank_line": Scope(
        "club_id IN (SELECT id FROM club)",
        "import_id IN (SELECT id FROM bank_import WHERE bank_import.club_id = bank_line.club_id) "
        "AND entry_id IN (SELECT id FROM entry) "
        "AND (reversal_entry_id IS NULL OR reversal_entry_id IN (SELECT id FROM entry)) "
        "AND (assigned_entry_id IS NULL OR assigned_entry_id IN (SELECT id FROM entry))"),
    "member_bank_account": Scope(
        "club_id IN (SELECT id FROM club)",
        "member_id IN (SELECT id FROM member "
        "WHERE member.club_id = member_bank_account.club_id)"),
    # Migration 0007: plans that change over time, statements e-mailed, reconciled dates.
    "saving_plan": Scope("member_id IN (SELECT id FROM member)"),
    "statement_mailing": Scope(
        "club_id IN (SELECT id FROM club)",
        "member_id IN (SELECT id FROM member WHERE member.club_id = statement_mailing.club_id)"),
    "bank_reconciliation": Scope("club_id IN (SELECT id FROM club)"),
    # Migration 0013_16b: kept balances, written by ledger.post with the postings.
    "account_balance_month": Scope("account_id IN (SELECT id FROM account)"),
    # Migration 0013_16f: the club's stored returns of its closed years (no personal data).
    "closed_year_return": Scope("club_id IN (SELECT id FROM club)"),
}

# Tables the federation role may read besides the views: the yearly returns clubs send
# (migration 0006), keyed by slug and free of personal data by design.
FEDERATION_TABLES = ("federation_return",)

# Tables that look club-scoped but are deliberately not under the club policy, with why.
EXCLUDED_TABLES: dict[str, str] = {
    ACCESS_TABLE: "the access map itself: its own policy shows a role only its own rows, "
                  "and only the owner writes it",
    # The web space's accounts are read and written by the web server (which connects as the
    # owner and applies its own per-route authorization), never by a club's database role.
    "web_role": "web accounts: used by the web server only (cigales serve), not by club roles",
}

# Self-references cannot be checked by a subquery in the table's own policy (PostgreSQL
# refuses a policy that recurses into its own table), so a small invoker's-rights function
# does it: the query inside runs apart, under the same row-level security as the caller.
_HELPERS = """
CREATE OR REPLACE FUNCTION cigales_access_entry_visible(entry_id integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, {schema}
AS $$ SELECT EXISTS (SELECT 1 FROM entry WHERE id = entry_id) $$;

CREATE OR REPLACE FUNCTION cigales_access_member_visible(member_id integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, {schema}
AS $$ SELECT EXISTS (SELECT 1 FROM member WHERE id = member_id) $$;
"""

# Aggregates the federation may read: no names, no member codes, no individual postings.
FEDERATION_VIEWS: dict[str, str] = {
    # One row per club: identity, life cycle and member counts (today = the server's date).
    "federation_club_summary": """
        SELECT c.slug, c.name, c.region, c.department, c.founded,
               p.date AS prorogation_on, l.date AS liquidation_on, x.date AS closed_on,
               CASE WHEN x.date <= CURRENT_DATE THEN 'closed'
                    WHEN l.date <= CURRENT_DATE THEN 'liquidation'
                    WHEN p.date IS NOT NULL
                         AND CURRENT_DATE >= CAST(c.founded + INTERVAL '5 years' AS date)
                         THEN 'management'
                    ELSE 'investment' END AS phase,
               (SELECT count(*) FROM member m WHERE m.club_id = c.id
                  AND m.joined <= CURRENT_DATE
                  AND (m.left_on IS NULL OR m.left_on > CURRENT_DATE)) AS members_active,
               (SELECT count(*) FROM member m WHERE m.club_id = c.id) AS members_ever
          FROM club c
          LEFT JOIN club_event p ON p.club_id = c.id AND p.kind = 'prorogation'
          LEFT JOIN club_event l ON l.club_id = c.id AND l.kind = 'liquidation'
          LEFT JOIN club_event x ON x.club_id = c.id AND x.kind = 'closure'""",
    # Movements per club, calendar year and account class (first digit of the account code),
    # sealed entries only, the opening (AN) journal excluded as in every balance except the
    # opening position of a club that moved in mid-life (ledger.schema.counts_in_balances).
    "federation_club_accounts": """
        SELECT c.slug, c.region, CAST(EXTRACT(YEAR FROM e.date) AS integer) AS year,
               substr(a.code, 1, 1) AS account_class,
               CAST(SUM(CASE WHEN p.amount_cents > 0 THEN p.amount_cents ELSE 0 END)
                    AS bigint) AS debit_cents,
               CAST(SUM(CASE WHEN p.amount_cents < 0 THEN -p.amount_cents ELSE 0 END)
                    AS bigint) AS credit_cents,
               CAST(SUM(p.amount_cents) AS bigint) AS balance_cents
          FROM club c
          JOIN book b ON b.id = c.book_id
          JOIN entry e ON e.book_id = c.book_id AND e.sealed
                      AND (e.journal <> 'AN' OR e.date = b.opened_on)
          JOIN posting p ON p.entry_id = e.id
          JOIN account a ON a.id = p.account_id
         GROUP BY c.slug, c.region, CAST(EXTRACT(YEAR FROM e.date) AS integer),
                  substr(a.code, 1, 1)""",
}

# -- regions: a regional association sees its own region's clubs only ------------------------------

# Small-cell suppression (docs/federation.md §4, "Regional roles"): a club-year's money figures
# are withheld from a regional role when fewer than this many members belonged to the club in
# that year, or when between 1 and this many minus one members moved capital (saved, redeemed,
# transferred) in that year: the figures would then be one or two people's savings.
SMALL_CELL_MIN_MEMBERS = 3

# A region role's rows: the view runs with its owner's rights (the tables stay closed to the
# role) and filters on ``current_user``, which a view does not change: it is the role that
# queries the view. ``security_barrier`` makes PostgreSQL apply this filter before any
# condition the querying role adds, so a function of theirs in a WHERE clause (one that
# raises a NOTICE with its argument, say) never sees another region's rows.
_MY_REGIONS = "SELECT region FROM region_access WHERE role_name = current_user"

REGION_VIEWS: dict[str, str] = {
    # Only module constants are formatted into these two bodies (no input): noqa S608.
    "region_club_summary": f"""
        SELECT s.* FROM federation_club_summary s
         WHERE s.region IN ({_MY_REGIONS})""",  # noqa: S608
    # federation_club_accounts for the role's regions, with small cells withheld. The whole
    # club-year is withheld, not only class 1: every entry balances, so the classes of a
    # club-year sum to zero and one hidden class could be recomputed from the others.
    "region_club_accounts": f"""
        SELECT a.slug, a.region, a.year, a.account_class,
               CASE WHEN k.small THEN NULL ELSE a.debit_cents END AS debit_cents,
               CASE WHEN k.small THEN NULL ELSE a.credit_cents END AS credit_cents,
               CASE WHEN k.small THEN NULL ELSE a.balance_cents END AS balance_cents,
               k.small AS suppressed
          FROM federation_club_accounts a
          JOIN club c ON c.slug = a.slug
          CROSS JOIN LATERAL (
              SELECT (SELECT count(*) FROM member m WHERE m.club_id = c.id
                        AND m.joined <= make_date(a.year, 12, 31)
                        AND (m.left_on IS NULL OR m.left_on >= make_date(a.year, 1, 1)))
                       < {SMALL_CELL_MIN_MEMBERS}
                     OR (SELECT count(DISTINCT cm.member_id) FROM capital_movement cm
                          WHERE cm.club_id = c.id
                            AND cm.date BETWEEN make_date(a.year, 1, 1)
                                            AND make_date(a.year, 12, 31))
                        BETWEEN 1 AND {SMALL_CELL_MIN_MEMBERS - 1} AS small) k
         WHERE a.region IN ({_MY_REGIONS})""",  # noqa: S608
}


_ROLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True, slots=True)
class Grant:
    role: str
    scope: str  # "club", "region" or "federation"
    club: str | None = None  # the club's slug for a club grant
    region: str | None = None  # the region's name for a region grant

    def as_dict(self) -> dict[str, str | None]:
        return {"role": self.role, "scope": self.scope, "club": self.club,
                "region": self.region}


# -- helpers -------------------------------------------------------------------------------------

def validate_role(role: str) -> str:
    if not _ROLE_RE.match(role) or role.startswith("pg_") or role == "public":
        raise InvalidRoleName(role=role)
    return role


def require_postgresql(session: Session) -> None:
    """Refuse, before anything else is read or written, a database that has no roles."""
    if session.get_bind().dialect.name != "postgresql":
        raise AccessControlNeedsPostgreSQL()


def _conn(session: Session) -> Connection:
    require_postgresql(session)
    return session.connection()


def _q(conn: Connection, name: str) -> str:
    """An identifier, always quoted by the dialect (never raw input in SQL)."""
    return conn.dialect.identifier_preparer.quote_identifier(name)


def _exec(conn: Connection, statement: str, **params: object) -> None:
    conn.execute(text(statement), params)


def _schema(conn: Connection) -> str:
    return str(conn.execute(text("SELECT current_schema()")).scalar_one())


def _existing(conn: Connection, names: Iterable[str]) -> list[str]:
    return [n for n in names
            if conn.execute(text("SELECT to_regclass(:n)"), {"n": _q(conn, n)}).scalar()]


def _owner(conn: Connection, table: str) -> str:
    return str(conn.execute(text(
        "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass(:t)"),
        {"t": _q(conn, table)}).scalar_one())


def _check_operator(conn: Connection) -> None:
    """Grants alter the tables: only their owner (or a superuser) may run them."""
    row = conn.execute(text(
        "SELECT r.rolsuper OR pg_has_role(current_user, c.relowner, 'USAGE'), current_user "
        "FROM pg_roles r, pg_class c "
        "WHERE r.rolname = current_user AND c.oid = to_regclass('club')")).one()
    if not row[0]:
        raise AccessControlNeedsOwner(role=row[1])


def _check_role(conn: Connection, role: str) -> None:
    validate_role(role)
    row = conn.execute(text(
        "SELECT r.rolsuper OR r.rolbypassrls OR pg_has_role(r.oid, c.relowner, 'MEMBER') "
        "FROM pg_roles r, pg_class c "
        "WHERE r.rolname = :role AND c.oid = to_regclass('club')"), {"role": role}).first()
    if row is None:
        raise UnknownRole(role=role)
    if row[0]:
        raise RoleBypassesSecurity(role=role)


def _sequences(conn: Connection, tables: Iterable[str]) -> list[str]:
    """Sequences owned by the tables' columns (serial and identity columns)."""
    return list(conn.execute(text(
        "SELECT DISTINCT s.relname FROM pg_class s "
        "JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid "
        "  AND d.deptype IN ('a', 'i') "
        "JOIN pg_class t ON t.oid = d.refobjid "
        "WHERE s.relkind = 'S' AND s.relnamespace = to_regnamespace(current_schema()) "
        "  AND t.relnamespace = s.relnamespace AND t.relname = ANY(:tables) "
        "ORDER BY s.relname"), {"tables": list(tables)}).scalars())


# -- installation --------------------------------------------------------------------------------

def install(session: Session) -> None:
    """Create or refresh the mapping table, the policies and the views. Idempotent.

    Run by every grant; safe to run again after a migration (a new table of CLUB_TABLES is
    then put under row-level security).
    """
    conn = _conn(session)
    _check_operator(conn)
    # Two grants at once must not both create the table or the policies.
    _exec(conn, "SELECT pg_advisory_xact_lock(hashtext('cigales_access_control'))")
    schema = _q(conn, _schema(conn))
    _exec(conn, f"""
        CREATE TABLE IF NOT EXISTS {ACCESS_TABLE} (
            role_name text NOT NULL,
            club_id integer NOT NULL REFERENCES club (id) ON DELETE CASCADE,
            granted_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_{ACCESS_TABLE} PRIMARY KEY (role_name, club_id)
        )""")
    _exec(conn, f"""
        CREATE TABLE IF NOT EXISTS {REGION_ACCESS_TABLE} (
            role_name text NOT NULL,
            region text NOT NULL,
            granted_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_{REGION_ACCESS_TABLE} PRIMARY KEY (role_name, region)
        )""")
    conn.exec_driver_sql(_HELPERS.format(schema=schema))
    tables = _existing(conn, CLUB_TABLES)
    for table in [ACCESS_TABLE, REGION_ACCESS_TABLE, *tables]:
        t = _q(conn, table)
        owner = _q(conn, _owner(conn, table))
        _exec(conn, f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
        _exec(conn, f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY")
        _exec(conn, f"DROP POLICY IF EXISTS cigales_owner ON {t}")
        _exec(conn, f"CREATE POLICY cigales_owner ON {t} AS PERMISSIVE FOR ALL TO {owner} "
                    "USING (true) WITH CHECK (true)")
        _exec(conn, f"DROP POLICY IF EXISTS cigales_club ON {t}")
        if table in (ACCESS_TABLE, REGION_ACCESS_TABLE):
            _exec(conn, f"CREATE POLICY cigales_club ON {t} AS PERMISSIVE FOR SELECT "
                        "TO PUBLIC USING (role_name = current_user)")
        else:
            scope = CLUB_TABLES[table]
            _exec(conn, f"CREATE POLICY cigales_club ON {t} AS PERMISSIVE FOR ALL TO PUBLIC "
                        f"USING ({scope.using}) WITH CHECK ({scope.with_check})")
    # The region views read the federation views: those first.
    for view, body in [*FEDERATION_VIEWS.items(), *REGION_VIEWS.items()]:
        _exec(conn, f"CREATE OR REPLACE VIEW {_q(conn, view)} WITH (security_barrier) "
                    f"AS {body}")


# -- grants --------------------------------------------------------------------------------------

def _grant_common(conn: Connection, role: str) -> str:
    r = _q(conn, role)
    _exec(conn, f"GRANT USAGE ON SCHEMA {_q(conn, _schema(conn))} TO {r}")
    if _existing(conn, ["alembic_version"]):
        _exec(conn, f"GRANT SELECT ON alembic_version TO {r}")
    return r


def grant_club(session: Session, club: Club, role: str) -> Grant:
    """Give ROLE read/write access to this club's rows, and to nothing of any other club."""
    conn = _conn(session)
    validate_role(role)
    install(session)
    _check_role(conn, role)
    r = _grant_common(conn, role)
    tables = _existing(conn, CLUB_TABLES)
    for table in tables:
        _exec(conn, f"GRANT SELECT, INSERT, UPDATE, DELETE ON {_q(conn, table)} TO {r}")
    for seq in _sequences(conn, tables):
        _exec(conn, f"GRANT USAGE, SELECT ON SEQUENCE {_q(conn, seq)} TO {r}")
    _exec(conn, f"GRANT SELECT ON {ACCESS_TABLE} TO {r}")
    _exec(conn, "INSERT INTO club_access (role_name, club_id) VALUES (:role, :club) "
                "ON CONFLICT DO NOTHING", role=role, club=club.id)
    return Grant(role, "club", club.slug)


def grant_federation(session: Session, role: str) -> Grant:
    """Give ROLE read access to the aggregate views only (no table, no name, no posting)."""
    conn = _conn(session)
    validate_role(role)
    install(session)
    _check_role(conn, role)
    r = _grant_common(conn, role)
    for view in [*FEDERATION_VIEWS, *_existing(conn, FEDERATION_TABLES)]:
        _exec(conn, f"GRANT SELECT ON {_q(conn, view)} TO {r}")
    return Grant(role, "federation")


def known_regions(session: Session) -> list[str]:
    """Regions of the clubs hosted here and of the returns received, sorted."""
    conn = session.connection()
    found = set(conn.execute(text("SELECT DISTINCT region FROM club WHERE region IS NOT NULL"))
                .scalars())
    if _existing(conn, FEDERATION_TABLES):
        found |= set(conn.execute(text(
            "SELECT DISTINCT region FROM federation_return WHERE region IS NOT NULL")).scalars())
    return sorted(found)


def grant_region(session: Session, region: str, role: str) -> Grant:
    """Give ROLE read access to the aggregates of REGION's clubs only (small cells withheld).

    The role gets SELECT on the region views and nothing else: no table, no federation view.
    """
    conn = _conn(session)
    validate_role(role)
    regions = known_regions(session)
    if region not in regions:
        raise UnknownRegion(region=region, known=", ".join(regions) or "—")
    install(session)
    _check_role(conn, role)
    r = _grant_common(conn, role)
    for view in REGION_VIEWS:
        _exec(conn, f"GRANT SELECT ON {_q(conn, view)} TO {r}")
    _exec(conn, "INSERT INTO region_access (role_name, region) VALUES (:role, :region) "
                "ON CONFLICT DO NOTHING", role=role, region=region)
    return Grant(role, "region", region=region)


def revoke(session: Session, role: str, club: Club | None = None,
           region: str | None = None) -> list[Grant]:
    """Take back ROLE's access: to one club, to one region, or (with neither) everything
    granted here.

    Returns the grants removed. A role left with no club loses its privileges on the club
    tables, and one left with nothing at all its use of the schema; the role itself is not
    dropped (it may own objects elsewhere).
    """
    conn = _conn(session)
    validate_role(role)
    if not _existing(conn, [ACCESS_TABLE]):
        return []
    _check_operator(conn)
    before = [g for g in list_grants(session) if g.role == role]
    regions = bool(_existing(conn, [REGION_ACCESS_TABLE]))
    if club is not None:
        removed = [g for g in before if g.scope == "club" and g.club == club.slug]
        _exec(conn, "DELETE FROM club_access WHERE role_name = :role AND club_id = :club",
              role=role, club=club.id)
    elif region is not None:
        removed = [g for g in before if g.scope == "region" and g.region == region]
        if regions:
            _exec(conn, "DELETE FROM region_access "
                        "WHERE role_name = :role AND region = :region", role=role, region=region)
    else:
        removed = before
        _exec(conn, "DELETE FROM club_access WHERE role_name = :role", role=role)
        if regions:
            _exec(conn, "DELETE FROM region_access WHERE role_name = :role", role=role)
    left = [g for g in before if g not in removed]
    if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
        return removed
    r = _q(conn, role)
    if not any(g.scope == "club" for g in left):
        club_tables = _existing(conn, CLUB_TABLES)
        for table in [*club_tables, ACCESS_TABLE]:
            _exec(conn, f"REVOKE ALL ON {_q(conn, table)} FROM {r}")
        for seq in _sequences(conn, club_tables):
            _exec(conn, f"REVOKE ALL ON SEQUENCE {_q(conn, seq)} FROM {r}")
    if not any(g.scope == "federation" for g in left):
        for view in _existing(conn, [*FEDERATION_VIEWS, *FEDERATION_TABLES]):
            _exec(conn, f"REVOKE ALL ON {_q(conn, view)} FROM {r}")
    if not any(g.scope == "region" for g in left):
        for view in _existing(conn, REGION_VIEWS):
            _exec(conn, f"REVOKE ALL ON {_q(conn, view)} FROM {r}")
    if not left:
        if _existing(conn, ["alembic_version"]):
            _exec(conn, f"REVOKE ALL ON alembic_version FROM {r}")
        _exec(conn, f"REVOKE USAGE ON SCHEMA {_q(conn, _schema(conn))} FROM {r}")
    return removed


def list_grants(session: Session) -> list[Grant]:
    """Every club and federation grant made in this database, sorted by role."""
    conn = _conn(session)
    if not _existing(conn, [ACCESS_TABLE]):
        return []
    found = [Grant(role, "club", slug) for role, slug in conn.execute(text(
        "SELECT a.role_name, c.slug FROM club_access a JOIN club c ON c.id = a.club_id"))]
    view = next(iter(FEDERATION_VIEWS))
    found += [Grant(role, "federation") for role in conn.execute(text(
        "SELECT DISTINCT pg_get_userbyid(a.grantee) FROM pg_class c, aclexplode(c.relacl) a "
        "WHERE c.oid = to_regclass(:view) AND a.privilege_type = 'SELECT' "
        "AND a.grantee <> 0 AND a.grantee <> c.relowner"), {"view": _q(conn, view)}).scalars()]
    if _existing(conn, [REGION_ACCESS_TABLE]):
        found += [Grant(role, "region", region=region) for role, region in conn.execute(text(
            "SELECT role_name, region FROM region_access"))]
    return sorted(found, key=lambda g: (g.role, g.scope, g.club or "", g.region or ""))


# -- coverage ------------------------------------------------------------------------------------

def club_scoped_tables(conn: Connection) -> set[str]:
    """Tables of the live schema whose rows belong to a club (works on any backend).

    A table is club-scoped if it has a ``club_id`` or ``book_id`` column, or a foreign key to
    a club-scoped table (``posting`` through ``entry``, ``member_identity`` through
    ``member`` ...); ``club`` and ``book`` are by definition.
    """
    insp = inspect(conn)
    tables = set(insp.get_table_names())
    columns = {t: {c["name"] for c in insp.get_columns(t)} for t in tables}
    refers = {t: {fk["referred_table"] for fk in insp.get_foreign_keys(t)} for t in tables}
    scoped = {t for t in tables if columns[t] & {"club_id", "book_id"}} | (
        {"club", "book"} & tables)
    grew = True
    while grew:
        more = {t for t in tables - scoped if refers[t] & scoped}
        scoped |= more
        grew = bool(more)
    return scoped
