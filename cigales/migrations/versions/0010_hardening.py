"""Hardening: each entry records which canonical form its hash covers.

- ``entry.hash_version``: 1 for every entry written before this revision (their hashes keep
  verifying with the form they were computed with), 2 for new entries, whose hash also covers
  the idempotency key (see ``ledger.post.canonical`` and docs/invariants.md);
- ``bank_line.raw_label``: the label as the bank file had it when it held control characters
  (the ``label`` column shows them as a visible mark); erased with the member's data.

SQLite's text-length triggers are installed by the migration environment after every run
(``cigales.text_limits``), like the ledger guards.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both backends: no table rebuild, and the server default fills the
    # existing (sealed, immutable) rows without firing their update guards.
    op.add_column("entry", sa.Column("hash_version", sa.Integer(), server_default="1",
                                     nullable=False))
    op.add_column("bank_line", sa.Column("raw_label", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bank_line") as batch:
        batch.drop_column("raw_label")
    with op.batch_alter_table("entry") as batch:
        batch.drop_column("hash_version")
