"""Build clubs' yearly returns (``cigales-return/1``) from their books.

The figures are those of the AGM pack (reports/data.py: the same activity, cash and loan
book), so the return a club sends and the accounts its members approve cannot disagree. No
personal data: member counts only.

``build_returns`` reads any number of clubs with a fixed number of grouped queries (one per
kind of figure, for all the clubs at once), never one per club, investment or event: a
region of hundreds of clubs is read in about twenty queries. Each figure goes through the
same rule as the AGM pack's (``portfolio.realised``, ``loans.views``, ``arrears_of``,
``lifecycle``, the savings, members and jobs queries of reports/data.py), only fed for many
clubs at once; tests/federation/test_set_based_returns.py checks that they agree, figure
for figure, with the per-club computation they replaced.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cigales import chart
from cigales.federation.document import FORMAT, ratio_text, seal
from cigales.models import Club, Investee, Investment, Member
from cigales.services import lifecycle as lifecycle_service
from cigales.services.closed_returns import ToStore, closed_in, reusable
from cigales.services.clubs import cash_of
from cigales.services.investments import event_totals
from cigales.services.loans import LOAN_KINDS, LoanView, arrears_of, views
from cigales.services.portfolio import NOTHING_REALISED, Realised, realised
from cigales.shares import NET_ASSET_CLASSES, net_assets_of
from ledger.money import Money
from ledger.queries import chain_heads, prefix_balances
from reports.data import (
    club_identity,
    jobs_by_club,
    liquidation_cuts,
    member_movement_counts,
    savings_by_club,
)


def build_return(session: Session, club: Club, year: int, *, generated: dt.date,
                 provisional: bool = False) -> dict[str, Any]:
    return build_returns(session, [club], year, generated=generated,
                         provisional=provisional)[0]


def returns_of(session: Session, clubs: Sequence[Club], year: int, *, generated: dt.date,
               ) -> tuple[list[dict[str, Any]], list[ToStore]]:
    """Each club's return for ``year``, in the order of ``clubs``: the stored one of a closed
    year while the books are unchanged since it was computed (cigales.services.closed_returns),
    else computed now. Also the returns of closed years that were computed, for the caller
    to store (reports never write)."""
    kept = reusable(session, clubs, year)
    todo = [c for c in clubs if c.id not in kept]
    fresh = dict(zip([c.id for c in todo], build_returns(session, todo, year,
                                                         generated=generated), strict=True))
    closed = closed_in(session, todo, year)
    return ([kept[c.id] if c.id in kept else fresh[c.id] for c in clubs],
            [ToStore(c.id, year, fresh[c.id]) for c in todo if c.id in closed])


def closing_return(session: Session, club: Club, year: int, *, today: dt.date) -> ToStore:
    """The return of a year being closed, to store with the closing (``year close``)."""
    return ToStore(club.id, year, build_return(session, club, year, generated=today))


def build_returns(session: Session, clubs: Sequence[Club], year: int, *,
                  generated: dt.date, provisional: bool = False) -> list[dict[str, Any]]:
    """The return of each club of ``clubs`` for ``year``, in the same order."""
    if not clubs:
        return []
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    previous_end = dt.date(year - 1, 12, 31)
    ids = [c.id for c in clubs]
    books = [c.book_id for c in clubs]

    lives = lifecycle_service.lifecycles(session, clubs)
    active = lifecycle_service.active_members_by_club(session, ids, last)
    joined = member_movement_counts(session, ids, Member.joined, first, last)
    left = member_movement_counts(session, ids, Member.left_on, first, last)
    # Once the final distribution is made nobody is a member any more (reports.data.activity).
    distributed = liquidation_cuts(session, ids, year)
    savings = savings_by_club(session, ids, first, last)
    jobs = jobs_by_club(session, ids, first, last)
    # Cash and net assets from one pass over the postings.
    balances = prefix_balances(session, books, (*chart.CASH_PREFIXES, *NET_ASSET_CLASSES), last)
    heads = chain_heads(session, books)

    rows = session.execute(
        select(Investment, Investee).join(Investee, Investee.id == Investment.investee_id)
        .where(Investment.club_id.in_(ids), Investment.date <= last)
        .order_by(Investment.club_id, Investment.number)).all()
    # What each investment gave back in the year: its figures at year end minus those at the
    # previous year end, as the AGM pack's activity takes them from two portfolios.
    now = event_totals(session, [inv.id for inv, _ in rows], last)
    before = event_totals(session, [inv.id for inv, _ in rows if inv.date <= previous_end],
                          previous_end)
    in_year: dict[int, list[Realised]] = defaultdict(list)
    made: dict[int, list[tuple[Investment, Investee]]] = defaultdict(list)
    for inv, investee in rows:
        earlier = (realised(inv.kind, before[inv.id]) if inv.id in before
                   else NOTHING_REALISED)
        in_year[inv.club_id].append(realised(inv.kind, now[inv.id]) - earlier)
        if first <= inv.date:
            made[inv.club_id].append((inv, investee))
    loans: dict[int, list[LoanView]] = defaultdict(list)
    for loan in views(session, [(inv, ie) for inv, ie in rows if inv.kind in LOAN_KINDS],
                      last, outstanding_only=True):
        loans[loan.investment.club_id].append(loan)

    documents = []
    for club in clubs:
        bought = sorted(made[club.id], key=lambda r: (r[0].date, r[0].number))
        by_kind: dict[str, int] = {}
        for inv, _ in bought:
            by_kind[inv.kind] = by_kind.get(inv.kind, 0) + inv.amount_cents
        book = arrears_of(loans[club.id], last)
        at_risk = Money(sum(v.outstanding.cents for v in book.loans if v.arrears.at_risk_30))
        flows = in_year[club.id]
        entries, head = heads[club.book_id]
        documents.append(seal({
            "format": FORMAT,
            "year": year,
            "generated": generated.isoformat(),
            "club": {"slug": club.slug, "name": club.name, "region": club.region,
                     "department": club.department, "founded": club.founded.isoformat(),
                     "phase": club_identity(session, club, last, life=lives[club.id]).phase},
            "members": {"active": 0 if distributed[club.id] is not None else active[club.id],
                        "joined": joined[club.id], "left": left[club.id]},
            "savings_collected": savings[club.id][0].plain(),
            "cash_year_end": cash_of(balances[club.book_id]).plain(),
            "net_assets": net_assets_of(balances[club.book_id]).plain(),
            "invested": {
                "total": Money(sum(inv.amount_cents for inv, _ in bought)).plain(),
                "count": len(bought),
                "by_kind": {k: Money(v).plain() for k, v in sorted(by_kind.items())},
                "investments": [
                    {"date": inv.date.isoformat(), "kind": inv.kind,
                     "amount": Money(inv.amount_cents).plain(),
                     "investee": {"name": ie.name, "siren": ie.siren,
                                  "legal_form": ie.legal_form, "sector": ie.sector}}
                    for inv, ie in bought],
            },
            "repaid": Money(sum(f.repaid.cents for f in flows)).plain(),
            "income": Money(sum(f.income.cents for f in flows)).plain(),
            "written_off": Money(sum(f.written_off.cents for f in flows)).plain(),
            "loans": {"outstanding": book.outstanding.plain(), "at_risk_30": at_risk.plain(),
                      "par30": ratio_text(at_risk.cents, book.outstanding.cents),
                      "arrears": {k: v.plain() for k, v in book.buckets.items()}},
            "jobs": {"created": jobs[club.id][0], "kept": jobs[club.id][1]},
            "chain_head": {"entries": entries, "hash": head},
            **({"provisional": True} if provisional else {}),
        }))
    return documents
