"""Switchover (issue 12): a member's paid-in total brought in at D is its own kind of capital
movement, ``opening``, so that it counts in their capital and shares but not as a saving of
D's year (payment cap, savings of the year, monthly payments, arrears).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_OLD = "kind IN ('saving', 'redemption', 'transfer')"
_NEW = "kind IN ('saving', 'redemption', 'transfer', 'opening')"


def upgrade() -> None:
    # SQLite cannot alter a CHECK constraint: batch mode rebuilds the table (no ledger
    # trigger lives on capital_movement; env.py re-installs the guards after every run).
    with op.batch_alter_table("capital_movement") as batch:
        batch.drop_constraint(op.f("ck_capital_movement_kind_known"), type_="check")
        batch.create_check_constraint(op.f("ck_capital_movement_kind_known"), _NEW)


def downgrade() -> None:
    op.execute("DELETE FROM capital_movement WHERE kind = 'opening'")
    with op.batch_alter_table("capital_movement") as batch:
        batch.drop_constraint(op.f("ck_capital_movement_kind_known"), type_="check")
        batch.create_check_constraint(op.f("ck_capital_movement_kind_known"), _OLD)
