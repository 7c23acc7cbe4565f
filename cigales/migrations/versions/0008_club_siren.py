"""The club's own SIREN (optional): names its FEC file ``{SIREN}FEC{YYYYMMDD}.txt``.

A plain ADD COLUMN: SQLite does not rebuild the table, so no trigger needs re-creating
(the ledger's triggers live on entry and posting, not on club).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("club") as batch:
        batch.add_column(sa.Column("siren", sa.String(length=9), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("club") as batch:
        batch.drop_column("siren")
