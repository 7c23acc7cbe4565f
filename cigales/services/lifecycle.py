"""The club's life cycle in the database: events, status, prorogation, liquidation, closure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cigales import chart
from cigales.errors import CigalesError, DateInFuture
from cigales.models import CapitalMovement, Club, ClubEvent, Member
from cigales.phases import Alert, EventKind, Lifecycle, PhaseEvent, Settings
from cigales.services import closed_returns, uow
from cigales.services.clubs import cash_balance
from cigales.shares import NET_ASSET_CLASSES, net_assets, positions, share_text
from ledger.errors import N_
from ledger.money import Money, allocate
from ledger.post import EntryDraft, Line, ends_unit_of_work, post_entries
from ledger.queries import balances_by_account
from ledger.schema import Account, Entry

# The club's phase events, read once per transaction (every operation checks the phase):
# they are written only by record() below, which drops them, and forgotten when the
# transaction or a savepoint ends, like ledger.post's unit of work.
_EVENTS = "cigales.lifecycle.events"


@sa_event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: Any) -> None:
    # Kept across a flush and a released savepoint (ledger.post.ends_unit_of_work).
    if ends_unit_of_work(session, transaction):
        session.info.pop(_EVENTS, None)


def lifecycle(session: Session, club: Club) -> Lifecycle:
    return lifecycles(session, [club])[club.id]


def lifecycles(session: Session, clubs: Sequence[Club]) -> dict[int, Lifecycle]:
    """``lifecycle`` of many clubs: the events not read yet in this transaction are read by
    one query."""
    known: dict[int, tuple[PhaseEvent, ...]] = session.info.setdefault(_EVENTS, {})
    missing = [club.id for club in clubs if club.id not in known]
    if missing:
        found: dict[int, list[PhaseEvent]] = {i: [] for i in missing}
        for club_id, kind, date, late in session.execute(
                select(ClubEvent.club_id, ClubEvent.kind, ClubEvent.date, ClubEvent.late)
                .where(ClubEvent.club_id.in_(missing)).order_by(ClubEvent.id)):
            found[club_id].append(PhaseEvent(EventKind(kind), date, bool(late)))
        known.update({i: tuple(events) for i, events in found.items()})
    return {club.id: _life(club, known[club.id]) for club in clubs}


def _life(club: Club, events: tuple[PhaseEvent, ...]) -> Lifecycle:
    return Lifecycle(
        founded=club.founded,
        events=events,
        settings=Settings(phase2_savings=club.phase2_savings,
                          phase2_investments=club.phase2_investments),
    )


def not_in_future(date: dt.date, today: dt.date) -> None:
    if date > today:
        raise DateInFuture(date=date.isoformat(), today=today.isoformat())


def record(session: Session, club: Club, event: PhaseEvent, *,
           entry_id: int | None = None) -> None:
    session.info.get(_EVENTS, {}).pop(club.id, None)
    closed_returns.forget(session, club.id)  # the phase is in the return
    session.execute(insert(ClubEvent).values(club_id=club.id, kind=event.kind.value,
                                             date=event.date, late=event.late,
                                             entry_id=entry_id))


def club_members(session: Session, club: Club) -> dict[str, Member]:
    """The club's members by code, read once per transaction (services.uow: read again after
    any write to the member table)."""
    def load() -> dict[str, Member]:
        return {m.code: m for m in session.execute(
            select(Member).where(Member.club_id == club.id).order_by(Member.code)).scalars()}

    return uow.cached(session, ("members", club.id), _MEMBER_TABLES, load)


_MEMBER_TABLES = frozenset({"member"})


def active_members(session: Session, club: Club, date: dt.date) -> int:
    """Members who joined on or before ``date`` and had not left by then."""
    return sum(1 for m in club_members(session, club).values()
               if m.joined <= date and (m.left_on is None or m.left_on > date))


def active_members_by_club(session: Session, club_ids: Sequence[int],
                           date: dt.date) -> dict[int, int]:
    """Members who joined by ``date`` and had not left on it, per club: one query."""
    found = dict.fromkeys(club_ids, 0)
    if club_ids:
        found.update((int(i), int(n)) for i, n in session.execute(
            select(Member.club_id, func.count()).where(
                Member.club_id.in_(club_ids), Member.joined <= date,
                (Member.left_on.is_(None)) | (Member.left_on > date))
            .group_by(Member.club_id)))
    return found


@dataclass(frozen=True, slots=True)
class ClubStatus:
    club: Club
    as_of: dt.date
    phase: str
    phase_ends: dt.date | None
    life_ends: dt.date
    prorogation: PhaseEvent | None
    members_active: int
    cash: Money
    net_assets: Money
    alerts: tuple[Alert, ...]


def status(session: Session, club: Club, as_of: dt.date, *,
           life: Lifecycle | None = None) -> ClubStatus:
    life = life or lifecycle(session, club)
    count = active_members(session, club, as_of)
    cash = cash_balance(session, club.book_id, as_of)
    return ClubStatus(
        club=club,
        as_of=as_of,
        phase=life.phase_at(as_of).value,
        phase_ends=life.phase_ends(as_of),
        life_ends=life.life_end - dt.timedelta(days=1),
        prorogation=life.prorogation,
        members_active=count,
        cash=cash,
        net_assets=net_assets(session, club, as_of),
        alerts=tuple(life.alerts(as_of, count)),
    )


def extend(session: Session, club: Club, date: dt.date, *, late: bool,
           today: dt.date) -> PhaseEvent:
    not_in_future(date, today)
    event = lifecycle(session, club).extend(date, late=late)
    record(session, club, event)
    return event


# -- liquidation ----------------------------------------------------------------------------------

class HoldingsRemain(CigalesError):
    code = "holdings_remain"
    template = N_("The club still holds {holdings}: sell, collect or write them off before the "
                  "final distribution (only bank accounts and amounts owed to members may "
                  "remain).")


class LiquidationBeforeLastEntry(CigalesError):
    code = "liquidation_before_last_entry"
    template = N_("The books hold entries up to {last}: the final distribution cannot be dated "
                  "earlier ({date}). Allowed: from {last}.")


class NothingToDistribute(CigalesError):
    code = "nothing_to_distribute"
    template = N_("No member holds a share on {date}: there is nobody to distribute {cash} to.")


@dataclass(frozen=True, slots=True)
class Payout:
    member: str
    share: str
    amount: Money  # this member's part of the distribution
    owed_before: Money  # already owed (members who left with a deferred settlement)


@dataclass(frozen=True, slots=True)
class LiquidationPlan:
    date: dt.date
    cash: Money
    owed_to_leavers: Money
    distributable: Money
    distribution: tuple[Payout, ...]


def holdings(session: Session, club: Club, as_of: dt.date) -> dict[str, Money]:
    """Balances other than bank and amounts owed to members: what blocks the final split."""
    balances = balances_by_account(session, club.book_id, as_of)
    return {code: amount for code, amount in balances.items()
            if code[:1] in NET_ASSET_CLASSES and code not in chart.CASH_PREFIXES
            and not code.startswith("4567-")}


def plan_liquidation(session: Session, club: Club, date: dt.date) -> LiquidationPlan:
    remaining = holdings(session, club, date)
    if remaining:
        labels = dict(session.execute(select(Account.code, Account.label).where(
            Account.book_id == club.book_id, Account.code.in_(list(remaining)))).all())
        raise HoldingsRemain(holdings="; ".join(
            f"{code} {labels.get(code, '')} ({amount.plain()})"
            for code, amount in remaining.items()))
    balances = balances_by_account(session, club.book_id, date)
    cash = Money(sum(balances.get(code, Money(0)).cents for code in chart.CASH_PREFIXES))
    owed = {code.split("-", 1)[1]: -amount for code, amount in balances.items()
            if code.startswith("4567-")}
    owed_total = Money(sum(m.cents for m in owed.values()))
    distributable = cash - owed_total
    table = positions(session, club, date)
    holders = [p for p in table.positions if p.share > 0]
    if not holders and not distributable.is_zero():
        raise NothingToDistribute(date=date.isoformat(), cash=distributable.plain())
    amounts = (allocate(distributable, [p.share for p in holders], keys=[p.code for p in holders])
               if holders else [])
    payouts = {p.code: Payout(p.code, share_text(p.share), amount, owed.get(p.code, Money(0)))
               for p, amount in zip(holders, amounts, strict=True)}
    for code, amount in owed.items():
        if code not in payouts:
            payouts[code] = Payout(code, share_text(Fraction(0)), Money(0), amount)
    return LiquidationPlan(date, cash, owed_total, distributable,
                           tuple(payouts[c] for c in sorted(payouts)))


def liquidate(session: Session, club: Club, date: dt.date, *, today: dt.date,
              dry_run: bool = False) -> LiquidationPlan:
    """Final distribution: equity → 4567 per member → bank, then the club is closed."""
    not_in_future(date, today)
    life = lifecycle(session, club)
    life.check_in_life(date)
    if life.liquidation is None:
        life.liquidate(date)  # guards only
    last = session.execute(select(func.max(Entry.date)).where(
        Entry.book_id == club.book_id)).scalar_one_or_none()
    if last is not None and last > date:
        raise LiquidationBeforeLastEntry(date=date.isoformat(), last=last.isoformat())
    plan = plan_liquidation(session, club, date)
    if dry_run:
        return plan
    balances = balances_by_account(session, club.book_id, date)
    drafts = []
    # The year's result is closed first, as at a year end (classes 6 and 7 to 120 / 129), so
    # the liquidation year's accounts show its income, expenses and result (domain.md §2).
    flow_lines = [Line(code, -amount) for code, amount in balances.items()
                  if code[:1] in ("6", "7") and not amount.is_zero()]
    net = Money(sum(amount.cents for code, amount in balances.items() if code[:1] in ("6", "7")))
    equity = {code: amount for code, amount in balances.items() if code[:1] == "1"}
    if flow_lines:
        result_account = chart.PROFIT_ACCOUNT if net.cents < 0 else chart.LOSS_ACCOUNT
        if not net.is_zero():
            flow_lines.append(Line(result_account, net))
            equity[result_account] = equity.get(result_account, Money(0)) + net
        if len(flow_lines) >= 2:
            drafts.append(EntryDraft("OD", date, "Résultat de l'exercice (liquidation)",
                                     tuple(flow_lines)))
    # Every equity balance, the result included, is emptied into what is owed to each member.
    lines = [Line(code, -amount) for code, amount in equity.items() if not amount.is_zero()]
    lines += [Line(f"4567-{p.member}", -p.amount) for p in plan.distribution
              if not p.amount.is_zero()]
    # Members are paid from the current account: bring the livret back to it first.
    livret = balances.get(chart.SAVINGS_ACCOUNT, Money(0))
    if livret.cents > 0:
        drafts.append(EntryDraft("BQ", date, "Virement du livret vers le compte courant",
                                 (Line(chart.BANK_ACCOUNT, livret),
                                  Line(chart.SAVINGS_ACCOUNT, -livret))))
    if len(lines) >= 2:
        drafts.append(EntryDraft("OD", date, "Liquidation – répartition entre les indivisaires",
                                 tuple(lines)))
    for p in plan.distribution:
        total = p.amount + p.owed_before
        if total.cents > 0:
            drafts.append(EntryDraft("BQ", date, f"Liquidation – paiement à {p.member}",
                                     (Line(f"4567-{p.member}", total),
                                      Line(chart.BANK_ACCOUNT, -total))))
    posted = post_entries(session, club.book_id, drafts)
    # Each member's capital leaves the club with the distribution: record it as a redemption
    # so that the capital movements keep matching the emptied 1011 accounts.
    split = next((p for p, d in zip(posted, drafts, strict=True)
                  if d.journal == "OD" and d.label.startswith("Liquidation")), None)
    if split is not None:
        ids = dict(session.execute(select(Member.code, Member.id).where(
            Member.club_id == club.id)).all())
        for code, amount in balances.items():
            member = code.split("-", 1)[1] if code.startswith("1011-") else None
            if member in ids and not amount.is_zero():
                # A credit balance (capital paid in) is redeemed; a debit one (capital repaid
                # beyond the savings) is made good, which the books show as a credit.
                kind = "redemption" if amount.cents < 0 else "saving"
                session.execute(insert(CapitalMovement).values(
                    club_id=club.id, member_id=ids[member], date=date, kind=kind,
                    amount_cents=abs(amount.cents), entry_id=split.id))
    if life.liquidation is None:
        record(session, club, PhaseEvent(EventKind.LIQUIDATION, date))
    record(session, club, PhaseEvent(EventKind.CLOSURE, date),
           entry_id=posted[0].id if posted else None)
    return plan
