"""The Typer application: global options, the command table, and the db/check commands.

Start-up time: a command imports only what it uses. The command groups are listed in
``COMMANDS`` by name, with the module that defines them and their help line; a module is
imported only when one of its commands runs or its own help is asked for, so ``cigales --help``
or ``report balance`` never load ReportLab, openpyxl, Alembic or the bank readers
(tests/cli/test_startup.py checks it in a fresh interpreter). Adding a command group is one
line in ``COMMANDS`` and a ``register(app)`` function in its module (docs/architecture.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import typer
from typer import _click as click  # the Click that Typer runs on (Typer vendors its own)
from typer.core import TyperCommand, TyperGroup

from cigales import i18n
from cigales.cli import common
from cigales.i18n import _

# name -> (module whose register(app) defines it, help line of `cigales --help`). The help is
# given here rather than in the module so that listing the commands imports none of them; the
# loaded command gets the same text. Lambdas: the text is translated when it is shown.
COMMANDS: dict[str, tuple[str, Callable[[], str]]] = {
    "example": ("cigales.cli.example", lambda: _(
        "Create a small example club with a year of entries, close its first year and print "
        "its trial balance (safe to re-run: nothing is posted twice).")),
    "portfolio": ("cigales.cli.investments", lambda: _(
        "Every investment: kind, cost, repaid, outstanding, impairment, status, member "
        "keys.")),
    "demo": ("cigales.cli.demo", lambda: _(
        "Build realistic demo clubs (ten years of savings, members joining and leaving, "
        "investments, repayments, closings) and write their reports; the same seed always "
        "gives the same clubs, and existing clubs are skipped.")),
    "club": ("cigales.cli.clubs", lambda: _("Clubs: create, list.")),
    "account": ("cigales.cli.clubs", lambda: _("Accounts of a club's book.")),
    "entry": ("cigales.cli.entries", lambda: _("Accounting entries: add, reverse.")),
    "year": ("cigales.cli.entries", lambda: _("Fiscal years.")),
    "report": ("cigales.cli.reports", lambda: _(
        "Reports: trial balance, general ledger, journal, share table, AGM pack, member "
        "statements.")),
    "member": ("cigales.cli.members", lambda: _(
        "Members: add, leave, list, export or erase their data.")),
    "saving": ("cigales.cli.members", lambda: _(
        "Members' savings: add, collect a month, arrears.")),
    "expense": ("cigales.cli.members", lambda: _("Club expenses paid from the bank.")),
    "income": ("cigales.cli.members", lambda: _("Club income received in the bank.")),
    "investee": ("cigales.cli.investments", lambda: _(
        "Companies and associations the club finances.")),
    "equity": ("cigales.cli.investments", lambda: _(
        "Equity stakes: subscriptions, dividends, sales, impairments.")),
    "loan": ("cigales.cli.investments", lambda: _(
        "Loans: honour loans, shareholder loans, contributions, participating titles.")),
    "tax": ("cigales.cli.investments", lambda: _("Members' tax papers.")),
    "export": ("cigales.cli.exports", lambda: _(
        "Exports for accountants, the tax administration and accounting tools.")),
    "federation": ("cigales.cli.federation", lambda: _(
        "Federation: yearly club returns, regional aggregation, access control.")),
    "bank": ("cigales.cli.bank", lambda: _(
        "Bank statements: import, suspense, assign, reconcile.")),
    "serve": ("cigales.cli.web", lambda: _(
        "Serve the web space (members, treasurers, region, federation) on HOST:PORT.")),
    "web": ("cigales.cli.web", lambda: _("Accounts of the web space: invite, list, revoke.")),
    "backup": ("cigales.cli.backup", lambda: _(
        "Copy the SQLite database into a new file while it is in use, then check the copy.")),
    "restore": ("cigales.cli.backup", lambda: _(
        "Replace the SQLite database by a backup, once the backup passes every check; the "
        "replaced file is kept aside.")),
}


class LazyGroup(TyperGroup):
    """The root group: the commands of ``COMMANDS`` are built on first use (Click's lazy
    group pattern). Listing them in the help reads only their help line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        if ctx.meta.get(_LISTING):
            # Only the name and help are read while the root help is printed.
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name][1]())
        return self._load(cmd_name)

    def _load(self, cmd_name: str) -> click.Command:
        # Built once per process and language: Typer reads every command function's
        # signature and annotations to build a group (about 10 ms for a big one), and a
        # process that runs several commands (the tests, a shell) would pay it each time.
        # Only the help texts depend on the language; values are read when a command runs.
        key = (cmd_name, i18n.language())
        command = _BUILT.get(key)
        if command is None:
            module_name, help_text = COMMANDS[cmd_name]
            module = importlib.import_module(module_name)
            holder = typer.Typer()
            module.register(holder)
            command = typer.main.get_group(holder).commands[cmd_name]
            command.help = help_text()
            from cigales.cli import bounds

            bounds.install(command)  # every option is bounded, whenever its command is loaded
            _BUILT[key] = command
        self.add_command(command, cmd_name)
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        ctx.meta[_LISTING] = True
        try:
            super().format_help(ctx, formatter)
        finally:
            ctx.meta[_LISTING] = False


