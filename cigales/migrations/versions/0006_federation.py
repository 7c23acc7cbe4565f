"""Federation returns; members' identities can be erased after the retention period.

- ``federation_return``: every received version of a club's yearly return;
- ``club.retention_years`` (default 10): how long after the club closes identities are kept;
- ``member_identity.erased_on``: set when the identity was replaced by a tombstone.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "federation_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_slug", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("current", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_federation_return_revision_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_return")),
        sa.UniqueConstraint("club_slug", "year", "revision",
                            name=op.f("uq_federation_return_club_slug_year_revision")),
        sa.UniqueConstraint("club_slug", "year", "checksum",
                            name=op.f("uq_federation_return_club_slug_year_checksum")),
    )
    with op.batch_alter_table("club") as batch:
        batch.add_column(sa.Column("retention_years", sa.Integer(), server_default="10",
                                   nullable=False))
    with op.batch_alter_table("member_identity") as batch:
        batch.add_column(sa.Column("erased_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("member_identity") as batch:
        batch.drop_column("erased_on")
    with op.batch_alter_table("club") as batch:
        batch.drop_column("retention_years")
    op.drop_table("federation_return")
