"""`cigales serve` and `cigales web invite|users|revoke`: the club's web space.

The web libraries (Starlette, uvicorn, argon2-cffi ...) are imported inside the commands, so
the rest of the command line starts without them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING

import typer
from sqlalchemy import select

from cigales.cli import common
from cigales.cli.output import Column, emit
from cigales.errors import UsageProblem
from cigales.i18n import _, ngettext
from ledger.errors import N_
from reports import fmt
from reports.labels import label

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEFAULT_URL = "http://127.0.0.1:8000"

ACCOUNT_STATUSES = {"active": N_("active"), "invited": N_("invited, not signed in yet"),
                    "revoked": N_("closed")}


def club_names(session: Session) -> dict[str, str]:
    """Every club's name by its slug: roles name clubs by slug, people read the name."""
    from cigales.models import Club

    return {str(slug): str(name)
            for slug, name in session.execute(select(Club.slug, Club.name)).all()}


def role_words(role: object, names: Mapping[str, str] | None = None) -> str:
    """A role as people say it: "member M01 of Les Fourmis", "treasurer of Les Fourmis"
    (the club's name from ``names``, by slug; the slug when the club is not hosted here)."""
    kind = getattr(role, "kind", "")
    club, member, region = (getattr(role, n, None) for n in ("club", "member", "region"))
    if isinstance(club, str) and names:
        club = names.get(club, club)
    if kind == "member":
        return _("member {member} of {club}").format(member=member, club=club)
    if kind == "treasurer":
        return _("treasurer of {club}").format(club=club)
    if kind == "region":
        return _("region {region}").format(region=region)
    if kind == "federation":
        return _("federation")
    return str(role.label()) if hasattr(role, "label") else str(role)


def _base_url(value: str | None) -> str:
    return (value or os.environ.get("CIGALES_WEB_URL") or DEFAULT_URL).rstrip("/")


class HostUnknown(UsageProblem):
    code = "host_unknown"
    template = N_("--host: “{host}” is not an address of this machine or a known name; "
                  "e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).")


def register(app: typer.Typer) -> None:
    web_app = typer.Typer(help=_("Accounts of the web space: invite, list, revoke."),
                          no_args_is_help=True)
    app.add_typer(web_app, name="web")

    @app.command("serve", help=_("Serve the web space (members, treasurers, region, "
                                 "federation) on HOST:PORT."))
    def serve(
        ctx: typer.Context,
        host: str = typer.Option("127.0.0.1", "--host", help=_("Address to listen on.")),
        port: int = typer.Option(8000, "--port", help=_("Port to listen on.")),
        https: bool = typer.Option(False, "--https", help=_(
            "Mark cookies Secure: the site is reached over HTTPS (behind a proxy).")),
        proxy: str = typer.Option(None, "--proxy", help=_(
            "Address of the reverse proxy whose X-Forwarded-For/-Proto headers are trusted, "
            "e.g. 127.0.0.1.")),
    ) -> None:
        import socket

        import uvicorn

        from cigales.web.app import create_app
        from ledger.limits import NumberOutOfRange

        if not 1 <= port <= 65535:
            raise NumberOutOfRange(field="--port", value=str(port), low="1", high="65535")
        try:
            socket.getaddrinfo(host, port)
        except (OSError, UnicodeError, ValueError) as exc:
            raise HostUnknown(host=host) from exc

        secret = os.environ.get("CIGALES_WEB_SECRET")
        if not secret:
            # Without a fixed secret, sessions end when the server restarts (no harm done).
            secret = secrets.token_urlsafe(32)
            common.notice(_("CIGALES_WEB_SECRET is not set: sessions end when the server "
                            "stops."))
        web = create_app(engine=common.state(ctx).get_engine(), secret=secret, https=https)
        common.notice(_("Web space on http://{host}:{port}/ (Ctrl+C to stop).").format(
            host=host, port=port))
        uvicorn.run(web, host=host, port=port, log_level="warning",
                    proxy_headers=proxy is not None, forwarded_allow_ips=proxy or None,
                    server_header=False)

    @web_app.command("invite", help=_("Invite a person: prints a one-time sign-in link valid "
                                      "7 days. Inviting an existing account again resets "
                                      "its password."))
    def web_invite(
        ctx: typer.Context,
        club: str = typer.Option(None, "--club", help=_("The club's identifier (slug).")),
        member: str = typer.Option(None, "--member", help=_("As this member of the club.")),
        treasurer: bool = typer.Option(False, "--treasurer", help=_("As a treasurer of the "
                                                                    "club.")),
        region: str = typer.Option(None, "--region", help=_("As staff of this region.")),
        federation: bool = typer.Option(False, "--federation", help=_("As federation "
                                                                      "staff.")),
        email: str = typer.Option(None, "--email", help=_(
            "Sign-in name; default the member's recorded e-mail.")),
        base_url: str = typer.Option(None, "--base-url", help=_(
            "Address of the site in the link; default $CIGALES_WEB_URL, else "
            "http://127.0.0.1:8000.")),
    ) -> None:
        from cigales.services import web_accounts

        role = web_accounts.role_from_options(club=club, member=member, treasurer=treasurer,
                                              region=region, federation=federation)
        with common.session(ctx) as s:
            invitation = web_accounts.invite(s, role, email=email)
            names = club_names(s)
        print(f"{_base_url(base_url)}/invitation/{invitation.token}")
        common.notice(_("Invitation for {email} ({role}), valid until {date}.").format(
            email=invitation.email, role=role_words(role, names),
            date=fmt.date(invitation.expires_at.date())))

    @web_app.command("users", help=_("List web accounts and their roles."))
    def web_users(
        ctx: typer.Context,
        club: str = typer.Option(None, "--club", help=_("Only the accounts of this club.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        from cigales.services import web_accounts

        common.check_format(format, dialect)
        with common.session(ctx, write=False) as s:
            users = web_accounts.list_users(s, club)
            names = club_names(s)
        rows = [{"email": u.email, "roles": " ".join(r.label() for r in u.roles),
                 "status": u.status, "created": u.created_at.date()} for u in users]
        if format == "table":
            rows = [{**row, "roles": "; ".join(role_words(r, names) for r in u.roles)}
                    for row, u in zip(rows, users, strict=True)]
        emit(format, columns=[Column("email", _("E-mail address")), Column("roles", _("Roles")),
                              Column("status", _("Status"),
                                     show=lambda v: label(ACCOUNT_STATUSES, v)),
                              Column("created", _("Created"))],
             rows=rows, payload=rows, output=output, title=_("Web accounts"))

    @web_app.command("revoke", help=_("Close a web account (or, with --club, remove its roles "
                                      "in that club); its sessions end at once."))
    def web_revoke(
        ctx: typer.Context,
        email: str = typer.Option(..., "--email", help=_("The account's e-mail address.")),
        club: str = typer.Option(None, "--club", help=_("Only the roles in this club.")),
    ) -> None:
        from cigales.services import web_accounts

        with common.session(ctx) as s:
            removed = web_accounts.revoke(s, email, club=club)
        common.notice(ngettext("{email}: {count} role removed{closed}.",
                               "{email}: {count} roles removed{closed}.", removed).format(
            email=email, count=fmt.count(removed), closed="" if club else _(", account closed")))
