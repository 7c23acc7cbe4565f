"""Member keys passed on when a member's share is settled; the liquidation's first entry.

- ``member_key_version``: a new version of an investment's member keys, in force from a date
  (the day after a member's share was settled by payout, transfer or deferral: their part
  passes to the members who carry it). Version 0 stays in ``member_key`` (the subscription's
  frozen key, which the tax sheets keep);
- ``club_event.entry_id``: for the closure event, the first entry the liquidation posted, so
  reports can show the liquidation year's accounts before the distribution.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_key_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("investment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("numerator", sa.BigInteger(), nullable=False),
        sa.Column("denominator", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("settled_member_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("numerator >= 0 AND denominator > 0",
                           name=op.f("ck_member_key_version_fraction_valid")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_member_key_version_version_positive")),
        sa.ForeignKeyConstraint(["investment_id"], ["investment.id"],
                                name=op.f("fk_member_key_version_investment_id_investment")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_member_key_version_member_id_member")),
        sa.ForeignKeyConstraint(["settled_member_id"], ["member.id"],
                                name=op.f("fk_member_key_version_settled_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_key_version")),
        sa.UniqueConstraint("investment_id", "version", "member_id",
                            name=op.f("uq_member_key_version_investment_id_version_member_id")),
    )
    op.create_index("ix_member_key_version_investment", "member_key_version",
                    ["investment_id", "version"])
    with op.batch_alter_table("club_event") as batch:
        batch.add_column(sa.Column("entry_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_club_event_entry_id_entry"), "entry",
                                 ["entry_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("club_event") as batch:
        batch.drop_constraint(op.f("fk_club_event_entry_id_entry"), type_="foreignkey")
        batch.drop_column("entry_id")
    op.drop_index("ix_member_key_version_investment", table_name="member_key_version")
    op.drop_table("member_key_version")
