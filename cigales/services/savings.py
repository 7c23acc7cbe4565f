"""Members' savings (versements): one payment, a whole month, arrears, the yearly cap."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cigales import chart, policy
from cigales.errors import Amount, CigalesError, Notice
from cigales.models import CapitalMovement, Club, Member
from cigales.phases import Lifecycle
from cigales.services import uow
from cigales.services.lifecycle import lifecycle, not_in_future
from cigales.services.members import MemberAlreadyLeft, MemberNotActive, get_member
from cigales.services.membership import check_enough_members
from cigales.services.plans import PlanPeriod, club_plans, periods_of, plan_for
from ledger.errors import N_, Msg
from ledger.money import Money
from ledger.post import EntryDraft, Line, PostedEntry, post_entries
from ledger.queries import opening_position_date
from ledger.schema import Entry


class SavingNotPositive(CigalesError):
    code = "saving_must_be_positive"
    template = N_("A saving must be a positive amount; got {amount}. To give money back to a "
                  "member, use `member leave` or reverse the entry.")


@dataclass(frozen=True, slots=True)
class SavingResult:
    member: str
    entry: PostedEntry
    warnings: tuple[Notice, ...]


def _check_member_window(member: Member, date: dt.date) -> None:
    if member.left_on is not None:
        # A departed member's share is settled: any saving, even backdated, would be unsettled.
        raise MemberAlreadyLeft(member=member.code, date=member.left_on.isoformat())
    if not member.active_on(date):
        left = f", left {member.left_on.isoformat()}" if member.left_on else ""
        raise MemberNotActive(member=member.code, date=date.isoformat(),
                              joined=member.joined.isoformat(), left=left)


def paid_in_year(session: Session, member: Member, year: int) -> Money:
    total = session.execute(
        select(func.coalesce(func.sum(CapitalMovement.amount_cents), 0)).where(
            CapitalMovement.member_id == member.id, CapitalMovement.kind == "saving",
            CapitalMovement.date >= dt.date(year, 1, 1),
            CapitalMovement.date <= dt.date(year, 12, 31))
    ).scalar_one()
    return Money(int(total))


_YEAR_TOTALS = "savings_by_year"
# Performance: a Core insert built once (no ORM bulk-insert bookkeeping per saving); the
# session still tells services.uow about it (do_orm_execute), with uow_keep.
# inline(): no implicit RETURNING of the new id (never used), so that the statement can go
# in a pipeline with the entries (ledger.post.post_entries, ``then``).
_INSERT_MOVEMENTS = insert(
    CapitalMovement.metadata.tables[CapitalMovement.__tablename__]).inline()


def year_totals(session: Session, club: Club) -> dict[tuple[int, int], int]:
    """Savings paid per (member id, year), in cents: read once per transaction, kept up to
    date by add_saving and read again after any other write to capital_movement."""
    def load() -> dict[tuple[int, int], int]:
        totals: dict[tuple[int, int], int] = {}
        for member_id, date, cents in session.execute(
                select(CapitalMovement.member_id, CapitalMovement.date,
                       CapitalMovement.amount_cents)
                .where(CapitalMovement.club_id == club.id, CapitalMovement.kind == "saving")):
            key = (member_id, date.year)
            totals[key] = totals.get(key, 0) + int(cents)
        return totals

    return uow.cached(session, (_YEAR_TOTALS, club.id), frozenset({"capital_movement"}), load)


@dataclass(frozen=True, slots=True)
class SavingItem:
    """One saving to record: what ``add_saving`` takes, for ``add_savings``."""

    member_code: str
    date: dt.date
    amount: Money
    reference: str | None = None
    key: str | None = None


def add_saving(
    session: Session,
    club: Club,
    *,
    member_code: str,
    date: dt.date,
    amount: Money,
    reference: str | None = None,
    key: str | None = None,
    today: dt.date,
    life: Lifecycle | None = None,
) -> SavingResult:
    return add_savings(session, club, [SavingItem(member_code, date, amount, reference, key)],
                       today=today, life=life)[0]


def add_savings(session: Session, club: Club, items: Sequence[SavingItem], *, today: dt.date,
                life: Lifecycle | None = None) -> list[SavingResult]:
    """Record several savings as one operation: each is checked exactly as a single one (in
    order: amount, date, phase, member, five-member floor), then all the entries are posted
    in one call and their capital movements inserted together. All or nothing."""
    life = life or lifecycle(session, club)
    drafts: list[EntryDraft] = []
    members: list[Member] = []
    for item in items:
        if item.amount.cents <= 0:
            raise SavingNotPositive(amount=item.amount.plain())
        not_in_future(item.date, today)
        life.check_savings(item.date)
        member = get_member(session, club, item.member_code)
        _check_member_window(member, item.date)
        check_enough_members(session, club, item.date, Msg(N_("savings")))
        label = f"Versement {member.code}" + (f" – {item.reference}" if item.reference else "")
        drafts.append(EntryDraft(
            "BQ", item.date, label,
            (Line(chart.BANK_ACCOUNT, item.amount), Line(f"1011-{member.code}", -item.amount)),
            key=item.key))
        members.append(member)
    year_total_after: dict[int, int] = {}  # entry id -> the member's year total after it
    # Read before the insert, then kept up to date (the insert says so to services.uow):
    # each saving is compared with the year's total including it, as when posted alone.
    # Read before posting: the capital movements are inserted with the entries (below), where
    # nothing may be read; posting writes no capital movement, so the totals are the same.
    cache_key = (_YEAR_TOTALS, club.id)
    totals = year_totals(session, club) if drafts else {}

    def insert_movements(written: list[tuple[int, PostedEntry]]) -> None:
        # Called by post_entries with the entries it wrote: on PostgreSQL these rows go in
        # the same round trip as the entries (ledger.post._sent_together).
        created = [(items[i], members[i], entry) for i, entry in written]
        session.execute(
            _INSERT_MOVEMENTS,
            [{"club_id": club.id, "member_id": member.id, "date": item.date, "kind": "saving",
              "amount_cents": item.amount.cents, "entry_id": entry.id}
             for item, member, entry in created],
            execution_options={"uow_keep": frozenset({cache_key})})
        for item, member, entry in created:
            year_key = (member.id, item.date.year)
            totals[year_key] = totals.get(year_key, 0) + item.amount.cents
            year_total_after[entry.id] = totals[year_key]

    entries = post_entries(session, club.book_id, drafts, then=insert_movements)
    results = []
    for item, member, entry in zip(items, members, entries, strict=True):
        warnings: list[Notice] = []
        if entry.created:
            year_total = Money(year_total_after[entry.id])
            if year_total > policy.YEARLY_SAVING_CAP:
                warnings.append(Notice(
                    "yearly_cap_exceeded",
                    N_("{member} has paid {total} in {year}, above the {cap} yearly cap for "
                       "investment clubs."),
                    {"member": member.code, "total": Amount(year_total.plain()),
                     "year": str(item.date.year),
                     "cap": Amount(policy.YEARLY_SAVING_CAP.plain())}))
        results.append(SavingResult(member.code, entry, tuple(warnings)))
    return results


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True, slots=True)
class CollectResult:
    date: dt.date
    recorded: tuple[SavingResult, ...]
    already: tuple[str, ...]  # members whose saving for the month was already recorded
    skipped: tuple[str, ...]  # members not active on that date or without a plan


def collect_month(session: Session, club: Club, year: int, month: int, *,
                  date: dt.date | None = None, today: dt.date) -> CollectResult:
    """Record every active member's planned saving for the month, once per member and month."""
    first, last = month_bounds(year, month)
    when = date or min(last, today)
    if not first <= when <= last:
        raise DateNotInMonth(date=when.isoformat(), month=f"{year:04d}-{month:02d}",
                             first=first.isoformat(), last=last.isoformat())
    not_in_future(when, today)
    life = lifecycle(session, club)
    life.check_in_life(when)
    life.check_saving_month(year, month)
    life.check_savings(when)
    check_enough_members(session, club, when, Msg(N_("savings")))
    members = session.execute(select(Member).where(Member.club_id == club.id)
                              .order_by(Member.code)).scalars().all()
    keys = {m.code: f"collect:{m.code}:{year:04d}-{month:02d}" for m in members}
    # A month collected before (perhaps on another date) is not collected again.
    done = set(session.execute(select(Entry.idem_key).where(
        Entry.book_id == club.book_id, Entry.idem_key.in_(list(keys.values())))).scalars())
    recorded: list[SavingResult] = []
    already: list[str] = []
    skipped: list[str] = []
    plans = club_plans(session, club)
    items: list[SavingItem] = []
    for member in members:
        # The plan of that month, which may differ from today's (`member edit --from`).
        planned = plan_for(periods_of(plans, member), year, month)
        if planned.cents <= 0 or not member.active_on(when):
            if member.joined <= last and (member.left_on is None or member.left_on > first):
                skipped.append(member.code)
            continue
        if keys[member.code] in done:
            already.append(member.code)
            continue
        items.append(SavingItem(member.code, when, planned, f"{year:04d}-{month:02d}",
                                keys[member.code]))
    # One operation: every member's saving checked as a single one, posted together.
    for result in add_savings(session, club, items, today=today, life=life):
        if result.entry.created:
            recorded.append(result)
        else:
            already.append(result.member)
    return CollectResult(when, tuple(recorded), tuple(already), tuple(skipped))


