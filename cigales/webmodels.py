"""Tables of the web space (migration 0007): accounts, roles, invitations, throttling, audit.

They sit on the club's metadata so that roles can point at clubs and members, but nothing in
the books points at them: the web space can be dropped without touching the ledger.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.schema import Base

ROLE_KINDS = ("member", "treasurer", "region", "federation")


class WebAccount(Base):
    __tablename__ = "web_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    # Argon2id encoded hash; NULL until the invitation is accepted.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Bumped on each password change and revocation: session cookies carry the epoch they
    # were issued under, so older sessions stop working at once.
    epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebRole(Base):
    __tablename__ = "web_role"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("web_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    club_id: Mapped[int | None] = mapped_column(ForeignKey("club.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    region: Mapped[str | None] = mapped_column(String(100))


class WebInvitation(Base):
    __tablename__ = "web_invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("web_account.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSignInFailure(Base):
    __tablename__ = "web_sign_in_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    email: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(64))


class WebAudit(Base):
    __tablename__ = "web_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    account_id: Mapped[int | None] = mapped_column(Integer)
    email: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
