"""Loans: honour loans (274), shareholder loans (2671, only beside a stake), contributions to
associations (2768) and participating titles (2718).

The schedule arithmetic lives in ``cigales.schedules`` (pure functions); this module stores
the terms and instalments, books grants, repayments (principal to the loan account, interest
to 7620), write-offs (6750) and recoveries (7718), and keeps old schedules as history when a
loan is rescheduled.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Protocol, TypeVar

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session

from cigales import chart, policy, schedules
from cigales.errors import Amount, CigalesError, InvalidChoice, Notice, Percent
from cigales.models import Club, Investee, Investment, InvestmentEvent, LoanInstalment, LoanSchedule
from cigales.services import uow
from cigales.services.investments import (
    InvestmentResult,
    NotEnoughCashToInvest,
    NotPositive,
    add_event,
    bank_balance,
    check_in_order,
    create_investment,
    investment_events,
    open_investee_account,
    stake_lots,
)
from cigales.services.lifecycle import lifecycle, not_in_future
from cigales.services.membership import check_enough_members
from cigales.shares import share_text
from ledger.errors import N_, IdempotencyConflict, Msg
from ledger.money import Money
from ledger.post import EntryDraft, Line, PostedEntry, post_entries, post_entry
from ledger.schema import Account, Entry, Posting

_T = TypeVar("_T")

LOAN_KINDS = ("honour", "shareholder", "association", "participating")
LOAN_CHANGES = ("repayment", "write_off", "reschedule", "recovery")
SINGLE_TERM_KINDS = ("association", "participating")


class InvalidRate(CigalesError):
    code = "invalid_rate"
    template = N_("“{rate}” is not a valid annual rate: a decimal from 0 to 0.5, e.g. 0.02 for "
                  "2%.")
    exit_code = 2


class InvalidTerms(CigalesError):
    code = "invalid_loan_terms"
    template = N_("Invalid loan terms: {detail}.")


class ShareholderLoanNeedsStake(CigalesError):
    code = "shareholder_loan_needs_stake"
    template = N_("A shareholder loan (CCA) to {investee} needs an equity stake held by the "
                  "club; subscribe first.")


class CcaCapitalUnknown(CigalesError):
    code = "investee_capital_unknown"
    template = N_("A shareholder loan (CCA) needs a stake in {investee}'s capital (at least "
                  "{minimum}), and its capital is not recorded: record it first "
                  "(`cigales investee set --investee {slug} --capital AMOUNT`).")


class CcaStakeTooSmall(CigalesError):
    code = "cca_stake_too_small"
    template = N_("On {date} the club holds {held} of {investee}'s {capital} capital "
                  "({percent}): a shareholder loan (CCA) needs a stake of at least "
                  "{minimum} ({needed} of nominal).")


class TermRequired(CigalesError):
    code = "term_required"
    template = N_("This financing ({kind}) has a single repayment date: give --term "
                  "(participating titles: no earlier than {minimum}).")


class TermTooEarly(CigalesError):
    code = "term_too_early"
    template = N_("Participating titles cannot be redeemed before seven years: term {term} is "
                  "earlier than {minimum}.")


class PaymentBeforeGrant(CigalesError):
    code = "payment_before_grant"
    template = N_("Loan {number} was granted on {granted}: a repayment cannot be dated {date}.")


class RepaymentBeforeSchedule(CigalesError):
    code = "repayment_before_schedule"
    template = N_("Loan {number} was rescheduled on {start}: repayments under the new schedule "
                  "are dated after it, not {date}.")


class UnknownLoan(CigalesError):
    code = "unknown_loan"
    template = N_("There is no loan number {number} in this club; loans: {known}.")


class LoanWrittenOff(CigalesError):
    code = "loan_written_off"
    template = N_("Loan {number} was written off on {date}: record money received with "
                  "`cigales loan recover`.")


class LoanNotWrittenOff(CigalesError):
    code = "loan_not_written_off"
    template = N_("Loan {number} was not written off: record repayments with "
                  "`cigales loan repay`.")


class LoanSettled(CigalesError):
    code = "loan_settled"
    template = N_("Loan {number} is fully repaid; nothing more is due.")


class OverPaymentRefused(CigalesError):
    code = "overpayment"
    template = N_("{amount} is more than loan {number} can take on {date}: at most {maximum} "
                  "(the amount that settles it early).")


class RecoveryBeforeWriteOff(CigalesError):
    code = "recovery_before_write_off"
    template = N_("Loan {number} was written off on {written}: a recovery is dated on or after "
                  "it, not {date}.")


class RecoveryTooLarge(CigalesError):
    code = "recovery_exceeds_loss"
    template = N_("Loan {number} lost {lost}, of which {recovered} was already recovered: "
                  "{amount} is too much.")


class PaymentsAfterDate(CigalesError):
    code = "payments_after_date"
    template = N_("Loan {number} has repayments recorded after {date}: reschedule or write it "
                  "off from {last} at the earliest.")


@dataclass(frozen=True, slots=True)
class LoanView:
    investment: Investment
    investee: Investee
    schedule: LoanSchedule
    instalments: tuple[schedules.Instalment, ...]
    statuses: tuple[schedules.InstalmentStatus, ...]
    arrears: schedules.LoanArrears
    written_off_on: dt.date | None
    repaid: Money  # principal repaid over the loan's whole life
    interest_paid: Money
    outstanding: Money  # principal still owed (0 once written off)


def parse_rate(text: str) -> Decimal:
    try:
        rate = Decimal(text.replace(",", ".").strip())
    except InvalidOperation as exc:
        raise InvalidRate(rate=text) from exc
    if not rate.is_finite() or rate < 0 or rate > Decimal("0.5"):
        raise InvalidRate(rate=text)
    return rate


def _under(schedule: LoanSchedule, date: dt.date) -> bool:
    """Whether a repayment dated ``date`` counts against ``schedule``.

    The original schedule takes repayments from the grant date; a reschedule on day D starts
    from the principal outstanding after D's repayments, so its own repayments come after D.
    """
    return date >= schedule.start if schedule.version == 1 else date > schedule.start


def _terms(schedule: LoanSchedule) -> schedules.LoanTerms:
    return schedules.LoanTerms(
        principal=Money(schedule.principal_cents), rate=Decimal(schedule.rate),
        start=schedule.start, instalments=schedule.instalments, deferral=schedule.deferral,
        frequency=schedules.Frequency(schedule.frequency),
        method=schedules.Method(schedule.method))


def _store_schedule(session: Session, investment: Investment, version: int, *, start: dt.date,
                    principal: Money, rate: Decimal, instalments: int, deferral: int,
                    frequency: str, method: str, term: dt.date | None,
                    rows: tuple[schedules.Instalment, ...]) -> None:
    schedule = LoanSchedule(investment_id=investment.id, version=version, start=start,
                            principal_cents=principal.cents, rate=str(rate),
                            instalments=instalments, deferral=deferral, frequency=frequency,
                            method=method, term=term)
    session.add(schedule)
    session.flush()
    session.execute(insert(LoanInstalment), [
        {"schedule_id": schedule.id, "n": r.n, "due": r.due, "principal_cents": r.principal.cents,
         "interest_cents": r.interest.cents, "outstanding_after_cents": r.outstanding_after.cents,
         "interest_only": r.interest_only}
        for r in rows
    ])


def _build(kind: str, *, principal: Money, rate: Decimal, start: dt.date, instalments: int,
           deferral: int, frequency: str, method: str,
           term: dt.date | None) -> tuple[schedules.Instalment, ...]:
    try:
        if kind in SINGLE_TERM_KINDS:
            assert term is not None
            return schedules.single_term_schedule(principal, start, term, rate,
                                                  schedules.Frequency(frequency))
        return schedules.build_schedule(schedules.LoanTerms(
            principal=principal, rate=rate, start=start, instalments=instalments,
            deferral=deferral, frequency=schedules.Frequency(frequency),
            method=schedules.Method(method)))
    except ValueError as exc:
        raise InvalidTerms(detail=str(exc)) from exc


def grant(session: Session, club: Club, investee: Investee, *, date: dt.date, principal: Money,
          instalments: int = 1, deferral: int = 0, rate: Decimal = Decimal(0),
          method: str = "linear", frequency: str = "monthly", kind: str = "honour",
          term: dt.date | None = None, today: dt.date) -> InvestmentResult:
    if kind not in LOAN_KINDS:
        raise InvalidChoice(value=kind, option="--kind", allowed=", ".join(LOAN_KINDS))
    if principal.cents <= 0:
        raise NotPositive(what=Msg(N_("principal")), value=principal.plain())
    if instalments < 1:
        raise InvalidTerms(detail=f"{instalments} instalments; at least 1")
    if deferral < 0:
        raise InvalidTerms(detail=f"deferral {deferral}; 0 or more periods")
    if rate < 0:
        raise InvalidRate(rate=str(rate))
    not_in_future(date, today)
    life = lifecycle(session, club)
    life.check_investments(date)
    check_enough_members(session, club, date, Msg(N_("new investments")))
    if kind == "shareholder":
        _check_cca_stake(session, club, investee, date)
    if kind in SINGLE_TERM_KINDS:
        minimum = schedules.participating_min_term(date) if kind == "participating" else date
        if term is None:
            raise TermRequired(kind=kind, minimum=minimum.isoformat())
        if kind == "participating" and term < minimum:
            raise TermTooEarly(term=term.isoformat(), minimum=minimum.isoformat())
        if term <= date:
            raise InvalidTerms(detail=f"term {term.isoformat()} is not after {date.isoformat()}")
    rows = _build(kind, principal=principal, rate=rate, start=date, instalments=instalments,
                  deferral=deferral, frequency=frequency, method=method, term=term)
    cash = bank_balance(session, club, date)
    if principal > cash:
        raise NotEnoughCashToInvest(cash=cash.plain(), date=date.isoformat(),
                                    amount=principal.plain(), investee=investee.name)
    account = open_investee_account(session, club, investee, kind)
    # Labelled by the instrument recorded: a "honour" loan to a company or above 2 % is a loan.
    label = {"honour": "Prêt d'honneur", "loan": "Prêt",
             "shareholder": "Avance en compte courant",
             "association": "Apport avec droit de reprise",
             "participating": "Titres participatifs"}[
        policy.loan_instrument(kind, investee.legal_form, rate)]
    entry = post_entry(session, club.book_id, EntryDraft(
        "BQ", date, f"{label} {investee.name}",
        (Line(account, principal), Line(chart.BANK_ACCOUNT, -principal))))
    investment = create_investment(session, club, investee, kind=kind, date=date,
                                   amount=principal, entry=entry)
    _store_schedule(session, investment, 1, start=date, principal=principal, rate=rate,
                    instalments=instalments if kind not in SINGLE_TERM_KINDS else 1,
                    deferral=deferral, frequency=frequency, method=method, term=term,
                    rows=rows)
    notices = []
    if rows and rows[-1].due >= life.life_end:
        notices.append(Notice("loan_ends_after_life",
                              N_("The last instalment of loan {number} falls due on {due}, "
                                 "after the club's life ends on {end}."),
                              {"number": str(investment.number), "due": rows[-1].due.isoformat(),
                               "end": (life.life_end - dt.timedelta(days=1)).isoformat()}))
    return InvestmentResult(investment.number, entry, tuple(notices))


def _check_cca_stake(session: Session, club: Club, investee: Investee, date: dt.date) -> None:
    """A CCA needs a stake held on the grant date worth at least CCA_MIN_STAKE of the capital
    (shares held × nominal ÷ capital): compared exactly, in fractions."""
    lots = [lot for lot in stake_lots(session, club, investee, date) if lot.shares_held > 0]
    if not lots:
        raise ShareholderLoanNeedsStake(investee=investee.name)
    minimum = Percent(str(int(policy.CCA_MIN_STAKE * 100)))
    if not investee.capital_cents:
        raise CcaCapitalUnknown(investee=investee.name, slug=investee.slug, minimum=minimum)
    held = sum(lot.shares_held * int(lot.investment.unit_price_cents or 0) for lot in lots)
    stake = Fraction(held, investee.capital_cents)
    if stake < policy.CCA_MIN_STAKE:
        needed = Money(-((-investee.capital_cents * policy.CCA_MIN_STAKE.numerator)
                         // policy.CCA_MIN_STAKE.denominator))
        raise CcaStakeTooSmall(date=date.isoformat(), held=Amount(Money(held).plain()),
                               investee=investee.name,
                               capital=Amount(Money(investee.capital_cents).plain()),
                               percent=Percent(share_text(stake * 100, 2)), minimum=minimum,
                               needed=Amount(needed.plain()))


# -- reading a loan -------------------------------------------------------------------------------

def get_loan(session: Session, club: Club, number: int) -> tuple[Investment, Investee]:
    # Read once per transaction (services.uow: again after any write to these tables): a
    # club's repayments of one loan each read it.
    row = uow.cached(session, ("loan", club.id, number), _LOAN_TABLES, lambda: session.execute(
        select(Investment, Investee).join(Investee, Investee.id == Investment.investee_id)
        .where(Investment.club_id == club.id, Investment.number == number,
               Investment.kind.in_(LOAN_KINDS))).first())
    if row is None:
        known = session.execute(select(Investment.number).where(
            Investment.club_id == club.id, Investment.kind.in_(LOAN_KINDS))
            .order_by(Investment.number)).scalars().all()
        raise UnknownLoan(number=number, known=", ".join(map(str, known)) or "—")
    return row[0], row[1]


_LOAN_TABLES = frozenset({"investment", "investee"})


# A loan's schedules, instalments and events are read once per transaction and filtered here
# (services.uow: read again after any write to their tables): a repayment checks the write-off,
# the schedule, the earlier repayments and the allocation, which were one query each.
_SCHEDULE_TABLES = frozenset({"loan_schedule"})
_INSTALMENT_TABLES = frozenset({"loan_instalment"})


def _schedules(session: Session, investment: Investment) -> list[LoanSchedule]:
    """Every schedule of the loan, the latest version first."""
    return uow.cached(session, ("loan_schedules", investment.id), _SCHEDULE_TABLES, lambda: list(
        session.execute(select(LoanSchedule).where(LoanSchedule.investment_id == investment.id)
                        .order_by(LoanSchedule.version.desc())).scalars()))


def _current_schedule(session: Session, investment: Investment,
                      as_of: dt.date | None = None) -> LoanSchedule:
    for schedule in _schedules(session, investment):
        if as_of is None or schedule.start <= as_of:
            return schedule
    raise NoResultFound(f"no schedule of investment {investment.id}"
                        + (f" starting by {as_of.isoformat()}" if as_of else ""))


def _instalments(session: Session, schedule: LoanSchedule) -> tuple[schedules.Instalment, ...]:
    def load() -> tuple[schedules.Instalment, ...]:
        rows = session.execute(select(LoanInstalment).where(
            LoanInstalment.schedule_id == schedule.id).order_by(LoanInstalment.n)).scalars()
        return tuple(_instalment(r) for r in rows)

    return uow.cached(session, ("loan_instalments", schedule.id), _INSTALMENT_TABLES, load)


class LoanEvent(Protocol):
    """What a loan view reads of an event (an ``InvestmentEvent`` or a row of its columns)."""

    @property
    def kind(self) -> str: ...
    @property
    def date(self) -> dt.date: ...
    @property
    def amount_cents(self) -> int: ...
    @property
    def principal_cents(self) -> int: ...
    @property
    def interest_cents(self) -> int: ...


class InstalmentRow(Protocol):
    @property
    def n(self) -> int: ...
    @property
    def due(self) -> dt.date: ...
    @property
    def principal_cents(self) -> int: ...
    @property
    def interest_cents(self) -> int: ...
    @property
    def outstanding_after_cents(self) -> int: ...
    @property
    def interest_only(self) -> bool: ...


def _instalment(r: InstalmentRow) -> schedules.Instalment:
    return schedules.Instalment(
        n=r.n, due=r.due, principal=Money(r.principal_cents), interest=Money(r.interest_cents),
        outstanding_after=Money(r.outstanding_after_cents), interest_only=r.interest_only)


def _events(session: Session, investment: Investment, kinds: tuple[str, ...],
            as_of: dt.date | None = None) -> list[InvestmentEvent]:
    return [e for e in investment_events(session, investment)
            if e.kind in kinds and (as_of is None or e.date <= as_of)]


def view(session: Session, investment: Investment, investee: Investee,
         as_of: dt.date) -> LoanView:
    schedule = _current_schedule(session, investment, as_of) if investment.date <= as_of \
        else _current_schedule(session, investment)
    return _view_of(investment, investee, schedule, _instalments(session, schedule),
                    _events(session, investment, ("repayment", "write_off"), as_of), as_of)


def views(session: Session, loans: Sequence[tuple[Investment, Investee]],
          as_of: dt.date, *, outstanding_only: bool = False) -> list[LoanView]:
    """``view`` of many loans (of one club or of many) in three queries: their events, their
    schedules and the instalments of the schedules in force, whatever the number of loans.
    Same figures as ``view`` one by one: the arithmetic is ``_view_of``.

    ``outstanding_only``: only the loans with principal outstanding on ``as_of``, the ones an
    arrears report reads (``arrears_of`` leaves the others out); the schedules of the loans
    repaid or written off are then not even read."""
    if not loans:
        return []
    events: dict[int, list[LoanEvent]] = defaultdict(list)
    for e in session.execute(select(
            InvestmentEvent.investment_id, InvestmentEvent.kind, InvestmentEvent.date,
            InvestmentEvent.amount_cents, InvestmentEvent.principal_cents,
            InvestmentEvent.interest_cents).where(
            InvestmentEvent.investment_id.in_([inv.id for inv, _ in loans]),
            InvestmentEvent.kind.in_(("repayment", "write_off")), InvestmentEvent.date <= as_of)
            .order_by(InvestmentEvent.date, InvestmentEvent.id)):
        events[e.investment_id].append(e)
    if outstanding_only:
        loans = [(inv, ie) for inv, ie in loans
                 if not _outstanding(inv, events[inv.id]).is_zero()]
        if not loans:
            return []
    # Schedules and instalments are read once per transaction (the session's cache, the one
    # ``_schedules`` and ``_instalments`` use): a report asking for two dates (a year and the
    # one before) reads each schedule's instalments once.
    every, missing = uow.peek_many(session, "loan_schedules", (inv.id for inv, _ in loans))
    if missing:
        found: dict[int, list[LoanSchedule]] = {i: [] for i in missing}
        for schedule in session.execute(select(LoanSchedule).where(
                LoanSchedule.investment_id.in_(missing))
                .order_by(LoanSchedule.version.desc())).scalars():
            found[schedule.investment_id].append(schedule)
        for investment_id, listed in found.items():
            every[investment_id] = uow.cached(session, ("loan_schedules", investment_id),
                                              _SCHEDULE_TABLES, _given(listed))
    chosen = {inv.id: _in_force(every[inv.id], inv, as_of) for inv, _ in loans}
    rows, wanted = uow.peek_many(session, "loan_instalments",
                                 (schedule.id for schedule in chosen.values()))
    if wanted:
        # Plain rows, not ORM objects: a region's loans have tens of thousands of instalments.
        read: dict[int, list[schedules.Instalment]] = {i: [] for i in wanted}
        for r in session.execute(select(
                LoanInstalment.schedule_id, LoanInstalment.n, LoanInstalment.due,
                LoanInstalment.principal_cents, LoanInstalment.interest_cents,
                LoanInstalment.outstanding_after_cents, LoanInstalment.interest_only).where(
                LoanInstalment.schedule_id.in_(wanted))
                .order_by(LoanInstalment.schedule_id, LoanInstalment.n)):
            read[r.schedule_id].append(_instalment(r))
        for schedule_id, listed_rows in read.items():
            rows[schedule_id] = uow.cached(
                session, ("loan_instalments", schedule_id), _INSTALMENT_TABLES,
                _given(tuple(listed_rows)))
    return [_view_of(inv, investee, chosen[inv.id], rows[chosen[inv.id].id],
                     events[inv.id], as_of)
            for inv, investee in loans]


def _given(value: _T) -> Callable[[], _T]:
    """A loader for ``uow.cached`` of a value already read."""
    return lambda: value


def _outstanding(investment: Investment, events: Sequence[LoanEvent]) -> Money:
    """Principal still owed after these repayments and write-offs (none once written off)."""
    if any(e.kind == "write_off" for e in events):
        return Money(0)
    return Money(investment.amount_cents
                 - sum(e.principal_cents for e in events if e.kind == "repayment"))


def _in_force(every: Sequence[LoanSchedule], investment: Investment,
              as_of: dt.date) -> LoanSchedule:
    """The schedule ``_current_schedule`` reads, among a loan's schedules already loaded."""
    candidates = [s for s in every if investment.date > as_of or s.start <= as_of]
    return max(candidates, key=lambda s: s.version)


