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
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.schema import Base, metadata

__all__ = [
    "Base",
    "CapitalMovement",
    "Club",
    "ClubEvent",
    "Member",
    "MemberIdentity",
    "metadata",
]

SHARE_METHODS = ("prorata", "units")
RESULT_ALLOCATIONS = ("carry_forward", "members")


class Club(Base):
    __tablename__ = "club"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # T0: the day the club's convention was signed; every clock starts there.
    founded: Mapped[dt.date] = mapped_column(Date)
    region: Mapped[str | None] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(3))
    book_id: Mapped[int] = mapped_column(ForeignKey("book.id"), unique=True)
    # Convention settings (domain.md marks them *setting*), with the domain's defaults.
    share_method: Mapped[str] = mapped_column(String(10), default="prorata",
                                              server_default="prorata")
    phase2_savings: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    phase2_investments: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    result_allocation: Mapped[str] = mapped_column(String(16), default="carry_forward",
                                                   server_default="carry_forward")

    __table_args__ = (
        CheckConstraint("share_method IN ('prorata', 'units')", name="share_method_known"),
        CheckConstraint("result_allocation IN ('carry_forward', 'members')",
                        name="result_allocation_known"),
    )


class ClubEvent(Base):
    """A dated life-cycle decision: prorogation, liquidation, closure (each at most once)."""

    __tablename__ = "club_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("club.id"))
    kind: Mapped[str] = mapped_column(String(16))
    date: Mapped[dt.date] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

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

    __table_args__ = (
        CheckConstraint("kind IN ('saving', 'redemption', 'transfer')", name="kind_known"),
        # A reversed saving is recorded as a negative saving on the reversal date.
        CheckConstraint("kind = 'saving' OR amount_cents >= 0", name="amount_not_negative"),
    )
