"""Savings plans that change over time, statements sent by e-mail, reconciled bank dates.

- ``saving_plan``: a member's planned monthly saving from a month on (``member edit
  --monthly A --from YYYY-MM``); arrears use each month's plan. ``member.monthly_cents``
  stays the latest plan, so a member whose plan never changed has no row here.
- ``statement_mailing``: one row per statement e-mailed to a member, so the same year is not
  sent twice unless asked (``--resend``).
- ``member_identity.lang``: the language a member reads (fr or en), for their e-mails;
- ``bank_reconciliation``: each date on which the books matched the bank's balance, so
  ``bank reconcile`` lists only the movements after the last one.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saving_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("from_month", sa.Date(), nullable=False),
        sa.Column("monthly_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("monthly_cents >= 0",
                           name=op.f("ck_saving_plan_monthly_not_negative")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_saving_plan_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saving_plan")),
        sa.UniqueConstraint("member_id", "from_month",
                            name=op.f("uq_saving_plan_member_id_from_month")),
    )
    op.create_table(
        "statement_mailing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["club_id"], ["club.id"],
                                name=op.f("fk_statement_mailing_club_id_club")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_statement_mailing_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_mailing")),
    )
    op.create_table(
        "bank_reconciliation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("club_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("balance_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["club_id"], ["club.id"],
                                name=op.f("fk_bank_reconciliation_club_id_club")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_reconciliation")),
        sa.UniqueConstraint("club_id", "date", name=op.f("uq_bank_reconciliation_club_id_date")),
    )
    with op.batch_alter_table("member_identity") as batch:
        batch.add_column(sa.Column("lang", sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("member_identity") as batch:
        batch.drop_column("lang")
    op.drop_table("bank_reconciliation")
    op.drop_table("statement_mailing")
    op.drop_table("saving_plan")
