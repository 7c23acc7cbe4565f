"""Accounts of the web space: invitations, passwords (Argon2id), sign-in with throttling, roles.

Used by ``cigales web invite|users|revoke`` and by the web application alike, so the rules are
the same whichever door a treasurer uses. Like every service, nothing here commits.

- Passwords are hashed with argon2-cffi's ``PasswordHasher`` (Argon2id, its RFC 9106 "low
  memory" profile); neither the password nor the invitation token is ever stored or logged:
  only the hash of each.
- The password rule follows NIST SP 800-63B: a minimum length, no composition rules, and a
  check against known and guessable passwords, which zxcvbn ships (frequency lists of leaked
  passwords, names and words) and scores.
- Sign-in is throttled per account and per address: after ``MAX_FAILURES`` failures in
  ``WINDOW``, further attempts are refused until the oldest failure leaves the window. An
  unknown account and a wrong password get the same error (and the same Argon2 work).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cigales.errors import CigalesError
from cigales.models import Club, Member, MemberIdentity
from cigales.services.clubs import get_club
from cigales.services.members import get_member
from cigales.webmodels import WebAccount, WebAudit, WebInvitation, WebRole, WebSignInFailure
from ledger.errors import N_
from ledger.limits import control_character, visible

INVITATION_DAYS = 7
MIN_PASSWORD = 12
MAX_PASSWORD = 256
MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)

_hasher = PasswordHasher()
# Verified against when the account does not exist, so that an unknown e-mail costs the same
# time as a wrong password and cannot be told apart.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class InvalidEmail(CigalesError):
    code = "invalid_email"
    template = N_("“{email}” is not an e-mail address.")


class EmailRequired(CigalesError):
    code = "email_required"
    template = N_("Member {member} has no recorded e-mail address: give one with --email.")


class EmailMissing(CigalesError):
    code = "email_required"
    template = N_("Give the e-mail address of the account (--email).")


class RoleRequired(CigalesError):
    code = "role_required"
    template = N_("Say whom to invite: --member CODE or --treasurer (with --club), --region R, "
                  "or --federation.")


class InvitationInvalid(CigalesError):
    code = "invitation_invalid"
    template = N_("This invitation link is unknown, already used or expired (links are valid "
                  "{days} days): ask the treasurer for a new one.")


class PasswordTooShort(CigalesError):
    code = "password_too_short"
    template = N_("The password must have at least {minimum} characters (at most {maximum}); "
                  "a sentence of several words is easy to remember.")


class PasswordTooCommon(CigalesError):
    code = "password_too_common"
    template = N_("This password is too easy to guess (common password, word or pattern): "
                  "choose another one, for example several unrelated words.")


class PasswordsDiffer(CigalesError):
    code = "passwords_differ"
    template = N_("The two passwords differ.")


class SignInFailed(CigalesError):
    code = "sign_in_failed"
    template = N_("Wrong e-mail address or password.")


class SignInThrottled(CigalesError):
    code = "sign_in_throttled"
    template = N_("Too many failed sign-ins: try again in {minutes} minutes.")


class UnknownAccount(CigalesError):
    code = "unknown_account"
    template = N_("There is no web account for “{email}”.")


@dataclass(frozen=True, slots=True)
class Role:
    kind: str
    club: str | None = None  # slug
    member: str | None = None  # code
    region: str | None = None

    def label(self) -> str:
        return ":".join(p for p in (self.kind, self.club, self.member, self.region) if p)


@dataclass(frozen=True, slots=True)
class Invitation:
    email: str
    token: str  # the secret part of the link; shown once
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AccountSummary:
    email: str
    roles: tuple[Role, ...]
    status: str  # active | invited | revoked
    created_at: dt.datetime


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes: everything stored here is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    local, _at, domain = value.partition("@")
    # Control characters (ESC sequences, NUL) are no more an address than spaces are.
    if not local or "." not in domain or any(c.isspace() for c in value) or len(value) > 200 \
            or control_character(value) is not None:
        raise InvalidEmail(email=visible(email))  # never echo an escape sequence back
    return value


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def audit(session: Session, action: str, outcome: str, *, account: WebAccount | None = None,
          email: str | None = None, target: str | None = None,
          address: str | None = None) -> None:
    session.add(WebAudit(at=now(), account_id=account.id if account else None,
                         email=account.email if account else email, action=action,
                         target=target, outcome=outcome, address=address))


def _role_row(session: Session, account: WebAccount, role: Role) -> WebRole:
    club = get_club(session, role.club) if role.club else None
    member = get_member(session, club, role.member) if club and role.member else None
    return WebRole(account_id=account.id, kind=role.kind, club_id=club.id if club else None,
                   member_id=member.id if member else None, region=role.region)


def member_email(session: Session, slug: str, code: str) -> str | None:
    club = get_club(session, slug)
    member = get_member(session, club, code)
    identity = session.get(MemberIdentity, member.id)
    return identity.email if identity is not None and identity.erased_on is None else None


def role_from_options(*, club: str | None, member: str | None, treasurer: bool,
                      region: str | None, federation: bool) -> Role:
    chosen = [bool(member), treasurer, bool(region), federation]
    if sum(chosen) != 1 or ((member or treasurer) and not club):
        raise RoleRequired()
    if member:
        return Role("member", club=club, member=member)
    if treasurer:
        return Role("treasurer", club=club)
    if region:
        return Role("region", region=region)
    return Role("federation")


def invite(session: Session, role: Role, *, email: str | None, by: WebAccount | None = None,
           address: str | None = None) -> Invitation:
    """Give ``role`` to the account of ``email`` (created if new) and issue a one-time link.

    Inviting an existing account again is how a password is reset: earlier unused links are
    cancelled, and the password stays until the new link is used.
    """
    if email is None:
        if role.kind != "member" or not role.club or not role.member:
            raise EmailMissing()
        email = member_email(session, role.club, role.member)
        if not email:
            raise EmailRequired(member=role.member)
    address_ = normalize_email(email)
    account = session.execute(select(WebAccount).where(WebAccount.email == address_)
                              ).scalar_one_or_none()
    if account is None:
        account = WebAccount(email=address_, created_at=now(), epoch=0)
        session.add(account)
        session.flush()
    elif account.revoked_at is not None:
        account.revoked_at = None
        account.epoch += 1
    wanted = _role_row(session, account, role)
    exists = session.execute(select(WebRole.id).where(
        WebRole.account_id == account.id, WebRole.kind == wanted.kind,
        _eq(WebRole.club_id, wanted.club_id), _eq(WebRole.member_id, wanted.member_id),
        _eq(WebRole.region, wanted.region))).first()
    if exists is None:
        session.add(wanted)
    moment = now()
    session.execute(delete(WebInvitation).where(WebInvitation.account_id == account.id,
                                                WebInvitation.used_at.is_(None)))
    token = secrets.token_urlsafe(32)
    expires = moment + dt.timedelta(days=INVITATION_DAYS)
    session.add(WebInvitation(account_id=account.id, token_hash=token_hash(token),
                              created_at=moment, expires_at=expires))
    audit(session, "invite", "ok", account=by, email=None if by else "cli",
          target=f"{address_} {role.label()}", address=address)
    session.flush()
    return Invitation(address_, token, expires)


def _eq(column: Any, value: object) -> Any:
    return column.is_(None) if value is None else column == value


def _open_invitation(session: Session, token: str) -> tuple[WebInvitation, WebAccount]:
    row = session.execute(select(WebInvitation, WebAccount)
                          .join(WebAccount, WebAccount.id == WebInvitation.account_id)
                          .where(WebInvitation.token_hash == token_hash(token))).first()
    if row is None:
        raise InvitationInvalid(days=INVITATION_DAYS)
    invitation, account = row
    if invitation.used_at is not None or _utc(invitation.expires_at) <= now() \
            or account.revoked_at is not None:
        raise InvitationInvalid(days=INVITATION_DAYS)
    return invitation, account


def invitation_email(session: Session, token: str) -> str:
    return _open_invitation(session, token)[1].email


def check_password(password: str, confirm: str, email: str) -> None:
    if password != confirm:
        raise PasswordsDiffer()
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise PasswordTooShort(minimum=MIN_PASSWORD, maximum=MAX_PASSWORD)
    from zxcvbn import zxcvbn

    # zxcvbn only looks at the first 100 characters (its own limit, for speed).
    if zxcvbn(password[:100], user_inputs=[email, email.split("@", maxsplit=1)[0],
                                           "cigales", "cigale"])["score"] < 3:
        raise PasswordTooCommon()


def accept_invitation(session: Session, token: str, password: str, confirm: str, *,
                      address: str | None = None) -> WebAccount:
    invitation, account = _open_invitation(session, token)
    check_password(password, confirm, account.email)
    account.password_hash = _hasher.hash(password)
    account.epoch += 1
    invitation.used_at = now()
    audit(session, "accept_invitation", "ok", account=account, address=address)
    return account


def change_password(session: Session, account: WebAccount, current: str, password: str,
                    confirm: str, *, address: str | None = None) -> None:
    if not _verify(account.password_hash, current):
        audit(session, "change_password", "wrong_password", account=account, address=address)
        raise SignInFailed()
    check_password(password, confirm, account.email)
    account.password_hash = _hasher.hash(password)
    account.epoch += 1
    audit(session, "change_password", "ok", account=account, address=address)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def throttled_for(session: Session, email: str, address: str) -> dt.timedelta | None:
    """How long sign-in stays closed for this account or address (None: open)."""
    moment = now()
    cutoff = moment - WINDOW
    oldest = []
    for column, value in ((WebSignInFailure.email, email),
                          (WebSignInFailure.address, address)):
        times = session.execute(select(WebSignInFailure.at).where(
            column == value, WebSignInFailure.at > cutoff)
            .order_by(WebSignInFailure.at.desc()).limit(MAX_FAILURES)).scalars().all()
        if len(times) >= MAX_FAILURES:
            oldest.append(_utc(times[-1]))
    if not oldest:
        return None
    return max(o + WINDOW - moment for o in oldest)


def sign_in(session: Session, email: str, password: str, *, address: str) -> WebAccount:
    """The account, or SignInFailed / SignInThrottled (the failure is recorded either way).

    The caller must commit even when this raises, so that the failure counts: use
    ``record_failure`` in a transaction of its own.
    """
    key = email.strip().lower()[:200]
    wait = throttled_for(session, key, address)
    if wait is not None:
        raise SignInThrottled(minutes=max(1, -(-int(wait.total_seconds()) // 60)))
    account = session.execute(select(WebAccount).where(WebAccount.email == key)
                              ).scalar_one_or_none()
    stored = account.password_hash if account is not None and account.revoked_at is None \
        else None
    if not _verify(stored, password):
        raise SignInFailed()
    assert account is not None
    if _hasher.check_needs_rehash(account.password_hash or ""):
        account.password_hash = _hasher.hash(password)
    audit(session, "sign_in", "ok", account=account, address=address)
    return account


def record_failure(session: Session, email: str, address: str, code: str) -> None:
    key = email.strip().lower()[:200]
    if code == SignInFailed.code:
        session.add(WebSignInFailure(at=now(), email=key, address=address))
    # Old failures no longer count: keep the table small.
    session.execute(delete(WebSignInFailure).where(WebSignInFailure.at < now() - 2 * WINDOW))
    audit(session, "sign_in", code, email=key, address=address)


def roles_of(session: Session, account_id: int) -> tuple[Role, ...]:
    rows = session.execute(
        select(WebRole.kind, Club.slug, Member.code, WebRole.region)
        .outerjoin(Club, Club.id == WebRole.club_id)
        .outerjoin(Member, Member.id == WebRole.member_id)
        .where(WebRole.account_id == account_id)
        .order_by(WebRole.kind, Club.slug, Member.code, WebRole.region)).all()
    return tuple(Role(kind, club, member, region) for kind, club, member, region in rows)


def active_account(session: Session, account_id: int, epoch: int) -> WebAccount | None:
    account = session.get(WebAccount, account_id)
    if account is None or account.revoked_at is not None or account.epoch != epoch \
            or account.password_hash is None:
        return None
    return account


def list_users(session: Session, club: str | None = None) -> list[AccountSummary]:
    query = select(WebAccount).order_by(WebAccount.email)
    if club is not None:
        club_id = get_club(session, club).id
        query = query.where(WebAccount.id.in_(
            select(WebRole.account_id).where(WebRole.club_id == club_id)))
    out = []
    for account in session.execute(query).scalars():
        roles = roles_of(session, account.id)
        if club is not None:
            roles = tuple(r for r in roles if r.club == club)
        status = "revoked" if account.revoked_at is not None else (
            "active" if account.password_hash else "invited")
        out.append(AccountSummary(account.email, roles, status, _utc(account.created_at)))
    return out


def revoke(session: Session, email: str, *, club: str | None = None,
           by: WebAccount | None = None, address: str | None = None) -> int:
    """Remove the account's roles in ``club`` (or close the account when no club is given).

    Returns the number of roles removed. Sessions end at once either way (epoch bump).
    """
    key = normalize_email(email)
    account = session.execute(select(WebAccount).where(WebAccount.email == key)
                              ).scalar_one_or_none()
    if account is None:
        raise UnknownAccount(email=email)
    query = select(WebRole).where(WebRole.account_id == account.id)
    if club is not None:
        query = query.where(WebRole.club_id == get_club(session, club).id)
    removed = list(session.execute(query).scalars())
    for role in removed:
        session.delete(role)
    if club is None:
        account.revoked_at = now()
        session.execute(delete(WebInvitation).where(WebInvitation.account_id == account.id,
                                                    WebInvitation.used_at.is_(None)))
    account.epoch += 1
    audit(session, "revoke", "ok", account=by, email=None if by else "cli",
          target=f"{key} {club or '*'}", address=address)
    return len(removed)




DEMO_MEMBER_EMAIL = "membre@{slug}.demo.invalid"
DEMO_TREASURER_EMAIL = "tresorier@{slug}.demo.invalid"


def demo_accounts(session: Session, club: Club, today: dt.date) -> list[tuple[str, str, Role]]:
    """A member account (the first active member) and a treasurer account for a demo club,
    with fresh random passwords, returned once to be printed (only their hashes are kept).
    Running it again gives new passwords."""
    member = session.execute(
        select(Member.code).where(Member.club_id == club.id, Member.joined <= today,
                                  (Member.left_on.is_(None)) | (Member.left_on > today))
        .order_by(Member.code)).scalars().first()
    wanted = [(DEMO_TREASURER_EMAIL.format(slug=club.slug), Role("treasurer", club=club.slug))]
    if member is not None:
        wanted.insert(0, (DEMO_MEMBER_EMAIL.format(slug=club.slug),
                          Role("member", club=club.slug, member=member)))
    out = []
    for email, role in wanted:
        password = secrets.token_urlsafe(15)
        invitation = invite(session, role, email=email)
        accept_invitation(session, invitation.token, password, password)
        out.append((invitation.email, password, role))
    return out
