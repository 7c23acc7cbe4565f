"""Stored returns of closed years (issue 16, item 2).

``closed_year_return``: a hosted club's return for a year, computed when the year was
closed, with the book's chain head at that moment; ``federation report`` and ``federation
return`` reuse it while the head is unchanged.

Revision ID: 0013_16f
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_16f"
down_revision = "0013_16b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "closed_year_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("chain_entries", sa.BigInteger(), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["club_id"], ["club.id"],
                                name=op.f("fk_closed_year_return_club_id_club")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closed_year_return")),
        sa.UniqueConstraint("club_id", "year", name=op.f("uq_closed_year_return_club_id_year")),
    )


def downgrade() -> None:
    op.drop_table("closed_year_return")
