"""Alembic environment. Migrations run on a connection handed over by cigales.migrate.

After every run the ledger guards are (re)installed: SQLite table rebuilds made by
``batch_alter_table`` silently drop triggers, and the books must never be left unguarded.
"""

from __future__ import annotations

from alembic import context

from cigales.models import metadata
from ledger import guards

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when alembic is run by hand
    raise SystemExit("run migrations through `cigales db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
    guards.install(connection)
