"""`cigales federation ...`: yearly club returns, their import, regional aggregates, access."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cigales.cli import common, federation_access, federation_keys
from cigales.cli.output import Column, emit, write, write_binary
from cigales.errors import CigalesError, MissingValue, SomeFilesRejected, UnreadableFile
from cigales.i18n import _, ngettext
from cigales.services.clubs import get_club
from reports import fmt
from reports.federation import FederationReport, Figures, Group
from reports.labels import RETURN_STATUSES, label

if TYPE_CHECKING:
    from cigales.services.closed_returns import ToStore


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``; their help lines are in cigales.cli.app.COMMANDS."""
    federation_app = typer.Typer(no_args_is_help=True)
    app.add_typer(federation_app, name="federation")

    @federation_app.command("return", help=_("The club's yearly return for its regional "
                                             "association (JSON, format cigales-return/1, "
                                             "signed with the club's key): counts and "
                                             "amounts, no personal data."))
    def federation_return(
        ctx: typer.Context,
        club: str = common.club_option(),
        year_text: str = common.year_option(required=True),
        provisional: bool = typer.Option(False, "--provisional", help=_(
            "Allow a year that is not closed yet; the return is then marked provisional.")),
        output: str = common.output_option(),
    ) -> None:
        year = common.require_year(year_text)
        from cigales.federation.document import dumps, validate
        from cigales.services.federation import check_closed
        from cigales.services.federation_keys import sign_return
        from reports.club_return import build_return, returns_of
        from reports.data import check_year

        today = common.today()
        refreshed: list[ToStore] = []
        with common.session(ctx, write=False) as s:
            the_club = get_club(s, club)
            check_year(the_club, year, today)
            check_closed(s, the_club, year, provisional=provisional)
            if provisional:
                found = build_return(s, the_club, year, generated=today, provisional=True)
            else:  # a closed year: its stored return while the books are unchanged
                [found], refreshed = returns_of(s, [the_club], year, generated=today)
            # Signed with the club's key, so that the region knows who sent it.
            document = validate(sign_return(the_club, found), club)
        _store(ctx, refreshed, today)
        write(dumps(document), output)

    @federation_app.command("import", help=_("Check and store club returns (schema, checksum, "
                                             "sums, signature by the club's registered key). "
                                             "Each file on its own: a bad file is "
                                             "reported and the others are imported; the same "
                                             "file again changes nothing; a corrected return "
                                             "replaces the previous one, which is kept."))
    def federation_import(
        ctx: typer.Context,
        files: list[Path] = typer.Argument(..., help=_("Return files (JSON).")),
        accept_region_change: bool = typer.Option(
            False, "--accept-region-change",
            help=_("Accept returns that move a known club to another region (the region "
                   "confirms the move).")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
    ) -> None:
        from cigales.federation.document import loads
        from cigales.services.federation import import_return

        common.check_format(format, dialect)
        today = common.today()
        rows = []
        failed = 0
        for path in files:
            row: dict[str, Any] = {"file": str(path), "club": "", "year": None,
                                   "status": "", "revision": None, "detail": ""}
            try:
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    raise UnreadableFile(path=str(path),
                                                reason=exc.strerror or str(exc)) from exc
                with common.session(ctx) as s:
                    outcome = import_return(s, loads(data, str(path)), source=str(path),
                                            today=today,
                                            accept_region_change=accept_region_change)
                row.update(club=outcome.club, year=outcome.year, status=outcome.status,
                           revision=outcome.revision)
            except CigalesError as exc:
                failed += 1
                row.update(status="rejected", detail=f"{exc.render(_)} [{exc.code}]")
            rows.append(row)
        emit(format,
             columns=[Column("file", _("File")), Column("club", _("Club")),
                      Column("year", _("Year")), Column("status", _("Status")),
                      Column("revision", _("Version"), True), Column("detail", _("Detail"))],
             rows=rows if format != "table" else [
                 {**r, "status": label(RETURN_STATUSES, r["status"])} for r in rows],
             payload={"files": rows, "rejected": failed}, output=None,
             title=_("Imported returns"))
        if failed:
            raise SomeFilesRejected(count=failed, total=len(files))

    @federation_app.command("report", help=_("Regional and federal aggregates of a year: clubs "
                                             "by phase, members, savings, cash, investments, "
                                             "loans and PAR30, jobs, with the previous year."))
    def federation_report(
        ctx: typer.Context,
        year_text: str = common.year_option(required=True),
        region: str = typer.Option(None, "--region", help=_("Only this region.")),
        format: str = typer.Option("table", "--format",
                                   help=_("Output format: table, json, csv or pdf.")),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        year = common.require_year(year_text)
        from reports.federation import build_federation_report

        common.check_dialect(dialect)
        if format != "pdf":
            common.check_format(format, dialect)
        common.choice(format, "--format", (*common.FORMATS, "pdf"))
        if format == "pdf" and not output:
            raise MissingValue(option="-o FILE.pdf")
        today = common.today()
        with common.session(ctx, write=False) as s:
            report = build_federation_report(s, year, generated=today, region=region)
        _store(ctx, report.refreshed, today)
        if format == "pdf":
            from reports.pdf.federation import render_federation

            write_binary(render_federation(report), output)
            common.notice(_("Federation report {year} written to {path}.").format(
                year=year, path=output))
            return
        _emit_report(report, format, output)

    federation_access.register(federation_app)
    federation_keys.register(federation_app)


def _store(ctx: typer.Context, refreshed: Sequence[ToStore], today: dt.date) -> None:
    """Store the closed years' returns a reader had to compute, so the next one reuses them
    (own transaction, after the read: what is stored carries the chain head it was computed
    at, so a book changed in between is simply computed again next time)."""
    if refreshed:
        from sqlalchemy.exc import OperationalError, ProgrammingError

        from cigales.services.closed_returns import store

        try:
            with common.session(ctx) as s:
                store(s, refreshed, today=today)
        except (OperationalError, ProgrammingError):
            # Storing only saves the next reader some work: a reader that may not write (a
            # read-only file, a role without the privilege) still gets its figures.
            pass


def _figures_row(name: str, f: Figures, previous: Figures) -> dict[str, Any]:
    return {"region": name, "clubs": f.clubs, "new_clubs": f.new_clubs,
            "members_active": f.members_active, "savings_collected": f.savings_collected,
            "cash_year_end": f.cash_year_end, "invested": f.invested, "projects": f.projects,
            "average_ticket": f.average_ticket, "loans_outstanding": f.loans_outstanding,
            "par30": f.par30, "written_off": f.written_off, "jobs_created": f.jobs_created,
            "jobs_kept": f.jobs_kept,
            "invested_change": f.invested - previous.invested,
            "savings_change": f.savings_collected - previous.savings_collected}


def figures_payload(f: Figures) -> dict[str, Any]:
    """The JSON form of one group's figures (amounts as strings with two decimals)."""
    return {
        "clubs": f.clubs, "new_clubs": f.new_clubs, "clubs_by_phase": f.clubs_by_phase,
        "members_active": f.members_active, "savings_collected": f.savings_collected,
        "cash_year_end": f.cash_year_end, "net_assets": f.net_assets,
        "invested": f.invested, "projects": f.projects, "average_ticket": f.average_ticket,
        "invested_by_kind": f.invested_by_kind,
        "invested_by_legal_form": f.invested_by_legal_form, "repaid": f.repaid,
        "written_off": f.written_off, "loans_outstanding": f.loans_outstanding,
        "loans_at_risk_30": f.loans_at_risk_30, "par30": f.par30,
        "jobs_created": f.jobs_created, "jobs_kept": f.jobs_kept,
    }


def _group_payload(group: Group) -> dict[str, Any]:
    return {**figures_payload(group.current), "previous": figures_payload(group.previous)}


def _emit_report(report: FederationReport, format: str, output: str | None) -> None:
    rows = [_figures_row(g.name, g.current, g.previous) for g in report.regions]
    total = report.totals
    payload = {
        "year": report.year, "region": report.region,
        "generated": report.generated,
        "sources": {"hosted": report.hosted, "returns": report.from_returns},
        "totals": _group_payload(total),
        "regions": [{"region": g.name, **_group_payload(g)} for g in report.regions],
    }
    footer = _figures_row(_("Total"), total.current, total.previous)
    if format == "csv":
        rows = [*rows, {**footer, "region": ""}]
    columns = [Column("region", _("Region")), Column("clubs", _("Clubs"), True),
               Column("new_clubs", _("New"), True),
               Column("members_active", _("Members"), True),
               Column("savings_collected", _("Savings"), True),
               Column("cash_year_end", _("Cash 31/12"), True, drop=2),
               Column("invested", _("Invested"), True, drop=3),
               Column("projects", _("Projects"), True),
               Column("average_ticket", _("Average ticket"), True),
               Column("loans_outstanding", _("Loans outstanding"), True),
               Column("par30", _("PAR30"), True, show=fmt.share_text, drop=1),
               Column("jobs_created", _("Jobs created"), True)]
    if format == "table":  # a terminal is narrow: the key figures only; csv and json have all
        keep = ("region", "clubs", "members_active", "savings_collected", "cash_year_end",
                "invested", "loans_outstanding", "par30")
        columns = [c for c in columns if c.key in keep]
    emit(format,
         columns=columns,
         rows=rows, payload=payload, output=output,
         title=ngettext("Federation {year}: {clubs} club, {hosted} from their books and "
                        "{returns} from returns",
                        "Federation {year}: {clubs} clubs, {hosted} from their books and "
                        "{returns} from returns", total.current.clubs).format(
                            year=report.year, clubs=fmt.count(total.current.clubs),
                            hosted=fmt.count(report.hosted),
                            returns=fmt.count(report.from_returns)),
         footer=footer)
