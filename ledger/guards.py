"""Database triggers that make the ledger's invariants hold even for raw SQL.

Python checks every rule first and gives a helpful message; these triggers are the second wall,
so that a bug, a script or a hand edit cannot quietly corrupt the books:

* an entry is inserted unsealed; sealing it is refused unless it has >= 2 postings summing to 0;
* a sealed entry, and every posting of a sealed entry, can be neither updated nor deleted, and
  no posting can be added to it;
* a zero posting is refused (also a CHECK constraint);
* no entry can be dated inside a closed fiscal year, and a closed year cannot be reopened;
* the kept balances (``account_balance_month``) only grow: a row's debit and credit totals can
  be raised (by ``ledger.post``, in the transaction of the postings) but never lowered, moved
  to another account or month, or deleted. A raise by hand is what ``cigales check`` finds
  (``balance_cache_mismatch``): a trigger cannot tell ``ledger.post`` from raw SQL on SQLite.

Every error raised here starts with the rule's code (``entry_must_balance`` ...) so the Python
layer can map it back to a typed error. Table rebuilds (SQLite ``batch_alter_table``) drop
triggers, so ``install()`` is idempotent and is run after every migration.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

# Name -> SQLite DDL. Kept one statement per trigger so each can be checked and re-created.
_SQLITE: dict[str, str] = {
    "trg_entry_insert_unsealed": """
        CREATE TRIGGER IF NOT EXISTS trg_entry_insert_unsealed BEFORE INSERT ON entry
        WHEN NEW.sealed <> 0
        BEGIN SELECT RAISE(ABORT, 'entry_must_be_inserted_unsealed'); END""",
    "trg_entry_date_format": """
        CREATE TRIGGER IF NOT EXISTS trg_entry_date_format BEFORE INSERT ON entry
        WHEN NEW.date NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'
        BEGIN SELECT RAISE(ABORT, 'invalid_entry_date'); END""",
    "trg_entry_redate_guard": """
        CREATE TRIGGER IF NOT EXISTS trg_entry_redate_guard BEFORE UPDATE OF date ON entry
        WHEN NEW.date NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'
          OR EXISTS (SELECT 1 FROM fiscal_year fy WHERE fy.book_id = NEW.book_id
                     AND fy.closed <> 0 AND NEW.date BETWEEN fy.start_date AND fy.end_date)
        BEGIN SELECT RAISE(ABORT, 'fiscal_year_closed'); END""",
    "trg_entry_seal_balanced": """
        CREATE TRIGGER IF NOT EXISTS trg_entry_seal_balanced BEFORE UPDATE OF sealed ON entry
        WHEN NEW.sealed <> 0 AND OLD.sealed = 0
        BEGIN
          SELECT RAISE(ABORT, 'entry_needs_two_lines')
          WHERE (SELECT COUNT(*) FROM posting WHERE entry_id = NEW.id) < 2;
          SELECT RAISE(ABORT, 'entry_must_balance')
          WHERE (SELECT COALESCE(SUM(amount_cents), 0) FROM posting WHERE entry_id = NEW.id) <> 0;
        END""",
    "trg_entry_sealed_no_update": """
        CREATE TRIGGER IF NOT EXISTS trg_entry_sealed_no_update BEFORE UPDATE ON entry
        WHEN OLD.sealed <> 0
        BEGIN SELECT RAISE(ABORT, 'sealed_entry_immutable'); END""",
    "trg_entry_sealed_no_delete": """
        CREATE TRIGGER IF NOT EXISTS trg_entry_sealed_no_delete BEFORE DELETE ON entry
        WHEN OLD.sealed <> 0
        BEGIN SELECT RAISE(ABORT, 'sealed_entry_immutable'); END""",
    "trg_entry_not_in_closed_year": """
        CREATE TRIGGER IF NOT EXISTS trg_entry_not_in_closed_year BEFORE INSERT ON entry
        WHEN EXISTS (SELECT 1 FROM fiscal_year fy WHERE fy.book_id = NEW.book_id
                     AND fy.closed <> 0 AND NEW.date BETWEEN fy.start_date AND fy.end_date)
        BEGIN SELECT RAISE(ABORT, 'fiscal_year_closed'); END""",
    "trg_posting_not_zero": """
        CREATE TRIGGER IF NOT EXISTS trg_posting_not_zero BEFORE INSERT ON posting
        WHEN NEW.amount_cents = 0
        BEGIN SELECT RAISE(ABORT, 'posting_must_not_be_zero'); END""",
    "trg_posting_no_insert_sealed": """
        CREATE TRIGGER IF NOT EXISTS trg_posting_no_insert_sealed BEFORE INSERT ON posting
        WHEN (SELECT sealed FROM entry WHERE id = NEW.entry_id) <> 0
        BEGIN SELECT RAISE(ABORT, 'sealed_entry_immutable'); END""",
    "trg_posting_no_update_sealed": """
        CREATE TRIGGER IF NOT EXISTS trg_posting_no_update_sealed BEFORE UPDATE ON posting
        WHEN (SELECT sealed FROM entry WHERE id = OLD.entry_id) <> 0
          OR (SELECT sealed FROM entry WHERE id = NEW.entry_id) <> 0
        BEGIN SELECT RAISE(ABORT, 'sealed_entry_immutable'); END""",
    "trg_posting_update_not_zero": """
        CREATE TRIGGER IF NOT EXISTS trg_posting_update_not_zero BEFORE UPDATE ON posting
        WHEN NEW.amount_cents = 0
        BEGIN SELECT RAISE(ABORT, 'posting_must_not_be_zero'); END""",
    "trg_posting_no_delete_sealed": """
        CREATE TRIGGER IF NOT EXISTS trg_posting_no_delete_sealed BEFORE DELETE ON posting
        WHEN (SELECT sealed FROM entry WHERE id = OLD.entry_id) <> 0
        BEGIN SELECT RAISE(ABORT, 'sealed_entry_immutable'); END""",
    "trg_fiscal_year_no_reopen": """
        CREATE TRIGGER IF NOT EXISTS trg_fiscal_year_no_reopen BEFORE UPDATE ON fiscal_year
        WHEN OLD.closed <> 0
        BEGIN SELECT RAISE(ABORT, 'fiscal_year_closed'); END""",
    "trg_fiscal_year_no_delete": """
        CREATE TRIGGER IF NOT EXISTS trg_fiscal_year_no_delete BEFORE DELETE ON fiscal_year
        WHEN OLD.closed <> 0
        BEGIN SELECT RAISE(ABORT, 'fiscal_year_closed'); END""",
    "trg_balance_month_only_grows": """
        CREATE TRIGGER IF NOT EXISTS trg_balance_month_only_grows
        BEFORE UPDATE ON account_balance_month
        WHEN NEW.debit_cents < OLD.debit_cents OR NEW.credit_cents < OLD.credit_cents
          OR NEW.account_id <> OLD.account_id OR NEW.month <> OLD.month
        BEGIN SELECT RAISE(ABORT, 'kept_balance_only_grows'); END""",
    "trg_balance_month_no_delete": """
        CREATE TRIGGER IF NOT EXISTS trg_balance_month_no_delete
        BEFORE DELETE ON account_balance_month
        BEGIN SELECT RAISE(ABORT, 'kept_balance_only_grows'); END""",
}

# PostgreSQL: one plpgsql function per rule, attached by triggers of the same names.
_PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION ledger_entry_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.sealed THEN
    RAISE EXCEPTION 'entry_must_be_inserted_unsealed' USING ERRCODE = 'check_violation';
  END IF;
  IF EXISTS (SELECT 1 FROM fiscal_year fy WHERE fy.book_id = NEW.book_id AND fy.closed
             AND NEW.date BETWEEN fy.start_date AND fy.end_date) THEN
    RAISE EXCEPTION 'fiscal_year_closed' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION ledger_entry_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n integer;
  total bigint;
BEGIN
  IF OLD.sealed THEN
    RAISE EXCEPTION 'sealed_entry_immutable' USING ERRCODE = 'check_violation';
  END IF;
  IF EXISTS (SELECT 1 FROM fiscal_year fy WHERE fy.book_id = NEW.book_id AND fy.closed
             AND NEW.date BETWEEN fy.start_date AND fy.end_date) THEN
    RAISE EXCEPTION 'fiscal_year_closed' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.sealed THEN
    SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) INTO n, total
      FROM posting WHERE entry_id = NEW.id;
    IF n < 2 THEN
      RAISE EXCEPTION 'entry_needs_two_lines' USING ERRCODE = 'check_violation';
    END IF;
    IF total <> 0 THEN
      RAISE EXCEPTION 'entry_must_balance' USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION ledger_entry_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.sealed THEN
    RAISE EXCEPTION 'sealed_entry_immutable' USING ERRCODE = 'check_violation';
  END IF;
  RETURN OLD;
END $$;

CREATE OR REPLACE FUNCTION ledger_posting_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND
     (SELECT sealed FROM entry WHERE id = OLD.entry_id) THEN
    RAISE EXCEPTION 'sealed_entry_immutable' USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF NEW.amount_cents = 0 THEN
      RAISE EXCEPTION 'posting_must_not_be_zero' USING ERRCODE = 'check_violation';
    END IF;
    IF (SELECT sealed FROM entry WHERE id = NEW.entry_id) THEN
      RAISE EXCEPTION 'sealed_entry_immutable' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  RETURN OLD;
END $$;

CREATE OR REPLACE FUNCTION ledger_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sealed_entry_immutable' USING ERRCODE = 'check_violation';
END $$;

CREATE OR REPLACE FUNCTION ledger_balance_month_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
    RAISE EXCEPTION 'kept_balance_only_grows' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.debit_cents < OLD.debit_cents OR NEW.credit_cents < OLD.credit_cents
     OR NEW.account_id <> OLD.account_id OR NEW.month <> OLD.month THEN
    RAISE EXCEPTION 'kept_balance_only_grows' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION ledger_fiscal_year_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.closed THEN
    RAISE EXCEPTION 'fiscal_year_closed' USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$;
"""

