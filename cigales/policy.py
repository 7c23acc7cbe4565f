"""Numbers from the club convention and from the law, each with its source.

Changing a rate or a cap is a one-line change here; nothing else hard-codes them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from ledger.money import Money

# Yearly payment cap per member household in an investment club: warn above it.
# Source: domain.md §3 (CIGALES / FNCIGALES guidance for investment clubs, 5,500 EUR).
YEARLY_SAVING_CAP = Money(550_000)

# Members per club at any time (domain.md §1, convention of indivision): 5 to 20.
MIN_MEMBERS = 5
MAX_MEMBERS = 20

# Equity caps by legal form: the club must stay a minority shareholder (domain.md §4,
# CIGALES charter). EURL/SASU follow SARL/SAS; SCIC follows SCOP. Associations and sole
# traders (EI) have no share capital: equity is impossible there.
EQUITY_CAPS: dict[str, Fraction] = {
    "SARL": Fraction(25, 100),
    "EURL": Fraction(25, 100),
    "SA": Fraction(33, 100),
    "SAS": Fraction(33, 100),
    "SASU": Fraction(33, 100),
    "SCOP": Fraction(50, 100),
    "SCIC": Fraction(50, 100),
}
NO_SHARE_CAPITAL = ("association", "EI")

# A shareholder current account (CCA, 2671) may only be opened by a shareholder holding at
# least 5 % of the company's capital on the grant date: below that, money lent to the company
# would be "funds received from the public", which only credit institutions may take.
# Source: Code monétaire et financier art. L. 312-2 (associates holding at least 5 % of the
# share capital); domain.md §4 (CCA only with an equity stake), issue #17 (§8.11).
CCA_MIN_STAKE = Fraction(5, 100)

# Cooperatives (SCOP, SCIC) repay their parts at nominal value: no capital gain is possible
# (loi n° 47-1775 du 10 septembre 1947, art. 18; loi 78-763 for SCOP). A sale above nominal
# is refused unless the treasurer confirms it (--above-nominal) and a warning is printed.
# Source: domain.md §3.1 / issue #17.
NOMINAL_ONLY_FORMS = ("SCOP", "SCIC")

# A prêt d'honneur is a personal loan to an entrepreneur (a person: sole trader, EI) at 0 % or
# a small rate (domain.md §2: "usually 0 %, sometimes 1–2 %"). A loan recorded with kind
# ``honour`` to a company, or at more than 2 %, is an ordinary loan: it is labelled with the
# chart's 274 label, "Prêts" (issue #17; docs/glossary.md).
HONOUR_LOAN_MAX_RATE = Decimal("0.02")
PERSON_FORMS = ("EI",)


def loan_instrument(kind: str, legal_form: str, rate: Decimal | None) -> str:
    """The instrument a financing is labelled by: its kind, except that ``honour`` is
    ``loan`` unless it goes to a person at no more than HONOUR_LOAN_MAX_RATE."""
    if kind != "honour":
        return kind
    if legal_form in PERSON_FORMS and (rate or Decimal(0)) <= HONOUR_LOAN_MAX_RATE:
        return "honour"
    return "loan"


# IR-PME income-tax reduction (CGI art. 199 terdecies-0 A), by the date the money was paid.
# Each row: first day, last day, rate, ESUS-only. The first matching row wins, so the special
# windows come before the general rates. Sources: domain.md §5 (finance laws 2011, 2012,
# décret 2020-1186 (25 % from 2020-08-10), LF 2021 / décret 2021-558 (from 2021-05-09),
# décret 2022-378 (from 2022-03-18), décret 2023-149 (from 2023-03-12), LF 2024 art. 38
# (ESUS 25 % from 2024-06-28 to 2025-12-31)).
IR_PME_RATES: tuple[tuple[dt.date, dt.date, Fraction, bool], ...] = (
    (dt.date(2024, 6, 28), dt.date(2025, 12, 31), Fraction(25, 100), True),
    (dt.date(2020, 8, 10), dt.date(2020, 12, 31), Fraction(25, 100), False),
    (dt.date(2021, 5, 9), dt.date(2021, 12, 31), Fraction(25, 100), False),
    (dt.date(2022, 3, 18), dt.date(2022, 12, 31), Fraction(25, 100), False),
    (dt.date(2023, 3, 12), dt.date(2023, 12, 31), Fraction(25, 100), False),
    (dt.date(1900, 1, 1), dt.date(2010, 12, 31), Fraction(25, 100), False),
    (dt.date(2011, 1, 1), dt.date(2011, 12, 31), Fraction(22, 100), False),
    (dt.date(2012, 1, 1), dt.date(2099, 12, 31), Fraction(18, 100), False),
)
# Titles must be kept until 31 December of the 5th year after payment; a repayment of capital
# by the company before 31 December of the 7th year also claws the reduction back.
LOCK_UP_YEARS = 5
CAPITAL_REPAYMENT_YEARS = 7


def ir_pme_rate(paid_on: dt.date, esus: bool) -> Fraction:
    for first, last, rate, esus_only in IR_PME_RATES:
        if first <= paid_on <= last and (esus or not esus_only):
            return rate
    raise LookupError(f"no IR-PME rate for {paid_on}")


def lock_up_end(paid_on: dt.date) -> dt.date:
    return dt.date(paid_on.year + LOCK_UP_YEARS, 12, 31)


def capital_repayment_end(paid_on: dt.date) -> dt.date:
    return dt.date(paid_on.year + CAPITAL_REPAYMENT_YEARS, 12, 31)
