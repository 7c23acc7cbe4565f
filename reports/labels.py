"""Names people read for the codes that report data carries (kinds, statuses, sections).

Msgids are English and marked with ``N_`` so that extraction finds them; ``label()`` translates
at render time, in the language being rendered.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cigales.i18n import _
from cigales.phases import PHASE_LABELS, PHASE_NAMES, Phase, reported_phase
from ledger.errors import N_

if TYPE_CHECKING:
    from reports.data import ClubIdentity

KINDS = {
    "equity": N_("Equity stake"),
    "shareholder": N_("Shareholder loan"),
    "honour": N_("Honour loan"),
    "loan": N_("Loan"),
    "association": N_("Association contribution"),
    "participating": N_("Participating titles"),
}

STATUSES = {
    "held": N_("held"),
    "exited": N_("exited"),
    "written_off": N_("written off"),
    "repaid": N_("repaid"),
    "late": N_("late"),
    "current": N_("current"),
}

INSTALMENT_STATUSES = {
    "paid": N_("paid"),
    "late": N_("late"),
    "partial": N_("partly paid"),
    "due": N_("to come"),
}

SECTIONS = {
    "financial_assets": N_("Financial assets (gross)"),
    "impairments": N_("Impairments"),
    "receivables": N_("Receivables"),
    "cash": N_("Cash at bank"),
    "other": N_("Other"),
    "capital": N_("Members' contributions"),
    "equity": N_("Reserves and result"),
    "debts": N_("Debts"),
    "charges": N_("Expenses"),
    "products": N_("Income"),
}

COMPUTED = {
    "result": N_("Result of the year"),
    "result_pending": N_("Result awaiting allocation"),
}

CASH_FLOWS = {
    "savings": N_("Members' savings paid in"),
    "capital_returned": N_("Capital repaid to members"),
    "invested": N_("Investments paid out"),
    "recovered": N_("Repayments and sales received"),
    "income": N_("Dividends, interest and other income"),
    "expenses": N_("Expenses paid"),
    "other": N_("Other movements"),
}

INCOME_KINDS = {
    "dividend": N_("dividend"),
    "interest": N_("loan interest"),
    "bank_interest": N_("bank interest"),
}

BUCKETS = {
    "current": N_("up to date"),
    "1-30": N_("1–30 days"),
    "31-90": N_("31–90 days"),
    "91-180": N_("91–180 days"),
    "180+": N_("over 180 days"),
}

# Outcomes printed by commands (tables only: JSON and CSV keep the codes).
COLLECT_STATUSES = {
    "recorded": N_("recorded"),
    "already_recorded": N_("already recorded"),
    "skipped": N_("not due (no plan or not active)"),
}

RETURN_STATUSES = {
    "imported": N_("imported"),
    "replaced": N_("replaces the previous version"),
    "unchanged": N_("already received, unchanged"),
    "rejected": N_("rejected"),
}

SHARE_METHODS = {"prorata": N_("pro rata of net contributions"), "units": N_("units")}


def label(table: dict[str, str], key: str | None) -> str:
    """Translated name of ``key``, or the key itself when the table does not know it."""
    if key is None:
        return "—"
    return _(table[key]) if key in table else key


def phase(value: str) -> str:
    """A phase code in words (federation totals: investment, management, ...)."""
    return _(PHASE_LABELS[Phase(value)])


def club_phase(identity: ClubIdentity, on: dt.date) -> str:
    """The reported phase code of a club identity on ``on`` (``lapsed`` when T0 + 5 years passed
    with neither prorogation nor liquidation)."""
    lapsed = (identity.prorogation is None and identity.liquidation is None
              and on > identity.phase1_end)
    return reported_phase(identity.phase, lapsed=lapsed)


def phase_name(value: str) -> str:
    """The domain's name of a reported phase code: "P1 – investment phase", ..., "lapsed
    (legal indivision)"."""
    return _(PHASE_NAMES[value]) if value in PHASE_NAMES else value
