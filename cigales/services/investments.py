"""Investees and equity stakes: subscription (with caps and frozen member keys), dividends,
sales and redemptions, impairments, write-offs and valuations.

Every money movement is a balanced bank or OD entry; the investment tables say what it meant
(how many shares are left, what they cost, who financed them) so that the portfolio, the
members' tax sheets and the federation return never have to guess from postings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from cigales import chart, policy
from cigales.errors import Amount, CigalesError, InvalidChoice, NameRequired, Notice, Percent
from cigales.models import (
    LEGAL_FORMS,
    Club,
    Investee,
    InvesteeJobs,
    Investment,
    InvestmentEvent,
    Member,
    MemberKey,
)
from cigales.services import closed_returns, uow
from cigales.services.accounts import ensure_accounts
from cigales.services.lifecycle import lifecycle, not_in_future
from cigales.services.membership import check_enough_members
from cigales.shares import positions, share_text
from cigales.siren import validate_siren
from ledger.errors import N_, NP_, Msg
from ledger.limits import NAME_MAX, REGION_MAX, check_fields
from ledger.money import Money, allocate, round_half_up
from ledger.post import EntryDraft, Line, PostedEntry, post_entries, post_entry
from ledger.queries import account_balance
from ledger.schema import Account, Entry, Posting

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# -- errors ---------------------------------------------------------------------------------------

class InvalidInvesteeSlug(CigalesError):
    code = "invalid_investee_slug"
    template = N_("“{slug}” is not a valid investee identifier: lower-case letters, digits and "
                  "single hyphens, up to 40 characters (e.g. la-fabrique).")
    exit_code = 2


class InvesteeExists(CigalesError):
    code = "investee_exists"
    template = N_("Investee “{slug}” already exists in this club.")


class UnknownInvestee(CigalesError):
    code = "unknown_investee"
    template = N_("There is no investee “{slug}” in this club; investees: {known}.")


class NotPositive(CigalesError):
    code = "value_must_be_positive"
    template = N_("{what} must be positive; got {value}.")


class NoShareCapital(CigalesError):
    code = "no_share_capital"
    template = N_("The legal form {legal_form} has no share capital: finance it with a loan or "
                  "a contribution instead of equity.")


class EquityCapExceeded(CigalesError):
    code = "equity_cap_exceeded"
    template = N_("After this subscription the club would hold {held} of {investee}'s {capital} "
                  "capital ({percent}), above the {cap} allowed for the legal form "
                  "{legal_form}: at most {allowed} more.")


class NotEnoughCashToInvest(CigalesError):
    code = "not_enough_cash"
    template = N_("The current account (5121) can spare {cash} from {date} on without going "
                  "overdrawn: {amount} cannot leave for {investee}.")


class AboveNominal(CigalesError):
    code = "cooperative_parts_at_nominal"
    template = N_("{investee} is a {legal_form}: its parts are repaid at their nominal value "
                  "({nominal} for {shares} parts), with no capital gain; {price} is above it. "
                  "Record the sale at nominal, or pass --above-nominal if the price really "
                  "was higher.")


class NotEnoughShares(CigalesError):
    code = "not_enough_shares"
    template = N_("The club holds {held} shares of {investee} on {date}: it cannot sell or "
                  "redeem {shares}.")


class NothingHeld(CigalesError):
    code = "no_stake_held"
    template = N_("The club holds no stake in {investee} on {date}.")


class ImpairmentTooLarge(CigalesError):
    code = "impairment_exceeds_value"
    template = N_("An impairment of {amount} on {investee} would exceed its remaining cost "
                  "{cost} less existing impairments {impaired}: at most {allowed}.")


class ReversalTooLarge(CigalesError):
    code = "reversal_exceeds_impairment"
    template = N_("{investee} carries {impaired} of impairments: a reversal of {amount} is too "
                  "large.")


class InvalidJobs(CigalesError):
    code = "invalid_jobs"
    template = N_("Jobs created and kept are whole numbers, zero or more.")


# -- results --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class InvestmentResult:
    number: int
    entry: PostedEntry | None
    notices: tuple[Notice, ...]
    # What the entry means, for the treasurer's confirmation: named amounts among BOOKED
    # (principal, interest, outstanding_after, proceeds, cost, gain, loss, ...).
    booked: tuple[tuple[str, Money], ...] = ()


# Names of the amounts an operation reports, in the order they are printed.
BOOKED = ("amount", "proceeds", "cost", "gain", "loss", "impairment_released", "principal",
          "interest", "written_off", "outstanding_after")


# -- investees ------------------------------------------------------------------------------------

def add_investee(session: Session, club: Club, *, slug: str, name: str, legal_form: str,
                 siren: str | None = None, esus: bool = False, capital: Money | None = None,
                 sector: str | None = None) -> Investee:
    if not (1 <= len(slug) <= 40) or not _SLUG_RE.match(slug):
        raise InvalidInvesteeSlug(slug=slug)
    check_fields((name, "name", NAME_MAX), (sector, "sector", REGION_MAX))
    if not name.strip():
        raise NameRequired()
    if legal_form not in LEGAL_FORMS:
        raise InvalidChoice(value=legal_form, option="--legal-form", allowed=", ".join(LEGAL_FORMS))
    number = validate_siren(siren) if siren else None
    if capital is not None and capital.cents <= 0:
        raise NotPositive(what=Msg(N_("capital")), value=capital.plain())
    lifecycle(session, club).check_writable(club.founded)  # a closed club takes nothing new
    if session.execute(select(Investee.id).where(Investee.club_id == club.id,
                                                 Investee.slug == slug)).first():
        raise InvesteeExists(slug=slug)
    investee = Investee(club_id=club.id, slug=slug, name=name.strip(), legal_form=legal_form,
                        siren=number, esus=esus,
                        capital_cents=capital.cents if capital is not None else None,
                        sector=sector)
    session.add(investee)
    session.flush()
    return investee


def update_investee(session: Session, club: Club, investee: Investee, *,
                    capital: Money | None = None, siren: str | None = None) -> Investee:
    """Record facts learnt later (share capital, SIREN). The capital is today's figure: the
    caps and the CCA threshold are checked against it from now on."""
    if capital is not None and capital.cents <= 0:
        raise NotPositive(what=Msg(N_("capital")), value=capital.plain())
    number = validate_siren(siren) if siren else None
    lifecycle(session, club).check_writable(club.founded)  # a closed club's books are read-only
    if capital is not None:
        investee.capital_cents = capital.cents
    if number is not None:
        investee.siren = number
    closed_returns.forget(session, club.id)  # no entry: the chain head stays
    session.flush()
    return investee


def get_investee(session: Session, club: Club, slug: str) -> Investee:
    investee = session.execute(select(Investee).where(
        Investee.club_id == club.id, Investee.slug == slug)).scalar_one_or_none()
    if investee is None:
        known = session.execute(select(Investee.slug).where(Investee.club_id == club.id)
                                .order_by(Investee.slug)).scalars().all()
        raise UnknownInvestee(slug=slug, known=", ".join(known) or "—")
    return investee


def record_jobs(session: Session, investee: Investee, *, date: dt.date,
                created: int, kept: int, today: dt.date) -> None:
    if created < 0 or kept < 0:
        raise InvalidJobs()
    not_in_future(date, today)
    existing = session.execute(select(InvesteeJobs.id).where(
        InvesteeJobs.investee_id == investee.id, InvesteeJobs.date == date)).scalar()
    if existing is not None:
        session.execute(update(InvesteeJobs).where(InvesteeJobs.id == existing)
                        .values(created=created, kept=kept))
    else:
        session.execute(insert(InvesteeJobs).values(investee_id=investee.id, date=date,
                                                    created=created, kept=kept))
    closed_returns.forget(session, investee.club_id)  # no entry: the chain head stays


def investee_account(investee: Investee, kind: str) -> str:
    return chart.sub_account(chart.INVESTMENT_PARENTS[kind], investee.slug)


def open_investee_account(session: Session, club: Club, investee: Investee, kind: str) -> str:
    account = chart.investee_account(kind, investee.slug, investee.name)
    ensure_accounts(session, club, [(account.code, account.label)])
    return account.code


# -- shared helpers -------------------------------------------------------------------------------

def bank_balance(session: Session, club: Club, date: dt.date) -> Money:
    """What can leave the current account on ``date`` without overdrawing it then or later.

    A backdated payment also lowers every later balance, so the lowest running balance from
    ``date`` on is what is available, not just the balance of that day.
    """
    balance = account_balance(session, club.book_id, chart.BANK_ACCOUNT, date).cents
    later = session.execute(
        select(Entry.date, func.sum(Posting.amount_cents))
        .select_from(Posting)
        .join(Entry, Entry.id == Posting.entry_id)
        .join(Account, Account.id == Posting.account_id)
        .where(Entry.book_id == club.book_id, Entry.journal != "AN", Entry.date > date,
               Account.code == chart.BANK_ACCOUNT)
        .group_by(Entry.date).order_by(Entry.date)).all()
    lowest = running = balance
    for _day, delta in later:
        running += int(delta)
        lowest = min(lowest, running)
    return Money(lowest)


def next_number(session: Session, club: Club) -> int:
    last = session.execute(select(func.max(Investment.number)).where(
        Investment.club_id == club.id)).scalar_one_or_none()
    return int(last or 0) + 1


def freeze_keys(session: Session, club: Club, investment_id: int, date: dt.date,
                amount: Money) -> None:
    """Store each member's share on the day money leaves (exact, parts summing to amount)."""
    table = positions(session, club, date)
    holders = [p for p in table.positions if p.share > 0]
    if not holders:
        return
    ids = dict(session.execute(select(Member.code, Member.id).where(
        Member.club_id == club.id)).all())
    parts = allocate(amount, [p.share for p in holders], keys=[p.code for p in holders])
    session.execute(insert(MemberKey), [
        {"investment_id": investment_id, "member_id": ids[p.code],
         "numerator": p.share.numerator, "denominator": p.share.denominator,
         "amount_cents": part.cents}
        for p, part in zip(holders, parts, strict=True)
    ])


