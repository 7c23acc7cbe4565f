"""The club's own tables, beside the ledger's (one MetaData, so foreign keys to ``book`` work).

Personal data is kept out of the ledger: accounts carry codes, never names.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.schema import Base, metadata

__all__ = ["Base", "Club", "metadata"]


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
