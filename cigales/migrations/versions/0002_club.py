"""Club: the domain object that owns a book.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "club",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("founded", sa.Date(), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("department", sa.String(length=3), nullable=True),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["book_id"], ["book.id"], name=op.f("fk_club_book_id_book")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_club")),
        sa.UniqueConstraint("book_id", name=op.f("uq_club_book_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_club_slug")),
    )


def downgrade() -> None:
    op.drop_table("club")