def create_investment(session: Session, club: Club, investee: Investee, *, kind: str,
                      date: dt.date, amount: Money, entry: PostedEntry,
                      shares: int | None = None, unit_price: Money | None = None) -> Investment:
    investment = Investment(
        club_id=club.id, number=next_number(session, club), investee_id=investee.id, kind=kind,
        date=date, amount_cents=amount.cents, shares=shares,
        unit_price_cents=unit_price.cents if unit_price is not None else None,
        status="active", entry_id=entry.id)
    session.add(investment)
    session.flush()
    freeze_keys(session, club, investment.id, date, amount)
    return investment


def add_event(session: Session, investment: Investment, kind: str, date: dt.date, *,
              amount: Money, shares: int | None = None, principal: Money | None = None,
              interest: Money | None = None, entry: PostedEntry | None = None) -> None:
    row = {
        "investment_id": investment.id, "kind": kind, "date": date, "shares": shares,
        "amount_cents": amount.cents, "principal_cents": (principal or Money(0)).cents,
        "interest_cents": (interest or Money(0)).cents,
        "entry_id": entry.id if entry is not None else None}
    key = _events_key(investment)
    events: list[InvestmentEvent] | None = uow.peek(session, key)
    # The investment's events read in this transaction are kept up to date (the insert says
    # so to services.uow) instead of read again: a club's repayments of one loan each read
    # them. The new event is placed as the query would order it (date, then id: the
    # newest last among its date); its id, never read from this list, is not known. Other
    # investments' events, read by investment, are unchanged by this insert: kept too.
    keep = uow.keys_of(session, key[0])
    if events is None:
        keep -= {key}
    session.execute(_INSERT_EVENT, row, execution_options={"uow_keep": keep})
    if events is not None:
        at = next((i for i, e in enumerate(events) if e.date > date), len(events))
        events.insert(at, InvestmentEvent(**row))


