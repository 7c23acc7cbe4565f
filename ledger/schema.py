"""The ledger's tables: book, account, fiscal_year, journal_counter, entry, posting.

Amounts are signed integer cents in BIGINT columns named ``*_cents``: debit positive, credit
negative. Every constraint has a stable name (naming convention below) so migrations and error
messages can refer to it. The rules that Python checks are also enforced by the database: the
CHECK/UNIQUE constraints here and the triggers in ``ledger.guards``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Journals: BQ bank, OD miscellaneous operations, AN opening balances ("à-nouveaux"). The
# year closing writes AN entries that restate balances and never count in cumulative balances;
# the one AN entry dated the day the books opened (a club that moved in mid-life with its
# position) is where its balances start and does count, see counts_in_balances().
JOURNALS = ("BQ", "OD", "AN")
USER_JOURNALS = ("BQ", "OD")
OPENING_JOURNAL = "AN"
GENESIS_HASH = "0" * 64


class Base(DeclarativeBase):
    metadata = metadata


class Book(Base):
    """A set of books (one per club). Holds the head of the hash chain."""

    __tablename__ = "book"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    opened_on: Mapped[dt.date] = mapped_column(Date)
    # Position and hash of the last entry in the chain; updated in the same transaction as
    # the entry, which also makes the book row the lock that serializes writers.
    chain_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    head_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH,
                                           server_default=GENESIS_HASH)

    __table_args__ = (CheckConstraint("chain_seq >= 0", name="chain_seq_positive"),)


class Account(Base):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("book.id"))
    code: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    # Collective accounts (1011, 261, ...) only group sub-accounts (1011-M01) and take no postings.
    postable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    __table_args__ = (UniqueConstraint("book_id", "code"),)


class FiscalYear(Base):
    __tablename__ = "fiscal_year"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("book.id"))
    year: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        UniqueConstraint("book_id", "year"),
        CheckConstraint("start_date <= end_date", name="dates_ordered"),
    )


class JournalCounter(Base):
    """Last number used per book and journal: gapless numbering without database sequences."""

    __tablename__ = "journal_counter"

    book_id: Mapped[int] = mapped_column(ForeignKey("book.id"), primary_key=True)
    journal: Mapped[str] = mapped_column(String(4), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Entry(Base):
    __tablename__ = "entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("book.id"))
    journal: Mapped[str] = mapped_column(String(4))
    number: Mapped[int] = mapped_column(Integer)
    # Position in the book's hash chain (all journals together, in posting order).
    seq: Mapped[int] = mapped_column(BigInteger)
    date: Mapped[dt.date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(300))
    sealed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"), unique=True)
    idem_key: Mapped[str | None] = mapped_column(String(200))
    content_digest: Mapped[str] = mapped_column(String(64))
    # Which canonical form the hash covers (ledger.post.HASH_VERSIONS). Entries written before
    # the column existed are version 1; ledger.post always writes the current version.
    hash_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __table_args__ = (
        UniqueConstraint("book_id", "journal", "number"),
        UniqueConstraint("book_id", "seq"),
        UniqueConstraint("book_id", "idem_key"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("journal IN ('BQ', 'OD', 'AN')", name="journal_known"),
        Index("ix_entry_book_date", "book_id", "date"),
    )


class Posting(Base):
    __tablename__ = "posting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("entry_id", "line_no"),
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        Index("ix_posting_account_entry", "account_id", "entry_id"),
    )


class AccountBalanceMonth(Base):
    """Kept balances: per account and calendar month, the debit and the credit totals of the
    postings that count in balances (``counts_in_balances``), in integer cents.

    Written only by ``ledger.post`` in the transaction of the postings it sums (see
    ``ledger.balances``); ``ledger.audit`` recomputes it from the postings. Totals rather than
    a signed balance, because then both only ever grow (a reversal adds to the other side),
    which the database guards enforce, and the trial balance's debit and credit columns read
    straight from it.
    """

    __tablename__ = "account_balance_month"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    # The first day of the month.
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    debit_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    credit_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    __table_args__ = (
        CheckConstraint("debit_cents >= 0 AND credit_cents >= 0", name="totals_not_negative"),
    )


def counts_in_balances() -> ColumnElement[bool]:
    """Condition on ``Entry``: the entry counts in cumulative balances.

    Every entry does except the à-nouveaux a closing writes (they restate what the sum already
    holds). An AN entry dated the day the books opened restates nothing: it is the opening
    position of a club whose earlier years were kept elsewhere, so it counts. Closing AN
    entries are dated 1 January after a closed year, always later than the opening day.
    """
    opened = select(Book.opened_on).where(Book.id == Entry.book_id).scalar_subquery()
    return or_(Entry.journal != OPENING_JOURNAL, Entry.date == opened)
