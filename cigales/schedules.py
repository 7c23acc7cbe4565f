"""Loan schedules and repayment allocation, as pure functions (domain.md §4).

Nothing here touches the database: the loan services turn a loan row into ``LoanTerms``, ask
this module for the schedule, the payments' allocation, the arrears or new terms, and store the
result. Errors are plain ``ValueError``s (``OverPayment`` carries the amount that would have been
accepted); the service layer turns them into user-facing ``CigalesError``s.

Conventions, fixed once:

- Periods are calendar months (1, 3 or 12). Due date k is ``start + k periods`` computed from
  the grant date every time, never from the previous due date, so a loan granted on 31 January
  falls due on 28/29 February, then 31 March, 30 April, ... (the day is clamped, not lost).
- With ``deferral`` d, periods 1..d carry interest only and the first principal instalment
  falls due at ``start + (d + 1)`` periods. At 0 % a deferral period owes nothing, so it has
  no row at all (a schedule line of 0.00 would only be noise on the member's statement).
- A schedule is a tuple of ``Instalment`` rows in due-date order; ``n`` numbers every row from
  1, the interest-only deferral rows included, so ``n`` is the row's position and a stable key.
  ``interest_only`` tells deferral (and single-term interest) rows from amortising ones:
  ``principal == 0`` cannot, since a tiny loan over many instalments may round a part to 0.
- Interest of a period = outstanding principal × annual rate ÷ periods per year, rounded half
  up to the cent. Rounding happens per row; the last amortising row takes whatever principal
  is left, so the principal parts always sum to the principal exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Literal

from cigales.phases import add_months, add_years
from ledger.money import Money, round_half_up

ZERO = Money(0)

#: Minimum term of titres participatifs: not redeemable before seven years (Code monétaire et
#: financier, art. L. 213-32).
PARTICIPATING_MIN_YEARS = 7

#: Ageing buckets of late instalments, by days past due (inclusive bounds; None = no upper bound).
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1-30", 1, 30),
    ("31-90", 31, 90),
    ("91-180", 91, 180),
    ("180+", 181, None),
)

#: A loan is "at risk" (counts in PAR30) when any instalment is more than this many days late.
PAR_DAYS = 30


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"

    @property
    def months(self) -> int:
        """Length of one period in calendar months."""
        return _PERIOD_MONTHS[self]

    @property
    def per_year(self) -> int:
        """Periods per year: the divisor of the annual rate."""
        return 12 // _PERIOD_MONTHS[self]


_PERIOD_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}


class Method(StrEnum):
    LINEAR = "linear"  # constant principal part; instalments decrease with the interest
    ANNUITY = "annuity"  # constant instalment (principal + interest)


Status = Literal["paid", "partial", "late", "due"]


def _check_money(name: str, value: object) -> Money:
    if not isinstance(value, Money):
        raise TypeError(f"{name} must be Money, got {type(value).__name__}")
    return value


def _check_date(name: str, value: object) -> dt.date:
    # datetime is a date subclass; a time of day here is always a mix-up of types.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise TypeError(f"{name} must be a date, got {type(value).__name__}")
    return value


def _check_int(name: str, value: object) -> int:
    if type(value) is not int:
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def _check_rate(value: object) -> Decimal:
    """Annual rate as a Decimal fraction (0.03 = 3 %). Floats are refused like for money."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError("rate must be a Decimal such as Decimal('0.03'), "
                        f"got {type(value).__name__}")
    rate = Decimal(value)
    if not rate.is_finite():
        raise ValueError(f"rate must be a finite number, got {rate}")
    if rate < 0:
        raise ValueError(f"rate must not be negative, got {rate}")
    if rate >= 1:
        raise ValueError(f"rate is an annual fraction below 1 (0.03 for 3 %), got {rate}")
    return rate


def _period_rate(rate: Decimal, frequency: Frequency) -> Fraction:
    # Exact: the Decimal becomes a Fraction, no context rounding anywhere.
    return Fraction(rate) / frequency.per_year


