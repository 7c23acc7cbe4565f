"""`cigales demo`: build realistic demo clubs (cigales.services.demo) and write their reports.

Each club is built in its own transaction, so an interrupted run of a thousand clubs leaves
every finished club whole and nothing half-written; a second run with the same seed skips the
clubs that already exist.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import typer
from babel.numbers import format_decimal

from cigales import i18n
from cigales.cli import common
from cigales.errors import OutputNotWritable
from cigales.i18n import _, ngettext
from cigales.models import Club
from cigales.services import demo
from reports.pack import write_club_reports


def _output_dir(path: str) -> Path:
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputNotWritable(path=path, reason=exc.strerror or str(exc)) from exc
    return folder


def _seconds(value: float) -> str:
    return format_decimal(round(value, 1), format="#,##0.0", locale=i18n.babel_locale())


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``; their help lines are in cigales.cli.app.COMMANDS."""
    @app.command("demo")  # help: cigales.cli.app.COMMANDS
    def demo_command(
        ctx: typer.Context,
        clubs: int = typer.Option(1, "--clubs", help=_("Number of clubs, 1 to 1000.")),
        seed: int = typer.Option(1, "--seed", help=_("Seed of the random story.")),
        output: str = typer.Option("cigales-demo", "-o", "--output",
                                   help=_("Folder for the reports.")),
        no_reports: bool = typer.Option(False, "--no-reports",
                                        help=_("Only fill the database; write no report.")),
        no_accounts: bool = typer.Option(False, "--no-accounts", help=_(
            "Create no web accounts (by default: a member and a treasurer of the first "
            "club when it is built, with their passwords printed once).")),
        switchover: bool = typer.Option(False, "--switchover", help=_(
            "Instead of demo clubs, write the example switchover spreadsheet of a club in "
            "its fourth year (a workbook and its CSV files) in the output folder; the "
            "database is not touched. See docs/switchover.md.")),
        lang: str = typer.Option("fr", "--lang", help=_(
            "With --switchover: column headers of the workbook, fr (default) or en.")),
    ) -> None:
        if switchover:
            _switchover_example(output, lang)
            return
        demo.check_count(clubs)
        folder = None if no_reports else _output_dir(output)
        today = common.today()
        started = time.perf_counter()
        built = skipped = entries = people = files = 0
        first_built = False  # accounts only for a club built now: a rerun writes nothing
        with common.progress(clubs, _("Demo clubs")) as advance:
            for index in range(clubs):
                with common.session(ctx) as s:
                    result = demo.build_demo(s, seed=seed, index=index, today=today,
                                             on_closed=common.store_return_on_close)
                if result.created and index == 0:
                    first_built = True
                if result.created:
                    built, entries, people = built + 1, entries + result.entries, \
                        people + result.members
                else:
                    skipped += 1
                if folder is not None:
                    files += _write_reports(ctx, result.club, result.last_closed_year,
                                            folder / result.slug, today)
                advance()
        elapsed = time.perf_counter() - started
        common.notice(_summary(built, skipped, entries, people, elapsed))
        if first_built and not no_accounts:
            _demo_accounts(ctx, demo.demo_slug(seed, 0), today)
        if folder is not None:
            common.notice(ngettext("Reports: {count} file in {folder}.",
                                   "Reports: {count} files in {folder}.", files).format(
                count=format_decimal(files, locale=i18n.babel_locale()), folder=folder))


def _switchover_example(output: str, lang: str) -> None:
    """The example spreadsheet of docs/switchover.md, and the commands to try it with."""
    from cigales.switchover import example

    common.choice(lang, "--lang", ("fr", "en"))
    folder = _output_dir(output)
    workbook, csv_folder = example.write_example(folder, lang, _)
    common.notice(_("Example switchover spreadsheet of a club in its fourth year: {workbook} "
                    "(and the same tables as CSV files in {folder}). Check it, then move the "
                    "club in:").format(workbook=workbook, folder=csv_folder))
    args = f"{workbook} --club {example.SLUG} --as-of {example.AS_OF.isoformat()}"
    common.notice(f"  cigales club switchover {args} --dry-run")
    common.notice(f"  cigales club switchover {args}")


def _demo_accounts(ctx: typer.Context, slug: str, today: dt.date) -> None:
    """Web accounts for the first demo club, so that `cigales serve` shows a populated site."""
    from cigales.services import web_accounts
    from cigales.services.clubs import get_club

    with common.session(ctx) as s:
        made = web_accounts.demo_accounts(s, get_club(s, slug), today)
        from cigales.cli.web import club_names, role_words

        names = club_names(s)
    common.notice(_("Web accounts of the demo club (passwords shown only now; run "
                    "`cigales serve` and sign in at http://127.0.0.1:8000/):"))
    for email, password, role in made:
        common.notice(f"  {role_words(role, names)}  {email}  {password}")


def _write_reports(ctx: typer.Context, club: Club, year: int, folder: Path,
                   today: dt.date) -> int:
    """The AGM pack of the last closed year and every member's statement, in ``folder``."""
    with common.session(ctx, write=False) as s:
        written = write_club_reports(s, club, year, folder, lang=i18n.language(),
                                     generated=today)
    return len(written)


def _summary(built: int, skipped: int, entries: int, people: int, elapsed: float) -> str:
    def grouped(n: int) -> str:  # "18 152" / "18,152"
        return str(format_decimal(n, locale=i18n.babel_locale()))

    text = ngettext("{count} demo club built", "{count} demo clubs built", built).format(
        count=grouped(built))
    text += _(": {entries} entries, {members} members, in {seconds} s.").format(
        entries=grouped(entries), members=grouped(people), seconds=_seconds(elapsed))
    if skipped:
        text += " " + ngettext("{count} club already existed and was skipped.",
                               "{count} clubs already existed and were skipped.",
                               skipped).format(count=skipped)
    return text