def _view_of(investment: Investment, investee: Investee, schedule: LoanSchedule,
             rows: tuple[schedules.Instalment, ...], events: Sequence[LoanEvent],
             as_of: dt.date) -> LoanView:
    """A loan on ``as_of`` from its schedule in force, its instalments and its repayments
    and write-offs dated by ``as_of`` (in date order)."""
    repayments = [e for e in events if e.kind == "repayment"]
    current = [(e.date, Money(e.amount_cents)) for e in repayments
               if _under(schedule, e.date)]
    statuses = schedules.allocate_payments(rows, current, as_of, start=schedule.start)
    written = [e for e in events if e.kind == "write_off"]
    written_on = written[0].date if written else None
    repaid = Money(sum(e.principal_cents for e in repayments))
    interest = Money(sum(e.interest_cents for e in repayments))
    outstanding = _outstanding(investment, events)
    if written_on:
        arrears = schedules.LoanArrears(Money(0), Money(0), 0,
                                        {b[0]: Money(0) for b in schedules.BUCKETS}, False)
    else:
        arrears = schedules.loan_arrears(statuses, as_of)
    return LoanView(investment, investee, schedule, rows, statuses, arrears, written_on, repaid,
                    interest, outstanding)


# -- writing --------------------------------------------------------------------------------------