def _interest(outstanding: Money, period_rate: Fraction) -> Money:
    return round_half_up(Fraction(outstanding.cents, 100) * period_rate)


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """What a loan agreement says. Validated on construction, so a schedule can always be built.

    ``frequency`` and ``method`` also accept their string values ("quarterly", "annuity"), and
    ``rate`` an int 0, because that is how they come out of the database and the CLI.
    """

    principal: Money
    rate: Decimal
    start: dt.date  # grant date: periods are counted from here
    instalments: int  # amortising instalments, deferral periods not included
    deferral: int = 0  # periods of interest only before the first principal instalment
    frequency: Frequency = Frequency.MONTHLY
    method: Method = Method.LINEAR

    def __post_init__(self) -> None:
        principal = _check_money("principal", self.principal)
        if principal.cents <= 0:
            raise ValueError(f"principal must be positive, got {principal.plain()}")
        object.__setattr__(self, "rate", _check_rate(self.rate))
        _check_date("start", self.start)
        if _check_int("instalments", self.instalments) < 1:
            raise ValueError(f"instalments must be at least 1, got {self.instalments}")
        if _check_int("deferral", self.deferral) < 0:
            raise ValueError(f"deferral must not be negative, got {self.deferral}")
        object.__setattr__(self, "frequency", Frequency(self.frequency))
        object.__setattr__(self, "method", Method(self.method))

    def due_date(self, period: int) -> dt.date:
        """Date of the end of period ``period`` (1-based), anchored on the grant date."""
        return add_months(self.start, period * self.frequency.months)

    @property
    def first_due(self) -> dt.date:
        """Due date of the first principal instalment: start + (deferral + 1) periods."""
        return self.due_date(self.deferral + 1)

    @property
    def last_due(self) -> dt.date:
        return self.due_date(self.deferral + self.instalments)


@dataclass(frozen=True, slots=True)
class Instalment:
    n: int  # row number from 1, interest-only rows included
    due: dt.date
    principal: Money
    interest: Money
    outstanding_after: Money  # principal still owed once this row is paid as scheduled
    interest_only: bool = False  # a deferral (or single-term interest) row

    @property
    def total(self) -> Money:
        return self.principal + self.interest


def build_schedule(terms: LoanTerms) -> tuple[Instalment, ...]:
    """The schedule of ``terms``: deferral interest rows (if any interest), then the instalments.

    Linear: each principal part is principal ÷ n rounded half up, the last one is the rest.
    Annuity: the instalment is the standard P·r ÷ (1 − (1 + r)^−n) with r the period rate,
    computed exactly in fractions and rounded half up once; each row's principal part is that
    instalment minus the row's interest, and the last row is the remaining principal plus its
    interest, so it differs from the others by the accumulated rounding (a few cents). At 0 %
    the annuity formula degenerates to P ÷ n, i.e. the linear schedule.

    A principal part is capped at what remains (it can only exceed it for loans of a few cents
    per instalment), so the outstanding balance never goes negative; rows after the cap owe 0.
    """
    r = _period_rate(terms.rate, terms.frequency)
    p = terms.principal
    n = terms.instalments
    rows: list[Instalment] = []

    deferral_interest = _interest(p, r)
    if deferral_interest:
        for period in range(1, terms.deferral + 1):
            rows.append(Instalment(n=len(rows) + 1, due=terms.due_date(period), principal=ZERO,
                                   interest=deferral_interest, outstanding_after=p,
                                   interest_only=True))

    exact_p = Fraction(p.cents, 100)
    if terms.method is Method.ANNUITY and r:
        growth = (1 + r) ** n  # exact: integer power of a Fraction
        payment = round_half_up(exact_p * r * growth / (growth - 1))
    else:
        payment = round_half_up(exact_p / n)  # linear part, or the 0 % annuity

    remaining = p
    for k in range(1, n + 1):
        interest = _interest(remaining, r)
        if k == n:
            part = remaining
        elif terms.method is Method.ANNUITY:
            # payment >= interest always: payment >= round(P·r) >= round(remaining·r).
            part = min(payment - interest, remaining)
        else:
            part = min(payment, remaining)
        remaining -= part
        rows.append(Instalment(n=len(rows) + 1, due=terms.due_date(terms.deferral + k),
                               principal=part, interest=interest, outstanding_after=remaining))
    assert sum((row.principal for row in rows), ZERO) == p, "schedule lost a cent"
    return tuple(rows)


