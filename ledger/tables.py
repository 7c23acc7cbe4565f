"""The ledger's tables as SQLAlchemy Core ``Table``s: book, account, fiscal_year,
journal_counter, entry, posting, account_balance_month.

Amounts are signed integer cents in BIGINT columns named ``*_cents``: debit positive, credit
negative. Every constraint has a stable name (naming convention below) so migrations and error
messages can refer to it. The rules that Python checks are also enforced by the database: the
CHECK/UNIQUE constraints here and the triggers in ``ledger.guards``.

The ORM classes of ``ledger.schema`` are mapped onto these very tables (one ``MetaData``).
They are defined here, in Core, for start-up: a read-only command (``report balance``) reads
them without importing ``sqlalchemy.orm`` and configuring the mappers, which cost more than the
command's own work (bench/README.md, "Start-up: a read path on SQLAlchemy Core").
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    false,
    or_,
    select,
    true,
)

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

# Columns are NOT NULL unless they say otherwise (as the ORM's non-Optional ``Mapped[...]``
# declared them before these tables were written in Core).

book = Table(
    "book", metadata,
    # A set of books (one per club). Holds the head of the hash chain.
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("opened_on", Date, nullable=False),
    # Position and hash of the last entry in the chain; updated in the same transaction as
    # the entry, which also makes the book row the lock that serializes writers.
    Column("chain_seq", BigInteger, nullable=False, default=0, server_default="0"),
    Column("head_hash", String(64), nullable=False, default=GENESIS_HASH,
           server_default=GENESIS_HASH),
    CheckConstraint("chain_seq >= 0", name="chain_seq_positive"),
)

account = Table(
    "account", metadata,
    Column("id", Integer, primary_key=True),
    Column("book_id", ForeignKey("book.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("label", String(200), nullable=False),
    # Collective accounts (1011, 261, ...) only group sub-accounts (1011-M01) and take no
    # postings.
    Column("postable", Boolean, nullable=False, default=True, server_default=true()),
    UniqueConstraint("book_id", "code"),
)

fiscal_year = Table(
    "fiscal_year", metadata,
    Column("id", Integer, primary_key=True),
    Column("book_id", ForeignKey("book.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("closed", Boolean, nullable=False, default=False, server_default=false()),
    UniqueConstraint("book_id", "year"),
    CheckConstraint("start_date <= end_date", name="dates_ordered"),
)

journal_counter = Table(
    "journal_counter", metadata,
    # Last number used per book and journal: gapless numbering without database sequences.
    Column("book_id", ForeignKey("book.id"), primary_key=True),
    Column("journal", String(4), primary_key=True),
    Column("last_number", Integer, nullable=False, default=0, server_default="0"),
)

entry = Table(
    "entry", metadata,
    Column("id", Integer, primary_key=True),
    Column("book_id", ForeignKey("book.id"), nullable=False),
    Column("journal", String(4), nullable=False),
    Column("number", Integer, nullable=False),
    # Position in the book's hash chain (all journals together, in posting order).
    Column("seq", BigInteger, nullable=False),
    Column("date", Date, nullable=False),
    Column("label", String(300), nullable=False),
    Column("sealed", Boolean, nullable=False, default=False, server_default=false()),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("reverses_id", ForeignKey("entry.id"), nullable=True, unique=True),
    Column("idem_key", String(200), nullable=True),
    Column("content_digest", String(64), nullable=False),
    # Which canonical form the hash covers (ledger.post.HASH_VERSIONS). Entries written before
    # the column existed are version 1; ledger.post always writes the current version.
    Column("hash_version", Integer, nullable=False, default=1, server_default="1"),
    UniqueConstraint("book_id", "journal", "number"),
    UniqueConstraint("book_id", "seq"),
    UniqueConstraint("book_id", "idem_key"),
    CheckConstraint("number > 0", name="number_positive"),
    CheckConstraint("journal IN ('BQ', 'OD', 'AN')", name="journal_known"),
    Index("ix_entry_book_date", "book_id", "date"),
)

posting = Table(
    "posting", metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_id", ForeignKey("entry.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("account_id", ForeignKey("account.id"), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    UniqueConstraint("entry_id", "line_no"),
    CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
    Index("ix_posting_account_entry", "account_id", "entry_id"),
)

# Kept balances: see ledger.schema.AccountBalanceMonth and ledger.balances.
account_balance_month = Table(
    "account_balance_month", metadata,
    Column("account_id", ForeignKey("account.id"), primary_key=True),
    # The first day of the month.
    Column("month", Date, primary_key=True),
    Column("debit_cents", BigInteger, nullable=False, default=0, server_default="0"),
    Column("credit_cents", BigInteger, nullable=False, default=0, server_default="0"),
    CheckConstraint("debit_cents >= 0 AND credit_cents >= 0", name="totals_not_negative"),
)


def counts_in_balances() -> ColumnElement[bool]:
    """Condition on ``entry``: the entry counts in cumulative balances.

    Every entry does except the à-nouveaux a closing writes (they restate what the sum already
    holds). An AN entry dated the day the books opened restates nothing: it is the opening
    position of a club whose earlier years were kept elsewhere, so it counts. Closing AN
    entries are dated 1 January after a closed year, always later than the opening day.
    """
    opened = select(book.c.opened_on).where(book.c.id == entry.c.book_id).scalar_subquery()
    return or_(entry.c.journal != OPENING_JOURNAL, entry.c.date == opened)
