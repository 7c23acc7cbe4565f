"""`cigales report agm|statement`: the PDF papers of the general meeting."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer

from cigales import i18n
from cigales.cli import common
from cigales.cli.output import write_binary
from cigales.errors import MissingValue, OutputNotWritable
from cigales.i18n import _, ngettext
from reports import fmt


def _lang(value: str | None) -> str | None:
    return common.choice(value, "--lang", i18n.LANGUAGES) if value is not None else None


def lang_option() -> Any:
    return typer.Option(None, "--lang", help=_("Language of the PDF: fr or en; default the "
                                               "language of the messages."))


PAPER_FORMATS = ("pdf", "json")


def paper_format_option() -> Any:
    return typer.Option("pdf", "--format", help=_("pdf, or json: the report's data, the same "
                                                  "figures the PDF prints (stdout unless -o)."))


def _emit_json(data: Any, output: str | None) -> None:
    from cigales.cli.output import write
    from reports.jsondata import to_data

    write(json.dumps(to_data(data), ensure_ascii=False, indent=2) + "\n", output)


def _names_folder(output: str) -> bool:
    """A path ending with a separator, or an existing folder."""
    return output.endswith(("/", os.sep)) or Path(output).is_dir()


def register(report_app: typer.Typer) -> None:
    @report_app.command("agm", help=_("The AGM pack of a year as one PDF: activity, balance "
                                      "sheet and income statement with the previous year, cash "
                                      "reconciliation, share table, portfolio and loans, "
                                      "charts, resolutions."))
    def report_agm(
        ctx: typer.Context,
        club: str = common.club_option(),
        year_text: str = common.year_option(required=True),
        output: str = typer.Option(None, "-o", "--output", help=_("The PDF file to write.")),
        lang: str = lang_option(),
        format: str = paper_format_option(),
    ) -> None:
        # The report builders and ReportLab are imported by the two commands that use them,
        # not by every `report` command (start-up time, cigales.cli.app).
        from reports.data import build_agm_pack, check_year

        year = common.require_year(year_text)
        language = _lang(lang)
        common.choice(format, "--format", PAPER_FORMATS)
        if not output and format == "pdf":
            raise MissingValue(option="-o FILE.pdf")
        today = common.today()
        from cigales.services.clubs import get_club  # not loaded for `report balance`

        with common.session(ctx, write=False) as s:
            the_club = get_club(s, club)
            check_year(the_club, year, today)
            pack = build_agm_pack(s, the_club, year, generated=today)
        if format == "json":
            with i18n.using(language):
                _emit_json(pack, output)
            return
        from reports.pdf.agm import render_agm

        with i18n.using(language):
            data = render_agm(pack)
        path = write_binary(data, output)
        common.notice(_("AGM pack {year} of “{club}” written to {path}.").format(
            year=year, club=pack.club.name, path=path))

    @report_app.command("statement", help=_("Member statements of a year as PDF: savings by "
                                            "month, share and value, part of each investment, "
                                            "income, IR-PME tax sheet, hash-chain head. One file "
                                            "with --member, else one per member in a folder."))
    def report_statement(
        ctx: typer.Context,
        club: str = common.club_option(),
        year_text: str = common.year_option(required=True),
        member: str = typer.Option(None, "--member", help=_("Only this member, e.g. M01.")),
        output: str = typer.Option(None, "-o", "--output",
                                   help=_("The PDF file (with --member) or the folder to "
                                          "write.")),
        lang: str = lang_option(),
        format: str = paper_format_option(),
        email: bool = typer.Option(False, "--email", help=_(
            "Send each member their statement by e-mail (SMTP settings: docs/cli.md) "
            "instead of writing files.")),
        dry_run: bool = typer.Option(False, "--dry-run", help=_(
            "With --email: show who would receive what, send nothing.")),
        resend: bool = typer.Option(False, "--resend", help=_(
            "With --email: send again to members who already received this year's "
            "statement.")),
    ) -> None:
        from reports.data import build_member_statements, check_year
        from reports.pack import statement_name, write_statements

        year = common.require_year(year_text)
        language = _lang(lang)
        common.choice(format, "--format", PAPER_FORMATS)
        if not output and format == "pdf" and not email:
            raise MissingValue(
                option="-o FILE.pdf" if member else "-o FOLDER")
        if (dry_run or resend) and not email:
            raise MissingValue(option="--email")
        today = common.today()
        from cigales.services.clubs import get_club  # not loaded for `report balance`

        with common.session(ctx, write=False) as s:
            the_club = get_club(s, club)
            check_year(the_club, year, today)
            statements = build_member_statements(s, the_club, year, generated=today,
                                                 member=member)
        if format == "json":
            with i18n.using(language):
                _emit_json(statements, output)
            return
        if email:
            from cigales.cli.mailing import email_statements

            email_statements(ctx, club, year, statements, lang=language, dry_run=dry_run,
                             resend=resend)
            if not output:
                return
        target = Path(output)
        if member is not None:
            from reports.pdf.statement import render_statement

            if statements and _names_folder(output):
                # "-o releves/" is a folder even before it exists: never a file named so.
                target.mkdir(parents=True, exist_ok=True)
                target = target / statement_name(statements[0])
            if not statements:
                common.notice(_("{member} had not joined by the end of {year}: no statement.")
                              .format(member=member, year=year))
                return
            with i18n.using(language):
                data = render_statement(statements[0])
            written = [write_binary(data, target)]
        else:
            try:
                with common.progress(len(statements), _("Statements")) as step:
                    written = write_statements(statements, target, lang=language,
                                               on_written=step)
            except OSError as exc:
                raise OutputNotWritable(path=output,
                                               reason=exc.strerror or str(exc)) from exc
        common.notice(ngettext("{count} statement of {year} written to {path}.",
                               "{count} statements of {year} written to {path}.",
                               len(written)).format(
            count=fmt.count(len(written)), year=year, path=target))
