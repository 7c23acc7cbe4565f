"""Alembic environment. Migrations run on a connection handed over by cigales.migrate.

The ledger guards are lifted for the migration and re-installed at the end of the same
transaction: SQLite table rebuilds (``batch_alter_table``) fail while triggers of other tables
refer to the table being renamed, and silently drop the table's own triggers. Doing it here,
for every run, means no migration can forget it and the books are never left unguarded.
"""

from __future__ import annotations

from alembic import context

# Every table's columns, for the length triggers: the models that cigales.models does not
# import register their tables on the same metadata when loaded (0015_web says why).
import cigales.bank.models
import cigales.webmodels  # noqa: F401
from cigales import text_limits
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
    guards.drop(connection)
    context.run_migrations()
    guards.install(connection)
    text_limits.install(connection, metadata)
