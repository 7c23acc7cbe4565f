"""The club's own tables, beside the ledger's (one MetaData, so foreign keys to ``book`` work).

Personal data is kept out of the ledger and out of the member table: accounts carry member
codes, never names, and names and contact details live in ``member_identity`` alone.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from cigales import tables
from ledger.schema import Base, metadata

__all__ = [
    "BankReconciliation",
    "Base",
    "CapitalMovement",
    "Club",
    "ClubEvent",
    "FederationReturn",
    "Investee",
    "InvesteeJobs",
    "Investment",
    "InvestmentEvent",
    "LoanInstalment",
    "LoanSchedule",
    "Member",
    "MemberIdentity",
    "MemberKey",
    "MemberKeyVersion",
    "SavingPlan",
    "StatementMailing",
    "metadata",
]

SHARE_METHODS = ("prorata", "units")
RESULT_ALLOCATIONS = ("carry_forward", "members")


class Club(Base):
    # Columns and constraints: cigales.tables.club (Core, for the read path without the ORM).
    __tablename__ = "club"
    __table__ = tables.club

    id: Mapped[int]
    slug: Mapped[str]
    name: Mapped[str]
    founded: Mapped[dt.date]
    region: Mapped[str | None]
    department: Mapped[str | None]
    siren: Mapped[str | None]
    book_id: Mapped[int]
    share_method: Mapped[str]
    phase2_savings: Mapped[bool]
    phase2_investments: Mapped[bool]
    result_allocation: Mapped[str]
    retention_years: Mapped[int]
    signing_key: Mapped[str | None]
    signing_key_created_on: Mapped[dt.date | None]


class ClubEvent(Base):
    """A dated life-cycle decision: prorogation, liquidation, closure (each at most once)."""

    __tablename__ = "club_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    kind: Mapped[str] = mapped_column(String(16))
    date: Mapped[dt.date] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Closure only: the first entry of the liquidation (its accounts end just before it).
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))

    __table_args__ = (
        UniqueConstraint("club_id", "kind"),
        CheckConstraint("kind IN ('prorogation', 'liquidation', 'closure')", name="kind_known"),
    )


class Member(Base):
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    code: Mapped[str] = mapped_column(String(16))
    joined: Mapped[dt.date] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    settlement: Mapped[str | None] = mapped_column(String(10))
    transfer_to_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    deceased: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    monthly_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    __table_args__ = (
        UniqueConstraint("club_id", "code"),
        CheckConstraint("monthly_cents >= 0", name="monthly_not_negative"),
        CheckConstraint("left_on IS NULL OR left_on >= joined", name="left_after_joined"),
        CheckConstraint("settlement IS NULL OR settlement IN ('payout', 'transfer', 'deferred')",
                        name="settlement_known"),
    )

    def active_on(self, date: dt.date) -> bool:
        return self.joined <= date and (self.left_on is None or date < self.left_on)


class MemberIdentity(Base):
    """Personal data, apart from the books so it can be exported or erased on its own."""

    __tablename__ = "member_identity"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    # The language the member reads (fr, en); None: the club's usual language.
    lang: Mapped[str | None] = mapped_column(String(2))
    # Set when the identity was replaced by a tombstone (`cigales member erase`).
    erased_on: Mapped[dt.date | None] = mapped_column(Date)


class SavingPlan(Base):
    """A member's planned monthly saving from a month on (the first day of that month).

    ``Member.monthly_cents`` is the latest plan; rows here exist only once a plan changed, and
    the first one then carries the plan the member joined with.
    """

    __tablename__ = "saving_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    from_month: Mapped[dt.date] = mapped_column(Date)
    monthly_cents: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("member_id", "from_month"),
        CheckConstraint("monthly_cents >= 0", name="monthly_not_negative"),
    )


class StatementMailing(Base):
    """A member's yearly statement sent by e-mail: nothing is sent twice unless asked."""

    __tablename__ = "statement_mailing"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    year: Mapped[int] = mapped_column(Integer)
    sent_on: Mapped[dt.date] = mapped_column(Date)
    message_id: Mapped[str] = mapped_column(String(200))


class BankReconciliation(Base):
    """A date on which the books' bank account matched the bank's balance."""

    __tablename__ = "bank_reconciliation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    balance_cents: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("club_id", "date"),)


