"""Members joining, leaving (payout, transfer, deferred), dying; their sub-accounts."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from cigales import chart
from cigales.errors import CigalesError, NameRequired
from cigales.models import CapitalMovement, Club, Member, MemberIdentity
from cigales.phases import MAX_MEMBERS
from cigales.services import closed_returns, keys
from cigales.services.accounts import ensure_accounts
from cigales.services.lifecycle import active_members, club_members, lifecycle, not_in_future
from cigales.services.membership import check_enough_members
from cigales.shares import SharesTable, positions
from ledger.errors import N_, Msg
from ledger.limits import ADDRESS_MAX, NAME_MAX, check_fields
from ledger.money import Money
from ledger.post import EntryDraft, Line, PostedEntry, post_entry
from ledger.queries import account_balance

_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_]{0,15}$")
SETTLEMENTS = ("payout", "transfer", "deferred")


class InvalidMemberCode(CigalesError):
    code = "invalid_member_code"
    template = N_("“{member}” is not a valid member code: capital letters, digits and “_”, "
                  "up to 16 characters (e.g. M01).")
    exit_code = 2


class MemberExists(CigalesError):
    code = "member_exists"
    template = N_("Member code {member} is already used in this club; choose another one.")


class UnknownMember(CigalesError):
    code = "unknown_member"
    template = N_("There is no member {member} in this club; members: {known}.")


class MemberLimitReached(CigalesError):
    code = "member_limit_reached"
    template = N_("The club already has {count} active members on {date}: at most 20 are "
                  "allowed.")


class MemberNotActive(CigalesError):
    code = "member_not_active"
    template = N_("Member {member} is not active on {date} (joined {joined}{left}).")


class MemberAlreadyLeft(CigalesError):
    code = "member_already_left"
    template = N_("Member {member} already left on {date}.")


class LaterOperationsExist(CigalesError):
    code = "member_has_later_operations"
    template = N_("Member {member} has savings recorded up to {last}: a departure cannot be "
                  "dated earlier ({date}). Allowed: from {last}.")


class TransferTargetRequired(CigalesError):
    code = "transfer_target_required"
    template = N_("A transfer needs --to: the active member (or newcomer) who takes the share.")


class TransferTargetUnexpected(CigalesError):
    code = "transfer_target_unexpected"
    template = N_("--to is only for a transfer settlement.")


class TransferToSelf(CigalesError):
    code = "transfer_to_self"
    template = N_("Member {member} cannot transfer a share to themselves.")


class NotEnoughCash(CigalesError):
    code = "not_enough_cash"
    template = N_("Paying {member} {amount} needs more than the {cash} on the current account "
                  "(5121) on {date}; move money from the livret first, or use --settlement "
                  "deferred to pay at liquidation, or a transfer.")


@dataclass(frozen=True, slots=True)
class Departure:
    member: str
    date: dt.date
    settlement: str
    value: Money
    entries: tuple[PostedEntry, ...]


def validate_code(code: str) -> str:
    if not _CODE_RE.match(code):
        raise InvalidMemberCode(member=code)
    return code


def get_member(session: Session, club: Club, code: str) -> Member:
    members = club_members(session, club)  # read once per transaction
    member = members.get(code)
    if member is None:
        raise UnknownMember(member=code, known=", ".join(sorted(members)) or "—")
    return member


def add_member(
    session: Session,
    club: Club,
    *,
    code: str,
    name: str,
    joined: dt.date,
    monthly: Money | None = None,
    email: str | None = None,
    address: str | None = None,
    today: dt.date,
) -> Member:
    validate_code(code)
    check_fields((name, "name", NAME_MAX), (email, "email", NAME_MAX),
                 (address, "address", ADDRESS_MAX))
    if not name or not name.strip():
        raise NameRequired()
    monthly = monthly or Money(0)
    if monthly.cents < 0:
        raise NegativePlan(amount=monthly.plain())
    not_in_future(joined, today)
    lifecycle(session, club).check_membership_change(joined)
    if code in club_members(session, club):
        raise MemberExists(member=code)
    count = active_members(session, club, joined)
    if count >= MAX_MEMBERS:
        raise MemberLimitReached(count=count, date=joined.isoformat())
    # Later joiners must not push the count over 20 on any later date either.
    later_peak = _peak_active_after(session, club, joined)
    if later_peak >= MAX_MEMBERS:
        raise MemberLimitReached(count=later_peak, date=joined.isoformat())
    member = Member(club_id=club.id, code=code, joined=joined, monthly_cents=monthly.cents)
    session.add(member)
    session.flush()
    closed_returns.forget(session, club.id)  # members are counted in the return
    session.execute(insert(MemberIdentity).values(member_id=member.id, name=name.strip(),
                                                  email=email, address=address))
    ensure_accounts(session, club, [(a.code, a.label) for a in chart.member_accounts(code)])
    return member


class NegativePlan(CigalesError):
    code = "monthly_saving_negative"
    template = N_("The planned monthly saving cannot be negative ({amount}).")


def _peak_active_after(session: Session, club: Club, date: dt.date) -> int:
    joins = {m.joined for m in club_members(session, club).values() if m.joined > date}
    return max((active_members(session, club, d) for d in joins), default=0)


def leave(
    session: Session,
    club: Club,
    *,
    code: str,
    date: dt.date,
    settlement: str,
    to: str | None = None,
    deceased: bool = False,
    today: dt.date,
) -> Departure:
    """Book a departure. The member's value (share × net assets on that date) is settled:

    - ``payout``: capital (1011 + 1018) and the difference to value (retained results 110/119)
      go to 4567-CODE, then the bank pays it;
    - ``deferred``: the same, but 4567-CODE stays owed until liquidation;
    - ``transfer``: the whole book capital moves to the receiving member; no money moves.
    """
    member = get_member(session, club, code)
    not_in_future(date, today)
    lifecycle(session, club).check_membership_change(date)
    if member.left_on is not None:
        raise MemberAlreadyLeft(member=code, date=member.left_on.isoformat())
    if not member.active_on(date):
        raise MemberNotActive(member=code, date=date.isoformat(), joined=member.joined.isoformat(),
                              left="")
    last_movement = session.execute(select(func.max(CapitalMovement.date)).where(
        CapitalMovement.member_id == member.id)).scalar_one_or_none()
    if last_movement is not None and last_movement > date:
        # The share is valued on the departure date: later savings would stay unsettled.
        raise LaterOperationsExist(member=code, date=date.isoformat(),
                                   last=last_movement.isoformat())
    if settlement == "transfer" and to is None:
        raise TransferTargetRequired()
    if settlement != "transfer" and to is not None:
        raise TransferTargetUnexpected()
    target = None
    if to is not None:
        if to == code:
            raise TransferToSelf(member=code)
        target = get_member(session, club, to)
        if not target.active_on(date):
            raise MemberNotActive(member=to, date=date.isoformat(),
                                  joined=target.joined.isoformat(),
                                  left=f", left {target.left_on.isoformat()}"
                                  if target.left_on else "")
    if not deceased:  # a death is a fact, not a choice: it is always recorded
        check_enough_members(session, club, date, Msg(N_("a voluntary departure")))

    table = positions(session, club, date)
    position = table.by_code()[code]
    # Exact accounts: a prefix query for M1 would also sum M10, M11...
    capital = -account_balance(session, club.book_id, f"1011-{code}", date)
    allotted = -account_balance(session, club.book_id, f"1018-{code}", date)
    label_who = "décès" if deceased else "départ"
    entries: list[PostedEntry] = []
    if settlement == "transfer":
        assert target is not None
        lines = [Line(f"1011-{code}", capital), Line(f"1011-{to}", -capital)]
        if not allotted.is_zero():
            lines += [Line(f"1018-{code}", allotted), Line(f"1018-{to}", -allotted)]
        lines = [ln for ln in lines if not ln.amount.is_zero()]
        if lines:
            entries.append(post_entry(session, club.book_id, EntryDraft(
                "OD", date, f"Cession de la part de {code} à {to} ({label_who})", tuple(lines))))
        movement_entry = entries[0].id if entries else None
        if movement_entry is not None:
            _movement(session, club, member, date, "transfer", capital, entries[0].id,
                      counterpart=target)
        value = position.value
    else:
        value = position.value
        if settlement == "payout":
            # Payouts leave from the current account; money on the livret must be moved first.
            cash = account_balance(session, club.book_id, chart.BANK_ACCOUNT, date)
            if value > cash:
                raise NotEnoughCash(member=code, amount=value.plain(), cash=cash.plain(),
                                    date=date.isoformat())
        difference = value - capital - allotted  # the member's part of retained results
        lines = [Line(f"1011-{code}", capital), Line(f"1018-{code}", allotted)]
        if difference.cents > 0:
            lines.append(Line(chart.RETAINED_PROFIT_ACCOUNT, difference))
        elif difference.cents < 0:
            lines.append(Line(chart.RETAINED_LOSS_ACCOUNT, difference))
        lines.append(Line(f"4567-{code}", -value))
        lines = [ln for ln in lines if not ln.amount.is_zero()]
        if len(lines) >= 2:
            entries.append(post_entry(session, club.book_id, EntryDraft(
                "OD", date, f"Sortie de {code} ({label_who}) – part à régler", tuple(lines))))
            _movement(session, club, member, date, "redemption", max(capital, Money(0)),
                      entries[-1].id)
        if settlement == "payout" and value.cents > 0:
            entries.append(post_entry(session, club.book_id, EntryDraft(
                "BQ", date, f"Remboursement de {code}",
                (Line(f"4567-{code}", value), Line(chart.BANK_ACCOUNT, -value)))))
    session.execute(update(Member).where(Member.id == member.id).values(
        left_on=date, settlement=settlement, deceased=deceased,
        transfer_to_id=target.id if target is not None else None))
    # The share is settled: the member's part of open investments passes on (domain.md §3).
    keys.pass_on(session, club, member, date, target)
    return Departure(code, date, settlement, value, tuple(entries))


def _movement(session: Session, club: Club, member: Member, date: dt.date, kind: str,
              amount: Money, entry_id: int, counterpart: Member | None = None) -> None:
    session.execute(insert(CapitalMovement).values(
        club_id=club.id, member_id=member.id, date=date, kind=kind, amount_cents=amount.cents,
        counterpart_id=counterpart.id if counterpart else None, entry_id=entry_id))


@dataclass(frozen=True, slots=True)
class MemberRow:
    code: str
    name: str
    joined: dt.date
    left: dt.date | None
    deceased: bool
    monthly: Money
    paid: Money  # total savings paid up to the date
    contributed: Money
    book_capital: Money
    share_text: str
    value: Money
    units: str | None


def member_table(session: Session, club: Club, as_of: dt.date) -> tuple[SharesTable,
                                                                       list[MemberRow]]:
    from cigales.shares import share_text

    table = positions(session, club, as_of)
    by_code = table.by_code()
    paid = dict(session.execute(
        select(Member.code, func.coalesce(func.sum(CapitalMovement.amount_cents), 0))
        .join(CapitalMovement, CapitalMovement.member_id == Member.id)
        # Paid in to date: savings, and the total a switchover brought in at D.
        .where(Member.club_id == club.id, CapitalMovement.kind.in_(("saving", "opening")),
               CapitalMovement.date <= as_of)
        .group_by(Member.code)).all())
    rows = []
    for member, name in session.execute(
        select(Member, MemberIdentity.name)
        .join(MemberIdentity, MemberIdentity.member_id == Member.id)
        .where(Member.club_id == club.id, Member.joined <= as_of)
        .order_by(Member.code)
    ).all():
        p = by_code[member.code]
        left = member.left_on if member.left_on is not None and member.left_on <= as_of else None
        rows.append(MemberRow(
            member.code, name, member.joined, left, member.deceased and left is not None,
            Money(member.monthly_cents), Money(int(paid.get(member.code, 0))), p.contributed,
            p.book_capital, share_text(p.share), p.value,
            share_text(p.units, 4) if p.units is not None else None))
    return table, rows