def _events_key(investment: Investment) -> tuple[str, int]:
    return ("investment_events", investment.id)


# On the table, inline(): the new id is not read back (no implicit RETURNING), so that a
# repayment's event can go in the same round trip as its entry (ledger.post.post_entries,
# ``then``).
_INSERT_EVENT = insert(InvestmentEvent.metadata.tables[InvestmentEvent.__tablename__]).inline()


def investment_events(session: Session, investment: Investment) -> list[InvestmentEvent]:
    """The investment's events in date order, read once per transaction (services.uow: read
    again after any write to investment_event)."""
    return uow.cached(session, _events_key(investment),
                      frozenset({"investment_event"}), lambda: list(
        session.execute(select(InvestmentEvent)
                        .where(InvestmentEvent.investment_id == investment.id)
                        .order_by(InvestmentEvent.date, InvestmentEvent.id)).scalars()))


@dataclass(frozen=True, slots=True)
class EventTotal:
    """Sums of the columns of an investment's events of one kind."""

    amount: int = 0
    principal: int = 0
    interest: int = 0
    shares: int = 0


NO_EVENTS = EventTotal()


def event_totals(session: Session, investment_ids: Sequence[int],
                 as_of: dt.date | None = None) -> dict[int, dict[str, EventTotal]]:
    """Per investment and event kind, the sums of the events dated by ``as_of``: one grouped
    query for any number of investments (of one club or of many)."""
    found: dict[int, dict[str, EventTotal]] = {i: {} for i in investment_ids}
    if not investment_ids:
        return found
    query = (select(InvestmentEvent.investment_id, InvestmentEvent.kind,
                    func.coalesce(func.sum(InvestmentEvent.amount_cents), 0),
                    func.coalesce(func.sum(InvestmentEvent.principal_cents), 0),
                    func.coalesce(func.sum(InvestmentEvent.interest_cents), 0),
                    func.coalesce(func.sum(InvestmentEvent.shares), 0))
             .where(InvestmentEvent.investment_id.in_(investment_ids))
             .group_by(InvestmentEvent.investment_id, InvestmentEvent.kind))
    if as_of is not None:
        query = query.where(InvestmentEvent.date <= as_of)
    for inv_id, kind, amount, principal, interest, shares in session.execute(query):
        found[inv_id][kind] = EventTotal(int(amount), int(principal), int(interest),
                                         int(shares or 0))
    return found


