"""`cigales club ...` and `cigales account ...`."""

from __future__ import annotations

import typer

from cigales.cli import common, switchover
from cigales.cli.output import Column, emit
from cigales.i18n import _
from cigales.services import accounts, clubs, lifecycle, portfolio
from ledger.errors import N_
from reports import fmt, labels
from reports.labels import phase_name

# What `club show` prints, in this order, with the words people read for each field.
FIELDS = {
    "slug": N_("Identifier"), "name": N_("Name"), "region": N_("Region"),
    "department": N_("Department"), "siren": N_("SIREN"), "founded": N_("Founded on"),
    "as_of": N_("Situation on"), "phase_label": N_("Phase"),
    "phase_ends": N_("End of the current phase"), "life_ends": N_("End of the club's life"),
    "prorogation": N_("Prorogation decided on"), "share_method": N_("Shares computed"),
    "phase2_savings": N_("Savings in the management phase"),
    "phase2_investments": N_("New investments in the management phase"),
    "result_allocation": N_("Result of the year goes to"),
    "members_active": N_("Active members"), "cash": N_("Cash at bank"),
    "net_assets": N_("Net assets"),
}
RESULT_ALLOCATIONS = {"carry_forward": N_("retained earnings (110/119)"),
                      "members": N_("the members, pro rata of their shares (1018)")}