_PG_TRIGGERS: dict[str, str] = {
    "trg_entry_insert": (
        "BEFORE INSERT ON entry FOR EACH ROW EXECUTE FUNCTION ledger_entry_insert()"
    ),
    "trg_entry_update": (
        "BEFORE UPDATE ON entry FOR EACH ROW EXECUTE FUNCTION ledger_entry_update()"
    ),
    "trg_entry_delete": (
        "BEFORE DELETE ON entry FOR EACH ROW EXECUTE FUNCTION ledger_entry_delete()"
    ),
    "trg_posting_write": (
        "BEFORE INSERT OR UPDATE OR DELETE ON posting FOR EACH ROW "
        "EXECUTE FUNCTION ledger_posting_write()"
    ),
    "trg_fiscal_year_write": (
        "BEFORE UPDATE OR DELETE ON fiscal_year FOR EACH ROW "
        "EXECUTE FUNCTION ledger_fiscal_year_write()"
    ),
    # Row triggers do not fire on TRUNCATE: refuse it outright on the ledger's tables.
    "trg_entry_truncate": (
        "BEFORE TRUNCATE ON entry FOR EACH STATEMENT EXECUTE FUNCTION ledger_no_truncate()"
    ),
    "trg_posting_truncate": (
        "BEFORE TRUNCATE ON posting FOR EACH STATEMENT EXECUTE FUNCTION ledger_no_truncate()"
    ),
    "trg_fiscal_year_truncate": (
        "BEFORE TRUNCATE ON fiscal_year FOR EACH STATEMENT "
        "EXECUTE FUNCTION ledger_no_truncate()"
    ),
    "trg_balance_month_write": (
        "BEFORE UPDATE OR DELETE ON account_balance_month FOR EACH ROW "
        "EXECUTE FUNCTION ledger_balance_month_write()"
    ),
    "trg_balance_month_truncate": (
        "BEFORE TRUNCATE ON account_balance_month FOR EACH STATEMENT "
        "EXECUTE FUNCTION ledger_balance_month_write()"
    ),
}