def repay(session: Session, club: Club, number: int, *, date: dt.date, amount: Money,
          key: str | None = None, today: dt.date) -> InvestmentResult:
    if amount.cents <= 0:
        raise NotPositive(what=Msg(N_("amount")), value=amount.plain())
    not_in_future(date, today)
    lifecycle(session, club).check_writable(date)
    investment, investee = get_loan(session, club, number)
    if key is not None:
        replay = _replay(session, club, number, key, date, amount)
        if replay is not None:
            return replay
    if date < investment.date:
        raise PaymentBeforeGrant(number=number, date=date.isoformat(),
                                 granted=investment.date.isoformat())
    written = _events(session, investment, ("write_off",))
    if written:
        raise LoanWrittenOff(number=number, date=written[0].date.isoformat())
    # Repayments are allocated in date order: one dated before later repayments or a
    # reschedule would change what those already settled.
    check_in_order(session, [investment], investee.name, date, LOAN_CHANGES)
    loan = view(session, investment, investee, date)
    if loan.written_off_on is not None:
        raise LoanWrittenOff(number=number, date=loan.written_off_on.isoformat())
    if loan.outstanding.is_zero():
        raise LoanSettled(number=number)
    schedule_rows = loan.instalments
    if not _under(loan.schedule, date):
        raise RepaymentBeforeSchedule(number=number, date=date.isoformat(),
                                      start=loan.schedule.start.isoformat())
    previous = [(e.date, Money(e.amount_cents)) for e in _events(
        session, investment, ("repayment",)) if _under(loan.schedule, e.date)]
    start = loan.schedule.start
    before = schedules.allocate_payments(schedule_rows, previous, date, start=start)
    try:
        after = schedules.allocate_payments(schedule_rows, [*previous, (date, amount)], date,
                                            start=start)
    except schedules.OverPayment as exc:
        raise OverPaymentRefused(amount=amount.plain(), number=number, date=date.isoformat(),
                                 maximum=exc.maximum.plain()) from exc
    principal = Money(sum(s.paid_principal.cents for s in after)
                      - sum(s.paid_principal.cents for s in before))
    interest = amount - principal
    account = chart.sub_account(chart.INVESTMENT_PARENTS[investment.kind], investee.slug)
    lines = [Line(chart.BANK_ACCOUNT, amount)]
    if principal.cents:
        lines.append(Line(account, -principal))
    if interest.cents:
        lines.append(Line(chart.LOAN_INTEREST_ACCOUNT, -interest))

    def record(written: list[tuple[int, PostedEntry]]) -> None:
        # Called by post_entries when the entry is written: on PostgreSQL the event goes in
        # the same round trip as the entry (ledger.post._sent_together).
        add_event(session, investment, "repayment", date, amount=amount, principal=principal,
                  interest=interest, entry=written[0][1])

    entry = post_entries(session, club.book_id, [EntryDraft(
        "BQ", date, f"Remboursement prêt {number} {investee.name}", tuple(lines), key=key)],
        then=record)[0]
    if entry.created and (loan.outstanding - principal).is_zero():
        session.execute(update(Investment).where(Investment.id == investment.id)
                        .values(status="closed"))
    return InvestmentResult(number, entry, (), (
        ("amount", amount), ("principal", principal), ("interest", interest),
        ("outstanding_after", loan.outstanding - principal)))


