"""Switchover of a units-method club (issue 12): each member's units held at D.

A club whose share method is ``units`` (domain.md §3) prices every saving at its value per
unit, so a member's units at D cannot be rebuilt from a paid-in total: the switchover file
states them, and they are kept, exactly, on the member's ``opening`` capital movement as a
fraction (``units_numerator`` / ``units_denominator``; the file's decimal, e.g. 97,5 = 195/2).
Every other capital movement leaves both NULL: their units follow from the price of their day.

Revision ID: 0014_12u
Revises: 0013_12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_12u"
down_revision = "0013_12"
branch_labels = None
depends_on = None

# Both or neither, only on an opening movement, more than 0 (the IS NOT NULL terms: a CHECK
# that evaluates to NULL passes).
_CHECK = ("(units_numerator IS NULL AND units_denominator IS NULL) OR "
          "(kind = 'opening' AND units_numerator IS NOT NULL "
          "AND units_denominator IS NOT NULL "
          "AND units_numerator > 0 AND units_denominator > 0)")


def upgrade() -> None:
    # Batch mode: SQLite adds columns with a CHECK by rebuilding the table (no ledger trigger
    # lives on capital_movement; env.py re-installs the guards after every run anyway).
    with op.batch_alter_table("capital_movement") as batch:
        batch.add_column(sa.Column("units_numerator", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("units_denominator", sa.BigInteger(), nullable=True))
        batch.create_check_constraint(op.f("ck_capital_movement_opening_units"), _CHECK)


def downgrade() -> None:
    with op.batch_alter_table("capital_movement") as batch:
        batch.drop_constraint(op.f("ck_capital_movement_opening_units"), type_="check")
        batch.drop_column("units_denominator")
        batch.drop_column("units_numerator")