class CapitalMovement(Base):
    """What a member's capital did and when: the input of the share computations.

    Mirrors the 1011 postings with their meaning (a saving buys units, a redemption or a
    transfer moves all of them), which the units method needs and a posting cannot say.
    """

    __tablename__ = "capital_movement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    counterpart_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"))
    # Units method: the units the member held at D, as the switchover file states them (an
    # exact fraction, e.g. 97,5 = 195/2). Only on an ``opening`` movement; NULL elsewhere.
    units_numerator: Mapped[int | None] = mapped_column(BigInteger)
    units_denominator: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        # ``opening``: a member's net paid-in total brought in by a switchover at D.
        CheckConstraint("kind IN ('saving', 'redemption', 'transfer', 'opening')",
                        name="kind_known"),
        # A reversed saving is recorded as a negative saving on the reversal date.
        CheckConstraint("kind = 'saving' OR amount_cents >= 0", name="amount_not_negative"),
        # Units held at D (switchover, units method): both or neither, only on an opening
        # movement, more than 0 (migration 0014_12u).
        CheckConstraint("(units_numerator IS NULL AND units_denominator IS NULL) OR "
                        "(kind = 'opening' AND units_numerator IS NOT NULL "
                        "AND units_denominator IS NOT NULL "
                        "AND units_numerator > 0 AND units_denominator > 0)",
                        name="opening_units"),
        # Hot lookups (savings.paid_in_year per member, the club's savings of a period):
        # without them every call scans the movements of every club in the database.
        Index("ix_capital_movement_member_kind_date", "member_id", "kind", "date"),
        Index("ix_capital_movement_club_kind_date", "club_id", "kind", "date"),
    )


LEGAL_FORMS = ("SCOP", "SCIC", "SARL", "SAS", "SA", "EURL", "SASU", "association", "EI", "other")
INVESTMENT_KINDS = ("equity", "shareholder", "honour", "association", "participating")


class Investee(Base):
    """A company or association the club finances (no personal data: a legal entity)."""

    __tablename__ = "investee"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    slug: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    legal_form: Mapped[str] = mapped_column(String(12))
    siren: Mapped[str | None] = mapped_column(String(9))
    esus: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    capital_cents: Mapped[int | None] = mapped_column(BigInteger)
    sector: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("club_id", "slug"),
        CheckConstraint(
            "legal_form IN ('SCOP', 'SCIC', 'SARL', 'SAS', 'SA', 'EURL', 'SASU', "
            "'association', 'EI', 'other')", name="legal_form_known"),
        CheckConstraint("capital_cents IS NULL OR capital_cents > 0", name="capital_positive"),
    )


class InvesteeJobs(Base):
    """Jobs created or kept at an investee, as reported on a date (for the federation)."""

    __tablename__ = "investee_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investee_id: Mapped[int] = mapped_column(ForeignKey("investee.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    created: Mapped[int] = mapped_column(Integer)
    kept: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("investee_id", "date"),
        CheckConstraint("created >= 0 AND kept >= 0", name="jobs_not_negative"),
    )


class Investment(Base):
    """Money that left for an investee: an equity subscription or a loan of some kind."""

    __tablename__ = "investment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    number: Mapped[int] = mapped_column(Integer)
    investee_id: Mapped[int] = mapped_column(ForeignKey("investee.id"))
    kind: Mapped[str] = mapped_column(String(16))
    date: Mapped[dt.date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(Integer)
    unit_price_cents: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12), default="active", server_default="active")
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"))
    # Switchover only (migration 0013_12): where the member keys come from when they were not
    # frozen by cigales on the day the money left — records (the club's own), paid_in
    # (computed from paid-in totals at the subscription date) or switchover (computed at D).
    keys_basis: Mapped[str | None] = mapped_column(String(12))

    __table_args__ = (
        UniqueConstraint("club_id", "number"),
        CheckConstraint("keys_basis IS NULL OR keys_basis IN ('records', 'paid_in', "
                        "'switchover')", name="keys_basis_known"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "kind IN ('equity', 'shareholder', 'honour', 'association', 'participating')",
            name="kind_known"),
        CheckConstraint("status IN ('active', 'closed', 'written_off')", name="status_known"),
    )


class LoanSchedule(Base):
    """One version of a loan's terms; a reschedule adds a version, the old one stays."""

    __tablename__ = "loan_schedule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investment_id: Mapped[int] = mapped_column(ForeignKey("investment.id"))
    version: Mapped[int] = mapped_column(Integer)
    start: Mapped[dt.date] = mapped_column(Date)
    principal_cents: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[str] = mapped_column(String(12))  # exact Decimal as text, e.g. "0.025"
    instalments: Mapped[int] = mapped_column(Integer)
    deferral: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10))
    term: Mapped[dt.date | None] = mapped_column(Date)  # single-term loans only

    __table_args__ = (UniqueConstraint("investment_id", "version"),)


