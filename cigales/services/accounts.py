"""Opening sub-accounts and custom accounts in a club's book."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cigales import chart
from cigales.errors import MemberAccountReserved
from cigales.models import Club
from ledger import errors
from ledger.limits import NAME_MAX, check_text
from ledger.schema import Account

# Digits, optionally "-" and a sub-code (member code, investee slug).
_CODE_RE = re.compile(r"^\d{2,8}(?:-[A-Za-z0-9][A-Za-z0-9._-]{0,54})?$")


@dataclass(frozen=True, slots=True)
class AccountInfo:
    code: str
    label: str
    postable: bool


def validate_code(code: str) -> str:
    if not _CODE_RE.match(code):
        raise errors.InvalidAccountCode(account=code)
    return code


def open_account(session: Session, club: Club, code: str, label: str) -> AccountInfo:
    """Open ``code`` under an existing parent; a plain code must extend a chart account."""
    validate_code(code)
    check_text(label, "label", NAME_MAX)  # the size of account.label
    if not label.strip():
        raise errors.LabelRequired()
    existing = set(
        session.execute(select(Account.code).where(Account.book_id == club.book_id)).scalars()
    )
    if code in existing:
        raise errors.DuplicateAccount(account=code)
    if chart.is_member_account(code):
        raise MemberAccountReserved(account=code)
    if "-" in code:
        parent = code.split("-", 1)[0]
    else:
        # A new general account refines the longest existing account it starts with (51211
        # under 5121) so that prefix reports keep adding up.
        candidates = [c for c in existing if "-" not in c and code.startswith(c) and c != code]
        parent = max(candidates, key=len) if candidates else code[:3]
    if parent not in existing:
        raise errors.UnknownParentAccount(account=code, parent=parent)
    session.execute(insert(Account).values(book_id=club.book_id, code=code, label=label.strip(),
                                           postable=True))
    return AccountInfo(code, label.strip(), True)


def ensure_accounts(session: Session, club: Club, accounts: list[tuple[str, str]]) -> None:
    """Open the sub-accounts that do not exist yet (used by member and investment services)."""
    existing = set(
        session.execute(
            select(Account.code).where(Account.book_id == club.book_id,
                                       Account.code.in_([c for c, _ in accounts]))
        ).scalars()
    )
    missing = [(c, label) for c, label in accounts if c not in existing]
    if missing:
        session.execute(insert(Account), [
            {"book_id": club.book_id, "code": c, "label": label, "postable": True}
            for c, label in missing
        ])


def list_accounts(session: Session, club: Club, prefix: str | None = None) -> list[AccountInfo]:
    query = select(Account.code, Account.label, Account.postable).where(
        Account.book_id == club.book_id).order_by(Account.code)
    if prefix:
        query = query.where(Account.code.startswith(prefix, autoescape=True))
    return [AccountInfo(c, label, bool(p)) for c, label, p in session.execute(query).all()]
