"""Regional and federal aggregates of the yearly club returns.

Clubs hosted in this database are read from their books (their return is built on the fly);
clubs known only by an imported return are read from its current version. A club is counted
once, by its slug: when both exist, the books win (they are the source the return was made
from). Every total is a sum of integer cents; PAR30 is weighted by outstanding principal
(sum of loans more than 30 days late ÷ sum of outstanding), never an average of ratios.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cigales.collation import folded, sorted_fr
from cigales.errors import CigalesError
from cigales.federation.document import ratio_text
from cigales.models import Club
from cigales.services.closed_returns import ToStore
from cigales.services.federation import current_returns
from cigales.services.lifecycle import lifecycles
from ledger.errors import N_
from ledger.money import Money, round_half_up
from reports.club_return import returns_of

NO_REGION = "—"
PHASES = ("investment", "management", "liquidation", "closed")


@dataclass(frozen=True, slots=True)
class Figures:
    clubs: int
    new_clubs: int
    clubs_by_phase: dict[str, int]
    members_active: int
    savings_collected: Money
    cash_year_end: Money
    net_assets: Money
    invested: Money
    projects: int
    invested_by_kind: dict[str, Money]
    invested_by_legal_form: dict[str, Money]
    repaid: Money
    written_off: Money
    loans_outstanding: Money
    loans_at_risk_30: Money
    jobs_created: int
    jobs_kept: int

    @property
    def average_ticket(self) -> Money:
        """Average amount per project financed (half-up to the cent)."""
        if not self.projects:
            return Money(0)
        return round_half_up(Fraction(self.invested.cents, self.projects) / 100)

    @property
    def par30_share(self) -> Fraction:
        """Σ at risk ÷ Σ outstanding (0 when nothing is outstanding)."""
        if not self.loans_outstanding.cents:
            return Fraction(0)
        return Fraction(self.loans_at_risk_30.cents, self.loans_outstanding.cents)

    @property
    def par30(self) -> str:
        return ratio_text(self.loans_at_risk_30.cents, self.loans_outstanding.cents)


def figures(documents: Iterable[dict[str, Any]]) -> Figures:
    m = Money.parse
    counts: dict[str, int] = defaultdict(int)
    cents: dict[str, int] = defaultdict(int)
    phases: dict[str, int] = dict.fromkeys(PHASES, 0)
    by_kind: dict[str, int] = defaultdict(int)
    by_form: dict[str, int] = defaultdict(int)
    for doc in documents:
        counts["clubs"] += 1
        counts["new_clubs"] += int(doc["club"]["founded"][:4] == str(doc["year"]))
        phases[doc["club"]["phase"]] += 1
        counts["members_active"] += doc["members"]["active"]
        for key in ("savings_collected", "cash_year_end", "net_assets", "repaid",
                    "written_off"):
            cents[key] += m(doc[key]).cents
        cents["invested"] += m(doc["invested"]["total"]).cents
        counts["projects"] += doc["invested"]["count"]
        for line in doc["invested"]["investments"]:
            by_kind[line["kind"]] += m(line["amount"]).cents
            by_form[line["investee"]["legal_form"]] += m(line["amount"]).cents
        cents["loans_outstanding"] += m(doc["loans"]["outstanding"]).cents
        cents["loans_at_risk_30"] += m(doc["loans"]["at_risk_30"]).cents
        counts["jobs_created"] += doc["jobs"]["created"]
        counts["jobs_kept"] += doc["jobs"]["kept"]
    return Figures(
        clubs=counts["clubs"], new_clubs=counts["new_clubs"], clubs_by_phase=phases,
        members_active=counts["members_active"],
        **{k: Money(cents[k]) for k in ("savings_collected", "cash_year_end", "net_assets",
                                        "invested", "repaid", "written_off",
                                        "loans_outstanding", "loans_at_risk_30")},
        projects=counts["projects"],
        invested_by_kind={k: Money(v) for k, v in sorted(by_kind.items())},
        invested_by_legal_form={k: Money(v) for k, v in sorted(by_form.items())},
        jobs_created=counts["jobs_created"], jobs_kept=counts["jobs_kept"])


@dataclass(frozen=True, slots=True)
class Group:
    name: str  # region, or "" for the whole federation
    current: Figures
    previous: Figures  # the same figures for the year before


@dataclass(frozen=True, slots=True)
class FederationReport:
    year: int
    region: str | None
    generated: dt.date
    totals: Group
    regions: tuple[Group, ...]
    hosted: int  # clubs read from their books in this database
    from_returns: int  # clubs known only by an imported return
    # Returns of closed years computed again (none stored, or the books changed since): the
    # caller stores them (cigales.services.closed_returns.store) so the next report reuses them.
    refreshed: tuple[ToStore, ...] = ()


def _hosted(session: Session, year: int) -> list[Club]:
    """Clubs with books here that existed during ``year``."""
    clubs = list(session.execute(select(Club).where(Club.founded <= dt.date(year, 12, 31))
                                 .order_by(Club.slug)).scalars())
    lives = lifecycles(session, clubs)
    found = []
    for club in clubs:
        closure = lives[club.id].closure
        if closure is not None and closure.date < dt.date(year, 1, 1):
            continue
        found.append(club)
    return found


def collect(session: Session, year: int, generated: dt.date,
            refreshed: list[ToStore] | None = None) -> list[tuple[dict[str, Any], bool]]:
    """Every club's return for ``year`` and whether it comes from books hosted here.

    Hosted clubs' returns of closed years are reused when stored and still valid; those
    computed again are added to ``refreshed`` for the caller to store."""
    hosted = _hosted(session, year)
    found, to_store = returns_of(session, hosted, year, generated=generated)
    if refreshed is not None:
        refreshed.extend(to_store)
    docs = [(doc, True) for doc in found]
    slugs = {club.slug for club in hosted}
    docs += [(doc, False) for doc in current_returns(session, year)
             if doc["club"]["slug"] not in slugs]
    return docs


def _region(doc: dict[str, Any]) -> str:
    return doc["club"]["region"] or NO_REGION


class UnknownRegion(CigalesError):
    code = "unknown_region"
    template = N_("No club of region “{region}” in {year} or {previous}; known regions: "
                  "{known}.")


def _pick_region(region: str, known: set[str], year: int) -> str:
    """The known region the user meant: accents, case and spaces do not matter."""
    for name in known:
        if folded(name) == folded(region):
            return name
    raise UnknownRegion(region=region, year=year, previous=year - 1,
                        known=", ".join(sorted_fr(known)) or "—")


def build_federation_report(session: Session, year: int, *, generated: dt.date,
                            region: str | None = None,
                            known_region: bool = True) -> FederationReport:
    """``known_region=False``: a region with no club yet gives an empty report (a region's
    own web page) instead of ``unknown_region`` (a mistyped --region)."""
    refreshed: list[ToStore] = []
    every_now = collect(session, year, generated, refreshed)
    every_before = collect(session, year - 1, generated, refreshed)
    if region is not None:
        try:
            region = _pick_region(region, {_region(d) for d, _ in every_now + every_before},
                                  year)
        except UnknownRegion:
            if known_region:
                raise
    pairs = [(d, h) for d, h in every_now if region is None or _region(d) == region]
    now = [d for d, _ in pairs]
    before = [d for d, _ in every_before if region is None or _region(d) == region]
    # Regions in French alphabetical order ("Île-de-France" before "Normandie").
    names = sorted_fr({_region(d) for d in now} | {_region(d) for d in before})
    groups = tuple(
        Group(name, figures(d for d in now if _region(d) == name),
              figures(d for d in before if _region(d) == name))
        for name in names)
    hosted = sum(1 for _, h in pairs if h)
    return FederationReport(year, region, generated, Group("", figures(now), figures(before)),
                            groups, hosted=hosted, from_returns=len(pairs) - hosted,
                            refreshed=tuple(refreshed))
