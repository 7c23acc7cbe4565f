"""A member's personal data held by the bank import: IBANs and the bank lines about them.

Bank lines are free text written by banks ("VIR SEPA M BRUNO MOREL ..."): a member's name can
sit in the lines booked as their savings, and in lines that were never matched to them (a
transfer left in suspense). Erasure removes the member's IBANs and redacts the text of every
line booked to them or naming them; the amounts, dates and the entries that booked the lines
stay, so the books and the bank reconciliation still add up. Entry labels never copied the
bank's text for savings (``cigales.bank.lines.reference_text``), so no sealed entry holds it.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from cigales.bank.models import BankLineRow, MemberBankAccount
from cigales.models import Club, Member
from ledger.money import Money

REDACTED = "[erased]"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _name_parts(name: str) -> list[str]:
    # Every part of at least three letters: banks write "M BRUNO MOREL", "MOREL B." ...
    return [p for p in _fold(name).replace("-", " ").split() if len(p) >= 3]


def _lines(session: Session, club: Club, member: Member, name: str) -> list[BankLineRow]:
    parts = _name_parts(name)
    found = []
    for row in session.execute(select(BankLineRow).where(BankLineRow.club_id == club.id)
                               .order_by(BankLineRow.date, BankLineRow.id)).scalars():
        text = _fold(" ".join(filter(None, (row.label, row.raw_label, row.reference))))
        words = set(text.replace("-", " ").split())
        booked_to = ((row.kind == "saving" and row.target == member.code)
                     or (row.assigned_kind == "saving" and row.assigned_target == member.code))
        if booked_to or any(p in words for p in parts):
            found.append(row)
    return found


def export(session: Session, club: Club, member: Member, name: str) -> dict[str, Any]:
    ibans = session.execute(select(MemberBankAccount.iban).where(
        MemberBankAccount.member_id == member.id).order_by(MemberBankAccount.iban)).scalars()
    return {
        "ibans": list(ibans),
        "bank_lines": [
            {"date": r.date.isoformat(), "amount": Money(r.amount_cents).plain(),
             "label": r.label, "raw_label": r.raw_label, "reference": r.reference,
             "booked_as": r.assigned_kind or r.kind}
            for r in _lines(session, club, member, name)
        ],
    }


def erase(session: Session, club: Club, member: Member, name: str) -> None:
    session.execute(delete(MemberBankAccount).where(MemberBankAccount.member_id == member.id))
    ids = [r.id for r in _lines(session, club, member, name)]
    if ids:
        session.execute(update(BankLineRow).where(BankLineRow.id.in_(ids)).values(
            label=REDACTED, raw_label=None, reference=None)
            .execution_options(synchronize_session=False))
