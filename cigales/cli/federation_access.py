"""`cigales federation grant|revoke|grants`: database roles on a shared PostgreSQL server.

Thin commands over ``cigales.federation.access``; run them as the owner of the tables (the
role that ran the migrations) or a superuser. SQLite has no roles: the commands refuse it
with ``access_control_needs_postgresql`` and leave the file untouched.
"""

from __future__ import annotations

from typing import Any

import typer

from cigales.cli import common
from cigales.cli.output import Column, emit
from cigales.federation import access
from cigales.i18n import _, ngettext
from cigales.services.clubs import get_club


def _scope(club: str | None, region: str | None, federation: bool) -> None:
    if sum((club is not None, region is not None, federation)) != 1:
        raise access.GrantScopeRequired()


def _role_option() -> Any:
    return typer.Option(..., "--role", help=_("Database role (a plain lower-case name, "
                                              "created beforehand with CREATE ROLE)."))


def register(federation_app: typer.Typer) -> None:
    @federation_app.command("grant", help=_("Shared PostgreSQL server: give a database role "
                                            "read/write access to one club only (--club), "
                                            "read access to one region's aggregates (--region), "
                                            "or to every club's aggregates (--federation). "
                                            "Enforced by PostgreSQL itself."))
    def grant(
        ctx: typer.Context,
        club: str = typer.Option(None, "--club", help=_("The club's identifier (slug).")),
        region: str = typer.Option(None, "--region", help=_(
            "Aggregates of this region's clubs only (the name given to the clubs), small "
            "cells withheld.")),
        federation: bool = typer.Option(False, "--federation",
                                        help=_("Aggregates of every club, no personal data.")),
        role: str = _role_option(),
    ) -> None:
        _scope(club, region, federation)
        access.validate_role(role)
        with common.session(ctx) as s:
            access.require_postgresql(s)
            if club is not None:
                the_club = get_club(s, club)
                name = the_club.name
                access.grant_club(s, the_club, role)
            elif region is not None:
                access.grant_region(s, region, role)
            else:
                access.grant_federation(s, role)
        if club is not None:
            print(_("Role {role} can now read and write the club “{club}”, and no other.")
                  .format(role=role, club=name))
        elif region is not None:
            print(_("Role {role} can now read the aggregates of the region “{region}”, and "
                    "nothing else.").format(role=role, region=region))
        else:
            print(_("Role {role} can now read the federation aggregates, and nothing else.")
                  .format(role=role))

    @federation_app.command("revoke", help=_("Take back a role's access: to one club "
                                             "(--club), to one region (--region), or "
                                             "everything granted (with neither)."))
    def revoke(
        ctx: typer.Context,
        club: str = typer.Option(None, "--club", help=_("Only this club (slug).")),
        region: str = typer.Option(None, "--region", help=_("Only this region.")),
        role: str = _role_option(),
    ) -> None:
        if club is not None and region is not None:
            raise access.GrantScopeRequired()
        access.validate_role(role)
        with common.session(ctx) as s:
            access.require_postgresql(s)
            removed = access.revoke(s, role, get_club(s, club) if club is not None else None,
                                    region=region)
        if not removed:
            common.notice(_("Role {role} had no such access: nothing changed.").format(role=role))
            return
        print(ngettext("Access taken back from {role}: {count} grant.",
                       "Access taken back from {role}: {count} grants.", len(removed)).format(
            role=role, count=len(removed)))

    @federation_app.command("grants", help=_("List the roles given access, and to what."))
    def grants(
        ctx: typer.Context,
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
        with common.session(ctx, write=False) as s:
            access.require_postgresql(s)
            rows = [g.as_dict() for g in access.list_grants(s)]
        emit(format,
             columns=[Column("role", _("Role")), Column("scope", _("Access")),
                      Column("club", _("Club")), Column("region", _("Region"))],
             rows=rows, payload=rows, output=output, title=_("Database roles"))