def single_term_schedule(principal: Money, start: dt.date, term: dt.date,
                         rate: Decimal = Decimal(0),
                         frequency: Frequency = Frequency.YEARLY) -> tuple[Instalment, ...]:
    """All the principal at ``term`` (association contributions, titres participatifs).

    At 0 % this is a single row. With interest, one interest-only row falls due at each period
    end (start + k periods) strictly before the term, and the last row, at the term, carries the
    principal plus the interest since the last period end. When the term is not a period end,
    that last stretch is a broken period, charged pro rata temporis: the full period's interest
    × days elapsed ÷ days in that period.
    """
    _check_money("principal", principal)
    if principal.cents <= 0:
        raise ValueError(f"principal must be positive, got {principal.plain()}")
    _check_date("start", start)
    _check_date("term", term)
    if term <= start:
        raise ValueError(f"term {term.isoformat()} must be after the start {start.isoformat()}")
    rate = _check_rate(rate)
    frequency = Frequency(frequency)
    r = _period_rate(rate, frequency)
    full_interest = _interest(principal, r)
    rows: list[Instalment] = []
    period = 1
    period_start = start
    while (period_end := add_months(start, period * frequency.months)) < term:
        if full_interest:
            rows.append(Instalment(n=len(rows) + 1, due=period_end, principal=ZERO,
                                   interest=full_interest, outstanding_after=principal,
                                   interest_only=True))
        period_start = period_end
        period += 1
    elapsed = Fraction((term - period_start).days, (period_end - period_start).days)
    last_interest = round_half_up(Fraction(principal.cents, 100) * r * elapsed)
    rows.append(Instalment(n=len(rows) + 1, due=term, principal=principal,
                           interest=last_interest, outstanding_after=ZERO))
    return tuple(rows)


def participating_min_term(issue: dt.date) -> dt.date:
    """Earliest redemption date of titres participatifs: issue + 7 years (29 Feb → 28 Feb)."""
    return add_years(_check_date("issue", issue), PARTICIPATING_MIN_YEARS)


# -- payments ---------------------------------------------------------------------------------


class OverPayment(ValueError):
    """A payment above everything still owed. ``maximum`` is the most that date would accept."""

    def __init__(self, amount: Money, maximum: Money, on: dt.date) -> None:
        self.amount = amount
        self.maximum = maximum
        self.on = on
        super().__init__(f"payment of {amount.plain()} on {on.isoformat()} exceeds what is "
                         f"owed: at most {maximum.plain()} can be accepted")


@dataclass(frozen=True, slots=True)
class InstalmentStatus:
    """One row of the schedule as of a date, with what has been paid on it.

    After an early settlement ``instalment.interest`` is what remained owed (the interest
    already paid on that row) and ``waived_interest`` the scheduled interest forgiven, so
    ``instalment.total - paid`` is always what is still owed on the row.
    """

    instalment: Instalment
    paid_principal: Money
    paid_interest: Money
    status: Status
    days_past_due: int  # as_of − due when late, else 0
    waived_interest: Money = ZERO
    settled_on: dt.date | None = None  # date of the payment that completed the row

    @property
    def paid(self) -> Money:
        return self.paid_principal + self.paid_interest

    @property
    def unpaid_principal(self) -> Money:
        return self.instalment.principal - self.paid_principal

    @property
    def unpaid_interest(self) -> Money:
        return self.instalment.interest - self.paid_interest

    @property
    def unpaid(self) -> Money:
        return self.instalment.total - self.paid


@dataclass
class _Row:
    """Mutable allocation state of one instalment while payments are applied (cents)."""

    instalment: Instalment
    interest: int  # owed interest; lowered by an early-settlement waiver
    paid_interest: int = 0
    paid_principal: int = 0
    settled_on: dt.date | None = None

    @property
    def unpaid(self) -> int:
        return (self.interest - self.paid_interest
                + self.instalment.principal.cents - self.paid_principal)