class DateNotInMonth(CigalesError):
    code = "date_not_in_month"
    template = N_("{date} is not in {month}: choose a date from {first} to {last}.")


@dataclass(frozen=True, slots=True)
class Arrears:
    member: str
    monthly: Money
    months_expected: int
    expected: Money
    paid: Money
    behind: Money  # expected − paid when positive, else zero
    months_behind: int


def arrears(session: Session, club: Club, as_of: dt.date,
            member: str | None = None) -> list[Arrears]:
    """Expected savings (plan × months the member could save) against what was paid; of
    every member who had joined by ``as_of``, or of ``member`` only (a member's own page).

    A club that moved in at D with its members' paid-in totals counts from the month after
    D: the totals brought in settle whatever was due up to D (domain: arrears from D).
    """
    life = lifecycle(session, club)
    since = opening_position_date(session, club.book_id)
    conds = [CapitalMovement.club_id == club.id, CapitalMovement.kind == "saving",
             CapitalMovement.date <= as_of]
    members = [Member.club_id == club.id, Member.joined <= as_of]
    if member is not None:
        members.append(Member.code == member)
        conds.append(CapitalMovement.member_id.in_(select(Member.id).where(*members)))
    if since is not None:
        conds.append(CapitalMovement.date > since)
    paid = dict(session.execute(
        select(CapitalMovement.member_id, func.sum(CapitalMovement.amount_cents))
        .where(*conds)
        .group_by(CapitalMovement.member_id)).all())
    result = []
    plans = club_plans(session, club)
    # The plan's months are the club's, not the member's: decided once per month here, not
    # once per member and month (the same rule, ``Lifecycle.is_saving_month``).
    plan_months: dict[tuple[int, int], bool] = {}
    for one in session.execute(select(Member).where(*members)
                               .order_by(Member.code)).scalars():
        periods = periods_of(plans, one)
        months, expected = _expected(one, periods, life, as_of, since, plan_months)
        current = plan_for(periods, as_of.year, as_of.month)
        got = Money(int(paid.get(one.id, 0)))
        behind = expected - got if expected > got else Money(0)
        months_behind = behind.cents // current.cents if current.cents else 0
        result.append(Arrears(one.code, current, months, expected, got, behind,
                              months_behind))
    return result


