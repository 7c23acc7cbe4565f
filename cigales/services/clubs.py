"""Creating, finding and listing clubs. Each club owns one book opened with the chart."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cigales import chart
from cigales.errors import (
    ClubExists,
    DateInFuture,
    InvalidChoice,
    InvalidDepartment,
    InvalidSlug,
    NameRequired,
    UsageProblem,
)
from cigales.models import RESULT_ALLOCATIONS, SHARE_METHODS, Club
from cigales.tables import unknown_club
from ledger.errors import N_
from ledger.limits import NAME_MAX, REGION_MAX, check_fields
from ledger.money import Money
from ledger.queries import prefix_balances
from ledger.schema import Account, Book

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# French departments: 01–95, 2A/2B (Corsica), 971–976 (overseas).
_DEPARTMENT_RE = re.compile(r"^(?:0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-6])$")


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


class InvalidRetention(UsageProblem):
    code = "invalid_retention"
    template = N_("“{value}” is not a retention period: give a whole number of years from 0 to "
                  "100 (default 10) during which members' identities are kept after the club "
                  "closes.")


def create_club(
    session: Session,
    slug: str,
    name: str,
    founded: dt.date,
    *,
    today: dt.date,
    region: str | None = None,
    department: str | None = None,
    share_method: str = "prorata",
    phase2_savings: bool = False,
    phase2_investments: bool = False,
    result_allocation: str = "carry_forward",
    retention_years: int = 10,
    siren: str | None = None,
) -> Club:
    validate_slug(slug)
    check_fields((name, "name", NAME_MAX), (region, "region", REGION_MAX))
    from cigales.siren import validate_siren  # python-stdnum: only when a SIREN is given

    number = validate_siren(siren) if siren else None
    if not 0 <= retention_years <= 100:
        raise InvalidRetention(value=str(retention_years))
    if share_method not in SHARE_METHODS:
        raise InvalidChoice(value=share_method, option="--share-method",
                            allowed=", ".join(SHARE_METHODS))
    if result_allocation not in RESULT_ALLOCATIONS:
        raise InvalidChoice(value=result_allocation, option="--result-allocation",
                            allowed=", ".join(RESULT_ALLOCATIONS))
    if department is not None and not _DEPARTMENT_RE.match(department):
        raise InvalidDepartment(department=department)
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
    from cigales.federation import signing  # cryptography only when a club is created

    club = Club(slug=slug, name=name.strip(), founded=founded, region=region,
                department=department, book_id=book_id, share_method=share_method,
                phase2_savings=phase2_savings, phase2_investments=phase2_investments,
                result_allocation=result_allocation, retention_years=retention_years,
                siren=number,
                # The key that will sign the club's federation returns, born with the club.
                signing_key=signing.encode(signing.new_private_key()),
                signing_key_created_on=today)
    session.add(club)
    session.flush()
    return club


def set_siren(session: Session, club: Club, siren: str) -> Club:
    """Record (or correct) the club's SIREN; validated, stored without spaces."""
    from cigales.siren import validate_siren

    club.siren = validate_siren(siren)
    session.flush()
    return club


def get_club(session: Session, slug: str) -> Club:
    """The club; in a writing transaction its row is locked until the commit.

    Every write command starts by fetching its club, so on PostgreSQL two writers to one club
    take turns (SELECT ... FOR UPDATE): a rule checked before a write (the 20-member limit,
    the cash available) still holds when the write commits. Other clubs are not blocked.
    SQLite serializes every writer already (BEGIN IMMEDIATE) and ignores FOR UPDATE.
    """
    query = select(Club).where(Club.slug == slug)
    if session.info.get("write"):
        query = query.with_for_update()
    club = session.execute(query).scalar_one_or_none()
    if club is None:
        # The same error as the Core look-up of the reading commands (cigales.tables).
        raise unknown_club(session, slug)
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
    return cash_balances(session, [book_id], as_of)[book_id]


def cash_balances(session: Session, book_ids: Sequence[int],
                  as_of: dt.date | None = None) -> dict[int, Money]:
    """Bank accounts (5121, 5122) of many books, one query."""
    found = prefix_balances(session, book_ids, chart.CASH_PREFIXES, as_of)
    return {b: cash_of(found[b]) for b in book_ids}


def cash_of(balances: dict[str, Money]) -> Money:
    """Cash from balances by prefix (``ledger.queries.prefix_balances``) that include
    ``chart.CASH_PREFIXES``."""
    return Money(sum(balances[p].cents for p in chart.CASH_PREFIXES))