def _period_start(rows: Sequence[_Row], index: int, start: dt.date | None) -> dt.date | None:
    """First day of the period that row ``index`` closes: the previous row's due date, or the
    schedule's start for the first row (None when the caller did not give it)."""
    return rows[index - 1].instalment.due if index else start


def _accrued(rows: Sequence[_Row], on: dt.date,
             start: dt.date | None) -> tuple[int | None, int]:
    """The row whose period is running on ``on`` and the interest accrued on it so far (cents).

    Pro rata temporis, actual days: the row's scheduled interest × days elapsed since the
    period began ÷ days in the period, rounded half up to the cent. The scheduled interest is
    already the period's interest on the principal outstanding during it (at the schedule's
    period rate), so the accrual follows the schedule's own convention. On a due date nothing
    of the next period has accrued yet.
    """
    for index, row in enumerate(rows):
        if row.instalment.due <= on:
            continue
        begin = _period_start(rows, index, start)
        if begin is None or on <= begin or not row.instalment.interest:
            return index, 0
        elapsed = Fraction((on - begin).days, (row.instalment.due - begin).days)
        # Never more than the row still charges: interest waived when the loan was settled
        # early (a payment of all the principal) does not accrue again afterwards.
        return index, min(round_half_up(Fraction(row.instalment.interest.cents, 100)
                                        * elapsed).cents, row.interest)
    return None, 0


def _settlement_cents(rows: Sequence[_Row], on: dt.date, start: dt.date | None) -> int:
    current, accrued = _accrued(rows, on, start)
    total = sum(row.instalment.principal.cents - row.paid_principal
                + (row.interest - row.paid_interest if row.instalment.due <= on else 0)
                for row in rows)
    if current is not None:
        total += max(accrued - rows[current].paid_interest, 0)
    return total


def _apply(schedule: Sequence[Instalment], payments: Sequence[tuple[dt.date, Money]],
           until: dt.date, start: dt.date | None = None) -> list[_Row]:
    """Apply the payments dated on or before ``until``, in date order (stable for ties)."""
    rows = [_Row(instalment=inst, interest=inst.interest.cents) for inst in schedule]
    dated = []
    for day, amount in payments:
        _check_date("payment date", day)
        _check_money("payment amount", amount)
        if amount.cents <= 0:
            raise ValueError(f"payment on {day.isoformat()} must be positive, "
                             f"got {amount.plain()}")
        if day <= until:
            dated.append((day, amount))
    # Running totals and the first row still owing, so that each payment costs the rows it
    # pays rather than a scan of the whole schedule (a region reads thousands of loans). Rows
    # are only ever paid, never unpaid, so the first row owing only moves forward.
    owed = sum(row.unpaid for row in rows)
    principal_owed = sum(row.instalment.principal.cents - row.paid_principal for row in rows)
    first = 0
    for day, amount in sorted(dated, key=lambda payment: payment[0]):
        if amount.cents > owed:
            raise OverPayment(amount, Money(owed), day)
        # The settlement amount is at least the principal still owed: below it, this payment
        # cannot be an early settlement, and the settlement need not be computed.
        if (principal_owed <= amount.cents < owed
                and amount.cents == _settlement_cents(rows, day, start)):
            # Early settlement: everything is paid; the period running on the day owes the
            # interest accrued to the day, and later periods' interest is forgiven (whatever
            # of it was already paid stays paid).
            current, accrued = _accrued(rows, day, start)
            for index, row in enumerate(rows):
                if row.unpaid == 0:
                    continue
                if index == current:
                    row.interest = max(accrued, row.paid_interest)
                elif row.instalment.due > day:
                    row.interest = row.paid_interest
                row.paid_interest = row.interest
                row.paid_principal = row.instalment.principal.cents
                row.settled_on = day
            owed = sum(row.unpaid for row in rows)
            principal_owed = 0
            continue
        while first < len(rows) and rows[first].unpaid == 0:
            first += 1
        left = amount.cents
        for row in rows[first:]:  # oldest first, and in each row interest before principal
            if left == 0:
                break
            if row.unpaid == 0:
                continue
            to_interest = min(left, row.interest - row.paid_interest)
            row.paid_interest += to_interest
            left -= to_interest
            to_principal = min(left, row.instalment.principal.cents - row.paid_principal)
            row.paid_principal += to_principal
            principal_owed -= to_principal
            left -= to_principal
            if row.unpaid == 0:
                row.settled_on = day
        assert left == 0
        owed -= amount.cents
    return rows


