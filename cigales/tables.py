"""The club table in SQLAlchemy Core, and the look-up of a club by its slug without the ORM.

``cigales.models.Club`` is mapped onto ``club`` (one definition of its columns). Read-only
commands that only need a club's book (``report balance``) look it up here, on a Core
``Connection``, and so never import ``sqlalchemy.orm`` nor the mapped classes (start-up,
bench/README.md). ``cigales.services.clubs.get_club`` raises the same error with the same
message for an unknown slug: both build it with ``unknown_club``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    Select,
    String,
    Table,
    false,
    select,
)

from cigales.errors import UnknownClub
from ledger.tables import metadata

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

club = Table(
    "club", metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    # T0: the day the club's convention was signed; every clock starts there.
    Column("founded", Date, nullable=False),
    Column("region", String(100), nullable=True),
    Column("department", String(3), nullable=True),
    # The club's own SIREN, if it registered one (needed to name its FEC file).
    Column("siren", String(9), nullable=True),
    Column("book_id", ForeignKey("book.id"), nullable=False, unique=True),
    # Convention settings (domain.md marks them *setting*), with the domain's defaults.
    Column("share_method", String(10), nullable=False, default="prorata",
           server_default="prorata"),
    Column("phase2_savings", Boolean, nullable=False, default=False, server_default=false()),
    Column("phase2_investments", Boolean, nullable=False, default=False,
           server_default=false()),
    Column("result_allocation", String(16), nullable=False, default="carry_forward",
           server_default="carry_forward"),
    # Members' identities are kept this many years after the club closes (accounting records
    # and the tax papers they support must stay available); erasure is refused before that.
    Column("retention_years", Integer, nullable=False, default=10, server_default="10"),
    # The Ed25519 private key that signs the club's federation returns (32 raw bytes, base64),
    # kept with the books it vouches for: whoever may write the books may sign their return,
    # a backup carries it, and on a shared server the club's row is its role's alone
    # (docs/federation.md, "Signed returns"). Never shown; only its public half leaves.
    Column("signing_key", String(44), nullable=True),
    Column("signing_key_created_on", Date, nullable=True),
    CheckConstraint("share_method IN ('prorata', 'units')", name="share_method_known"),
    CheckConstraint("result_allocation IN ('carry_forward', 'members')",
                    name="result_allocation_known"),
)


class ClubRef(NamedTuple):
    """What a read-only command needs of a club: its ids and its name."""

    id: int
    book_id: int
    name: str


def unknown_club(db: Connection | Session, slug: str) -> UnknownClub:
    """The error for a slug that names no club, listing (some of) the known ones."""
    known = db.execute(select(club.c.slug).order_by(club.c.slug).limit(20)).scalars().all()
    return UnknownClub(slug=slug, known=", ".join(known) or "—")


def club_by_slug(slug: str) -> Select[Any]:
    """The statement of ``find_club``: the club's id, book and name (also run, compiled, by
    ``cigales.quick_read``)."""
    return select(club.c.id, club.c.book_id, club.c.name).where(club.c.slug == slug)


def find_club(db: Connection | Session, slug: str) -> ClubRef:
    """The club of a slug, read in Core (no row lock: for reading commands; writers use
    ``cigales.services.clubs.get_club``, which locks the row)."""
    row = db.execute(club_by_slug(slug)).one_or_none()
    if row is None:
        raise unknown_club(db, slug)
    return ClubRef(int(row[0]), int(row[1]), str(row[2]))
