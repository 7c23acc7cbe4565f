"""Ledger core: book, account, fiscal_year, journal_counter, entry, posting.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "book",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("chain_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "head_hash",
            sa.String(length=64),
            server_default="0000000000000000000000000000000000000000000000000000000000000000",
            nullable=False,
        ),
        sa.CheckConstraint("chain_seq >= 0", name=op.f("ck_book_chain_seq_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_book")),
        sa.UniqueConstraint("code", name=op.f("uq_book_code")),
    )
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("postable", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["book_id"], ["book.id"], name=op.f("fk_account_book_id_book")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("book_id", "code", name=op.f("uq_account_book_id_code")),
    )
    op.create_table(
        "entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("journal", sa.String(length=4), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("sealed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("idem_key", sa.String(length=200), nullable=True),
        sa.Column("content_digest", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "journal IN ('BQ', 'OD', 'AN')", name=op.f("ck_entry_journal_known")
        ),
        sa.CheckConstraint("number > 0", name=op.f("ck_entry_number_positive")),
        sa.ForeignKeyConstraint(
            ["book_id"], ["book.id"], name=op.f("fk_entry_book_id_book")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["entry.id"], name=op.f("fk_entry_reverses_id_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry")),
        sa.UniqueConstraint(
            "book_id", "idem_key", name=op.f("uq_entry_book_id_idem_key")
        ),
        sa.UniqueConstraint(
            "book_id", "journal", "number", name=op.f("uq_entry_book_id_journal_number")
        ),
        sa.UniqueConstraint("book_id", "seq", name=op.f("uq_entry_book_id_seq")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_entry_reverses_id")),
    )
    op.create_index("ix_entry_book_date", "entry", ["book_id", "date"], unique=False)
    op.create_table(
        "fiscal_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("closed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "start_date <= end_date", name=op.f("ck_fiscal_year_dates_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["book_id"], ["book.id"], name=op.f("fk_fiscal_year_book_id_book")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fiscal_year")),
        sa.UniqueConstraint(
            "book_id", "year", name=op.f("uq_fiscal_year_book_id_year")
        ),
    )
    op.create_table(
        "journal_counter",
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("journal", sa.String(length=4), nullable=False),
        sa.Column("last_number", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["book_id"], ["book.id"], name=op.f("fk_journal_counter_book_id_book")
        ),
        sa.PrimaryKeyConstraint("book_id", "journal", name=op.f("pk_journal_counter")),
    )
    op.create_table(
        "posting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "amount_cents <> 0", name=op.f("ck_posting_amount_not_zero")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_posting_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entry.id"], name=op.f("fk_posting_entry_id_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posting")),
        sa.UniqueConstraint(
            "entry_id", "line_no", name=op.f("uq_posting_entry_id_line_no")
        ),
    )
    op.create_index(
        "ix_posting_account_entry", "posting", ["account_id", "entry_id"], unique=False
    )


def downgrade() -> None:
    from ledger import guards

    guards.drop(op.get_bind())
    op.drop_table("posting")
    op.drop_table("journal_counter")
    op.drop_table("fiscal_year")
    op.drop_table("entry")
    op.drop_table("account")
    op.drop_table("book")
