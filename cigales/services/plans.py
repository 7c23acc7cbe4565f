"""A member's details and savings plan, edited after joining (`cigales member edit`).

Identity (name, e-mail, address) is replaced in ``member_identity`` only. The savings plan
changes *from a month on*: earlier months keep the plan they had, so arrears computed for a
past date do not move when the plan is raised today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cigales.errors import CigalesError, NameRequired
from cigales.models import Club, Member, MemberIdentity, SavingPlan
from cigales.services.members import NegativePlan, get_member
from cigales.services.privacy import AlreadyErased
from ledger.errors import N_
from ledger.limits import ADDRESS_MAX, NAME_MAX, check_fields
from ledger.money import Money


class NothingToEdit(CigalesError):
    code = "nothing_to_edit"
    template = N_("Nothing to change: give at least one of --name, --email, --address, "
                  "--language or --monthly with --from.")
    exit_code = 2


class PlanMonthRequired(CigalesError):
    code = "plan_month_required"
    template = N_("--monthly needs --from YYYY-MM: the month from which the new plan applies.")
    exit_code = 2


class PlanBeforeJoining(CigalesError):
    code = "plan_before_joining"
    template = N_("Member {member} joined in {joined}: a plan cannot start in {month}. "
                  "Allowed: from {joined} on.")


class PlanAfterLeaving(CigalesError):
    code = "plan_after_leaving"
    template = N_("Member {member} left on {left}: their plan cannot change any more.")


@dataclass(frozen=True, slots=True)
class PlanPeriod:
    start: dt.date  # first day of the first month of this plan
    monthly: Money


@dataclass(frozen=True, slots=True)
class Edit:
    member: str
    changed: tuple[str, ...]  # names of the fields that changed: name, email, address, monthly
    plan: tuple[PlanPeriod, ...]


def first_of_month(date: dt.date) -> dt.date:
    return date.replace(day=1)


def plan_periods(session: Session, member: Member) -> tuple[PlanPeriod, ...]:
    """The member's plans in order; one period from joining when the plan never changed."""
    rows = session.execute(select(SavingPlan).where(SavingPlan.member_id == member.id)
                           .order_by(SavingPlan.from_month)).scalars().all()
    if not rows:
        return (PlanPeriod(first_of_month(member.joined), Money(member.monthly_cents)),)
    return tuple(PlanPeriod(r.from_month, Money(r.monthly_cents)) for r in rows)


def plan_for(periods: Sequence[PlanPeriod], year: int, month: int) -> Money:
    """The plan that applies to a month: the last period starting on or before it."""
    day = dt.date(year, month, 1)
    current = periods[0].monthly
    for period in periods:
        if period.start <= day:
            current = period.monthly
    return current


def edit_member(session: Session, club: Club, code: str, *, name: str | None = None,
                email: str | None = None, address: str | None = None,
                lang: str | None = None, monthly: Money | None = None,
                from_month: tuple[int, int] | None = None) -> Edit:
    """Change a member's identity and/or their plan from a month on; returns what changed."""
    if name is None and email is None and address is None and lang is None and monthly is None:
        raise NothingToEdit()
    if monthly is not None and from_month is None:
        raise PlanMonthRequired()
    check_fields((name, "name", NAME_MAX), (email, "email", NAME_MAX),
                 (address, "address", ADDRESS_MAX))
    member = get_member(session, club, code)
    changed: list[str] = []
    if name is not None or email is not None or address is not None or lang is not None:
        identity = session.execute(select(MemberIdentity).where(
            MemberIdentity.member_id == member.id)).scalar_one()
        if identity.erased_on is not None:
            raise AlreadyErased(member=code, date=identity.erased_on.isoformat())
        if name is not None:
            if not name.strip():
                raise NameRequired()
            if identity.name != name.strip():
                identity.name = name.strip()
                changed.append("name")
        # An empty value removes the e-mail or address.
        for field, value in (("email", email), ("address", address), ("lang", lang)):
            if value is not None and getattr(identity, field) != (value.strip() or None):
                setattr(identity, field, value.strip() or None)
                changed.append(field)
    if monthly is not None:
        assert from_month is not None
        if monthly.cents < 0:
            raise NegativePlan(amount=monthly.plain())
        start = dt.date(from_month[0], from_month[1], 1)
        joined = first_of_month(member.joined)
        if start < joined:
            raise PlanBeforeJoining(member=code, joined=f"{joined:%Y-%m}", month=f"{start:%Y-%m}")
        if member.left_on is not None:
            raise PlanAfterLeaving(member=code, left=member.left_on.isoformat())
        periods = plan_periods(session, member)
        if plan_for(periods, start.year, start.month) != monthly or periods[-1].start > start:
            _set_plan(session, member, periods, start, monthly)
            changed.append("monthly")
    session.flush()
    return Edit(code, tuple(changed), plan_periods(session, member))


def _set_plan(session: Session, member: Member, periods: Sequence[PlanPeriod],
              start: dt.date, monthly: Money) -> None:
    """From ``start`` on the plan is ``monthly``: later changes are replaced by this one."""
    kept = [p for p in periods if p.start < start]
    session.execute(delete(SavingPlan).where(SavingPlan.member_id == member.id))
    for period in [*kept, PlanPeriod(start, monthly)]:
        session.add(SavingPlan(member_id=member.id, from_month=period.start,
                               monthly_cents=period.monthly.cents))
    # The member row keeps the latest plan, which `saving collect` of a new month uses.
    member.monthly_cents = monthly.cents


def club_plans(session: Session, club: Club) -> dict[int, tuple[PlanPeriod, ...]]:
    """Every member's plan periods in one query (members without a change are absent)."""
    rows = session.execute(
        select(SavingPlan.member_id, SavingPlan.from_month, SavingPlan.monthly_cents)
        .join(Member, Member.id == SavingPlan.member_id)
        .where(Member.club_id == club.id)
        .order_by(SavingPlan.member_id, SavingPlan.from_month)).all()
    found: dict[int, list[PlanPeriod]] = {}
    for member_id, start, cents in rows:
        found.setdefault(member_id, []).append(PlanPeriod(start, Money(cents)))
    return {k: tuple(v) for k, v in found.items()}


def periods_of(plans: dict[int, tuple[PlanPeriod, ...]], member: Member
               ) -> tuple[PlanPeriod, ...]:
    return plans.get(member.id) or (
        PlanPeriod(first_of_month(member.joined), Money(member.monthly_cents)),)