_PG_TRIGGER_TABLES = {
    "trg_entry_insert": "entry",
    "trg_entry_update": "entry",
    "trg_entry_delete": "entry",
    "trg_posting_write": "posting",
    "trg_fiscal_year_write": "fiscal_year",
    "trg_entry_truncate": "entry",
    "trg_posting_truncate": "posting",
    "trg_fiscal_year_truncate": "fiscal_year",
    "trg_balance_month_write": "account_balance_month",
    "trg_balance_month_truncate": "account_balance_month",
}

# Tables that appear in a later migration than the guards' first ones: their guards are
# installed once the table exists (a database migrated to an older revision has none).
_LATER_TABLES = {
    "trg_balance_month_only_grows": "account_balance_month",
    "trg_balance_month_no_delete": "account_balance_month",
    "trg_balance_month_write": "account_balance_month",
    "trg_balance_month_truncate": "account_balance_month",
}

GUARD_CODES = (
    "entry_must_be_inserted_unsealed",
    "invalid_entry_date",
    "entry_needs_two_lines",
    "entry_must_balance",
    "sealed_entry_immutable",
    "fiscal_year_closed",
    "posting_must_not_be_zero",
    "kept_balance_only_grows",
)


def expected_triggers(dialect: str) -> tuple[str, ...]:
    return tuple(_SQLITE) if dialect == "sqlite" else tuple(_PG_TRIGGERS)


def install(conn: Connection) -> None:
    """(Re)create every guard; safe to run any number of times."""
    absent = _absent_tables(conn)
    if conn.dialect.name == "sqlite":
        for name, ddl in _SQLITE.items():
            if _LATER_TABLES.get(name) not in absent:
                conn.exec_driver_sql(ddl)
        return
    conn.exec_driver_sql(_PG_FUNCTIONS)
    for name, body in _PG_TRIGGERS.items():
        table = _PG_TRIGGER_TABLES[name]
        if table in absent:
            continue
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        conn.exec_driver_sql(f"CREATE TRIGGER {name} {body}")


def _absent_tables(conn: Connection) -> set[str]:
    later = set(_LATER_TABLES.values())
    return {t for t in later if not inspect(conn).has_table(t)}


def drop(conn: Connection) -> None:
    """Remove every guard (used by migrations that rebuild tables, and by corruption tests)."""
    if conn.dialect.name == "sqlite":
        for name in _SQLITE:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        return
    absent = _absent_tables(conn)
    for name, table in _PG_TRIGGER_TABLES.items():
        if table not in absent:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")


def missing(conn: Connection) -> list[str]:
    """Names of guards that should exist but do not (checked by the audit)."""
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    else:
        rows = conn.execute(
            text(
                "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
            )
        )
    present = {r[0] for r in rows}
    return [name for name in expected_triggers(conn.dialect.name) if name not in present]


def guard_code(message: str) -> str | None:
    """The rule code at the start of a database error raised by one of these guards."""
    for code in GUARD_CODES:
        if code in message:
            return code
    return None