_LISTING = "cigales.listing_commands"
_BUILT: dict[tuple[str, str], click.Command] = {}


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="cigales",
        cls=LazyGroup,
        help=_("Books and life cycle of a CIGALES solidarity investment club."),
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @app.callback()
    def root(
        ctx: typer.Context,
        db_url: str = typer.Option(
            None, "--db",
            help=_("Database URL or SQLite file; default $CIGALES_DB, else sqlite:///cigales.db."),
        ),
        lang: str = typer.Option(
            None, "--lang", help=_("Language of messages: fr (default) or en; or $CIGALES_LANG."),
        ),
    ) -> None:
        from cigales.db_url import default_url  # not cigales.db: no SQLAlchemy before a command

        if lang is not None:
            common.choice(lang, "--lang", i18n.LANGUAGES)
        ctx.obj = common.State(db_url=db_url or default_url())
        ctx.call_on_close(ctx.obj.close)

    db_app = typer.Typer(help=_("Database schema."), no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @db_app.command("upgrade", help=_("Apply schema migrations to an existing database."))
    def db_upgrade(ctx: typer.Context) -> None:
        from cigales import db, migrate

        engine = db.make_engine(common.state(ctx).db_url)
        before = migrate.current(engine)
        migrate.upgrade(engine)
        common.notice(_("Schema version: {before} → {after}.").format(
            before=before or "—", after=migrate.head()))

    @db_app.command("status", help=_("Show the schema version of the database."))
    def db_status(ctx: typer.Context) -> None:
        from cigales import db, migrate
        from cigales.errors import DatabaseNotFound

        path = db.sqlite_path(common.state(ctx).db_url)
        if path is not None and not path.exists():
            raise DatabaseNotFound(url=str(path))
        engine = db.make_engine(common.state(ctx).db_url)
        print(f"{migrate.current(engine) or '—'} / {migrate.head()}")

    @app.command("check", help=_("Re-verify every invariant and the hash chain (exit code 4 "
                                 "when the books fail)."))
    def check(
        ctx: typer.Context,
        club: str = common.club_option(),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        from cigales.cli.output import Column, emit
        from cigales.errors import AuditFailed
        from cigales.services import bookkeeping
        from cigales.services.clubs import get_club

        common.check_format(format, dialect)
        with common.session(ctx, write=False) as s:
            the_club = get_club(s, club)
            name = the_club.name
            found = bookkeeping.audit(s, the_club)
        rows = [i.as_dict() for i in found]
        emit(format,
             columns=[Column("code", _("Rule")), Column("entry", _("Entry")),
                      Column("detail", _("Detail"))],
             rows=rows, payload={"ok": not found, "issues": rows}, output=output,
             title=_("Integrity check"))
        if found:
            raise AuditFailed(slug=club, club=name, count=len(found))
        if format == "table":
            common.notice(_("The books of “{club}” pass every integrity check.").format(club=name))

    return app