class LaterOperations(CigalesError):
    code = "investment_has_later_operations"
    template = N_("{investee} has operations recorded up to {last}: record this one on or after "
                  "that date (operations on an investment are kept in date order).")


def check_in_order(session: Session, investments: Sequence[Investment], investee_name: str,
                   date: dt.date, kinds: tuple[str, ...]) -> None:
    """Refuse an operation dated before later ones that depend on what was held or owed."""
    if not investments:
        return
    if len(investments) == 1:  # one loan or lot: its events are read once per transaction
        last = max((e.date for e in investment_events(session, investments[0])
                    if e.kind in kinds), default=None)
        if last is not None and last > date:
            raise LaterOperations(investee=investee_name, last=last.isoformat())
        return
    last = session.execute(select(func.max(InvestmentEvent.date)).where(
        InvestmentEvent.investment_id.in_([i.id for i in investments]),
        InvestmentEvent.kind.in_(kinds))).scalar_one_or_none()
    if last is not None and last > date:
        raise LaterOperations(investee=investee_name, last=last.isoformat())


# -- equity ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StakeLot:
    """One subscription still (partly) held: FIFO unit of sales and tax lock-ups."""

    investment: Investment
    shares_held: int
    cost_left: Money  # cost of the shares still held
    impaired: Money  # impairments booked on it and not reversed


def stake_lots(session: Session, club: Club, investee: Investee,
               as_of: dt.date | None = None) -> list[StakeLot]:
    query = select(Investment).where(
        Investment.club_id == club.id, Investment.investee_id == investee.id,
        Investment.kind == "equity").order_by(Investment.date, Investment.number)
    if as_of is not None:
        query = query.where(Investment.date <= as_of)
    investments = list(session.execute(query).scalars())
    totals = event_totals(session, [inv.id for inv in investments], as_of)
    return [lot for lot in (stake_lot(inv, totals[inv.id]) for inv in investments)
            if lot is not None]


def stake_lot(investment: Investment, totals: dict[str, EventTotal]) -> StakeLot | None:
    """What is left of a subscription given the sums of its events (``event_totals``): None
    once every share is gone and no impairment is left on it."""
    def total(kinds: tuple[str, ...], column: str) -> int:
        return sum(getattr(totals.get(k, NO_EVENTS), column) for k in kinds)

    out = total(("sale", "redemption", "write_off"), "shares")
    cost_out = total(("sale", "redemption", "write_off"), "principal")
    impaired = total(("impairment",), "amount") - total(("impairment_reversal",), "amount")
    held = int(investment.shares or 0) - out
    if held > 0 or impaired:
        return StakeLot(investment, held, Money(investment.amount_cents - cost_out),
                        Money(impaired))
    return None


# What changes the shares held or their book value: operations are recorded in date order.
EQUITY_CHANGES = ("sale", "redemption", "write_off", "impairment", "impairment_reversal")


