"""`cigales backup -o FILE` and `cigales restore FILE`: a checked copy of a SQLite database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from cigales import backup as backup_mod
from cigales.cli import common
from cigales.errors import AuditFailed
from cigales.i18n import _, ngettext
from reports import fmt


def _print_checks(report: backup_mod.CopyReport) -> None:
    print(_("Schema version: {schema}.").format(schema=report.schema))
    if not report.clubs:
        print(_("No club in this database."))
    for club in report.clubs:
        entries = ngettext("{count} entry", "{count} entries", club.entries).format(
            count=fmt.count(club.entries))
        if club.issues:
            print(ngettext("Club {club}: {entries}; FAILS {issues} integrity check.",
                           "Club {club}: {entries}; FAILS {issues} integrity checks.",
                           club.issues).format(
                club=club.name, entries=entries, issues=fmt.count(club.issues)))
        else:
            print(_("Club {club}: {entries}; every integrity check passes.").format(
                club=club.name, entries=entries))


def register(app: typer.Typer) -> None:
    @app.command("backup", help=_("Copy the SQLite database into a new file while it is in "
                                  "use, then check the copy."))
    def backup(
        ctx: typer.Context,
        output: str = typer.Option(..., "-o", "--output", help=_(
            "The backup file to create (never overwritten).")),
    ) -> None:
        report = backup_mod.backup(common.state(ctx).db_url, Path(output))
        print(_("Backup written to {path}.").format(path=report.path))
        _print_checks(report)
        if not report.ok:
            bad = [c for c in report.clubs if c.issues]
            raise AuditFailed(slug=bad[0].slug, club=bad[0].name, count=sum(c.issues for c in bad))

    @app.command("restore", help=_("Replace the SQLite database by a backup, once the backup "
                                   "passes every check; the replaced file is kept aside."))
    def restore(
        ctx: typer.Context,
        file: str = typer.Argument(..., help=_("The backup file.")),
        yes: bool = typer.Option(False, "--yes", help=_("Replace without asking.")),
    ) -> None:
        url = common.state(ctx).db_url
        # Checked before asking, so that a bad file is refused without a question.
        verified = backup_mod.verify(Path(file))
        common.confirm(yes, _("Replacing the database by {file}").format(file=file))
        report = backup_mod.restore(url, Path(file), dt.datetime.now().astimezone(), verified)
        print(_("Database restored from {file}.").format(file=file))
        if report.replaced is not None:
            print(_("The replaced database is kept as {path}.").format(path=report.replaced))
        _print_checks(report)
