"""Tables of the bank import, on the same metadata as the ledger and the club.

- ``bank_import``: one row per run that booked something (file digest, profile, counts).
- ``bank_line``: every booked bank line, identified by its fingerprint (unique per club), with
  what it was booked as and the entry that booked it. It is written in the same transaction
  as that entry, so a line is known exactly when it is booked.
- ``member_bank_account``: members' IBANs (personal data, like ``member_identity``). Kept in
  a table of its own rather than a column of ``member_identity`` so that the bank feature
  owns its schema; a member may have several accounts (a joint account, a new bank).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.schema import Base

LINE_KINDS = ("saving", "loan", "expense", "income", "entry", "suspense")


class BankImport(Base):
    __tablename__ = "bank_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(300))
    profile: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    lines_total: Mapped[int] = mapped_column(Integer)  # lines in the file
    lines_booked: Mapped[int] = mapped_column(Integer)  # booked by this run
    lines_known: Mapped[int] = mapped_column(Integer)  # already booked before this run


class BankLineRow(Base):
    __tablename__ = "bank_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    import_id: Mapped[int] = mapped_column(ForeignKey("bank_import.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    line_no: Mapped[int] = mapped_column(Integer)
    date: Mapped[dt.date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[str] = mapped_column(String(500))
    # The label as the file had it, when it held control characters (see BankLine.raw_label).
    raw_label: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(200))
    bank_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    target: Mapped[str | None] = mapped_column(String(64))  # member, loan number or account
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"))
    # Set when a suspense line is assigned: the reversal of the 471 entry and the real one.
    reversal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))
    assigned_entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))
    assigned_kind: Mapped[str | None] = mapped_column(String(10))
    assigned_target: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("club_id", "fingerprint"),
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        CheckConstraint(
            "kind IN ('saving', 'loan', 'expense', 'income', 'entry', 'suspense')",
            name="kind_known"),
    )


class MemberBankAccount(Base):
    __tablename__ = "member_bank_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    iban: Mapped[str] = mapped_column(String(34))  # compact, validated

    __table_args__ = (UniqueConstraint("club_id", "iban"),)