def subscribe(session: Session, club: Club, investee: Investee, *, date: dt.date, shares: int,
              unit_price: Money, today: dt.date) -> InvestmentResult:
    if shares <= 0:
        raise NotPositive(what=Msg(N_("shares")), value=str(shares))
    if unit_price.cents <= 0:
        raise NotPositive(what=Msg(N_("unit price")), value=unit_price.plain())
    not_in_future(date, today)
    life = lifecycle(session, club)
    life.check_investments(date)
    check_enough_members(session, club, date, Msg(N_("new investments")))
    if investee.legal_form in policy.NO_SHARE_CAPITAL:
        raise NoShareCapital(legal_form=investee.legal_form)
    amount = unit_price * shares
    notices: list[Notice] = []
    cap = policy.EQUITY_CAPS.get(investee.legal_form)
    if investee.capital_cents and cap is not None:
        # Held on the date, or later if later subscriptions are already recorded.
        held_nominal = max(
            sum(lot.shares_held * int(lot.investment.unit_price_cents or 0)
                for lot in stake_lots(session, club, investee, as_of))
            for as_of in (date, None))
        after = held_nominal + amount.cents
        if Fraction(after, investee.capital_cents) > cap:
            allowed = max(int(cap * investee.capital_cents) - held_nominal, 0)
            raise EquityCapExceeded(
                held=Amount(Money(after).plain()), investee=investee.name,
                capital=Amount(Money(investee.capital_cents).plain()),
                percent=Percent(share_text(Fraction(after * 100, investee.capital_cents), 2)),
                cap=Percent(str(int(cap * 100))), legal_form=investee.legal_form,
                allowed=Amount(Money(allowed).plain()))
    elif cap is not None:
        notices.append(Notice("cap_not_checked",
                              N_("{investee}'s share capital is unknown: the limit "
                                 "({cap}) was not checked."),
                              {"investee": investee.name, "cap": Percent(str(int(cap * 100)))}))
    cash = bank_balance(session, club, date)
    if amount > cash:
        raise NotEnoughCashToInvest(cash=cash.plain(), date=date.isoformat(),
                                    amount=amount.plain(), investee=investee.name)
    account = open_investee_account(session, club, investee, "equity")
    entry = post_entry(session, club.book_id, EntryDraft(
        # Entry labels are the books' French text, whatever the reader's language.
        "BQ", date, f"Souscription {shares} part{'s' if shares > 1 else ''} {investee.name}",
        (Line(account, amount), Line(chart.BANK_ACCOUNT, -amount))))
    investment = create_investment(session, club, investee, kind="equity", date=date,
                                   amount=amount, entry=entry, shares=shares,
                                   unit_price=unit_price)
    lock_end = policy.lock_up_end(date)
    if lock_end >= life.life_end:
        notices.append(Notice("lock_up_after_life_end",
                              N_("The tax lock-up of this subscription ends on {lock}, after "
                                 "the club's life ends on {end}."),
                              {"lock": lock_end.isoformat(),
                               "end": (life.life_end - dt.timedelta(days=1)).isoformat()}))
    return InvestmentResult(investment.number, entry, tuple(notices))


def dividend(session: Session, club: Club, investee: Investee, *, date: dt.date, amount: Money,
             today: dt.date) -> InvestmentResult:
    if amount.cents <= 0:
        raise NotPositive(what=Msg(N_("amount")), value=amount.plain())
    not_in_future(date, today)
    lifecycle(session, club).check_writable(date)
    lots = [lot for lot in stake_lots(session, club, investee, date) if lot.shares_held > 0]
    if not lots:
        raise NothingHeld(investee=investee.name, date=date.isoformat())
    entry = post_entry(session, club.book_id, EntryDraft(
        "BQ", date, f"Dividende {investee.name}",
        (Line(chart.BANK_ACCOUNT, amount), Line(chart.DIVIDEND_ACCOUNT, -amount))))
    # Split over the lots by shares held so each subscription's financers get their part.
    parts = allocate(amount, [lot.shares_held for lot in lots],
                     keys=[lot.investment.number for lot in lots])
    for lot, part in zip(lots, parts, strict=True):
        if part.cents:
            add_event(session, lot.investment, "dividend", date, amount=part, entry=entry)
    return InvestmentResult(lots[0].investment.number, entry, (), (("amount", amount),))


