"""The ledger's ORM classes: Book, Account, FiscalYear, JournalCounter, Entry, Posting,
AccountBalanceMonth.

Each is mapped onto its Core table in ``ledger.tables`` (columns, constraints, indexes and
the naming convention are defined there, once): the read path of the trial balance uses those
tables without importing the ORM (start-up, see ``ledger.tables``). The annotations below only
type the mapped attributes; they must name the table's columns. ``__tablename__`` stays beside
``__table__`` for the code that looks a class's table up by name.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement
from sqlalchemy.orm import DeclarativeBase, Mapped

from ledger import tables
from ledger.tables import (
    GENESIS_HASH,
    JOURNALS,
    NAMING_CONVENTION,
    OPENING_JOURNAL,
    USER_JOURNALS,
    metadata,
)

__all__ = [
    "GENESIS_HASH",
    "JOURNALS",
    "NAMING_CONVENTION",
    "OPENING_JOURNAL",
    "USER_JOURNALS",
    "Account",
    "AccountBalanceMonth",
    "Base",
    "Book",
    "Entry",
    "FiscalYear",
    "JournalCounter",
    "Posting",
    "counts_in_balances",
    "metadata",
]


class Base(DeclarativeBase):
    metadata = metadata


class Book(Base):
    """A set of books (one per club). Holds the head of the hash chain."""

    __tablename__ = "book"
    __table__ = tables.book

    id: Mapped[int]
    code: Mapped[str]
    name: Mapped[str]
    opened_on: Mapped[dt.date]
    chain_seq: Mapped[int]
    head_hash: Mapped[str]


class Account(Base):
    __tablename__ = "account"
    __table__ = tables.account

    id: Mapped[int]
    book_id: Mapped[int]
    code: Mapped[str]
    label: Mapped[str]
    postable: Mapped[bool]


class FiscalYear(Base):
    __tablename__ = "fiscal_year"
    __table__ = tables.fiscal_year

    id: Mapped[int]
    book_id: Mapped[int]
    year: Mapped[int]
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    closed: Mapped[bool]


class JournalCounter(Base):
    """Last number used per book and journal: gapless numbering without database sequences."""

    __tablename__ = "journal_counter"
    __table__ = tables.journal_counter

    book_id: Mapped[int]
    journal: Mapped[str]
    last_number: Mapped[int]


class Entry(Base):
    __tablename__ = "entry"
    __table__ = tables.entry

    id: Mapped[int]
    book_id: Mapped[int]
    journal: Mapped[str]
    number: Mapped[int]
    seq: Mapped[int]
    date: Mapped[dt.date]
    label: Mapped[str]
    sealed: Mapped[bool]
    prev_hash: Mapped[str]
    hash: Mapped[str]
    reverses_id: Mapped[int | None]
    idem_key: Mapped[str | None]
    content_digest: Mapped[str]
    hash_version: Mapped[int]


class Posting(Base):
    __tablename__ = "posting"
    __table__ = tables.posting

    id: Mapped[int]
    entry_id: Mapped[int]
    line_no: Mapped[int]
    account_id: Mapped[int]
    amount_cents: Mapped[int]


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
    __table__ = tables.account_balance_month

    account_id: Mapped[int]
    month: Mapped[dt.date]
    debit_cents: Mapped[int]
    credit_cents: Mapped[int]


def counts_in_balances() -> ColumnElement[bool]:
    """Condition on ``Entry`` (the same columns as ``ledger.tables.entry``): see
    ``ledger.tables.counts_in_balances``."""
    return tables.counts_in_balances()
