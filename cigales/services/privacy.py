"""Members' personal data: export it to the member, erase it when the law allows.

Personal data lives in ``member_identity`` (name, e-mail, address) and, from the bank import,
in ``member_bank_account`` (IBANs) and the text of bank lines (``bank_privacy``); the books
carry member codes. Erasure replaces the identity with a tombstone and leaves every entry, capital
movement and key untouched, so the accounts still add up and the hash chain still verifies.
It is refused while the member is still in a club that has not closed, and until
``club.retention_years`` (default 10) after the club closed: accounting records and the tax
papers built from them must be kept that long (Code de commerce art. L123-22; the retention
is a club setting).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cigales.errors import CigalesError
from cigales.models import CapitalMovement, Club, MemberIdentity
from cigales.phases import add_years
from cigales.services import bank_privacy
from cigales.services.lifecycle import lifecycle
from cigales.services.members import get_member
from cigales.shares import positions, share_text
from ledger.errors import N_
from ledger.money import Money

EXPORT_FORMAT = "cigales-member-data/1"
TOMBSTONE = "[erased]"


class MemberStillInClub(CigalesError):
    code = "member_still_in_club"
    template = N_("{member} is still a member of “{club}”: only a member who has left can be "
                  "erased.")


class RetentionApplies(CigalesError):
    code = "retention_applies"
    template = N_("{member}'s identity must be kept until {until} ({years} years after the club "
                  "closed on {closed}); it can be erased from that date.")


class ClubNotClosed(RetentionApplies):
    template = N_("“{club}” has not closed: identities are kept until {years} years after the "
                  "club closes, so {member} cannot be erased yet.")


class AlreadyErased(CigalesError):
    code = "member_already_erased"
    template = N_("{member}'s identity was already erased on {date}.")


def _identity(session: Session, member_id: int) -> MemberIdentity:
    return session.execute(select(MemberIdentity).where(
        MemberIdentity.member_id == member_id)).scalar_one()


def export_member(session: Session, club: Club, code: str, today: dt.date) -> dict[str, Any]:
    """Everything the club holds about one member, as a JSON-ready dictionary."""
    member = get_member(session, club, code)
    identity = _identity(session, member.id)
    movements = session.execute(
        select(CapitalMovement).where(CapitalMovement.member_id == member.id)
        .order_by(CapitalMovement.date, CapitalMovement.id)).scalars()
    position = positions(session, club, today).by_code().get(code)
    return {
        "format": EXPORT_FORMAT,
        "exported": today.isoformat(),
        "club": {"slug": club.slug, "name": club.name},
        "member": {"code": member.code, "joined": member.joined.isoformat(),
                   "left": member.left_on.isoformat() if member.left_on else None,
                   "settlement": member.settlement, "deceased": member.deceased,
                   "monthly_plan": Money(member.monthly_cents).plain(),
                   "transfer_reference": f"CIG-{member.code}"},
        "identity": {"name": identity.name, "email": identity.email,
                     "address": identity.address,
                     "erased_on": identity.erased_on.isoformat() if identity.erased_on else None},
        "capital_movements": [{"date": m.date.isoformat(), "kind": m.kind,
                               "amount": Money(m.amount_cents).plain()} for m in movements],
        "position": None if position is None else {
            "as_of": today.isoformat(), "contributed": position.contributed.plain(),
            "share": share_text(position.share), "value": position.value.plain()},
        # IBANs and the bank lines booked to the member or naming them (issue #14).
        **bank_privacy.export(session, club, member, identity.name),
    }


def check_erasable(session: Session, club: Club, code: str, today: dt.date) -> MemberIdentity:
    """The identity row, if the law and the club's setting allow erasing it today."""
    member = get_member(session, club, code)
    identity = _identity(session, member.id)
    if identity.erased_on is not None:
        raise AlreadyErased(member=code, date=identity.erased_on.isoformat())
    closure = lifecycle(session, club).closure
    # A closed club has no members left: its liquidation paid everyone out.
    if closure is None and (member.left_on is None or member.left_on > today):
        raise MemberStillInClub(member=code, club=club.name, slug=club.slug)
    years = club.retention_years
    if closure is None:
        raise ClubNotClosed(member=code, club=club.name, slug=club.slug, years=str(years))
    until = add_years(closure.date, years)
    if today < until:
        raise RetentionApplies(member=code, until=until.isoformat(), years=str(years),
                               closed=closure.date.isoformat())
    return identity


def erase_member(session: Session, club: Club, code: str, today: dt.date) -> dt.date:
    """Replace the member's identity with a tombstone; returns the erasure date."""
    identity = check_erasable(session, club, code, today)
    # Bank data first: finding the lines that name the member needs the name.
    bank_privacy.erase(session, club, get_member(session, club, code), identity.name)
    identity.name = TOMBSTONE
    identity.email = None
    identity.address = None
    identity.erased_on = today
    session.flush()
    return today