def allocate_payments(schedule: Sequence[Instalment],
                      payments: Sequence[tuple[dt.date, Money]],
                      as_of: dt.date, *, start: dt.date | None = None,
                      ) -> tuple[InstalmentStatus, ...]:
    """Each instalment's payments and status as of ``as_of``.

    Payments are applied in date order to the oldest instalment not fully paid, interest first,
    then principal, the rest spilling over to the following rows — so a payment made ahead of
    time pays the next instalments in order. Payments dated after ``as_of`` are ignored, so the
    same list gives the loan's position on any date.

    A payment above everything still owed per schedule raises ``OverPayment``. A payment equal
    to ``settlement_amount`` on its date settles the loan early: all principal is paid, the
    row whose period is running owes the interest accrued to that day, and the interest of
    later rows is waived instead of charged. ``start`` is the schedule's start (the grant or
    reschedule date), where the first period begins; without it nothing accrues in the first
    period. (Since the settlement
    amount never exceeds what is owed per schedule, the most accepted is what is owed; paying
    that instead pays every row as scheduled, interest included.)

    Statuses: "paid" when nothing is owed on the row; otherwise "late" when its due date is
    before ``as_of``; otherwise "partial" when something was paid on it, "due" when nothing was.
    """
    _check_date("as_of", as_of)
    statuses = []
    for row in _apply(schedule, payments, as_of, start):
        inst = row.instalment
        waived = inst.interest.cents - row.interest
        if waived:
            inst = replace(inst, interest=Money(row.interest))
        status: Status
        days = 0
        if row.unpaid == 0:
            status = "paid"
        elif inst.due < as_of:
            status = "late"
            days = (as_of - inst.due).days
        elif row.paid_interest or row.paid_principal:
            status = "partial"
        else:
            status = "due"
        statuses.append(InstalmentStatus(
            instalment=inst, paid_principal=Money(row.paid_principal),
            paid_interest=Money(row.paid_interest), status=status, days_past_due=days,
            waived_interest=Money(waived), settled_on=row.settled_on))
    return tuple(statuses)


@dataclass(frozen=True, slots=True)
class Settlement:
    """What settles a loan early on a date, and what it is made of."""

    on: dt.date
    principal: Money  # all principal still unpaid
    overdue_interest: Money  # unpaid interest of rows due on or before ``on``
    accrued_interest: Money  # interest of the running period to ``on``, less what was paid
    overdue_rows: int  # rows due on or before ``on`` and not fully paid

    @property
    def interest(self) -> Money:
        return self.overdue_interest + self.accrued_interest

    @property
    def total(self) -> Money:
        return self.principal + self.interest


def settlement(schedule: Sequence[Instalment], payments: Sequence[tuple[dt.date, Money]],
               on: dt.date, *, start: dt.date | None = None) -> Settlement:
    """The early-settlement (payoff) amount on ``on``: all unpaid principal, the unpaid
    interest of rows due on or before ``on``, and the interest of the running period accrued
    to ``on`` (see ``_accrued``: scheduled interest × actual days elapsed ÷ actual days in the
    period). Later periods' interest is not charged. Payments dated after ``on`` are
    ignored."""
    _check_date("on", on)
    rows = _apply(schedule, payments, on, start)
    current, accrued = _accrued(rows, on, start)
    principal = sum(row.instalment.principal.cents - row.paid_principal for row in rows)
    overdue = [row for row in rows if row.instalment.due <= on and row.unpaid]
    interest = sum(row.interest - row.paid_interest for row in overdue)
    running = max(accrued - rows[current].paid_interest, 0) if current is not None else 0
    result = Settlement(on, Money(principal), Money(interest), Money(running), len(overdue))
    assert result.total.cents == _settlement_cents(rows, on, start)
    return result


