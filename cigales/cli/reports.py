"""`cigales report balance|ledger|journal`: read-only views of a club's book."""

from __future__ import annotations

import typer

from cigales.cli import common, papers
from cigales.cli.output import Column, emit
from cigales.errors import UsageProblem
from cigales.i18n import _
from ledger.errors import N_
from ledger.money import Money
from ledger.trial_figures import TrialBalance
from reports import fmt

# Start-up: `report balance` reads on the database driver alone when it can
# (cigales.quick_read), else with SQLAlchemy Core only (ledger.trial, cigales.tables); the club
# services and ledger.queries, which import the ORM and the mapped classes, are imported by
# the commands that use them.


def _dc(amount: Money) -> tuple[Money, Money]:
    return (amount if amount.cents > 0 else Money(0), -amount if amount.cents < 0 else Money(0))


class ClubOrAll(UsageProblem):
    code = "club_or_all"
    template = N_("Give --club CLUB for one club's trial balance, or --all for every club of "
                  "the database together; not both.")


def show_trial_balance(club: str | None, tb: TrialBalance, format: str,
                       output: str | None = None, name: str | None = None) -> None:
    """One club's trial balance, or every club's together when ``club`` is None. ``club``
    (the slug) goes into JSON; the title names the club by its ``name``."""
    rows = [{"code": a.code, "label": a.label, "debit": a.debit, "credit": a.credit,
             "balance": a.balance} for a in tb.accounts]
    as_of = fmt.date(tb.as_of) if tb.as_of else ""
    emit(
        format,
        # Narrow terminals: the balance stays, debit and credit go (together).
        columns=[Column("code", _("Account")), Column("label", _("Label")),
                 Column("debit", _("Debit"), True, drop=1),
                 Column("credit", _("Credit"), True, drop=1),
                 Column("balance", _("Balance"), True)],
        rows=rows,
        payload={"club": club, "as_of": tb.as_of, "accounts": rows,
                 "total_debit": tb.total_debit, "total_credit": tb.total_credit},
        output=output,
        title=(_("Trial balance of {club} as of {date}").format(club=name or club, date=as_of)
               if club is not None else
               _("Trial balance of every club as of {date}").format(date=as_of)),
        footer={"label": _("Total"), "debit": tb.total_debit, "credit": tb.total_credit,
                "balance": tb.total_debit - tb.total_credit},
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``; their help lines are in cigales.cli.app.COMMANDS."""
    report_app = typer.Typer(no_args_is_help=True)
    app.add_typer(report_app, name="report")
    papers.register(report_app)

    @report_app.command("balance", help=_("Trial balance as of a date (default today)."))
    def report_balance(
        ctx: typer.Context,
        club: str = typer.Option(None, "--club", help=_("The club's identifier (slug), e.g. "
                                                        "les-fourmis.")),
        every: bool = typer.Option(False, "--all", help=_("Every club of the database "
                                                          "together (a region's books), "
                                                          "per account code.")),
        as_of: str = common.as_of_option(),
        prefix: str = typer.Option(None, "--account", help=_("Only accounts starting with "
                                                             "this code.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        if (club is None) == (not every):
            raise ClubOrAll()
        common.check_format(format, dialect)
        date = common.parse_date(as_of) or common.today()
        from cigales import quick_read

        quick = quick_read.trial_balance(common.state(ctx).db_url, None if every else club,
                                         date, prefix)
        if quick is not None:
            tb, name = quick
        else:  # another database, or something to tell the user: the Core path answers
            from cigales.tables import find_club
            from ledger import trial

            name = None
            with common.reading(ctx) as conn:
                if every:
                    tb = trial.trial_balance_all(conn, date, prefix)
                else:
                    found = find_club(conn, club)
                    name = found.name
                    tb = trial.trial_balance(conn, found.book_id, date, prefix)
        show_trial_balance(club if not every else None, tb, format, output, name)

    @report_app.command("positions", help=_("The share table (the convention's annex): each "
                                            "member's contributions, book capital, share and "
                                            "value on a date."))
    def report_positions(
        ctx: typer.Context,
        club: str = common.club_option(),
        as_of: str = common.as_of_option(),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
        date = common.parse_date(as_of) or common.today()
        from cigales.services.clubs import get_club
        from cigales.services.members import member_table  # not loaded for a balance

        with common.session(ctx, write=False) as s:
            table, members = member_table(s, get_club(s, club), date)
        rows = [{"member": m.code, "name": m.name, "joined": m.joined, "left": m.left,
                 "contributed": m.contributed, "book_capital": m.book_capital,
                 "share": m.share_text, "units": m.units, "value": m.value} for m in members]
        # At 80 columns, as `member list`: member, name, share and value stay.
        columns = [Column("member", _("Member")), Column("name", _("Name")),
                   Column("joined", _("Joined"), drop=3), Column("left", _("Left"), drop=2),
                   Column("contributed", _("Net contributions"), True, drop=1),
                   Column("book_capital", _("Book capital"), True, drop=4),
                   Column("share", _("Share"), True, show=fmt.share_text),
                   Column("value", _("Value"), True)]
        if table.method == "units":
            columns.insert(-1, Column("units", _("Units"), True))
        emit(format, columns=columns, rows=rows,
             payload={"club": club, "as_of": date, "method": table.method,
                      "net_assets": table.net_assets, "members": rows},
             output=output,
             title=_("Share table on {date} – net assets {assets}").format(
                 date=fmt.date(date), assets=fmt.money(table.net_assets)),
             footer={"member": _("Total"), "value": table.net_assets})

    @report_app.command("ledger", help=_("General ledger with running balance."))
    def report_ledger(
        ctx: typer.Context,
        club: str = common.club_option(),
        prefix: str = typer.Option(None, "--account", help=_("Only accounts starting with "
                                                             "this code.")),
        from_: str = typer.Option(None, "--from", help=_("First date, YYYY-MM-DD.")),
        to: str = typer.Option(None, "--to", help=_("Last date, YYYY-MM-DD.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
        start, end = common.parse_date(from_), common.parse_date(to)
        from cigales.services.clubs import get_club
        from ledger import queries

        with common.session(ctx, write=False) as s:
            found = get_club(s, club)
            name = found.name
            ledgers = queries.general_ledger(s, found.book_id, prefix, start, end)
        rows = []
        accounts = []
        for acc in ledgers:
            lines = []
            rows.append({"account": acc.code, "label": _("Balance brought forward"),
                         "balance": acc.opening, "date": start})
            for ln in acc.lines:
                line = {"date": ln.date, "journal": ln.journal, "number": ln.number,
                        "label": ln.label, "debit": ln.debit, "credit": ln.credit,
                        "balance": ln.running}
                lines.append(line)
                rows.append({"account": acc.code, **line})
            accounts.append({"code": acc.code, "label": acc.label, "opening": acc.opening,
                             "lines": lines, "closing": acc.closing})
        emit(
            format,
            # Narrow terminals: the journal goes first (the number names the entry), then
            # the account when there is only one (the title names it).
            columns=[Column("account", _("Account"), drop=1 if len(ledgers) == 1 else 0),
                     Column("date", _("Date")),
                     Column("journal", _("Jnl"), drop=2), Column("number", _("No."), True),
                     Column("label", _("Label")), Column("debit", _("Debit"), True),
                     Column("credit", _("Credit"), True), Column("balance", _("Balance"), True)],
            rows=rows,
            payload={"club": club, "from": start, "to": end, "accounts": accounts},
            output=output,
            title=(_("General ledger of {club} – account {account} {label}").format(
                club=name, account=ledgers[0].code, label=ledgers[0].label)
                if len(ledgers) == 1 else _("General ledger of {club}").format(club=name)),
        )

    @report_app.command("journal", help=_("Entries in number order with their lines."))
    def report_journal(
        ctx: typer.Context,
        club: str = common.club_option(),
        journal: str = typer.Option(None, "--journal", help=_("BQ, OD or AN; default all.")),
        from_: str = typer.Option(None, "--from", help=_("First date, YYYY-MM-DD.")),
        to: str = typer.Option(None, "--to", help=_("Last date, YYYY-MM-DD.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
        if journal is not None:
            from ledger.tables import JOURNALS

            common.choice(journal, "--journal", JOURNALS)
        start, end = common.parse_date(from_), common.parse_date(to)
        from cigales.services.clubs import get_club
        from ledger import queries

        with common.session(ctx, write=False) as s:
            found = get_club(s, club)
            name = found.name
            entries = queries.journal(s, found.book_id, journal, start, end)
        rows = []
        payload = []
        for e in entries:
            lines = []
            for ln in e.lines:
                debit, credit = _dc(ln.amount)
                lines.append({"account": ln.account, "label": ln.label, "debit": debit,
                              "credit": credit})
                rows.append({"journal": e.journal, "number": e.number, "date": e.date,
                             "entry_label": e.label, "account": ln.account, "debit": debit,
                             "credit": credit})
            payload.append({"journal": e.journal, "number": e.number, "date": e.date,
                            "label": e.label, "hash": e.hash, "reverses": e.reverses,
                            "lines": lines})
        emit(
            format,
            columns=[Column("journal", _("Jnl")), Column("number", _("No."), True),
                     Column("date", _("Date")), Column("entry_label", _("Label")),
                     Column("account", _("Account")), Column("debit", _("Debit"), True),
                     Column("credit", _("Credit"), True)],
            rows=rows,
            payload={"club": club, "entries": payload},
            output=output,
            title=_("Journal of {club}").format(club=name),
        )
