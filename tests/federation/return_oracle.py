"""The club return as it was computed before it became set-based (issue 16, item 2): one club
at a time, the portfolio rebuilt per investment with one ``event_sum`` query per figure, and
the AGM pack's ``activity``. Kept here, in the tests only, as the oracle the set-based
computation (reports.club_return.build_returns) must match figure for figure; the product
has one implementation of each rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cigales.federation.document import FORMAT, ratio_text, seal
from cigales.models import Club, Investee, Investment, InvestmentEvent
from cigales.services.clubs import cash_balance
from cigales.services.investments import StakeLot
from cigales.services.loans import LOAN_KINDS, arrears_report, view
from cigales.services.portfolio import PortfolioLine
from cigales.shares import net_assets
from ledger.money import Money
from ledger.queries import chain_head
from reports.data import activity, club_identity


def event_sum(session: Session, investment_id: int, kinds: tuple[str, ...], column: str,
              as_of: dt.date | None = None) -> int:
    col = getattr(InvestmentEvent, column)
    query = select(func.coalesce(func.sum(col), 0)).where(
        InvestmentEvent.investment_id == investment_id, InvestmentEvent.kind.in_(kinds))
    if as_of is not None:
        query = query.where(InvestmentEvent.date <= as_of)
    return int(session.execute(query).scalar_one())


def stake_lots(session: Session, club: Club, investee: Investee,
               as_of: dt.date) -> list[StakeLot]:
    query = select(Investment).where(
        Investment.club_id == club.id, Investment.investee_id == investee.id,
        Investment.kind == "equity", Investment.date <= as_of
    ).order_by(Investment.date, Investment.number)
    lots = []
    for inv in session.execute(query).scalars():
        out = event_sum(session, inv.id, ("sale", "redemption", "write_off"), "shares", as_of)
        cost_out = event_sum(session, inv.id, ("sale", "redemption", "write_off"),
                             "principal_cents", as_of)
        impaired = (event_sum(session, inv.id, ("impairment",), "amount_cents", as_of)
                    - event_sum(session, inv.id, ("impairment_reversal",), "amount_cents",
                                as_of))
        held = int(inv.shares or 0) - out
        if held > 0 or impaired:
            lots.append(StakeLot(inv, held, Money(inv.amount_cents - cost_out), Money(impaired)))
    return lots


def _sum(session: Session, inv: Investment, kinds: tuple[str, ...], column: str,
         as_of: dt.date) -> Money:
    return Money(event_sum(session, inv.id, kinds, column, as_of))


def portfolio_per_investment(session: Session, club: Club,
                             as_of: dt.date) -> list[PortfolioLine]:
    """The portfolio lines' figures, one query per investment and figure (keys left empty:
    the return does not read them)."""
    rows = session.execute(
        select(Investment, Investee).join(Investee, Investee.id == Investment.investee_id)
        .where(Investment.club_id == club.id, Investment.date <= as_of)
        .order_by(Investment.number)).all()
    lines = []
    for inv, investee in rows:
        if inv.kind in LOAN_KINDS:
            loan = view(session, inv, investee, as_of)
            written = _sum(session, inv, ("write_off",), "principal_cents", as_of)
            lines.append(PortfolioLine(
                inv.number, investee.slug, investee.name, investee.legal_form, investee.sector,
                inv.kind, inv.date, Money(inv.amount_cents), loan.repaid, Money(0),
                loan.interest_paid, written, Money(0), loan.outstanding, "", None, ()))
            continue
        lot = next((lt for lt in stake_lots(session, club, investee, as_of)
                    if lt.investment.id == inv.id), None)
        held = lot.shares_held if lot else 0
        cost_left = lot.cost_left if lot else Money(0)
        impaired = lot.impaired if lot else Money(0)
        written = _sum(session, inv, ("write_off",), "principal_cents", as_of)
        disposed = _sum(session, inv, ("sale", "redemption"), "principal_cents", as_of)
        proceeds = _sum(session, inv, ("sale", "redemption"), "amount_cents", as_of)
        dividends = _sum(session, inv, ("dividend",), "amount_cents", as_of)
        lines.append(PortfolioLine(
            inv.number, investee.slug, investee.name, investee.legal_form, investee.sector,
            inv.kind, inv.date, Money(inv.amount_cents), disposed, proceeds, dividends, written,
            impaired, cost_left if held else Money(0), "", held, ()))
    return lines


def oracle_return(session: Session, club: Club, year: int, *,
                  generated: dt.date) -> dict[str, Any]:
    """reports/club_return.build_return as it was before issue 16."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    lines = portfolio_per_investment(session, club, last)
    act = activity(session, club, year, lines,
                   portfolio_per_investment(session, club, dt.date(year - 1, 12, 31)))
    sirens = dict(session.execute(select(Investee.slug, Investee.siren)
                                  .where(Investee.club_id == club.id)).all())
    made = sorted((p for p in lines if first <= p.date <= last), key=lambda p: (p.date, p.number))
    by_kind: dict[str, int] = {}
    for p in made:
        by_kind[p.kind] = by_kind.get(p.kind, 0) + p.cost.cents
    loans = arrears_report(session, club, last)
    at_risk = Money(sum(v.outstanding.cents for v in loans.loans if v.arrears.at_risk_30))
    entries, head = chain_head(session, club.book_id)
    return seal({
        "format": FORMAT,
        "year": year,
        "generated": generated.isoformat(),
        "club": {"slug": club.slug, "name": club.name, "region": club.region,
                 "department": club.department, "founded": club.founded.isoformat(),
                 "phase": club_identity(session, club, last).phase},
        "members": {"active": act.members_end, "joined": len(act.joined),
                    "left": len(act.left)},
        "savings_collected": act.savings_collected.plain(),
        "cash_year_end": cash_balance(session, club.book_id, last).plain(),
        "net_assets": net_assets(session, club, last).plain(),
        "invested": {
            "total": act.invested.plain(),
            "count": len(made),
            "by_kind": {k: Money(v).plain() for k, v in sorted(by_kind.items())},
            "investments": [
                {"date": p.date.isoformat(), "kind": p.kind, "amount": p.cost.plain(),
                 "investee": {"name": p.investee_name, "siren": sirens.get(p.investee),
                              "legal_form": p.legal_form, "sector": p.sector}}
                for p in made],
        },
        "repaid": act.repaid.plain(),
        "income": act.income.plain(),
        "written_off": act.written_off.plain(),
        "loans": {"outstanding": loans.outstanding.plain(), "at_risk_30": at_risk.plain(),
                  "par30": ratio_text(at_risk.cents, loans.outstanding.cents),
                  "arrears": {k: v.plain() for k, v in loans.buckets.items()}},
        "jobs": {"created": act.jobs_created, "kept": act.jobs_kept},
        "chain_head": {"entries": entries, "hash": head},
    })
