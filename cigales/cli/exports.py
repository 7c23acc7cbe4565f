"""`cigales export ...`: files for accountants and the tax administration."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cigales.cli import common
from cigales.cli.output import write
from cigales.errors import OutputNotWritable
from cigales.i18n import _
from cigales.services.clubs import get_club
from reports.export import CSV_DIALECTS, fec_lines, journal_lines, write_csv, write_fec


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

    @export_app.command("csv", help=_("Every posting as CSV: rfc4180 (comma, dot decimals, "
                                      "ISO dates) or excel-fr (semicolon, decimal comma, "
                                      "dd/mm/yyyy, UTF-8 with BOM)."))
    def export_csv(
        ctx: typer.Context,
        club: str = common.club_option(),
        year: int = typer.Option(None, "--year", help=_("Only this year; default all.")),
        dialect: str = typer.Option("rfc4180", "--dialect", help=", ".join(CSV_DIALECTS)),
        output: str = common.output_option(),
    ) -> None:
        common.choice(dialect, "--dialect", CSV_DIALECTS)
        with common.session(ctx, write=False) as s:
            lines = journal_lines(s, get_club(s, club).book_id, year)
        data = write_csv(lines, dialect)
        if output:
            try:
                Path(output).write_bytes(data)
            except OSError as exc:
                raise OutputNotWritable(path=output, reason=exc.strerror or str(exc)) from exc
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