@dataclass(frozen=True, slots=True)
class Payoff:
    """The amount that settles a loan early on a date (``loan payoff``), and its parts."""

    number: int
    investee: Investee
    settlement: schedules.Settlement
    rate: Decimal


def payoff(session: Session, club: Club, number: int, *, date: dt.date,
           today: dt.date) -> Payoff:
    """What `loan repay` must receive on ``date`` to settle loan ``number`` (nothing written).

    Outstanding principal + unpaid interest of instalments due by ``date`` + interest of the
    running period accrued to ``date`` (schedules.settlement). Paying exactly that amount on
    that date settles the loan: later interest is not charged and the schedule is closed.
    """
    not_in_future(date, today)
    lifecycle(session, club).check_writable(date)
    investment, investee = get_loan(session, club, number)
    if date < investment.date:
        raise PaymentBeforeGrant(number=number, date=date.isoformat(),
                                 granted=investment.date.isoformat())
    written = _events(session, investment, ("write_off",))
    if written:
        raise LoanWrittenOff(number=number, date=written[0].date.isoformat())
    check_in_order(session, [investment], investee.name, date, LOAN_CHANGES)
    loan = view(session, investment, investee, date)
    if loan.outstanding.is_zero():
        raise LoanSettled(number=number)
    if not _under(loan.schedule, date):
        raise RepaymentBeforeSchedule(number=number, date=date.isoformat(),
                                      start=loan.schedule.start.isoformat())
    previous = [(e.date, Money(e.amount_cents)) for e in _events(
        session, investment, ("repayment",)) if _under(loan.schedule, e.date)]
    quote = schedules.settlement(loan.instalments, previous, date, start=loan.schedule.start)
    return Payoff(number, investee, quote, Decimal(loan.schedule.rate))


def _replay(session: Session, club: Club, number: int, key: str, date: dt.date,
            amount: Money) -> InvestmentResult | None:
    """An idempotency key already used: the same repayment returns its entry, else conflict."""
    entry = session.execute(select(Entry).where(Entry.book_id == club.book_id,
                                                Entry.idem_key == key)).scalar_one_or_none()
    if entry is None:
        return None
    bank = session.execute(
        select(func.coalesce(func.sum(Posting.amount_cents), 0))
        .join(Account, Account.id == Posting.account_id)
        .where(Posting.entry_id == entry.id, Account.code == chart.BANK_ACCOUNT)).scalar_one()
    expected_label = f"Remboursement prêt {number} "
    if (entry.date != date or int(bank) != amount.cents
            or not entry.label.startswith(expected_label)):
        raise IdempotencyConflict(key=key, journal=entry.journal, number=entry.number)
    posted = PostedEntry(entry.id, entry.journal, entry.number, entry.date, entry.label,
                         entry.hash, created=False)
    return InvestmentResult(number, posted, ())


def _last_repayment(session: Session, investment: Investment) -> dt.date | None:
    return session.execute(select(func.max(InvestmentEvent.date)).where(
        InvestmentEvent.investment_id == investment.id,
        InvestmentEvent.kind == "repayment")).scalar_one_or_none()


def reschedule(session: Session, club: Club, number: int, *, date: dt.date, instalments: int,
               deferral: int = 0, rate: Decimal | None = None, today: dt.date) -> LoanView:
    """New schedule from the outstanding principal on ``date``; the old one stays as history."""
    not_in_future(date, today)
    lifecycle(session, club).check_writable(date)
    investment, investee = get_loan(session, club, number)
    loan = view(session, investment, investee, date)
    if loan.written_off_on is not None:
        raise LoanWrittenOff(number=number, date=loan.written_off_on.isoformat())
    if loan.outstanding.is_zero():
        raise LoanSettled(number=number)
    last = _last_repayment(session, investment)
    if last is not None and last > date:
        raise PaymentsAfterDate(number=number, date=date.isoformat(), last=last.isoformat())
    if date < loan.schedule.start:
        raise PaymentsAfterDate(number=number, date=date.isoformat(),
                                last=loan.schedule.start.isoformat())
    old = loan.schedule
    new_rate = rate if rate is not None else Decimal(old.rate)
    rows = _build("honour", principal=loan.outstanding, rate=new_rate, start=date,
                  instalments=instalments, deferral=deferral, frequency=old.frequency,
                  method=old.method, term=None)
    _store_schedule(session, investment, old.version + 1, start=date, principal=loan.outstanding,
                    rate=new_rate, instalments=instalments, deferral=deferral,
                    frequency=old.frequency, method=old.method, term=None, rows=rows)
    add_event(session, investment, "reschedule", date, amount=loan.outstanding)
    return view(session, investment, investee, date)


