"""Club life cycle and members: settings, events, members, identities, capital movements.

Also opens account 7580 (other income) in books created before it joined the chart.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("club") as batch:
        batch.add_column(
            sa.Column(
                "share_method", sa.String(length=10), server_default="prorata", nullable=False
            )
        )
        batch.add_column(
            sa.Column("phase2_savings", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(
            sa.Column("phase2_investments", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(
            sa.Column(
                "result_allocation",
                sa.String(length=16),
                server_default="carry_forward",
                nullable=False,
            )
        )
        batch.create_check_constraint(
            op.f("ck_club_share_method_known"), "share_method IN ('prorata', 'units')"
        )
        batch.create_check_constraint(
            op.f("ck_club_result_allocation_known"),
            "result_allocation IN ('carry_forward', 'members')",
        )
    op.create_table(
        "club_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('prorogation', 'liquidation', 'closure')",
            name=op.f("ck_club_event_kind_known"),
        ),
        sa.ForeignKeyConstraint(["club_id"], ["club.id"], name=op.f("fk_club_event_club_id_club")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_club_event")),
        sa.UniqueConstraint("club_id", "kind", name=op.f("uq_club_event_club_id_kind")),
    )
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("joined", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("settlement", sa.String(length=10), nullable=True),
        sa.Column("transfer_to_id", sa.Integer(), nullable=True),
        sa.Column("deceased", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("monthly_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "settlement IS NULL OR settlement IN ('payout', 'transfer', 'deferred')",
            name=op.f("ck_member_settlement_known"),
        ),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on >= joined", name=op.f("ck_member_left_after_joined")
        ),
        sa.CheckConstraint("monthly_cents >= 0", name=op.f("ck_member_monthly_not_negative")),
        sa.ForeignKeyConstraint(["club_id"], ["club.id"], name=op.f("fk_member_club_id_club")),
        sa.ForeignKeyConstraint(
            ["transfer_to_id"], ["member.id"], name=op.f("fk_member_transfer_to_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
        sa.UniqueConstraint("club_id", "code", name=op.f("uq_member_club_id_code")),
    )
    op.create_table(
        "capital_movement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("counterpart_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('saving', 'redemption', 'transfer')",
            name=op.f("ck_capital_movement_kind_known"),
        ),
        sa.CheckConstraint(
            "kind = 'saving' OR amount_cents >= 0",
            name=op.f("ck_capital_movement_amount_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["club_id"], ["club.id"], name=op.f("fk_capital_movement_club_id_club")
        ),
        sa.ForeignKeyConstraint(
            ["counterpart_id"],
            ["member.id"],
            name=op.f("fk_capital_movement_counterpart_id_member"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entry.id"], name=op.f("fk_capital_movement_entry_id_entry")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_capital_movement_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_movement")),
    )
    op.create_table(
        "member_identity",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_identity_member_id_member")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_identity")),
    )
    op.get_bind().execute(
        sa.text(
            "INSERT INTO account (book_id, code, label, postable) "
            "SELECT b.id, '7580', 'Produits divers de gestion courante', :yes FROM book b "
            "WHERE NOT EXISTS (SELECT 1 FROM account a "
            "WHERE a.book_id = b.id AND a.code = '7580')"
        ),
        {"yes": True},
    )


def downgrade() -> None:
    op.drop_table("member_identity")
    op.drop_table("capital_movement")
    op.drop_table("member")
    op.drop_table("club_event")
    with op.batch_alter_table("club") as batch:
        batch.drop_constraint(op.f("ck_club_result_allocation_known"), type_="check")
        batch.drop_constraint(op.f("ck_club_share_method_known"), type_="check")
        batch.drop_column("result_allocation")
        batch.drop_column("phase2_investments")
        batch.drop_column("phase2_savings")
        batch.drop_column("share_method")
