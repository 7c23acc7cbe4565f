"""`cigales example`: build the short scripted example club and show its trial balance."""

from __future__ import annotations

import typer

from cigales.cli import common
from cigales.cli.reports import show_trial_balance
from cigales.i18n import ngettext
from cigales.services import bookkeeping
from cigales.services.example import SLUG, build_example
from ledger import queries
from reports import fmt


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``; their help lines are in cigales.cli.app.COMMANDS."""
    @app.command("example")  # help: cigales.cli.app.COMMANDS
    def example(ctx: typer.Context, format: str = common.format_option(),
                dialect: str = common.dialect_option()) -> None:
        common.check_format(format, dialect)
        today = common.today()
        with common.session(ctx) as s:
            result = build_example(s, today=today, on_closed=common.store_return_on_close)
            tb = queries.trial_balance(s, result.club.book_id, today)
            problems = bookkeeping.audit(s, result.club)
            name = result.club.name
        common.notice(ngettext(
            "Example club “{club}”: {count} new entry; integrity check: {issues}.",
            "Example club “{club}”: {count} new entries; integrity check: {issues}.",
            result.entries_written).format(
                club=name, count=fmt.count(result.entries_written),
                issues=ngettext("{count} issue", "{count} issues", len(problems)).format(
                    count=fmt.count(len(problems)))))
        show_trial_balance(SLUG, tb, format, name=name)
