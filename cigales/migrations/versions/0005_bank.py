"""Bank statement import: imports, booked bank lines (fingerprints), members' IBANs.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("profile", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("lines_total", sa.Integer(), nullable=False),
        sa.Column("lines_booked", sa.Integer(), nullable=False),
        sa.Column("lines_known", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["club_id"], ["club.id"], name=op.f("fk_bank_import_club_id_club")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_import")),
    )
    op.create_table(
        "bank_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("bank_id", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("reversal_entry_id", sa.Integer(), nullable=True),
        sa.Column("assigned_entry_id", sa.Integer(), nullable=True),
        sa.Column("assigned_kind", sa.String(length=10), nullable=True),
        sa.Column("assigned_target", sa.String(length=64), nullable=True),
        sa.CheckConstraint("amount_cents <> 0", name=op.f("ck_bank_line_amount_not_zero")),
        sa.CheckConstraint(
            "kind IN ('saving', 'loan', 'expense', 'income', 'entry', 'suspense')",
            name=op.f("ck_bank_line_kind_known"),
        ),
        sa.ForeignKeyConstraint(["club_id"], ["club.id"], name=op.f("fk_bank_line_club_id_club")),
        sa.ForeignKeyConstraint(["import_id"], ["bank_import.id"],
                                name=op.f("fk_bank_line_import_id_bank_import")),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], name=op.f("fk_bank_line_entry_id_entry")),
        sa.ForeignKeyConstraint(["reversal_entry_id"], ["entry.id"],
                                name=op.f("fk_bank_line_reversal_entry_id_entry")),
        sa.ForeignKeyConstraint(["assigned_entry_id"], ["entry.id"],
                                name=op.f("fk_bank_line_assigned_entry_id_entry")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_line")),
        sa.UniqueConstraint("club_id", "fingerprint", name=op.f("uq_bank_line_club_id_fingerprint")),
    )
    op.create_table(
        "member_bank_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.ForeignKeyConstraint(["club_id"], ["club.id"],
                                name=op.f("fk_member_bank_account_club_id_club")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_member_bank_account_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_bank_account")),
        sa.UniqueConstraint("club_id", "iban", name=op.f("uq_member_bank_account_club_id_iban")),
    )


def downgrade() -> None:
    op.drop_table("member_bank_account")
    op.drop_table("bank_line")
    op.drop_table("bank_import")
