"""The Typer application: global options, command groups, and the db/check commands."""

from __future__ import annotations

import typer

from cigales import db, i18n, migrate
from cigales.cli import (
    backup,
    bank,
    clubs,
    common,
    demo,
    entries,
    example,
    exports,
    federation,
    investments,
    members,
    reports,
)
from cigales.cli.output import Column, emit
from cigales.errors import AuditFailed, DatabaseNotFound
from cigales.i18n import _
from cigales.services import bookkeeping
from cigales.services.clubs import get_club


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="cigales",
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
        if lang is not None:
            common.choice(lang, "--lang", i18n.LANGUAGES)
        ctx.obj = common.State(db_url=db_url or db.default_url())

    db_app = typer.Typer(help=_("Database schema."), no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @db_app.command("upgrade", help=_("Apply schema migrations to an existing database."))
    def db_upgrade(ctx: typer.Context) -> None:
        engine = db.make_engine(common.state(ctx).db_url)
        before = migrate.current(engine)
        migrate.upgrade(engine)
        common.notice(_("Schema version: {before} → {after}.").format(
            before=before or "—", after=migrate.head()))

    @db_app.command("status", help=_("Show the schema version of the database."))
    def db_status(ctx: typer.Context) -> None:
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
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format)
        with common.session(ctx, write=False) as s:
            found = bookkeeping.audit(s, get_club(s, club))
        rows = [i.as_dict() for i in found]
        emit(format,
             columns=[Column("code", _("Rule")), Column("entry", _("Entry")),
                      Column("detail", _("Detail"))],
             rows=rows, payload={"ok": not found, "issues": rows}, output=output,
             title=_("Integrity check"))
        if found:
            raise AuditFailed(slug=club, count=len(found))
        if format == "table":
            common.notice(_("The books of “{slug}” pass every integrity check.").format(slug=club))

    clubs.register(app)
    entries.register(app)
    reports.register(app)
    example.register(app)
    members.register(app)
    investments.register(app)
    exports.register(app)
    federation.register(app)
    demo.register(app)
    bank.register(app)
    backup.register(app)
    return app