def settlement_amount(schedule: Sequence[Instalment],
                      payments: Sequence[tuple[dt.date, Money]], on: dt.date, *,
                      start: dt.date | None = None) -> Money:
    """The total of ``settlement``: what a payment on ``on`` must be to settle the loan."""
    return settlement(schedule, payments, on, start=start).total


def outstanding_principal(statuses: Sequence[InstalmentStatus]) -> Money:
    return sum((s.unpaid_principal for s in statuses), ZERO)


# -- arrears ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoanArrears:
    outstanding_principal: Money
    overdue: Money  # unpaid principal and interest of instalments past due
    max_days_past_due: int
    buckets: dict[str, Money]  # unpaid amounts of late rows by age; every key of BUCKETS
    at_risk_30: bool  # some instalment more than 30 days late

    def __hash__(self) -> int:  # frozen, but holds a dict: hash what identifies it
        return hash((self.outstanding_principal, self.overdue, self.max_days_past_due,
                     tuple(self.buckets.items()), self.at_risk_30))


def _bucket(days: int) -> str:
    for name, low, high in BUCKETS:
        if days >= low and (high is None or days <= high):
            return name
    raise AssertionError(f"no bucket for {days} days")


def loan_arrears(statuses: Sequence[InstalmentStatus], as_of: dt.date) -> LoanArrears:
    """Arrears of one loan on ``as_of``, from its statuses (computed with the same ``as_of``:
    the paid amounts are taken from the statuses, the days past due from ``as_of``)."""
    _check_date("as_of", as_of)
    buckets = {name: ZERO for name, _, _ in BUCKETS}
    overdue = ZERO
    max_days = 0
    for s in statuses:
        unpaid = s.unpaid
        if not unpaid or s.instalment.due >= as_of:
            continue
        days = (as_of - s.instalment.due).days
        overdue += unpaid
        buckets[_bucket(days)] += unpaid
        max_days = max(max_days, days)
    return LoanArrears(outstanding_principal=outstanding_principal(statuses), overdue=overdue,
                       max_days_past_due=max_days, buckets=buckets,
                       at_risk_30=max_days > PAR_DAYS)


def par30(loans: Sequence[LoanArrears]) -> Fraction:
    """Portfolio at risk: the WHOLE outstanding principal of loans with an instalment more than
    30 days late, over the total outstanding principal (the standard definition, not only the
    late part). 0 for an empty or fully repaid portfolio."""
    total = sum(loan.outstanding_principal.cents for loan in loans)
    if total == 0:
        return Fraction(0)
    at_risk = sum(loan.outstanding_principal.cents for loan in loans if loan.at_risk_30)
    return Fraction(at_risk, total)


# -- rescheduling -----------------------------------------------------------------------------


def reschedule(terms: LoanTerms, outstanding: Money | Sequence[InstalmentStatus], *,
               on: dt.date, instalments: int, deferral: int = 0, rate: Decimal | None = None,
               frequency: Frequency | None = None,
               method: Method | None = None) -> LoanTerms:
    """New terms for the principal still owed on ``on``, counted from ``on``.

    ``outstanding`` is either the statuses as of ``on`` (their unpaid principal is taken) or an
    amount. Overdue interest is not capitalised when statuses are given: the service decides
    (it may pass principal + interest as an amount). Rate, frequency and method default to the
    old terms'. The old schedule is not touched: the service keeps it as history and the new
    one replaces it from ``on``.
    """
    principal = (outstanding if isinstance(outstanding, Money)
                 else outstanding_principal(outstanding))
    if principal.cents <= 0:
        raise ValueError("nothing to reschedule: no principal is outstanding")
    return LoanTerms(principal=principal, rate=terms.rate if rate is None else rate,
                     start=_check_date("on", on), instalments=instalments, deferral=deferral,
                     frequency=terms.frequency if frequency is None else frequency,
                     method=terms.method if method is None else method)
