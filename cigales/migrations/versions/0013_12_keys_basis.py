"""Switchover (issue 12): where the member keys of an investment brought in at D come from.

``investment.keys_basis`` is NULL for every investment cigales booked itself (the keys were
frozen from the books on the day the money left). An investment created by a switchover says
where its keys come from: ``records`` (the keys the club kept, the ``clés`` sheet),
``paid_in`` (computed from each member's paid-in total at the subscription date, given in the
file) or ``switchover`` (computed from the paid-in totals at D, the best the books know: the
members' tax sheets of that subscription carry a warning).

Revision ID: 0013_12
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_12"
down_revision = "0013_14s"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite adds a column with its CHECK by rebuilding the table (no ledger
    # trigger lives on investment; env.py re-installs the guards after every run anyway).
    with op.batch_alter_table("investment") as batch:
        batch.add_column(sa.Column("keys_basis", sa.String(length=12), nullable=True))
        batch.create_check_constraint(
            op.f("ck_investment_keys_basis_known"),
            "keys_basis IS NULL OR keys_basis IN ('records', 'paid_in', 'switchover')")


def downgrade() -> None:
    with op.batch_alter_table("investment") as batch:
        batch.drop_constraint(op.f("ck_investment_keys_basis_known"), type_="check")
        batch.drop_column("keys_basis")
