"""`cigales export ...`: files for accountants, the tax administration and other tools."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from cigales.cli import common
from cigales.cli.output import output_file, stream
from cigales.errors import CigalesError, OutputFileRequired
from cigales.i18n import _
from cigales.models import Club
from cigales.services.clubs import get_club
from ledger.errors import N_
from reports.data import check_year
from reports.export import csv_chunks, fec_chunks, fec_lines, journal_lines
from reports.plaintext import beancount_chunks, hledger_chunks, ledger_data
from reports.xlsx import workbook_data, write_xlsx_file


class SirenRequiredForFec(CigalesError):
    code = "siren_required"
    template = N_("The FEC file is named after the club's SIREN (SIRENFECYYYYMMDD.txt) and "
                  "“{slug}” has none recorded: record it with `cigales club set --club {slug} "
                  "--siren NUMBER`, or name the file with -o FILE (-o - for the terminal).")
    exit_code = 2


def _club_and_year(s: Session, slug: str, year: int | None) -> Club:
    """The club, and a year inside its books: from its founding to today."""
    club = get_club(s, slug)
    if year is not None:
        check_year(club, year, common.today())
    return club


def fec_target(output: str | None, siren: str | None, slug: str, year: int) -> str | None:
    """Where the FEC goes: ``-o -`` the terminal (None), ``-o FILE`` that file, ``-o DIR/`` (or
    an existing folder) or no ``-o`` the legal name ``{SIREN}FEC{YYYYMMDD}.txt`` (art. A. 47
    A-1 of the Livre des procédures fiscales), dated on the closing day of the fiscal year:
    31 December, the club's fiscal years being calendar years. Without a SIREN the legal name
    cannot be built: the treasurer records it (`club set --siren`) or names the file."""
    if output == "-":
        return None
    if output is not None and not output.endswith(("/", os.sep)) and not Path(output).is_dir():
        return output
    if siren is None:
        raise SirenRequiredForFec(slug=slug)
    name = f"{siren}FEC{dt.date(year, 12, 31):%Y%m%d}.txt"
    return str(Path(output) / name) if output is not None else name


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``; their help lines are in cigales.cli.app.COMMANDS."""
    export_app = typer.Typer(no_args_is_help=True)
    app.add_typer(export_app, name="export")

    @export_app.command("fec", help=_("The FEC file of a fiscal year (fichier des écritures "
                                      "comptables): 18 tab-separated columns."))
    def export_fec(
        ctx: typer.Context,
        club: str = common.club_option(),
        year: str = common.year_option(required=True),
        output: str = typer.Option(
            None, "-o", "--output",
            help=_("File, or folder (ending in /) for the legal name SIRENFECYYYYMMDD.txt; "
                   "\"-\" writes to the terminal. Default: the legal name in the current "
                   "folder.")),
    ) -> None:
        wanted = common.parse_year(year)
        assert wanted is not None
        # Streamed: the lines go from the database cursor to the file (issue #16).
        with common.session(ctx, write=False) as s:
            c = _club_and_year(s, club, wanted)
            target = fec_target(output, c.siren, club, wanted)
            stream(fec_chunks(fec_lines(s, c.book_id, wanted)), target)
        if target is not None:
            common.notice(_("FEC written to {path}.").format(path=target))

    @export_app.command("csv", help=_("Every posting as CSV: rfc4180 (comma, dot decimals, "
                                      "ISO dates) or excel-fr (semicolon, decimal comma, "
                                      "dd/mm/yyyy, UTF-8 with BOM)."))
    def export_csv(
        ctx: typer.Context,
        club: str = common.club_option(),
        year: str = common.year_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_dialect(dialect)
        wanted = common.parse_year(year)
        with common.session(ctx, write=False) as s:
            lines = journal_lines(s, _club_and_year(s, club, wanted).book_id, wanted)
            stream(csv_chunks(lines, dialect), output)

    @export_app.command("xlsx", help=_("A workbook with one sheet per report: journal, trial "
                                       "balance, members' shares and portfolio, on 31 "
                                       "December of the year (default: every year, today). "
                                       "Needs -o."))
    def export_xlsx(
        ctx: typer.Context,
        club: str = common.club_option(),
        year: str = common.year_option(),
        output: str = typer.Option(None, "-o", "--output",
                                   help=_("The workbook file to write, e.g. club.xlsx.")),
    ) -> None:
        if not output:
            raise OutputFileRequired(what="XLSX", example="club.xlsx")
        wanted = common.parse_year(year)
        with common.session(ctx, write=False) as s:
            data = workbook_data(s, _club_and_year(s, club, wanted), wanted, common.today())
            with output_file(output) as out:
                write_xlsx_file(data, out)

    @export_app.command("hledger", help=_("An hledger journal: every entry (the year's, after "
                                          "the opening balances, with --year), accounts "
                                          "named Root:Cchapter:Ccode[:Sub]."))
    def export_hledger(
        ctx: typer.Context,
        club: str = common.club_option(),
        year: str = common.year_option(),
        output: str = common.output_option(),
    ) -> None:
        wanted = common.parse_year(year)
        with common.session(ctx, write=False) as s:
            data = ledger_data(s, _club_and_year(s, club, wanted), wanted)
            stream(hledger_chunks(data), output)

    @export_app.command("beancount", help=_("A beancount ledger: every entry (the year's, "
                                            "after the opening balances, with --year), "
                                            "accounts named Root:Cchapter:Ccode[:Sub]."))
    def export_beancount(
        ctx: typer.Context,
        club: str = common.club_option(),
        year: str = common.year_option(),
        output: str = common.output_option(),
    ) -> None:
        wanted = common.parse_year(year)
        with common.session(ctx, write=False) as s:
            data = ledger_data(s, _club_and_year(s, club, wanted), wanted)
            stream(beancount_chunks(data), output)

