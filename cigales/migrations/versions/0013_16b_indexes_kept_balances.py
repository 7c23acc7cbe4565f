"""Federation scale: the missing indexes of the hot queries, and kept balances.

- Indexes found by EXPLAIN (QUERY PLAN) on the queries the services issue most (see
  tests/test_query_plans.py): ``capital_movement(member_id, kind, date)`` for
  ``savings.paid_in_year``, ``capital_movement(club_id, kind, date)`` for a club's savings of
  a period, ``investment_event(investment_id, kind, date)`` for ``investments.event_totals`` and
  ``loans._events``. Without them each of these calls scanned the rows of every club.
- ``account_balance_month``: per account and month, the debit and credit totals of the
  postings that count in balances (``ledger.schema.counts_in_balances``: the AN journal is
  left out except an AN entry dated the day the books opened). ``ledger.post`` keeps it in the
  transaction of the postings; it is filled here from the postings already written. Its
  guards (``ledger.guards``: totals only grow, no delete) are installed by the migration
  environment, like every guard.

Revision ID: 0013_16b
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_16b"
down_revision = "0012"
branch_labels = None
depends_on = None


# ledger.schema.counts_in_balances() in SQL, for the backfill; :month is the backend's first
# day of the entry's month.
BACKFILL = """
    INSERT INTO account_balance_month (account_id, month, debit_cents, credit_cents)
    SELECT p.account_id, :month,
           SUM(CASE WHEN p.amount_cents > 0 THEN p.amount_cents ELSE 0 END),
           SUM(CASE WHEN p.amount_cents < 0 THEN -p.amount_cents ELSE 0 END)
      FROM posting p
      JOIN entry e ON e.id = p.entry_id
      JOIN book b ON b.id = e.book_id
     WHERE e.journal <> 'AN' OR e.date = b.opened_on
     GROUP BY p.account_id, :month"""


def upgrade() -> None:
    op.create_index("ix_capital_movement_member_kind_date", "capital_movement",
                    ["member_id", "kind", "date"])
    op.create_index("ix_capital_movement_club_kind_date", "capital_movement",
                    ["club_id", "kind", "date"])
    op.create_index("ix_investment_event_investment_kind_date", "investment_event",
                    ["investment_id", "kind", "date"])
    op.create_table(
        "account_balance_month",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("debit_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("credit_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint("debit_cents >= 0 AND credit_cents >= 0",
                           name=op.f("ck_account_balance_month_totals_not_negative")),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"],
                                name=op.f("fk_account_balance_month_account_id_account")),
        sa.PrimaryKeyConstraint("account_id", "month", name=op.f("pk_account_balance_month")),
    )
    bind = op.get_bind()
    # The first day of the entry's month, as each backend stores a date.
    month = ("date(e.date, 'start of month')" if bind.dialect.name == "sqlite"
             else "CAST(date_trunc('month', e.date) AS date)")
    op.execute(BACKFILL.replace(":month", month))


def downgrade() -> None:
    op.drop_table("account_balance_month")
    op.drop_index("ix_investment_event_investment_kind_date", table_name="investment_event")
    op.drop_index("ix_capital_movement_club_kind_date", table_name="capital_movement")
    op.drop_index("ix_capital_movement_member_kind_date", table_name="capital_movement")
