"""`cigales club ...` and `cigales account ...`."""

from __future__ import annotations

import typer

from cigales.cli import common
from cigales.cli.output import Column, emit
from cigales.i18n import _
from cigales.services import accounts, clubs


def register(app: typer.Typer) -> None:
    club_app = typer.Typer(help=_("Clubs: create, list."), no_args_is_help=True)
    app.add_typer(club_app, name="club")
    account_app = typer.Typer(help=_("Accounts of a club's book."), no_args_is_help=True)
    app.add_typer(account_app, name="account")

    @club_app.command("create", help=_("Create a club and open its books with the chart of "
                                       "accounts."))
    def club_create(
        ctx: typer.Context,
        slug: str = typer.Argument(..., help=_("Identifier, e.g. les-fourmis.")),
        name: str = typer.Option(..., "--name", help=_("The club's name.")),
        founded: str = typer.Option(..., "--founded",
                                    help=_("Date the convention was signed (T0), YYYY-MM-DD.")),
        region: str = typer.Option(None, "--region", help=_("Regional association.")),
        department: str = typer.Option(None, "--department", help=_("Department number.")),
        format: str = common.format_option(),
    ) -> None:
        common.check_format(format)
        founded_on = common.require_date(founded)
        with common.session(ctx) as s:
            club = clubs.create_club(s, slug, name, founded_on, today=common.today(),
                                     region=region, department=department)
            payload = {"slug": club.slug, "name": club.name, "founded": club.founded,
                       "region": club.region, "department": club.department}
        if format == "table":
            print(_("Club “{slug}” created; books opened on {date}.").format(
                slug=slug, date=founded_on.isoformat()))
        else:
            emit(format, columns=[Column(k, k) for k in payload], rows=[payload],
                 payload=payload)

    @club_app.command("list", help=_("List the clubs in the database."))
    def club_list(
        ctx: typer.Context,
        format: str = common.format_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format)
        with common.session(ctx, write=False) as s:
            rows = [
                {"slug": c.slug, "name": c.name, "founded": c.founded, "region": c.region,
                 "department": c.department, "entries": c.entries, "cash": c.cash}
                for c in clubs.list_clubs(s)
            ]
        emit(format,
             columns=[Column("slug", _("Club")), Column("name", _("Name")),
                      Column("founded", _("Founded")), Column("region", _("Region")),
                      Column("department", _("Dept.")),
                      Column("entries", _("Entries"), numeric=True),
                      Column("cash", _("Cash"), numeric=True)],
             rows=rows, payload=rows, output=output, title=_("Clubs"))

    @account_app.command("add", help=_("Open an account or sub-account (e.g. 1011-M01)."))
    def account_add(
        ctx: typer.Context,
        club: str = common.club_option(),
        code: str = typer.Option(..., "--code", help=_("Account code, e.g. 5122 or 1011-M01.")),
        label: str = typer.Option(..., "--label", help=_("Account label.")),
    ) -> None:
        with common.session(ctx) as s:
            info = accounts.open_account(s, clubs.get_club(s, club), code, label)
        print(_("Account {code} opened.").format(code=info.code))

    @account_app.command("list", help=_("List the accounts of a club's book."))
    def account_list(
        ctx: typer.Context,
        club: str = common.club_option(),
        prefix: str = typer.Option(None, "--account", help=_("Only codes starting with this.")),
        format: str = common.format_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format)
        with common.session(ctx, write=False) as s:
            rows = [{"code": a.code, "label": a.label, "postable": a.postable}
                    for a in accounts.list_accounts(s, clubs.get_club(s, club), prefix)]
        emit(format,
             columns=[Column("code", _("Account")), Column("label", _("Label")),
                      Column("postable", _("Postable"))],
             rows=rows, payload=rows, output=output, title=_("Chart of accounts"))
