"""The database's second wall for text lengths, the same on SQLite as on PostgreSQL.

PostgreSQL refuses a value longer than its VARCHAR(n) column; SQLite stores anything. Python
checks every length first (``ledger.limits``, ``cigales.cli.bounds``), and these triggers make
SQLite refuse what PostgreSQL refuses, so a script or a raw ``INSERT`` cannot store a
100,000-character label in one backend and fail in the other.

Triggers rather than CHECK constraints: SQLite can add a CHECK only by rebuilding the table,
which for the sealed ledger tables means copying every row past their guards. The triggers
are generated from the models' column sizes, so they always agree with PostgreSQL's, and the
migration environment re-creates them after every migration (a table rebuild drops them).
Their error starts with ``text_too_long`` like the ledger guards' codes.
"""

from __future__ import annotations

from sqlalchemy import Connection, MetaData, String, Text


def _columns(metadata: MetaData) -> dict[str, list[tuple[str, int]]]:
    found: dict[str, list[tuple[str, int]]] = {}
    for table in metadata.sorted_tables:
        sized = [(c.name, int(c.type.length)) for c in table.columns
                 if isinstance(c.type, String) and not isinstance(c.type, Text)
                 and c.type.length is not None]
        if sized:
            found[table.name] = sized
    return found


def _ddl(table: str, columns: list[tuple[str, int]], event: str) -> tuple[str, str]:
    name = f"trg_{table}_text_length_{event.lower()}"
    too_long = " OR ".join(f"length(NEW.{col}) > {size}" for col, size in columns)
    return name, (f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON {table} "
                  f"WHEN {too_long} BEGIN SELECT RAISE(ABORT, 'text_too_long'); END")


def triggers(metadata: MetaData) -> dict[str, str]:
    return dict(_ddl(table, columns, event)
                for table, columns in _columns(metadata).items()
                for event in ("INSERT", "UPDATE"))


def install(conn: Connection, metadata: MetaData) -> None:
    """(Re)create the SQLite length triggers; PostgreSQL's VARCHAR needs none."""
    if conn.dialect.name != "sqlite":
        return
    existing = {r[0] for r in conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    for name, ddl in triggers(metadata).items():
        table = ddl.split(" ON ", 1)[1].split(" ", 1)[0]
        if table in existing:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            conn.exec_driver_sql(ddl)