class LoanInstalment(Base):
    __tablename__ = "loan_instalment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("loan_schedule.id"))
    n: Mapped[int] = mapped_column(Integer)
    due: Mapped[dt.date] = mapped_column(Date)
    principal_cents: Mapped[int] = mapped_column(BigInteger)
    interest_cents: Mapped[int] = mapped_column(BigInteger)
    outstanding_after_cents: Mapped[int] = mapped_column(BigInteger)
    interest_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (UniqueConstraint("schedule_id", "n"),)


class InvestmentEvent(Base):
    """What happened to an investment after the money left, with the entry that booked it."""

    __tablename__ = "investment_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investment_id: Mapped[int] = mapped_column(ForeignKey("investment.id"))
    kind: Mapped[str] = mapped_column(String(20))
    date: Mapped[dt.date] = mapped_column(Date)
    shares: Mapped[int | None] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # money in or out, or value
    principal_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    interest_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id"))

    __table_args__ = (
        CheckConstraint(
            "kind IN ('dividend', 'sale', 'redemption', 'impairment', 'impairment_reversal', "
            "'write_off', 'recovery', 'repayment', 'valuation', 'reschedule')",
            name="kind_known"),
        # investments.event_totals and loans._events read one investment's events of some
        # kinds up to a date, thousands of times per club: an index, not a scan.
        Index("ix_investment_event_investment_kind_date", "investment_id", "kind", "date"),
    )


class MemberKey(Base):
    """Each member's share frozen on the day money left for an investment (exact fraction)."""

    __tablename__ = "member_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investment_id: Mapped[int] = mapped_column(ForeignKey("investment.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    numerator: Mapped[int] = mapped_column(BigInteger)
    denominator: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # the member's part of the payment

    __table_args__ = (
        UniqueConstraint("investment_id", "member_id"),
        CheckConstraint("numerator >= 0 AND denominator > 0", name="fraction_valid"),
    )


class MemberKeyVersion(Base):
    """A later version of an investment's member keys, in force from ``valid_from``.

    When a member's share is settled (payout, transfer, deferral), their part of every open
    investment passes to the members who carry it; income, gains and losses after that date
    are split by the new version. Version 0 is ``member_key`` (what the tax sheets keep).
    """

    __tablename__ = "member_key_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investment_id: Mapped[int] = mapped_column(ForeignKey("investment.id"))
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    numerator: Mapped[int] = mapped_column(BigInteger)
    denominator: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # the member's part of the cost
    settled_member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))

    __table_args__ = (
        UniqueConstraint("investment_id", "version", "member_id"),
        CheckConstraint("numerator >= 0 AND denominator > 0", name="fraction_valid"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_member_key_version_investment", "investment_id", "version"),
    )


class FederationReturn(Base):
    """A club's yearly return as received by a regional association or the federation.

    Keyed by the club's slug, not by a club row: most returns come from clubs whose books live
    elsewhere. Every version is kept; ``current`` marks the one the aggregates use.
    """

    __tablename__ = "federation_return"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_slug: Mapped[str] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    received_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(500))
    document: Mapped[str] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    __table_args__ = (
        UniqueConstraint("club_slug", "year", "revision"),
        UniqueConstraint("club_slug", "year", "checksum"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )


class ClosedYearReturn(Base):
    """A hosted club's return for a closed year, computed when the year was closed.

    Reused by ``federation report`` and ``federation return`` while the book's chain head is
    the one it was computed at (``chain_entries``, ``chain_hash``); any new entry moves the
    head, and the return is then computed again and stored in place of this one.
    """

    __tablename__ = "closed_year_return"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    year: Mapped[int] = mapped_column(Integer)
    chain_entries: Mapped[int] = mapped_column(BigInteger)
    chain_hash: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    computed_on: Mapped[dt.date] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("club_id", "year"),)


class FederationClubKey(Base):
    """A club's public key as registered by a regional association (or the federation).

    Keyed by the club's slug, like the returns it checks. Every key ever registered is kept:
    a rotation (``federation keys register --replace``) marks the previous one replaced, with
    its date, and the new one current; returns are checked against the current key.
    """

    __tablename__ = "federation_club_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_slug: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    public_key: Mapped[str] = mapped_column(String(44))  # 32 raw bytes, base64
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the raw key, hex
    registered_on: Mapped[dt.date] = mapped_column(Date)
    replaced_on: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(500))
    current: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    __table_args__ = (
        UniqueConstraint("club_slug", "revision"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )
