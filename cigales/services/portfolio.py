"""Read-only views of what the club financed: the portfolio, per-member keys, tax sheets.

The IR-PME sheet (domain.md §5): one line per cash subscription to the share capital of an
eligible company paid in the year; the member's base is their part of the payment by the key
frozen on the payment date; the rate comes from the dated table in ``cigales.policy``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from cigales import policy
from cigales.errors import Notice
from cigales.models import Club, Investee, Investment, InvestmentEvent, Member, MemberKey
from cigales.phases import Alert, Lifecycle
from cigales.services import keys
from cigales.services.investments import (
    NO_EVENTS,
    EventTotal,
    clawback_notices,
    event_totals,
    stake_lot,
)
from cigales.services.lifecycle import lifecycle
from cigales.services.loans import LOAN_KINDS, LoanView, get_loan, view, views
from cigales.shares import positions, share_text
from ledger.errors import N_
from ledger.money import Money, allocate, round_half_up
from ledger.queries import opening_position_date, trial_balance

ZERO = Money(0)


@dataclass(frozen=True, slots=True)
class KeyPart:
    member: str
    share: Fraction
    amount: Money  # the member's part of the payment
    income: Money = ZERO  # part of dividends or interest received
    gain: Money = ZERO  # part of realised gains (+) or losses (−): sales, write-offs


def _parts(history: list[keys.KeyVersion], as_of: dt.date,
           income: list[tuple[dt.date, int]], gain: list[tuple[dt.date, int]],
           ) -> tuple[KeyPart, ...]:
    """Each member's key on ``as_of`` and their part of the income and realised result to
    date, each amount split by the key version in force on its day (cigales.services.keys)."""
    current = keys.in_force(history, as_of)
    incomes = keys.split(history, income)
    gains = keys.split(history, gain)
    # Everyone who ever carried part of the investment keeps a line, a departed member with
    # a share of 0 and what they received before leaving.
    codes = sorted({c for v in history if v.version == 0 or v.valid_from <= as_of
                    for c, share in v.shares.items() if share}
                   | set(incomes) | set(gains))
    return tuple(
        KeyPart(c, current.shares.get(c, Fraction(0)), current.amounts.get(c, ZERO),
                incomes.get(c, ZERO), gains.get(c, ZERO))
        for c in codes)


def _dated(session: Session, investment_ids: list[int], as_of: dt.date,
           ) -> dict[int, list[InvestmentEvent]]:
    found: dict[int, list[InvestmentEvent]] = {i: [] for i in investment_ids}
    if investment_ids:
        for event in session.execute(select(InvestmentEvent).where(
                InvestmentEvent.investment_id.in_(investment_ids),
                InvestmentEvent.date <= as_of).order_by(InvestmentEvent.id)).scalars():
            found[event.investment_id].append(event)
    return found


def income_events(kind: str, events: list[InvestmentEvent]) -> list[tuple[dt.date, int]]:
    """Dated income of an investment: dividends (equity) or interest received (loans)."""
    if kind in LOAN_KINDS:
        return [(e.date, e.interest_cents) for e in events if e.kind == "repayment"]
    return [(e.date, e.amount_cents) for e in events if e.kind == "dividend"]


def gain_events(kind: str, events: list[InvestmentEvent]) -> list[tuple[dt.date, int]]:
    """Dated realised results: sales and redemptions against cost, write-offs, recoveries."""
    out = []
    for e in events:
        if e.kind in ("sale", "redemption") and kind not in LOAN_KINDS:
            out.append((e.date, e.amount_cents - e.principal_cents))
        elif e.kind == "write_off":
            out.append((e.date, -e.principal_cents))
        elif e.kind == "recovery" and kind in LOAN_KINDS:
            out.append((e.date, e.amount_cents))
    return out


@dataclass(frozen=True, slots=True)
class PortfolioLine:
    number: int
    investee: str
    investee_name: str
    legal_form: str
    sector: str | None
    kind: str
    date: dt.date
    cost: Money
    repaid: Money  # principal repaid (loans) or cost of shares sold / redeemed (equity)
    proceeds: Money  # money received for sales and redemptions (equity)
    income: Money  # dividends (equity) or interest (loans) received
    written_off: Money
    impairment: Money
    outstanding: Money  # cost still invested (loans: principal still owed)
    status: str
    shares_held: int | None
    keys: tuple[KeyPart, ...]
    # What the financing is called (policy.loan_instrument): the kind, or "loan" for a
    # "honour" loan to a company or above 2 %. The kind stays the stable JSON code.
    instrument: str = "equity"


def member_keys(session: Session, investment: Investment) -> tuple[KeyPart, ...]:
    return members_keys(session, [investment.id])[investment.id]


def members_keys(session: Session, investment_ids: Sequence[int],
                 ) -> dict[int, tuple[KeyPart, ...]]:
    """``member_keys`` of many investments, read by one query."""
    found: dict[int, list[KeyPart]] = {i: [] for i in investment_ids}
    if investment_ids:
        for inv_id, code, n, d, a in session.execute(
                select(MemberKey.investment_id, Member.code, MemberKey.numerator,
                       MemberKey.denominator, MemberKey.amount_cents)
                .join(Member, Member.id == MemberKey.member_id)
                .where(MemberKey.investment_id.in_(investment_ids))
                .order_by(MemberKey.investment_id, Member.code)):
            found[inv_id].append(KeyPart(code, Fraction(int(n), int(d)), Money(int(a))))
    return {i: tuple(parts) for i, parts in found.items()}


@dataclass(frozen=True, slots=True)
class Realised:
    """What an investment has given back by a date (the portfolio line's figures)."""

    repaid: Money  # principal repaid (loans) or cost of shares sold / redeemed (equity)
    proceeds: Money  # money received for sales and redemptions (equity)
    income: Money  # dividends (equity) or interest (loans) received
    written_off: Money

    def __sub__(self, other: Realised) -> Realised:
        return Realised(self.repaid - other.repaid, self.proceeds - other.proceeds,
                        self.income - other.income, self.written_off - other.written_off)


NOTHING_REALISED = Realised(ZERO, ZERO, ZERO, ZERO)


def realised(kind: str, totals: dict[str, EventTotal]) -> Realised:
    """The rule, from the sums of an investment's events (``investments.event_totals``)."""
    def t(event_kind: str) -> EventTotal:
        return totals.get(event_kind, NO_EVENTS)

    written = Money(t("write_off").principal)
    if kind in LOAN_KINDS:
        return Realised(Money(t("repayment").principal), ZERO, Money(t("repayment").interest),
                        written)
    return Realised(Money(t("sale").principal + t("redemption").principal),
                    Money(t("sale").amount + t("redemption").amount),
                    Money(t("dividend").amount), written)


def portfolio(session: Session, club: Club, as_of: dt.date, *,
              loans: Sequence[LoanView] | None = None) -> list[PortfolioLine]:
    """Every investment made by ``as_of``. ``loans``: the club's loans already viewed on
    ``as_of`` (``loans.all_loans``), when the caller has them (reports.club_view).

    A fixed number of queries whatever the number of investments: the events are summed by
    one grouped query and the loans viewed together (``loans.views``)."""
    rows = session.execute(
        select(Investment, Investee).join(Investee, Investee.id == Investment.investee_id)
        .where(Investment.club_id == club.id, Investment.date <= as_of)
        .order_by(Investment.number)).all()
    if loans is None:
        loans = views(session, [(inv, ie) for inv, ie in rows if inv.kind in LOAN_KINDS], as_of)
    viewed = {v.investment.id: v for v in loans}
    histories = keys.versions(session, [inv for inv, _ in rows])
    dated = _dated(session, [inv.id for inv, _ in rows], as_of)
    totals = event_totals(session, [inv.id for inv, _ in rows], as_of)
    lines = []
    for inv, investee in rows:
        events = dated[inv.id]
        parts = _parts(histories[inv.id], as_of, income_events(inv.kind, events),
                       gain_events(inv.kind, events))
        done = realised(inv.kind, totals[inv.id])
        if inv.kind in LOAN_KINDS:
            loan = viewed.get(inv.id) or view(session, inv, investee, as_of)
            status = ("written_off" if loan.written_off_on else
                      "repaid" if loan.outstanding.is_zero() else
                      "late" if loan.arrears.overdue.cents else "current")
            lines.append(PortfolioLine(
                inv.number, investee.slug, investee.name, investee.legal_form, investee.sector,
                inv.kind, inv.date, Money(inv.amount_cents), done.repaid, done.proceeds,
                done.income, done.written_off, Money(0), loan.outstanding, status, None, parts,
                instrument=policy.loan_instrument(inv.kind, investee.legal_form,
                                                  Decimal(loan.schedule.rate))))
            continue
        lot = stake_lot(inv, totals[inv.id])
        held = lot.shares_held if lot else 0
        cost_left = lot.cost_left if lot else Money(0)
        impaired = lot.impaired if lot else Money(0)
        status = ("written_off" if done.written_off.cents else "held" if held else "exited")
        lines.append(PortfolioLine(
            inv.number, investee.slug, investee.name, investee.legal_form, investee.sector,
            inv.kind, inv.date, Money(inv.amount_cents), done.repaid, done.proceeds,
            done.income, done.written_off, impaired, cost_left if held else Money(0), status,
            held, parts, instrument=inv.kind))
    return lines


# -- tax sheets -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TaxLine:
    number: int
    investee: str
    siren: str | None
    paid_on: dt.date
    club_amount: Money
    key: Fraction
    base: Money
    rate: Fraction
    reduction: Money
    lock_up_end: dt.date


@dataclass(frozen=True, slots=True)
class IncomeLine:
    source: str  # investee name, or "bank" for bank interest
    kind: str  # dividend | interest | bank_interest
    club_amount: Money
    member_amount: Money


@dataclass(frozen=True, slots=True)
class TaxSheet:
    member: str
    year: int
    subscriptions: tuple[TaxLine, ...]
    income: tuple[IncomeLine, ...]
    warnings: tuple[Notice, ...]

    @property
    def total_base(self) -> Money:
        return Money(sum(line.base.cents for line in self.subscriptions))

    @property
    def total_reduction(self) -> Money:
        return Money(sum(line.reduction.cents for line in self.subscriptions))


def tax_sheets(session: Session, club: Club, year: int,
               member: str | None = None) -> list[TaxSheet]:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    codes = [c for c in session.execute(select(Member.code).where(
        Member.club_id == club.id, Member.joined <= last).order_by(Member.code)).scalars()
        if member is None or c == member]
    subs: dict[str, list[TaxLine]] = {c: [] for c in codes}
    income: dict[str, list[IncomeLine]] = {c: [] for c in codes}
    warnings: dict[str, list[Notice]] = {c: [] for c in codes}

    every = session.execute(
        select(Investment, Investee).join(Investee, Investee.id == Investment.investee_id)
        .where(Investment.club_id == club.id).order_by(Investment.number)).all()
    histories = keys.versions(session, [inv for inv, _ in every])
    # Every event and frozen key of the club's investments, read once (not per investment).
    dated = _dated(session, [inv.id for inv, _ in every], last)
    frozen_keys = members_keys(session, [inv.id for inv, _ in every if inv.kind == "equity"])
    for inv, investee in (row for row in every if row[0].kind == "equity"):
        # The reduction belongs to whoever paid: the key frozen on the payment date.
        frozen = {k.member: k for k in frozen_keys[inv.id]}
        if first <= inv.date <= last:
            rate = policy.ir_pme_rate(inv.date, investee.esus)
            for code in codes:
                k = frozen.get(code)
                if k is None:
                    continue
                subs[code].append(TaxLine(
                    inv.number, investee.name, investee.siren, inv.date, Money(inv.amount_cents),
                    k.share, k.amount, rate, round_half_up(Fraction(k.amount.cents, 100) * rate),
                    policy.lock_up_end(inv.date)))
                if inv.keys_basis == "switchover":
                    warnings[code].append(_keys_at_switchover(session, club, inv, investee))
        # Disposals in the year of titles still under lock-up claw the reduction back.
        disposals = [e for e in dated[inv.id]
                     if e.kind in ("sale", "redemption") and e.date >= first]
        for event in disposals:
            for notice in clawback_notices(session, inv, investee, event.date, event.kind,
                                           event.shares):
                for code in codes:
                    if code in frozen:
                        warnings[code].append(notice)
        _split_income(inv, dated[inv.id], investee.name, "dividend", first,
                      histories[inv.id], income)
    for inv, investee in (row for row in every if row[0].kind in LOAN_KINDS):
        _split_income(inv, dated[inv.id], investee.name, "interest", first,
                      histories[inv.id], income)
    # Bank interest belongs to whoever holds the club at year end.
    # Credits of the year only: the closing entry debits 7680 back to zero on 31 December.
    movements = trial_balance(session, club.book_id, last, "7680", from_date=first).accounts
    bank = Money(sum(a.credit.cents for a in movements))
    if bank.cents > 0:
        table = positions(session, club, last)
        holders = [p for p in table.positions if p.share > 0]
        if holders:
            parts = allocate(bank, [p.share for p in holders], keys=[p.code for p in holders])
            for p, part in zip(holders, parts, strict=True):
                if p.code in income:
                    income[p.code].append(IncomeLine("bank", "bank_interest", bank, part))
    return [TaxSheet(c, year, tuple(subs[c]), tuple(income[c]), tuple(warnings[c]))
            for c in codes]


def _keys_at_switchover(session: Session, club: Club, inv: Investment,
                        investee: Investee) -> Notice:
    """A subscription made before the club moved in, whose keys the switchover file did not
    give (neither the club's keys nor the paid-in totals on its date): they were computed
    from the paid-in capital declared at the switchover date D, so the base may differ."""
    opened = opening_position_date(session, club.book_id)
    return Notice("keys_computed_at_switchover",
                  N_("Investment {number} in {investee} (paid on {date}) was made before the "
                     "club moved into cigales: your key was computed at the switchover "
                     "date {as_of} from the paid-in capital declared then, not frozen on the "
                     "payment date. Check the base against the club's records before "
                     "declaring it."),
                  {"number": str(inv.number), "investee": investee.name,
                   "date": inv.date.isoformat(),
                   "as_of": opened.isoformat() if opened is not None else "—"})


def _split_income(inv: Investment, dated: list[InvestmentEvent], source: str, kind: str,
                  first: dt.date, history: list[keys.KeyVersion],
                  income: dict[str, list[IncomeLine]]) -> None:
    """Income of an investment goes to the members who carry it on the day it is received:
    the frozen key, or the version that followed a settled member's departure. ``dated``:
    the investment's events up to the year's last day (``_dated``)."""
    events = [(d, c) for d, c in income_events(inv.kind, dated) if d >= first]
    total = Money(sum(c for _, c in events))
    if total.cents <= 0:
        return
    for code, part in sorted(keys.split(history, events).items()):
        if code in income:
            income[code].append(IncomeLine(source, kind, total, part))


def key_text(share: Fraction) -> str:
    return share_text(share)


# -- alerts ----------------------------------------------------------------------------------------

def investment_alerts(session: Session, club: Club, as_of: dt.date, *,
                      life: Lifecycle | None = None,
                      lines: Sequence[PortfolioLine] | None = None,
                      loans: Sequence[LoanView] | None = None) -> list[Alert]:
    """Loans or lock-ups running past the club's end, late instalments, stakes left at the end.

    ``life``, ``lines`` and ``loans`` (the portfolio and the loans viewed on ``as_of``) are
    read instead of recomputed when the caller has them (reports.club_view)."""
    life = life or lifecycle(session, club)
    if life.closure is not None:
        return []
    end = life.life_end - dt.timedelta(days=1)
    found: list[Alert] = []
    lines = portfolio(session, club, as_of, loans=loans) if lines is None else lines
    viewed = {v.investment.number: v for v in loans} if loans is not None else {}
    for line in lines:
        if line.kind in LOAN_KINDS and not line.outstanding.is_zero():
            loan = viewed.get(line.number)
            if loan is None:
                inv, investee = get_loan(session, club, line.number)
                loan = view(session, inv, investee, as_of)
            inv = loan.investment
            last_due = loan.instalments[-1].due if loan.instalments else inv.date
            if last_due > end:
                found.append(Alert("loan_ends_after_life",
                                   N_("Loan {number} to {investee} ends on {due}, after the "
                                      "club's life ends on {end}."),
                                   {"number": str(line.number), "investee": line.investee_name,
                                    "due": last_due.isoformat(), "end": end.isoformat()}))
            if loan.arrears.at_risk_30:
                found.append(Alert("instalment_late",
                                   N_("Loan {number} to {investee} has an instalment {days} "
                                      "days late ({overdue} overdue)."),
                                   {"number": str(line.number), "investee": line.investee_name,
                                    "days": str(loan.arrears.max_days_past_due),
                                    "overdue": loan.arrears.overdue.plain()}))
        elif line.kind == "equity" and line.shares_held:
            lock = policy.lock_up_end(line.date)
            if lock > end:
                found.append(Alert("lock_up_after_life",
                                   N_("The tax lock-up of investment {number} in {investee} "
                                      "ends on {lock}, after the club's life ends on {end}."),
                                   {"number": str(line.number), "investee": line.investee_name,
                                    "lock": lock.isoformat(), "end": end.isoformat()}))
    if (as_of >= life.life_end or life.lapsed(as_of)) and any(
            not line.outstanding.is_zero() for line in lines):
        found.append(Alert("holdings_at_end",
                           N_("The club must be liquidated but still holds investments: sell, "
                              "collect or write them off before the final distribution."), {}))
    return found
