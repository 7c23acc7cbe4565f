"""`cigales member export|erase`: a member's personal data, given back or erased."""

from __future__ import annotations

import typer

from cigales import db
from cigales.cli import common
from cigales.cli.output import to_json, write
from cigales.i18n import _
from cigales.services.clubs import get_club
from cigales.services.privacy import check_erasable, erase_member, export_member


def register(member_app: typer.Typer) -> None:
    @member_app.command("export", help=_("Everything the club holds about one member, as JSON "
                                         "(identity, membership, capital movements, position): "
                                         "the member's copy of their data."))
    def member_export(
        ctx: typer.Context,
        club: str = common.club_option(),
        member: str = typer.Option(..., "--member", help=_("Member code, e.g. M01.")),
        output: str = common.output_option(),
    ) -> None:
        with common.session(ctx, write=False) as s:
            data = export_member(s, get_club(s, club), member, common.today())
        write(to_json(data), output)

    @member_app.command("erase", help=_("Replace a departed member's name and contact details "
                                        "with a tombstone, once the retention period after the "
                                        "club's closing is over; the books are not touched."))
    def member_erase(
        ctx: typer.Context,
        club: str = common.club_option(),
        member: str = typer.Option(..., "--member", help=_("Member code, e.g. M01.")),
        yes: bool = typer.Option(False, "--yes", help=_("Do not ask for confirmation.")),
    ) -> None:
        today = common.today()
        # Check every rule before asking, so that a refused erasure never asks for nothing.
        with common.session(ctx, write=False) as s:
            check_erasable(s, get_club(s, club), member, today)
        common.confirm(yes, _("Erasing the identity of {member}").format(member=member))
        with common.session(ctx) as s:
            erase_member(s, get_club(s, club), member, today)
        db.flush_to_file(common.state(ctx).get_engine())
        common.notice(_("The identity of {member} was erased; the books are unchanged.").format(
            member=member))