def write_off(session: Session, club: Club, number: int, *, date: dt.date,
              today: dt.date) -> InvestmentResult:
    not_in_future(date, today)
    lifecycle(session, club).check_writable(date)
    investment, investee = get_loan(session, club, number)
    loan = view(session, investment, investee, date)
    if loan.written_off_on is not None:
        raise LoanWrittenOff(number=number, date=loan.written_off_on.isoformat())
    if loan.outstanding.is_zero():
        raise LoanSettled(number=number)
    last = _last_repayment(session, investment)
    if last is not None and last > date:
        raise PaymentsAfterDate(number=number, date=date.isoformat(), last=last.isoformat())
    account = chart.sub_account(chart.INVESTMENT_PARENTS[investment.kind], investee.slug)
    entry = post_entry(session, club.book_id, EntryDraft(
        "OD", date, f"Perte sur prêt {number} {investee.name}",
        (Line(chart.DISPOSAL_COST_ACCOUNT, loan.outstanding), Line(account, -loan.outstanding))))
    add_event(session, investment, "write_off", date, amount=Money(0),
              principal=loan.outstanding, entry=entry)
    session.execute(update(Investment).where(Investment.id == investment.id)
                    .values(status="written_off"))
    return InvestmentResult(number, entry, (), (("written_off", loan.outstanding),
                                                ("outstanding_after", Money(0))))