def dispose(session: Session, club: Club, investee: Investee, *, date: dt.date, shares: int,
            proceeds: Money | None, kind: str, today: dt.date,
            above_nominal: bool = False) -> InvestmentResult:
    """Sell (``proceeds`` given) or redeem at nominal (``proceeds`` None) shares, FIFO.

    Cooperative parts (SCOP, SCIC) are repaid at nominal: a sale above it is refused unless
    ``above_nominal`` confirms it, and then a warning says the gain is unusual.
    """
    if shares <= 0:
        raise NotPositive(what=Msg(N_("shares")), value=str(shares))
    if proceeds is not None and proceeds.cents < 0:
        raise NotPositive(what=Msg(N_("price")), value=proceeds.plain())
    not_in_future(date, today)
    lifecycle(session, club).check_writable(date)
    every_lot = [lot.investment for lot in stake_lots(session, club, investee)]
    check_in_order(session, every_lot, investee.name, date, EQUITY_CHANGES)
    lots = [lot for lot in stake_lots(session, club, investee, date) if lot.shares_held > 0]
    held = sum(lot.shares_held for lot in lots)
    if shares > held:
        raise NotEnoughShares(held=held, investee=investee.name, date=date.isoformat(),
                              shares=shares)
    account = investee_account(investee, "equity")
    remaining = shares
    taken: list[tuple[StakeLot, int, Money]] = []
    for lot in lots:
        if remaining == 0:
            break
        n = min(remaining, lot.shares_held)
        # Cost of the shares leaving: pro rata of what is left, the last share takes the rest.
        cost = (lot.cost_left if n == lot.shares_held
                else round_half_up(Fraction(lot.cost_left.cents, 100) * n / lot.shares_held))
        taken.append((lot, n, cost))
        remaining -= n
    nominal = [Money(n * int(lot.investment.unit_price_cents or 0)) for lot, n, _ in taken]
    nominal_total = Money(sum(m.cents for m in nominal))
    at_nominal = proceeds is None
    notices: list[Notice] = []
    if (proceeds is not None and proceeds > nominal_total
            and investee.legal_form in policy.NOMINAL_ONLY_FORMS):
        if not above_nominal:
            raise AboveNominal(investee=investee.name, legal_form=investee.legal_form,
                               nominal=Amount(nominal_total.plain()), shares=shares,
                               price=Amount(proceeds.plain()))
        notices.append(Notice(
            "sold_above_nominal",
            N_("{investee} is a {legal_form}, whose parts are normally repaid at nominal "
               "({nominal}): the sale at {price} was recorded as confirmed (--above-nominal), "
               "with a gain of {gain}."),
            {"investee": investee.name, "legal_form": investee.legal_form,
             "nominal": Amount(nominal_total.plain()), "price": Amount(proceeds.plain()),
             "gain": Amount((proceeds - nominal_total).plain())}))
    if proceeds is None:
        proceeds = Money(sum(m.cents for m in nominal))
    total_cost = Money(sum(c.cents for _, _, c in taken))
    # The impairment of the shares leaving goes with them (2961 / 7866), pro rata of shares.
    released = [lot.impaired if n == lot.shares_held
                else round_half_up(Fraction(lot.impaired.cents, 100) * n / lot.shares_held)
                for lot, n, _ in taken]
    total_released = Money(sum(r.cents for r in released))
    verb = "Cession" if kind == "sale" else "Remboursement"
    label = f"{verb} de {shares} parts {investee.name}"
    lines: list[Line] = []
    if proceeds.cents:
        lines += [Line(chart.BANK_ACCOUNT, proceeds),
                  Line(chart.DISPOSAL_PROCEEDS_ACCOUNT, -proceeds)]
    if total_cost.cents:
        lines += [Line(chart.DISPOSAL_COST_ACCOUNT, total_cost), Line(account, -total_cost)]
    if total_released.cents:
        lines += [Line(chart.IMPAIRMENT_ACCOUNT, total_released),
                  Line(chart.IMPAIRMENT_REVERSAL_ACCOUNT, -total_released)]
    entry = post_entry(session, club.book_id, EntryDraft("BQ" if proceeds.cents else "OD",
                                                         date, label, tuple(lines)))
    # A redemption at nominal pays each subscription its own nominal; a sale price is shared
    # by the number of shares.
    proceeds_parts = nominal if at_nominal else allocate(
        proceeds, [n for _, n, _ in taken], keys=[lot.investment.number for lot, _, _ in taken])
    for (lot, n, cost), part, release in zip(taken, proceeds_parts, released, strict=True):
        add_event(session, lot.investment, kind, date, amount=part, shares=n, principal=cost,
                  entry=entry)
        if release.cents:
            add_event(session, lot.investment, "impairment_reversal", date, amount=release,
                      entry=entry)
        if n == lot.shares_held:
            session.execute(update(Investment).where(Investment.id == lot.investment.id)
                            .values(status="closed"))
        notices += clawback_notices(session, lot.investment, investee, date, kind, n)
    result = proceeds - total_cost
    booked = [("proceeds", proceeds), ("cost", total_cost),
              ("gain" if result.cents >= 0 else "loss", abs_money(result))]
    if total_released.cents:
        booked.append(("impairment_released", total_released))
    return InvestmentResult(taken[0][0].investment.number, entry, tuple(notices), tuple(booked))


