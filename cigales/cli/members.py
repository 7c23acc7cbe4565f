"""`cigales member|saving|expense|income ...`: members and the club's routine money flows."""

from __future__ import annotations

import datetime as dt

import typer

from cigales import i18n
from cigales.cli import common, privacy, switchover
from cigales.cli.output import Column, emit
from cigales.i18n import _
from cigales.services import flows, members, plans, savings
from cigales.services.clubs import get_club
from ledger.money import Money
from ledger.post import PostedEntry
from reports import fmt, labels


def _posted(entry: PostedEntry) -> None:
    print(f"{entry.journal} {entry.number}")
    if not entry.created:
        common.notice(_("Already recorded with this key: nothing new was written."))


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``; their help lines are in cigales.cli.app.COMMANDS."""
    member_app = typer.Typer(no_args_is_help=True)
    app.add_typer(member_app, name="member")
    privacy.register(member_app)
    switchover.register_member(member_app)
    saving_app = typer.Typer(no_args_is_help=True)
    app.add_typer(saving_app, name="saving")
    expense_app = typer.Typer(no_args_is_help=True)
    app.add_typer(expense_app, name="expense")
    income_app = typer.Typer(no_args_is_help=True)
    app.add_typer(income_app, name="income")

    @member_app.command("add", help=_("Add a member (at most 20 active); opens 1011-CODE, "
                                      "1018-CODE and 4567-CODE."))
    def member_add(
        ctx: typer.Context,
        club: str = common.club_option(),
        code: str = typer.Option(..., "--code", help=_("Member code, e.g. M01.")),
        name: str = typer.Option(..., "--name", help=_("Full name (kept apart from the "
                                                       "books).")),
        joined: str = typer.Option(..., "--joined", help=_("Date of joining, YYYY-MM-DD.")),
        monthly: str = typer.Option("0", "--monthly", help=_("Planned monthly saving, "
                                                             "e.g. 30,00.")),
        email: str = typer.Option(None, "--email", help=_("E-mail address (optional).")),
        address: str = typer.Option(None, "--address", help=_("Postal address (optional).")),
    ) -> None:
        joined_on = common.require_date(joined)
        plan = Money.parse(monthly)
        with common.session(ctx) as s:
            members.add_member(s, get_club(s, club), code=code, name=name, joined=joined_on,
                               monthly=plan, email=email, address=address,
                               today=common.today())
        print(_("Member {code} added.").format(code=code))

    @member_app.command("edit", help=_("Change a member's name, e-mail or address, or their "
                                       "savings plan from a month on."))
    def member_edit(
        ctx: typer.Context,
        club: str = common.club_option(),
        member: str = typer.Option(..., "--member", help=_("Member code.")),
        name: str = typer.Option(None, "--name", help=_("New full name.")),
        email: str = typer.Option(None, "--email", help=_("New e-mail address (\"\" removes "
                                                          "it).")),
        address: str = typer.Option(None, "--address", help=_("New postal address (\"\" "
                                                              "removes it).")),
        language: str = typer.Option(None, "--language", help=_(
            "Language of the member's e-mails: fr or en.")),
        monthly: str = typer.Option(None, "--monthly", help=_("New planned monthly saving, "
                                                              "e.g. 40,00 (needs --from).")),
        from_month: str = typer.Option(None, "--from", help=_(
            "First month of the new plan, YYYY-MM; earlier months keep their plan.")),
    ) -> None:
        plan = Money.parse(monthly) if monthly is not None else None
        start = common.parse_month(from_month) if from_month is not None else None
        if language is not None:
            common.choice(language, "--language", i18n.LANGUAGES)
        with common.session(ctx) as s:
            out = plans.edit_member(s, get_club(s, club), member, name=name, email=email,
                                    address=address, lang=language, monthly=plan,
                                    from_month=start)
        if not out.changed:
            print(_("Member {code}: nothing changed.").format(code=member))
            return
        print(_("Member {code} updated.").format(code=member))
        if "monthly" in out.changed:
            for period in out.plan:
                print(_("  from {month}: {amount} a month").format(
                    month=fmt.month(period.start), amount=fmt.money(period.monthly)))

    @member_app.command("leave", help=_("A member leaves (or dies): settle their share by "
                                        "payout, transfer or deferred payment."))
    def member_leave(
        ctx: typer.Context,
        club: str = common.club_option(),
        member: str = typer.Option(..., "--member", help=_("Member code.")),
        date: str = typer.Option(..., "--date", help=_("Date of leaving, YYYY-MM-DD.")),
        settlement: str = typer.Option(
            ..., "--settlement",
            help=_("payout (paid now from the bank), transfer (share taken over by --to) or "
                   "deferred (paid at liquidation).")),
        to: str = typer.Option(None, "--to", help=_("Member taking over the share "
                                                    "(transfer).")),
        deceased: bool = typer.Option(False, "--deceased", help=_("The member died.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
    ) -> None:
        common.check_format(format, dialect)
        common.choice(settlement, "--settlement", members.SETTLEMENTS)
        when = common.require_date(date)
        with common.session(ctx) as s:
            out = members.leave(s, get_club(s, club), code=member, date=when,
                                settlement=settlement, to=to, deceased=deceased,
                                today=common.today())
        entries = [f"{e.journal} {e.number}" for e in out.entries]
        payload = {"member": out.member, "date": out.date, "settlement": out.settlement,
                   "value": out.value, "entries": entries}
        if format == "table":
            print(_("{member} left on {date} ({settlement}); value of the share: {value}; "
                    "entries: {entries}.").format(
                member=out.member, date=fmt.date(when), settlement=settlement,
                value=fmt.money(out.value), entries=", ".join(entries) or "—"))
        else:
            emit(format, columns=[Column(k, k) for k in payload], rows=[payload],
                 payload=payload)

    @member_app.command("list", help=_("The share table: each member's contributions, share "
                                       "and value on a date."))
    def member_list(
        ctx: typer.Context,
        club: str = common.club_option(),
        as_of: str = common.as_of_option(),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
        date = common.parse_date(as_of) or common.today()
        with common.session(ctx, write=False) as s:
            table, rows = members.member_table(s, get_club(s, club), date)
        data = [{"code": r.code, "name": r.name, "joined": r.joined, "left": r.left,
                 "deceased": r.deceased, "monthly": r.monthly, "paid": r.paid,
                 "contributed": r.contributed, "book_capital": r.book_capital,
                 "share": r.share_text, "value": r.value, "units": r.units} for r in rows]
        # At 80 columns: member, name, share and value stay; book capital goes first.
        columns = [Column("code", _("Member")), Column("name", _("Name")),
                   Column("joined", _("Joined"), drop=3), Column("left", _("Left"), drop=2),
                   Column("paid", _("Paid in"), True, drop=4),
                   Column("contributed", _("Net contributions"), True, drop=1),
                   Column("book_capital", _("Book capital"), True, drop=5),
                   Column("share", _("Share"), True, show=fmt.share_text),
                   Column("value", _("Value"), True)]
        if table.method == "units":
            columns.insert(-1, Column("units", _("Units"), True))
        emit(format, columns=columns, rows=data, payload=data, output=output,
             title=_("Share table on {date} – net assets {assets}").format(
                 date=fmt.date(date), assets=fmt.money(table.net_assets)),
             footer={"code": _("Total"), "value": table.net_assets})

    @saving_app.command("add", help=_("Record a member's saving paid into the bank."))
    def saving_add(
        ctx: typer.Context,
        club: str = common.club_option(),
        member: str = typer.Option(..., "--member", help=_("Member code.")),
        date: str = typer.Option(..., "--date", help=_("Date of payment, YYYY-MM-DD.")),
        amount: str = typer.Option(..., "--amount", help=_("Amount, e.g. 30,00.")),
        reference: str = typer.Option(None, "--reference", help=_("Bank reference.")),
        key: str = typer.Option(None, "--key", help=_("Idempotency key.")),
    ) -> None:
        when = common.require_date(date)
        value = Money.parse(amount)
        with common.session(ctx) as s:
            result = savings.add_saving(s, get_club(s, club), member_code=member, date=when,
                                        amount=value, reference=reference, key=key,
                                        today=common.today())
        _posted(result.entry)
        for w in result.warnings:
            common.notice(common.render(w))

    @saving_app.command("collect", help=_("Record every active member's planned saving for a "
                                          "month (once per member and month)."))
    def saving_collect(
        ctx: typer.Context,
        club: str = common.club_option(),
        month: str = typer.Option(..., "--month", help=_("Month, YYYY-MM.")),
        date: str = typer.Option(None, "--date", help=_("Date of payment; default the last "
                                                        "day of the month (or today).")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
    ) -> None:
        common.check_format(format, dialect)
        year, month_no = common.parse_month(month)
        when = common.parse_date(date)
        with common.session(ctx) as s:
            result = savings.collect_month(s, get_club(s, club), year, month_no, date=when,
                                           today=common.today())
        rows: list[dict[str, str | None]] = [
                {"member": r.member, "entry": f"{r.entry.journal} {r.entry.number}",
                 "status": "recorded"} for r in result.recorded]
        rows += [{"member": code, "entry": None, "status": "already_recorded"}
                 for code in result.already]
        rows += [{"member": code, "entry": None, "status": "skipped"} for code in result.skipped]
        rows.sort(key=lambda r: str(r["member"]))
        shown = rows if format != "table" else [
            {**r, "status": labels.label(labels.COLLECT_STATUSES, r["status"])} for r in rows]
        emit(format, columns=[Column("member", _("Member")), Column("entry", _("Entry")),
                              Column("status", _("Status"))],
             rows=shown, payload={"date": result.date, "members": rows},
             title=_("Savings of {month} on {date}").format(
                 month=fmt.month(dt.date(year, month_no, 1)), date=fmt.date(result.date)))
        for r in result.recorded:
            for w in r.warnings:
                common.notice(common.render(w))

    @saving_app.command("arrears", help=_("Planned savings against what each member paid."))
    def saving_arrears(
        ctx: typer.Context,
        club: str = common.club_option(),
        as_of: str = common.as_of_option(),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
        date = common.parse_date(as_of) or common.today()
        with common.session(ctx, write=False) as s:
            rows = savings.arrears(s, get_club(s, club), date)
        data = [{"member": a.member, "monthly": a.monthly, "months": a.months_expected,
                 "expected": a.expected, "paid": a.paid, "behind": a.behind,
                 "months_behind": a.months_behind} for a in rows]
        emit(format,
             columns=[Column("member", _("Member")), Column("monthly", _("Monthly"), True),
                      Column("months", _("Months"), True, show=fmt.count),
                      Column("expected", _("Expected"), True), Column("paid", _("Paid"), True),
                      Column("behind", _("Behind"), True),
                      Column("months_behind", _("Months behind"), True)],
             rows=data, payload={"as_of": date, "members": data}, output=output,
             title=_("Savings arrears on {date}").format(date=fmt.date(date)))

    def flow_command(kinds: dict[str, str], expense: bool) -> None:
        target = expense_app if expense else income_app

        @target.command("add", help=_("Record an expense paid from the bank.") if expense
                        else _("Record income received in the bank."))
        def flow_add(
            ctx: typer.Context,
            club: str = common.club_option(),
            date: str = typer.Option(..., "--date", help=_("Date, YYYY-MM-DD.")),
            amount: str = typer.Option(..., "--amount", help=_("Amount, e.g. 4,50.")),
            kind: str = typer.Option(..., "--kind", help=", ".join(kinds)),
            label: str = typer.Option(..., "--label", help=_("What it is.")),
            key: str = typer.Option(None, "--key", help=_("Idempotency key.")),
        ) -> None:
            common.choice(kind, "--kind", tuple(kinds))
            when = common.require_date(date)
            value = Money.parse(amount)
            service = flows.add_expense if expense else flows.add_income
            with common.session(ctx) as s:
                entry = service(s, get_club(s, club), date=when, amount=value, kind=kind,
                                label=label, key=key, today=common.today())
            _posted(entry)

    flow_command(flows.EXPENSE_ACCOUNTS, expense=True)
    flow_command(flows.INCOME_ACCOUNTS, expense=False)