def recover(session: Session, club: Club, number: int, *, date: dt.date, amount: Money,
            today: dt.date) -> InvestmentResult:
    """Money received on a written-off loan: a gain (7718), never more than was lost."""
    if amount.cents <= 0:
        raise NotPositive(what=Msg(N_("amount")), value=amount.plain())
    not_in_future(date, today)
    lifecycle(session, club).check_writable(date)
    investment, investee = get_loan(session, club, number)
    written = _events(session, investment, ("write_off",))
    if not written:
        raise LoanNotWrittenOff(number=number)
    if date < written[0].date:
        raise RecoveryBeforeWriteOff(number=number, date=date.isoformat(),
                                     written=written[0].date.isoformat())
    lost = Money(written[0].principal_cents)
    recovered = Money(sum(e.amount_cents for e in _events(session, investment, ("recovery",))))
    if recovered + amount > lost:
        raise RecoveryTooLarge(number=number, lost=lost.plain(), recovered=recovered.plain(),
                               amount=amount.plain())
    entry = post_entry(session, club.book_id, EntryDraft(
        "BQ", date, f"Récupération sur prêt {number} {investee.name}",
        (Line(chart.BANK_ACCOUNT, amount), Line(chart.RECOVERY_ACCOUNT, -amount))))
    add_event(session, investment, "recovery", date, amount=amount, entry=entry)
    return InvestmentResult(number, entry, ())


# -- portfolio-wide arrears -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ArrearsReport:
    as_of: dt.date
    outstanding: Money
    par30: Fraction
    buckets: dict[str, Money]
    loans: tuple[LoanView, ...]


def all_loans(session: Session, club: Club, as_of: dt.date) -> list[LoanView]:
    rows = session.execute(
        select(Investment, Investee).join(Investee, Investee.id == Investment.investee_id)
        .where(Investment.club_id == club.id, Investment.kind.in_(LOAN_KINDS),
               Investment.date <= as_of)
        .order_by(Investment.number)).all()
    return views(session, [(inv, investee) for inv, investee in rows], as_of)


def arrears_report(session: Session, club: Club, as_of: dt.date) -> ArrearsReport:
    return arrears_of(all_loans(session, club, as_of), as_of)


def arrears_of(views: list[LoanView], as_of: dt.date) -> ArrearsReport:
    """The arrears report of loans already viewed on ``as_of`` (see ``all_loans``)."""
    loans = [v for v in views if not v.outstanding.is_zero()]
    buckets = {name: Money(sum(v.arrears.buckets[name].cents for v in loans))
               for name, _, _ in schedules.BUCKETS}
    return ArrearsReport(
        as_of=as_of,
        outstanding=Money(sum(v.outstanding.cents for v in loans)),
        par30=schedules.par30([v.arrears for v in loans]),
        buckets=buckets,
        loans=tuple(loans),
    )