def _field_value(key: str, value: object) -> object:
    if key == "share_method":
        return labels.label(labels.SHARE_METHODS, str(value))
    if key == "result_allocation":
        return labels.label(RESULT_ALLOCATIONS, str(value))
    if isinstance(value, bool):
        return _("allowed") if value else _("not allowed")
    if key == "members_active":
        return fmt.count(int(str(value)))
    if key == "siren" and not value:
        return "—"
    return value


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``; their help lines are in cigales.cli.app.COMMANDS."""
    club_app = typer.Typer(no_args_is_help=True)
    app.add_typer(club_app, name="club")
    account_app = typer.Typer(no_args_is_help=True)
    app.add_typer(account_app, name="account")
    switchover.register_club(club_app)

    @club_app.command("create", help=_("Create a club and open its books with the chart of "
                                       "accounts."))
    def club_create(
        ctx: typer.Context,
        slug: str = typer.Argument(..., help=_("Identifier, e.g. les-fourmis.")),
        name: str = typer.Option(..., "--name", help=_("The club's name.")),
        founded: str = typer.Option(..., "--founded",
                                    help=_("Date the convention was signed (T0), YYYY-MM-DD.")),
        region: str = typer.Option(None, "--region", help=_("Regional association.")),
        department: str = typer.Option(None, "--department", help=_("Department number.")),
        share_method: str = typer.Option(
            "prorata", "--share-method",
            help=_("How members' shares are computed: prorata (of net contributions, default) "
                   "or units (savings buy units at the club's value per unit).")),
        phase2_savings: bool = typer.Option(
            False, "--phase2-savings/--no-phase2-savings",
            help=_("Whether members keep saving in the management phase (default: no).")),
        phase2_investments: bool = typer.Option(
            False, "--phase2-investments/--no-phase2-investments",
            help=_("Whether new investments are allowed in the management phase "
                   "(default: no).")),
        result_allocation: str = typer.Option(
            "carry_forward", "--result-allocation",
            help=_("Where the year's result goes at closing: carry_forward (110/119, default) "
                   "or members (1018 accounts, pro rata of shares).")),
        retention_years: int = typer.Option(
            10, "--retention-years",
            help=_("Years members' identities are kept after the club closes before they can "
                   "be erased (default 10).")),
        siren: str = typer.Option(None, "--siren", help=_("The club's SIREN number (9 digits), "
                                                         "if it has one; names its FEC file.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
    ) -> None:
        common.check_format(format, dialect)
        founded_on = common.require_date(founded)
        with common.session(ctx) as s:
            club = clubs.create_club(s, slug, name, founded_on, today=common.today(),
                                     region=region, department=department,
                                     share_method=share_method, phase2_savings=phase2_savings,
                                     phase2_investments=phase2_investments,
                                     result_allocation=result_allocation,
                                     retention_years=retention_years, siren=siren)
            payload = {"slug": club.slug, "name": club.name, "founded": club.founded,
                       "region": club.region, "department": club.department,
                       "share_method": club.share_method,
                       "phase2_savings": club.phase2_savings,
                       "phase2_investments": club.phase2_investments,
                       "result_allocation": club.result_allocation,
                       "retention_years": club.retention_years, "siren": club.siren}
        if format == "table":
            print(_("Club “{club}” created; books opened on {date}.").format(
                club=name, date=fmt.date(founded_on)))
        else:
            emit(format, columns=[Column(k, k) for k in payload], rows=[payload],
                 payload=payload)

    @club_app.command("list", help=_("List the clubs in the database."))
    def club_list(
        ctx: typer.Context,
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
        today = common.today()
        with common.session(ctx, write=False) as s:
            rows = [
                {"slug": c.slug, "name": c.name, "founded": c.founded, "region": c.region,
                 "department": c.department, "entries": c.entries, "cash": c.cash,
                 "phase": (code := lifecycle.lifecycle(s, clubs.get_club(s, c.slug))
                           .reported_phase(today)),
                 "phase_label": phase_name(code)}
                for c in clubs.list_clubs(s)
            ]
        emit(format,
             columns=[Column("slug", _("Club")), Column("name", _("Name")),
                      Column("founded", _("Founded")), Column("region", _("Region")),
                      Column("department", _("Dept.")),
                      Column("phase_label", _("Phase")),
                      Column("entries", _("Entries"), numeric=True, show=fmt.count),
                      Column("cash", _("Cash"), numeric=True)],
             rows=rows, payload=rows, output=output, title=_("Clubs"))

    @club_app.command("show", help=_("Phase, key dates, members, cash, net assets and alerts "
                                     "of a club on a date."))
    def club_show(
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
            st = lifecycle.status(s, clubs.get_club(s, club), date)
            more = portfolio.investment_alerts(s, st.club, date)
            reported = lifecycle.lifecycle(s, st.club).reported_phase(date)
        c = st.club
        alerts = [{"code": a.code, "message": a.render(_)} for a in (*st.alerts, *more)]
        payload = {
            "slug": c.slug, "name": c.name, "region": c.region, "department": c.department,
            "siren": c.siren, "founded": c.founded, "as_of": st.as_of, "phase": reported,
            "phase_label": phase_name(reported),
            "phase_ends": st.phase_ends, "life_ends": st.life_ends,
            "prorogation": st.prorogation.date if st.prorogation else None,
            "share_method": c.share_method, "phase2_savings": c.phase2_savings,
            "phase2_investments": c.phase2_investments,
            "result_allocation": c.result_allocation,
            "members_active": st.members_active, "cash": st.cash,
            "net_assets": st.net_assets, "alerts": alerts,
        }
        if format == "json":
            emit(format, columns=[], rows=[], payload=payload, output=output)
            return
        rows: list[dict[str, object]]
        if format == "csv":
            rows = [{"field": k, "value": v} for k, v in payload.items()
                    if k not in ("alerts", "phase")]
            rows += [{"field": "alert", "value": a["code"]} for a in alerts]
        else:
            # People read the phase by its name, each setting in words, alerts with their
            # dates the French way.
            rows = [{"field": _(FIELDS[k]), "value": _field_value(k, v)}
                    for k, v in payload.items() if k in FIELDS]
            rows += [{"field": _("Alert"), "value": fmt.notice(a, _)}
                     for a in (*st.alerts, *more)]
        emit(format, columns=[Column("field", _("Field")), Column("value", _("Value"))],
             rows=rows, payload=payload, output=output, title=c.name)

    @club_app.command("set", help=_("Record the club's SIREN number after its creation."))
    def club_set(
        ctx: typer.Context,
        club: str = common.club_option(),
        siren: str = typer.Option(..., "--siren", help=_("The club's SIREN number (9 "
                                                        "digits).")),
    ) -> None:
        with common.session(ctx) as s:
            c = clubs.set_siren(s, clubs.get_club(s, club), siren)
            number, name = c.siren, c.name
        print(_("SIREN {siren} recorded for “{club}”.").format(siren=number, club=name))

    @club_app.command("extend", help=_("Record the prorogation into the management phase "
                                       "(once, in the 12 months before the end of phase 1)."))
    def club_extend(
        ctx: typer.Context,
        club: str = common.club_option(),
        date: str = typer.Option(..., "--date", help=_("Date of the decision, YYYY-MM-DD.")),
        late: bool = typer.Option(False, "--late", help=_("Accept a decision taken after the "
                                                          "investment phase ended.")),
    ) -> None:
        decided = common.require_date(date)
        with common.session(ctx) as s:
            event = lifecycle.extend(s, clubs.get_club(s, club), decided, late=late,
                                     today=common.today())
        print(_("Prorogation recorded on {date}.").format(date=fmt.date(event.date)))

    @club_app.command("liquidate", help=_("Final distribution of the cash pro rata of final "
                                          "shares, payments to members, club closed."))
    def club_liquidate(
        ctx: typer.Context,
        club: str = common.club_option(),
        date: str = typer.Option(..., "--date", help=_("Date of the distribution, "
                                                       "YYYY-MM-DD.")),
        dry_run: bool = typer.Option(False, "--dry-run", help=_("Show the plan, write "
                                                                "nothing.")),
        yes: bool = typer.Option(False, "--yes", help=_("Do not ask for confirmation.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
    ) -> None:
        common.check_format(format, dialect)
        when = common.require_date(date)
        if not dry_run:
            common.confirm(yes, _("Liquidating the club"))
        with common.session(ctx, write=not dry_run) as s:
            the_club = clubs.get_club(s, club)
            name = the_club.name
            plan = lifecycle.liquidate(s, the_club, when, today=common.today(), dry_run=dry_run)
        rows = [{"member": p.member, "share": p.share, "amount": p.amount,
                 "owed_before": p.owed_before} for p in plan.distribution]
        emit(format,
             columns=[Column("member", _("Member")),
                      Column("share", _("Share"), True, show=fmt.share_text),
                      Column("amount", _("Amount"), True),
                      Column("owed_before", _("Already owed"), True)],
             rows=rows,
             payload={"date": plan.date, "dry_run": dry_run, "cash": plan.cash,
                      "owed_to_leavers": plan.owed_to_leavers,
                      "distributable": plan.distributable, "distribution": rows},
             title=_("Liquidation of {club} on {date} – cash {cash}").format(
                 club=name, date=fmt.date(when), cash=fmt.money(plan.cash)),
             footer={"member": _("Total"), "amount": plan.distributable,
                     "owed_before": plan.owed_to_leavers})

    @account_app.command("add", help=_("Open an account or sub-account (e.g. 1011-M01)."))
    def account_add(
        ctx: typer.Context,
        club: str = common.club_option(),
        code: str = typer.Option(..., "--code", help=_("Account code, e.g. 5122 or 1011-M01.")),
        label: str = typer.Option(..., "--label", help=_("Account label.")),
    ) -> None:
        with common.session(ctx) as s:
            info = accounts.open_account(s, clubs.get_club(s, club), code, label)
        print(_("Account {code} opened.").format(code=info.code))

    @account_app.command("list", help=_("List the accounts of a club's book."))
    def account_list(
        ctx: typer.Context,
        club: str = common.club_option(),
        prefix: str = typer.Option(None, "--account", help=_("Only codes starting with this.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
        with common.session(ctx, write=False) as s:
            rows = [{"code": a.code, "label": a.label, "postable": a.postable}
                    for a in accounts.list_accounts(s, clubs.get_club(s, club), prefix)]
        emit(format,
             columns=[Column("code", _("Account")), Column("label", _("Label")),
                      Column("postable", _("Postable"))],
             rows=rows, payload=rows, output=output, title=_("Chart of accounts"))