def _expected(member: Member, periods: tuple[PlanPeriod, ...], life: Lifecycle,
              as_of: dt.date, since: dt.date | None = None,
              plan_months: dict[tuple[int, int], bool] | None = None) -> tuple[int, Money]:
    """Months of the plan, up to ``as_of``'s month, that the member owes — the club's plan
    months (``Lifecycle.is_saving_month``, exactly what `saving collect` accepts) in which the
    member was a member for at least a day, after ``since``'s month when the club moved in
    then (switchover) — and the sum of each such month's own plan. ``plan_months`` keeps
    ``is_saving_month``'s answers across the members of one call."""
    memo = {} if plan_months is None else plan_months
    count = 0
    total = 0
    year, month = member.joined.year, member.joined.month
    if since is not None and (year, month) <= (since.year, since.month):
        year, month = (since.year + 1, 1) if since.month == 12 else (since.year, since.month + 1)
    while (year, month) <= (as_of.year, as_of.month):
        first, last = month_bounds(year, month)
        day = max(first, member.joined)
        in_plan = memo.get((year, month))
        if in_plan is None:
            in_plan = memo[(year, month)] = life.is_saving_month(year, month)
        if (in_plan and day <= min(last, as_of)
                and member.active_on(day)):
            count += 1
            total += plan_for(periods, year, month).cents
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return count, Money(total)
