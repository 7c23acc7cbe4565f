"""Members' statements sent by e-mail (standard library ``smtplib`` and ``email``).

Settings come from environment variables, optionally completed by a TOML file named by
``CIGALES_SMTP_CONFIG`` (an ``[smtp]`` table with the same keys in lower case, without the
prefix). The password is read from the environment only, never from a file that might be
copied or shared with the database.

    CIGALES_SMTP_HOST       the server, e.g. smtp.example.org (required)
    CIGALES_SMTP_PORT       default 587 with starttls, 465 with ssl, 25 with none
    CIGALES_SMTP_SECURITY   starttls (default), ssl or none
    CIGALES_SMTP_USER       login, if the server asks for one
    CIGALES_SMTP_PASSWORD   its password (environment only)
    CIGALES_SMTP_FROM       the sender address, e.g. tresorier@les-fourmis.fr (required)

What was sent is recorded per member and year (``statement_mailing``) so that running the
command again sends nothing twice unless asked (``--resend``).
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import ssl
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cigales import i18n
from cigales.errors import CigalesError
from cigales.models import Club, Member, MemberIdentity, StatementMailing
from ledger.errors import N_

SECURITY = ("starttls", "ssl", "none")
_DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
_KEYS = ("host", "port", "security", "user", "from")


class SmtpNotConfigured(CigalesError):
    code = "smtp_not_configured"
    template = N_("Sending e-mail needs {missing}: set CIGALES_SMTP_HOST and CIGALES_SMTP_FROM "
                  "(and CIGALES_SMTP_USER / CIGALES_SMTP_PASSWORD if the server asks for a "
                  "login), or name a settings file in CIGALES_SMTP_CONFIG; see docs/cli.md.")
    exit_code = 2


class SmtpSettingInvalid(CigalesError):
    code = "smtp_setting_invalid"
    template = N_("E-mail setting {name} = “{value}” cannot be used: {allowed}.")
    exit_code = 2


class SmtpPasswordInFile(CigalesError):
    code = "smtp_password_in_file"
    template = N_("{path} holds a password: remove it and set CIGALES_SMTP_PASSWORD in the "
                  "environment instead (a settings file gets copied and shared).")
    exit_code = 2


class SmtpUnavailable(CigalesError):
    code = "smtp_unavailable"
    template = N_("Cannot send through {host}:{port}: {reason}. Nothing was sent.")


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str


def settings(environ: Mapping[str, str] | None = None) -> SmtpSettings:
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    config = env.get("CIGALES_SMTP_CONFIG")
    if config:
        try:
            table = tomllib.loads(Path(config).read_text(encoding="utf-8")).get("smtp", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SmtpSettingInvalid(name="CIGALES_SMTP_CONFIG", value=config,
                                     allowed=str(exc)) from exc
        if "password" in table:
            raise SmtpPasswordInFile(path=config)
        values.update({k: str(v) for k, v in table.items() if k in _KEYS})
    # The environment wins over the file.
    values.update({k: env[f"CIGALES_SMTP_{k.upper()}"] for k in _KEYS
                   if env.get(f"CIGALES_SMTP_{k.upper()}")})
    missing = [f"CIGALES_SMTP_{k.upper()}" for k in ("host", "from") if not values.get(k)]
    if missing:
        raise SmtpNotConfigured(missing=", ".join(missing))
    security = values.get("security", "starttls").lower()
    if security not in SECURITY:
        raise SmtpSettingInvalid(name="CIGALES_SMTP_SECURITY", value=security,
                                 allowed=", ".join(SECURITY))
    port_text = values.get("port", str(_DEFAULT_PORTS[security]))
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SmtpSettingInvalid(name="CIGALES_SMTP_PORT", value=port_text,
                                 allowed="1–65535")
    return SmtpSettings(values["host"], int(port_text), security, values.get("user") or None,
                        env.get("CIGALES_SMTP_PASSWORD") or None, values["from"])


@dataclass(frozen=True, slots=True)
class Recipient:
    member_id: int
    code: str
    name: str
    email: str | None
    lang: str | None
    sent_on: dt.date | None  # the last time this year's statement was sent, if ever


def recipients(session: Session, club: Club, year: int) -> dict[str, Recipient]:
    """Every member's address, language and the last mailing of ``year``, by member code."""
    sent: dict[int, dt.date] = {}
    for member_id, day in session.execute(
            select(StatementMailing.member_id, StatementMailing.sent_on)
            .where(StatementMailing.club_id == club.id, StatementMailing.year == year)):
        sent[member_id] = max(day, sent.get(member_id, day))
    rows = session.execute(
        select(Member.id, Member.code, MemberIdentity.name, MemberIdentity.email,
               MemberIdentity.lang, MemberIdentity.erased_on)
        .join(MemberIdentity, MemberIdentity.member_id == Member.id)
        .where(Member.club_id == club.id)).all()
    return {code: Recipient(mid, code, name, None if erased else (email or None), lang,
                            sent.get(mid))
            for mid, code, name, email, lang, erased in rows}


def record_sent(session: Session, club: Club, recipient: Recipient, year: int,
                today: dt.date, message_id: str) -> None:
    session.add(StatementMailing(club_id=club.id, member_id=recipient.member_id, year=year,
                                 sent_on=today, message_id=message_id[:200]))
    session.flush()


def statement_message(config: SmtpSettings, *, to: Recipient, club_name: str, year: int,
                      pdf: bytes, filename: str, lang: str) -> EmailMessage:
    """One member's message, in their language, with their statement attached."""
    assert to.email is not None
    message = EmailMessage()
    with i18n.using(lang):
        message["Subject"] = i18n._("Your {year} statement – {club}").format(
            year=year, club=club_name)
        body = i18n._(
            "Hello {name},\n\n"
            "Please find attached your statement of {year} from the club {club}: what you "
            "saved, your share of the club, your part of each investment and the figures for "
            "your tax return.\n\n"
            "If something looks wrong, answer this message.\n\n"
            "The treasurer of {club}\n").format(name=to.name, year=year, club=club_name)
    message["From"] = formataddr((club_name, config.sender))
    message["To"] = formataddr((to.name, to.email))
    message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or None)
    message["Content-Language"] = lang
    message.set_content(body)
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return message


@contextmanager
def smtp_connection(config: SmtpSettings) -> Iterator[smtplib.SMTP]:
    """An open, authenticated connection; SmtpUnavailable when it cannot be had."""
    try:
        client: smtplib.SMTP
        if config.security == "ssl":
            client = smtplib.SMTP_SSL(config.host, config.port, timeout=30,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=30)
        if config.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if config.user:
            client.login(config.user, config.password or "")
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpUnavailable(host=config.host, port=config.port, reason=str(exc)) from exc
    try:
        yield client
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