def abs_money(value: Money) -> Money:
    return value if value.cents >= 0 else -value


def reduction_at_stake(session: Session, investment: Investment, investee: Investee,
                       shares: int) -> Money:
    """The IR-PME reduction a disposal of ``shares`` of ``investment`` puts at risk.

    Each member's reduction is their base (their part of the payment, frozen on the payment
    date) × the rate of that date, rounded half-up as on their tax sheet; the sum is taken
    pro rata of the shares disposed when only part of the subscription leaves.
    """
    rate = policy.ir_pme_rate(investment.date, investee.esus)
    bases = session.execute(select(MemberKey.amount_cents).where(
        MemberKey.investment_id == investment.id)).scalars().all()
    whole = sum(round_half_up(Fraction(int(b), 100) * rate).cents for b in bases)
    subscribed = int(investment.shares or 0)
    if not subscribed or shares >= subscribed:
        return Money(whole)
    return round_half_up(Fraction(whole, 100) * shares / subscribed)


def clawback_notices(session: Session, investment: Investment, investee: Investee,
                     date: dt.date, kind: str, shares: int | None) -> list[Notice]:
    """A sale before 31 December of year + 5 (the lock-up), or a repayment of capital
    (redemption) before 31 December of year + 7, claws the members' reduction back.

    The notice names the event, its date and the reduction at stake (see reduction_at_stake).
    """
    disposed = shares if shares is not None else int(investment.shares or 0)
    params = {"number": str(investment.number), "investee": investee.name,
              "paid": investment.date.isoformat(), "date": date.isoformat(),
              "shares": str(disposed)}
    if kind == "redemption":
        end = policy.capital_repayment_end(investment.date)
        if date > end:
            return []
        params["end"] = end.isoformat()
        params["reduction"] = Amount(
            reduction_at_stake(session, investment, investee, disposed).plain())
        return [Notice(
            "ir_pme_clawback",
            NP_("Redemption on {date} of {shares} part of investment {number} in {investee}, "
                "paid on {paid}: a repayment of capital before {end} (31 December of the 7th "
                "year after payment) claws back the members' IR-PME tax reduction: "
                "{reduction} at stake.",
                "Redemption on {date} of {shares} parts of investment {number} in {investee}, "
                "paid on {paid}: a repayment of capital before {end} (31 December of the 7th "
                "year after payment) claws back the members' IR-PME tax reduction: "
                "{reduction} at stake.", key="shares"), params)]
    lock_end = policy.lock_up_end(investment.date)
    if date > lock_end:
        return []
    params["lock"] = lock_end.isoformat()
    params["reduction"] = Amount(
        reduction_at_stake(session, investment, investee, disposed).plain())
    return [Notice(
        "ir_pme_clawback",
        NP_("Sale on {date} of {shares} share of investment {number} in {investee}, paid on "
            "{paid}: titles sold before {lock} (31 December of the 5th year after payment) "
            "claw back the members' IR-PME tax reduction: {reduction} at stake (except death, "
            "invalidity or court-ordered liquidation of the company).",
            "Sale on {date} of {shares} shares of investment {number} in {investee}, paid on "
            "{paid}: titles sold before {lock} (31 December of the 5th year after payment) "
            "claw back the members' IR-PME tax reduction: {reduction} at stake (except death, "
            "invalidity or court-ordered liquidation of the company).", key="shares"),
        params)]


