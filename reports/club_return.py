"""Build a club's yearly return (``cigales-return/1``) from its books.

The figures are those of the AGM pack (reports/data.py: the same activity, cash and loan
book), so the return a club sends and the accounts its members approve cannot disagree. No
personal data: member counts only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cigales.federation.document import FORMAT, ratio_text, seal
from cigales.models import Club, Investee
from cigales.services.clubs import cash_balance
from cigales.services.loans import arrears_report
from cigales.services.portfolio import portfolio
from cigales.shares import net_assets
from ledger.money import Money
from ledger.queries import chain_head
from reports.data import activity, club_identity


def build_return(session: Session, club: Club, year: int, *, generated: dt.date,
                 provisional: bool = False) -> dict[str, Any]:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    lines = portfolio(session, club, last)
    act = activity(session, club, year, lines, portfolio(session, club, dt.date(year - 1, 12, 31)))
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
        **({"provisional": True} if provisional else {}),
    })
