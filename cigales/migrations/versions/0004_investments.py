"""Investments: investees, jobs, investments, loan schedules, events, frozen member keys.

Also opens account 7718 (recoveries of written-off loans) in existing books.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "investee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("legal_form", sa.String(length=12), nullable=False),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("esus", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("capital_cents", sa.BigInteger(), nullable=True),
        sa.Column("sector", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "legal_form IN ('SCOP', 'SCIC', 'SARL', 'SAS', 'SA', 'EURL', 'SASU', 'association', 'EI', 'other')",
            name=op.f("ck_investee_legal_form_known"),
        ),
        sa.CheckConstraint(
            "capital_cents IS NULL OR capital_cents > 0", name=op.f("ck_investee_capital_positive")
        ),
        sa.ForeignKeyConstraint(["club_id"], ["club.id"], name=op.f("fk_investee_club_id_club")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investee")),
        sa.UniqueConstraint("club_id", "slug", name=op.f("uq_investee_club_id_slug")),
    )
    op.create_table(
        "investee_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("investee_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "created >= 0 AND kept >= 0", name=op.f("ck_investee_jobs_jobs_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["investee_id"], ["investee.id"], name=op.f("fk_investee_jobs_investee_id_investee")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investee_jobs")),
        sa.UniqueConstraint("investee_id", "date", name=op.f("uq_investee_jobs_investee_id_date")),
    )
    op.create_table(
        "investment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("investee_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=True),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=12), server_default="active", nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('equity', 'shareholder', 'honour', 'association', 'participating')",
            name=op.f("ck_investment_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'closed', 'written_off')", name=op.f("ck_investment_status_known")
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_investment_amount_positive")),
        sa.ForeignKeyConstraint(["club_id"], ["club.id"], name=op.f("fk_investment_club_id_club")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entry.id"], name=op.f("fk_investment_entry_id_entry")
        ),
        sa.ForeignKeyConstraint(
            ["investee_id"], ["investee.id"], name=op.f("fk_investment_investee_id_investee")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment")),
        sa.UniqueConstraint("club_id", "number", name=op.f("uq_investment_club_id_number")),
    )
    op.create_table(
        "investment_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("investment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("principal_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("interest_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('dividend', 'sale', 'redemption', 'impairment', 'impairment_reversal', 'write_off', 'recovery', 'repayment', 'valuation', 'reschedule')",
            name=op.f("ck_investment_event_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entry.id"], name=op.f("fk_investment_event_entry_id_entry")
        ),
        sa.ForeignKeyConstraint(
            ["investment_id"],
            ["investment.id"],
            name=op.f("fk_investment_event_investment_id_investment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_event")),
    )
    op.create_table(
        "loan_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("investment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("principal_cents", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.String(length=12), nullable=False),
        sa.Column("instalments", sa.Integer(), nullable=False),
        sa.Column("deferral", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("term", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["investment_id"],
            ["investment.id"],
            name=op.f("fk_loan_schedule_investment_id_investment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_schedule")),
        sa.UniqueConstraint(
            "investment_id", "version", name=op.f("uq_loan_schedule_investment_id_version")
        ),
    )
    op.create_table(
        "member_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("investment_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("numerator", sa.BigInteger(), nullable=False),
        sa.Column("denominator", sa.BigInteger(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "numerator >= 0 AND denominator > 0", name=op.f("ck_member_key_fraction_valid")
        ),
        sa.ForeignKeyConstraint(
            ["investment_id"],
            ["investment.id"],
            name=op.f("fk_member_key_investment_id_investment"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_key_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_key")),
        sa.UniqueConstraint(
            "investment_id", "member_id", name=op.f("uq_member_key_investment_id_member_id")
        ),
    )
    op.create_table(
        "loan_instalment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("principal_cents", sa.BigInteger(), nullable=False),
        sa.Column("interest_cents", sa.BigInteger(), nullable=False),
        sa.Column("outstanding_after_cents", sa.BigInteger(), nullable=False),
        sa.Column("interest_only", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["loan_schedule.id"],
            name=op.f("fk_loan_instalment_schedule_id_loan_schedule"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_instalment")),
        sa.UniqueConstraint("schedule_id", "n", name=op.f("uq_loan_instalment_schedule_id_n")),
    )
    op.get_bind().execute(
        sa.text(
            "INSERT INTO account (book_id, code, label, postable) "
            "SELECT b.id, '7718', 'Autres produits exceptionnels', :yes FROM book b "
            "WHERE NOT EXISTS (SELECT 1 FROM account a "
            "WHERE a.book_id = b.id AND a.code = '7718')"
        ),
        {"yes": True},
    )


def downgrade() -> None:
    for table in (
        "member_key",
        "investment_event",
        "loan_instalment",
        "loan_schedule",
        "investment",
        "investee_jobs",
        "investee",
    ):
        op.drop_table(table)
