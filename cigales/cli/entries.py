"""`cigales entry ...` and `cigales year close`."""

from __future__ import annotations

import typer

from cigales.cli import common
from cigales.cli.output import Column, emit
from cigales.i18n import _
from cigales.services import bookkeeping
from cigales.services.clubs import get_club
from ledger.post import PostedEntry
from ledger.schema import USER_JOURNALS
from reports import fmt


def _show(entry: PostedEntry, format: str) -> None:
    payload = {"journal": entry.journal, "number": entry.number, "date": entry.date,
               "hash": entry.hash}
    if format == "table":
        print(f"{entry.journal} {entry.number}")
        if not entry.created:
            common.notice(_("Already recorded with this key: nothing new was written."))
    else:
        emit(format, columns=[Column(k, k) for k in payload], rows=[payload], payload=payload)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``; their help lines are in cigales.cli.app.COMMANDS."""
    entry_app = typer.Typer(no_args_is_help=True)
    app.add_typer(entry_app, name="entry")
    year_app = typer.Typer(no_args_is_help=True)
    app.add_typer(year_app, name="year")

    @entry_app.command("add", help=_("Post a balanced entry; prints its number."))
    def entry_add(
        ctx: typer.Context,
        club: str = common.club_option(),
        date: str = typer.Option(..., "--date", help=_("Date of the operation, YYYY-MM-DD.")),
        label: str = typer.Option(..., "--label", help=_("What the entry records.")),
        line: list[str] = typer.Option(
            ..., "--line",
            help=_("ACCOUNT=AMOUNT, repeated; positive = debit, negative = credit "
                   "(1234.56 or 1 234,56)."),
        ),
        journal: str = typer.Option("OD", "--journal", help=_("Journal: BQ (bank) or OD.")),
        key: str = typer.Option(None, "--key", help=_("Idempotency key: the same key never "
                                                       "posts twice.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
    ) -> None:
        common.check_format(format, dialect)
        common.choice(journal, "--journal", USER_JOURNALS)
        entry_date = common.require_date(date)
        lines = [common.parse_line(text) for text in line]
        with common.session(ctx) as s:
            posted = bookkeeping.add_entry(s, get_club(s, club), date=entry_date, label=label,
                                           lines=lines, journal=journal, key=key,
                                           today=common.today())
        _show(posted, format)

    @entry_app.command("reverse", help=_("Cancel an entry with its exact opposite (the "
                                         "original is never changed)."))
    def entry_reverse(
        ctx: typer.Context,
        club: str = common.club_option(),
        journal: str = typer.Option(..., "--journal", help=_("Journal of the entry: BQ or OD.")),
        number: int = typer.Option(..., "--number", help=_("Number of the entry.")),
        date: str = typer.Option(..., "--date", help=_("Date of the reversal, YYYY-MM-DD.")),
        key: str = typer.Option(None, "--key", help=_("Idempotency key.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
    ) -> None:
        common.check_format(format, dialect)
        common.choice(journal, "--journal", USER_JOURNALS)
        reversal_date = common.require_date(date)
        with common.session(ctx) as s:
            posted = bookkeeping.reverse(s, get_club(s, club), journal=journal, number=number,
                                         date=reversal_date, today=common.today(), key=key)
        _show(posted, format)

    @year_app.command("close", help=_("Close a fiscal year: result entries, carry-forward, "
                                      "opening entries of the next year, year locked."))
    def year_close(
        ctx: typer.Context,
        club: str = common.club_option(),
        year: int = typer.Option(..., "--year", help=_("Year to close, e.g. 2025.")),
        yes: bool = typer.Option(False, "--yes", help=_("Do not ask for confirmation.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
    ) -> None:
        common.check_format(format, dialect)
        common.confirm(yes, _("Closing fiscal year {year}").format(year=year))
        with common.session(ctx) as s:
            result = bookkeeping.close(s, get_club(s, club), year, today=common.today(),
                                       on_closed=common.store_return_on_close)
        entries = [f"{e.journal} {e.number}" for e in result.closing_entries]
        opening = (f"{result.opening_entry.journal} {result.opening_entry.number}"
                   if result.opening_entry else None)
        payload = {"year": result.year, "result": result.result, "closing_entries": entries,
                   "opening_entry": opening}
        if format == "table":
            print(_("Fiscal year {year} closed; result {result}; closing entries: {entries}; "
                    "opening entry: {opening}.").format(
                year=year, result=fmt.money(result.result), entries=", ".join(entries) or "—",
                opening=opening or "—"))
        else:
            emit(format, columns=[Column(k, k) for k in payload], rows=[payload],
                 payload=payload)
