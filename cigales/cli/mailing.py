"""`cigales report statement --email`: each member's statement sent to them, once per year."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence

import typer

from cigales import i18n
from cigales.cli import common
from cigales.errors import CigalesError
from cigales.i18n import _, ngettext
from cigales.services import mail
from cigales.services.clubs import get_club
from ledger.errors import NP_
from reports import fmt
from reports.data import MemberStatement
from reports.pack import statement_name


class SomeMailsFailed(CigalesError):
    code = "mails_failed"
    template = NP_("{count} of {total} statements could not be sent (see the lines above); "
                   "run the command again to retry it: those sent are not sent twice.",
                   "{count} of {total} statements could not be sent (see the lines above); "
                   "run the command again to retry them: those sent are not sent twice.")


def _line(recipient: mail.Recipient, result: str) -> str:
    address = f" <{recipient.email}>" if recipient.email else ""
    return f"{recipient.code}  {recipient.name}{address} : {result}" if i18n.language() == "fr" \
        else f"{recipient.code}  {recipient.name}{address}: {result}"


def email_statements(ctx: typer.Context, club_slug: str, year: int,
                     statements: Sequence[MemberStatement], *, lang: str | None,
                     dry_run: bool, resend: bool) -> None:
    today = common.today()
    # Settings are read first: a misconfigured server is found before anything is rendered.
    config = None if dry_run else mail.settings()
    with common.session(ctx, write=False) as s:
        people = mail.recipients(s, get_club(s, club_slug), year)
    lines: list[tuple[str, str]] = []
    pending: list[tuple[MemberStatement, mail.Recipient]] = []
    without: list[mail.Recipient] = []
    for st in statements:
        person = people[st.code]
        if person.email is None:
            without.append(person)
            lines.append((st.code, _line(person, _("no e-mail address, not sent"))))
        elif person.sent_on is not None and not resend:
            lines.append((st.code, _line(person, _("already sent on {date} (--resend to send "
                                                   "again)").format(date=fmt.date(person.sent_on)))))
        else:
            pending.append((st, person))
    failed = 0
    if dry_run:
        for st, person in pending:
            lines.append((st.code, _line(person, _("would be sent (dry run)"))))
    elif pending:
        assert config is not None
        with mail.smtp_connection(config) as client, \
                common.progress(len(pending), _("E-mails")) as step:
            for st, person in pending:
                language = person.lang or lang or i18n.language()
                from reports.pdf.statement import render_statement

                with i18n.using(language):
                    pdf = render_statement(st)
                message = mail.statement_message(
                    config, to=person, club_name=st.club.name, year=year, pdf=pdf,
                    filename=statement_name(st), lang=language)
                try:
                    client.send_message(message)
                except (smtplib.SMTPException, OSError) as exc:
                    failed += 1
                    lines.append((st.code, _line(person, _("NOT sent: {reason}").format(
                        reason=exc))))
                    continue
                finally:
                    step()
                # Recorded at once: a later failure does not make this one be sent again.
                with common.session(ctx) as s:
                    mail.record_sent(s, get_club(s, club_slug), person, year, today,
                                     str(message["Message-ID"]))
                lines.append((st.code, _line(person, _("sent"))))
    for _code, text in sorted(lines):
        print(text)
    if without:
        common.notice(ngettext("{count} member has no e-mail address: {members} (add one with "
                               "`cigales member edit --email`).",
                               "{count} members have no e-mail address: {members} (add one "
                               "with `cigales member edit --email`).", len(without)).format(
            count=fmt.count(len(without)), members=", ".join(p.code for p in without)))
    if failed:
        raise SomeMailsFailed(count=failed, total=len(pending))
