"""Creating, finding and listing clubs. Each club owns one book opened with the chart."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cigales import chart
from cigales.errors import ClubExists, DateInFuture, InvalidSlug, NameRequired, UnknownClub
from cigales.models import Club
from ledger.money import Money
from ledger.queries import balance
from ledger.schema import Account, Book

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class ClubSummary:
    slug: str
    name: str
    founded: dt.date
    region: str | None
    department: str | None
    entries: int
    cash: Money


def validate_slug(slug: str) -> str:
    if not (2 <= len(slug) <= 64) or not _SLUG_RE.match(slug):
        raise InvalidSlug(slug=slug)
    return slug


def create_club(
    session: Session,
    slug: str,
    name: str,
    founded: dt.date,
    *,
    today: dt.date,
    region: str | None = None,
    department: str | None = None,
) -> Club:
    validate_slug(slug)
    if not name or not name.strip():
        raise NameRequired()
    if founded > today:
        raise DateInFuture(date=founded.isoformat(), today=today.isoformat())
    if session.execute(select(Club.id).where(Club.slug == slug)).first() is not None:
        raise ClubExists(slug=slug)
    book_id = session.execute(
        insert(Book).values(code=slug, name=name.strip(), opened_on=founded)
        .returning(Book.id)
    ).scalar_one()
    session.execute(
        insert(Account),
        [{"book_id": book_id, "code": a.code, "label": a.label, "postable": a.postable}
         for a in chart.CHART],
    )
    club = Club(slug=slug, name=name.strip(), founded=founded, region=region,
                department=department, book_id=book_id)
    session.add(club)
    session.flush()
    return club


def get_club(session: Session, slug: str) -> Club:
    club = session.execute(select(Club).where(Club.slug == slug)).scalar_one_or_none()
    if club is None:
        known = session.execute(select(Club.slug).order_by(Club.slug).limit(20)).scalars().all()
        raise UnknownClub(slug=slug, known=", ".join(known) or "—")
    return club


def list_clubs(session: Session) -> list[ClubSummary]:
    rows = session.execute(
        select(Club, Book.chain_seq).join(Book, Book.id == Club.book_id).order_by(Club.slug)
    ).all()
    return [
        ClubSummary(c.slug, c.name, c.founded, c.region, c.department, int(seq),
                    cash_balance(session, c.book_id))
        for c, seq in rows
    ]


def cash_balance(session: Session, book_id: int, as_of: dt.date | None = None) -> Money:
    total = Money(0)
    for prefix in chart.CASH_PREFIXES:
        total += balance(session, book_id, prefix, as_of)
    return total
