"""Receiving club returns at the regional or federal level (issue: federation).

``import_return`` validates one document (schema, checksum, internal sums), checks its
signature against the club's registered key (``services.federation_keys``) and stores it:
- a document already received (same club, year and checksum) changes nothing;
- a different document for the same club and year is a correction: it becomes the current
  version and the previous ones stay, marked superseded, as history.
Each file is imported in its own transaction by the caller, so one bad file never blocks the
others and never half-imports.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cigales.errors import CigalesError
from cigales.federation.document import validate
from cigales.models import Club, FederationReturn
from ledger.closing import closed_years
from ledger.errors import N_


class ReturnRegionChanged(CigalesError):
    code = "return_region_changed"
    template = N_("{source}: the club “{club}” is known in region “{known}” but this return "
                  "claims “{claimed}”. A club changes region only when the region confirms "
                  "it: import again with --accept-region-change.")


def known_region(session: Session, slug: str) -> tuple[bool, str | None]:
    """(known, region) of a club: its books if hosted here, else its latest stored return."""
    hosted = session.execute(select(Club.region).where(Club.slug == slug)).first()
    if hosted is not None:
        return True, hosted.region
    stored = session.execute(
        select(FederationReturn.region).where(FederationReturn.club_slug == slug)
        .order_by(FederationReturn.year.desc(), FederationReturn.revision.desc())).first()
    return (stored is not None), (stored.region if stored is not None else None)


class YearNotClosed(CigalesError):
    code = "year_not_closed"
    template = N_("The year {year} is not closed: its figures may still change. Close it first "
                  "(`cigales year close`), or add --provisional to send a return marked as "
                  "provisional.")


def check_closed(session: Session, club: Club, year: int, *, provisional: bool) -> None:
    """A return is final only for a closed year; a provisional one says so in the document."""
    if not provisional and year not in closed_years(session, club.book_id):
        raise YearNotClosed(year=year)


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    source: str
    club: str
    year: int
    status: str  # imported | replaced | unchanged
    revision: int


def import_return(session: Session, document: dict[str, Any], *, source: str,
                  today: dt.date, accept_region_change: bool = False) -> ImportOutcome:
    validate(document, source)
    # Who sent it: only a return signed by the key registered for its club is stored.
    from cigales.services.federation_keys import verify_return

    verify_return(session, document, source)
    slug, year, digest = document["club"]["slug"], int(document["year"]), document["checksum"]
    # A return naming another region for a known club would move it (and its figures) out
    # of its region's aggregates: only on the region's explicit confirmation.
    known, region = known_region(session, slug)
    claimed = document["club"]["region"]
    if known and claimed != region and not accept_region_change:
        raise ReturnRegionChanged(source=source, club=slug, known=region or "—",
                                  claimed=claimed or "—")
    same = session.execute(select(FederationReturn).where(
        FederationReturn.club_slug == slug, FederationReturn.year == year,
        FederationReturn.checksum == digest)).scalar_one_or_none()
    if same is not None:
        return ImportOutcome(source, slug, year, "unchanged", same.revision)
    last = session.execute(select(func.max(FederationReturn.revision)).where(
        FederationReturn.club_slug == slug, FederationReturn.year == year)).scalar_one()
    if last is not None:
        session.execute(update(FederationReturn).where(
            FederationReturn.club_slug == slug, FederationReturn.year == year)
            .values(current=False))
    revision = (last or 0) + 1
    session.add(FederationReturn(
        club_slug=slug, region=document["club"]["region"], year=year, revision=revision,
        checksum=digest, received_on=today, source=source[:500],
        document=json.dumps(document, ensure_ascii=False, sort_keys=True), current=True))
    session.flush()
    return ImportOutcome(source, slug, year, "replaced" if last else "imported", revision)


def current_returns(session: Session, year: int) -> list[dict[str, Any]]:
    """The current version of every stored return of ``year``, by club slug."""
    rows = session.execute(select(FederationReturn.document).where(
        FederationReturn.year == year, FederationReturn.current.is_(True))
        .order_by(FederationReturn.club_slug)).scalars()
    return [json.loads(text) for text in rows]


def history(session: Session, slug: str, year: int) -> list[FederationReturn]:
    return list(session.execute(select(FederationReturn).where(
        FederationReturn.club_slug == slug, FederationReturn.year == year)
        .order_by(FederationReturn.revision)).scalars())