def impair(session: Session, club: Club, investee: Investee, *, date: dt.date, amount: Money,
           reverse: bool, today: dt.date) -> InvestmentResult:
    """Impairment (6866 / 2961) or its reversal (2961 / 7866), spread over the lots FIFO."""
    if amount.cents <= 0:
        raise NotPositive(what=Msg(N_("amount")), value=amount.plain())
    not_in_future(date, today)
    lifecycle(session, club).check_writable(date)
    check_in_order(session, [lot.investment for lot in stake_lots(session, club, investee)],
                   investee.name, date, EQUITY_CHANGES)
    lots = stake_lots(session, club, investee, date)
    if not lots:
        raise NothingHeld(investee=investee.name, date=date.isoformat())
    if reverse:
        impaired = Money(sum(lot.impaired.cents for lot in lots))
        if amount > impaired:
            raise ReversalTooLarge(investee=investee.name, impaired=impaired.plain(),
                                   amount=amount.plain())
        room = [lot.impaired for lot in lots]
        lines = (Line(chart.IMPAIRMENT_ACCOUNT, amount),
                 Line(chart.IMPAIRMENT_REVERSAL_ACCOUNT, -amount))
        label, kind = f"Reprise de dépréciation {investee.name}", "impairment_reversal"
    else:
        cost = Money(sum(lot.cost_left.cents for lot in lots))
        impaired = Money(sum(lot.impaired.cents for lot in lots))
        allowed = cost - impaired
        if amount > allowed:
            raise ImpairmentTooLarge(amount=amount.plain(), investee=investee.name,
                                     cost=cost.plain(), impaired=impaired.plain(),
                                     allowed=allowed.plain())
        room = [lot.cost_left - lot.impaired for lot in lots]
        lines = (Line(chart.IMPAIRMENT_CHARGE_ACCOUNT, amount),
                 Line(chart.IMPAIRMENT_ACCOUNT, -amount))
        label, kind = f"Dépréciation {investee.name}", "impairment"
    entry = post_entry(session, club.book_id, EntryDraft("OD", date, label, lines))
    left = amount
    for lot, space in zip(lots, room, strict=True):
        part = min(left, space)
        if part.cents > 0:
            add_event(session, lot.investment, kind, date, amount=part, entry=entry)
            left -= part
    return InvestmentResult(lots[0].investment.number, entry, ())


def write_off(session: Session, club: Club, investee: Investee, *, date: dt.date,
              today: dt.date) -> InvestmentResult:
    """The company is liquidated: remaining cost to 6750, impairments reversed (2961 / 7866)."""
    not_in_future(date, today)
    lifecycle(session, club).check_writable(date)
    check_in_order(session, [lot.investment for lot in stake_lots(session, club, investee)],
                   investee.name, date, EQUITY_CHANGES)
    lots = [lot for lot in stake_lots(session, club, investee, date)
            if lot.shares_held > 0 or lot.impaired.cents]
    if not lots:
        raise NothingHeld(investee=investee.name, date=date.isoformat())
    account = investee_account(investee, "equity")
    cost = Money(sum(lot.cost_left.cents for lot in lots))
    impaired = Money(sum(lot.impaired.cents for lot in lots))
    drafts = []
    if cost.cents:
        drafts.append(EntryDraft("OD", date,
                                 f"Annulation des titres {investee.name} (liquidation)",
                                 (Line(chart.DISPOSAL_COST_ACCOUNT, cost), Line(account, -cost))))
    if impaired.cents:
        drafts.append(EntryDraft("OD", date, f"Reprise de dépréciation {investee.name}",
                                 (Line(chart.IMPAIRMENT_ACCOUNT, impaired),
                                  Line(chart.IMPAIRMENT_REVERSAL_ACCOUNT, -impaired))))
    if not drafts:
        raise NothingHeld(investee=investee.name, date=date.isoformat())
    entries = post_entries(session, club.book_id, drafts)
    for lot in lots:
        add_event(session, lot.investment, "write_off", date, amount=Money(0),
                  shares=lot.shares_held, principal=lot.cost_left, entry=entries[0])
        if lot.impaired.cents:
            add_event(session, lot.investment, "impairment_reversal", date, amount=lot.impaired,
                      entry=entries[-1])
        session.execute(update(Investment).where(Investment.id == lot.investment.id)
                        .values(status="written_off"))
    return InvestmentResult(lots[0].investment.number, entries[0], ())


def record_valuation(session: Session, club: Club, investee: Investee, *, date: dt.date,
                     value: Money, today: dt.date) -> None:
    """A dated value of the whole stake (used by the units share method), no entry."""
    if value.cents < 0:
        raise NotPositive(what=Msg(N_("value")), value=value.plain())
    not_in_future(date, today)
    lifecycle(session, club).check_writable(date)
    lots = [lot for lot in stake_lots(session, club, investee, date) if lot.shares_held > 0]
    if not lots:
        raise NothingHeld(investee=investee.name, date=date.isoformat())
    parts = allocate(value, [lot.shares_held for lot in lots],
                     keys=[lot.investment.number for lot in lots])
    for lot, part in zip(lots, parts, strict=True):
        add_event(session, lot.investment, "valuation", date, amount=part)
