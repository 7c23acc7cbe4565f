"""`cigales export ...`: files for accountants and the tax administration."""

from __future__ import annotations

import typer

from cigales.cli import common
from cigales.cli.output import write
from cigales.i18n import _
from cigales.services.clubs import get_club
from reports.export import fec_lines, write_fec


def register(app: typer.Typer) -> None:
    export_app = typer.Typer(help=_("Exports for accountants and the tax administration."),
                             no_args_is_help=True)
    app.add_typer(export_app, name="export")

    @export_app.command("fec", help=_("The FEC file of a fiscal year (fichier des écritures "
                                      "comptables): 18 tab-separated columns."))
    def export_fec(
        ctx: typer.Context,
        club: str = common.club_option(),
        year: int = typer.Option(..., "--year", help=_("Year, e.g. 2025.")),
        output: str = common.output_option(),
    ) -> None:
        with common.session(ctx, write=False) as s:
            lines = fec_lines(s, get_club(s, club).book_id, year)
        write(write_fec(lines), output)
