"""`cigales investee|equity|loan|portfolio|tax ...`: what the club finances."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import typer
from sqlalchemy.orm import Session

from cigales.cli import common
from cigales.cli.output import Column, emit
from cigales.errors import Notice
from cigales.i18n import _, ngettext
from cigales.models import LEGAL_FORMS, Club
from cigales.services import investments, loans, portfolio
from cigales.services.clubs import get_club
from cigales.shares import share_text
from ledger import queries
from ledger.money import Money
from ledger.queries import JournalEntry
from reports import fmt
from reports.labels import BUCKETS, INSTALMENT_STATUSES, KINDS, STATUSES, label

FREQUENCIES = ("monthly", "quarterly", "yearly")
METHODS = ("linear", "annuity")


def _notices(notices: Sequence[Notice]) -> None:
    for n in notices:
        common.notice(common.render(n))


def _result(result: investments.InvestmentResult, format: str, key: str = "number",
            booked: JournalEntry | None = None) -> None:
    """Print a write's result: the bare number for commands that create something (scripts
    read it), or, given the entry read back (``booked``), what was booked and what it means."""
    payload: dict[str, Any] = {key: result.number}
    if result.entry is not None:
        payload["entry"] = f"{result.entry.journal} {result.entry.number}"
    if booked is not None:
        payload["date"] = booked.date.isoformat()
        payload["label"] = booked.label
        payload["lines"] = [{"account": ln.account, "label": ln.label,
                             "debit": (ln.amount if ln.amount.cents > 0 else Money(0)).plain(),
                             "credit": (-ln.amount if ln.amount.cents < 0 else Money(0)).plain()}
                            for ln in booked.lines]
        payload["booked"] = {name: value.plain() for name, value in result.booked}
    if format == "json":
        emit("json", columns=[], rows=[], payload=payload)
    elif booked is None:
        print(result.number)
    else:
        print(_booked_text(booked, result))
    if format != "json" and result.entry is not None and not result.entry.created:
        common.notice(_("Already recorded with this key: nothing new was written."))
    _notices(result.notices)


def _booked_labels() -> dict[str, str]:
    return {"amount": _("Amount"), "proceeds": _("Proceeds"),
            "written_off": _("Loss written off"),
            "cost": _("Cost of the shares leaving"), "gain": _("Gain"), "loss": _("Loss"),
            "impairment_released": _("Impairment released"),
            "principal": _("Principal"), "interest": _("Interest"),
            "outstanding_after": _("Outstanding principal after")}


def _booked_text(entry: JournalEntry, result: investments.InvestmentResult) -> str:
    """The entry as a treasurer reads it: number, date, label, debit and credit lines, then
    what the amounts mean (principal/interest split, gain or loss, what is still owed)."""
    lines = [_("Entry {journal} {number} of {date}: {label}").format(
        journal=entry.journal, number=entry.number, date=fmt.date(entry.date),
        label=entry.label)]
    width = max(len(ln.account) for ln in entry.lines)
    label_width = max(len(ln.label) for ln in entry.lines)
    for ln in entry.lines:
        side = _("debit") if ln.amount.cents > 0 else _("credit")
        value = ln.amount if ln.amount.cents > 0 else -ln.amount
        lines.append(f"  {ln.account.ljust(width)}  {ln.label.ljust(label_width)}  "
                     f"{side.ljust(6)} {fmt.amount(value).rjust(12)}")
    labels = _booked_labels()
    if result.booked:
        lines.append(" · ".join(_("{label}: {amount}").format(label=labels[name],
                                                              amount=fmt.amount(value))
                                for name, value in result.booked))
    return "\n".join(lines)


def _entry_read_back(session: Session, club: Club,
                     result: investments.InvestmentResult) -> JournalEntry | None:
    """The entry a write booked, read back from the ledger inside the same transaction."""
    if result.entry is None:
        return None
    found = [e for e in queries.journal(session, club.book_id, result.entry.journal,
                                        result.entry.date, result.entry.date)
             if e.number == result.entry.number]
    return found[0] if found else None


def _int(value: str, option: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise common.InvalidChoice(value=value, option=option,
                                   allowed=_("a whole number")) from exc


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``; their help lines are in cigales.cli.app.COMMANDS."""
    investee_app = typer.Typer(no_args_is_help=True)
    equity_app = typer.Typer(no_args_is_help=True)
    loan_app = typer.Typer(no_args_is_help=True)
    tax_app = typer.Typer(no_args_is_help=True)
    app.add_typer(investee_app, name="investee")
    app.add_typer(equity_app, name="equity")
    app.add_typer(loan_app, name="loan")
    app.add_typer(tax_app, name="tax")

    # -- investees ------------------------------------------------------------------------------
    @investee_app.command("add", help=_("Record an investee (company or association)."))
    def investee_add(
        ctx: typer.Context,
        club: str = common.club_option(),
        slug: str = typer.Option(..., "--slug", help=_("Identifier, e.g. la-fabrique.")),
        name: str = typer.Option(..., "--name", help=_("Name of the company or association.")),
        legal_form: str = typer.Option(..., "--legal-form", help=", ".join(LEGAL_FORMS)),
        siren: str = typer.Option(None, "--siren", help=_("SIREN number (9 digits).")),
        esus: bool = typer.Option(False, "--esus", help=_("Approved social enterprise "
                                                           "(ESUS).")),
        capital: str = typer.Option(None, "--capital", help=_("Share capital, if known.")),
        sector: str = typer.Option(None, "--sector", help=_("Sector of activity.")),
    ) -> None:
        common.choice(legal_form, "--legal-form", LEGAL_FORMS)
        cap = Money.parse(capital) if capital is not None else None
        with common.session(ctx) as s:
            investments.add_investee(s, get_club(s, club), slug=slug, name=name,
                                     legal_form=legal_form, siren=siren, esus=esus,
                                     capital=cap, sector=sector)
        print(_("Investee “{slug}” recorded.").format(slug=slug))

    @investee_app.command("set", help=_("Record an investee's share capital or SIREN learnt "
                                        "after it was added."))
    def investee_set(
        ctx: typer.Context,
        club: str = common.club_option(),
        investee: str = typer.Option(..., "--investee", help=_("Investee identifier.")),
        siren: str = typer.Option(None, "--siren", help=_("SIREN number (9 digits).")),
        capital: str = typer.Option(None, "--capital", help=_("Share capital.")),
    ) -> None:
        if siren is None and capital is None:
            raise common.MissingValue(option="--capital / --siren")
        cap = Money.parse(capital) if capital is not None else None
        with common.session(ctx) as s:
            c = get_club(s, club)
            investments.update_investee(s, c, investments.get_investee(s, c, investee),
                                        capital=cap, siren=siren)
        print(_("Investee “{slug}” updated.").format(slug=investee))

    @investee_app.command("jobs", help=_("Record the jobs created and kept at an investee on "
                                         "a date."))
    def investee_jobs(
        ctx: typer.Context,
        club: str = common.club_option(),
        investee: str = typer.Option(..., "--investee", help=_("Investee identifier.")),
        date: str = typer.Option(..., "--date", help=_("Date, YYYY-MM-DD.")),
        created: int = typer.Option(..., "--created", help=_("Jobs created.")),
        kept: int = typer.Option(..., "--kept", help=_("Jobs kept.")),
    ) -> None:
        when = common.require_date(date)
        with common.session(ctx) as s:
            c = get_club(s, club)
            investments.record_jobs(s, investments.get_investee(s, c, investee), date=when,
                                    created=created, kept=kept, today=common.today())
        print(_("Jobs recorded."))

    # -- equity ---------------------------------------------------------------------------------
    def equity_command(name: str, help_text: str, action: Callable[..., Any],
                       fields: Sequence[str], show_booked: bool = False) -> None:
        """Every equity command takes --club --investee --date and a few of the fields."""

        def command(
            ctx: typer.Context,
            club: str = common.club_option(),
            investee: str = typer.Option(..., "--investee", help=_("Investee identifier.")),
            date: str = typer.Option(..., "--date", help=_("Date, YYYY-MM-DD.")),
            shares: str = typer.Option(None, "--shares", help=_("Number of shares.")),
            unit_price: str = typer.Option(None, "--unit-price", help=_("Price of one "
                                                                         "share.")),
            amount: str = typer.Option(None, "--amount", help=_("Amount.")),
            price: str = typer.Option(None, "--price", help=_("Total price received.")),
            value: str = typer.Option(None, "--value", help=_("Value of the whole stake.")),
            above_nominal: bool = typer.Option(
                False, "--above-nominal",
                help=_("equity sell only: confirm a sale of SCOP/SCIC parts above their "
                       "nominal value.")),
            format: str = common.format_option(),
            dialect: str = common.dialect_option(),
        ) -> None:
            common.check_format(format, dialect)
            given = {"shares": shares, "unit_price": unit_price, "amount": amount,
                     "price": price, "value": value}
            for field in fields:
                if given[field] is None:
                    raise common.MissingValue(option="--" + field.replace("_", "-"))
            when = common.require_date(date)
            kwargs: dict[str, Any] = {"date": when, "today": common.today()}
            if "shares" in fields:
                kwargs["shares"] = _int(shares, "--shares")
            for field in ("unit_price", "amount", "value"):
                if field in fields:
                    kwargs[field] = Money.parse(str(given[field]))
            if "price" in fields:
                kwargs["proceeds"] = Money.parse(price)
            if name == "sell":
                kwargs["above_nominal"] = above_nominal
            elif above_nominal:
                raise common.InvalidChoice(value="--above-nominal", option=name,
                                           allowed="equity sell")
            with common.session(ctx) as s:
                c = get_club(s, club)
                result = action(s, c, investments.get_investee(s, c, investee), **kwargs)
                booked = (_entry_read_back(s, c, result)
                          if show_booked and result is not None else None)
            if result is None:
                print(_("Recorded."))
            else:
                _result(result, format, booked=booked)

        equity_app.command(name, help=help_text)(command)

    equity_command("subscribe", _("Subscribe shares (payment from the bank); prints the "
                                  "investment number."),
                   investments.subscribe, ("shares", "unit_price"))
    equity_command("dividend", _("Record a dividend received."), investments.dividend,
                   ("amount",), show_booked=True)
    equity_command("sell", _("Sell shares (oldest subscriptions first); --price is the total "
                             "received."),
                   lambda s, c, i, **kw: investments.dispose(s, c, i, kind="sale", **kw),
                   ("shares", "price"), show_booked=True)
    equity_command("redeem", _("Redemption of shares at nominal value by the company."),
                   lambda s, c, i, **kw: investments.dispose(s, c, i, kind="redemption",
                                                             proceeds=None, **kw),
                   ("shares",), show_booked=True)
    equity_command("impair", _("Impairment of a stake (6866 / 2961)."),
                   lambda s, c, i, **kw: investments.impair(s, c, i, reverse=False, **kw),
                   ("amount",))
    equity_command("reverse-impairment", _("Reversal of an impairment (2961 / 7866)."),
                   lambda s, c, i, **kw: investments.impair(s, c, i, reverse=True, **kw),
                   ("amount",))
    equity_command("write-off", _("The company was liquidated: the stake is cancelled "
                                  "(6750)."), investments.write_off, ())
    equity_command("value", _("Record a dated valuation of the stake (used by the units "
                              "share method)."), investments.record_valuation, ("value",))

    # -- loans ----------------------------------------------------------------------------------
    @loan_app.command("grant", help=_("Grant a loan (payment from the bank); prints the loan "
                                      "number."))
    def loan_grant(
        ctx: typer.Context,
        club: str = common.club_option(),
        investee: str = typer.Option(..., "--investee", help=_("Investee identifier.")),
        date: str = typer.Option(..., "--date", help=_("Date of payment, YYYY-MM-DD.")),
        principal: str = typer.Option(..., "--principal", help=_("Amount lent.")),
        instalments: int = typer.Option(1, "--instalments", help=_("Number of instalments.")),
        deferral: int = typer.Option(0, "--deferral", help=_("Periods before the first "
                                                             "principal instalment.")),
        rate: str = typer.Option("0", "--rate", help=_("Annual rate, e.g. 0.02 for 2%.")),
        method: str = typer.Option("linear", "--method", help="linear, annuity"),
        frequency: str = typer.Option("monthly", "--frequency",
                                      help="monthly, quarterly, yearly"),
        kind: str = typer.Option("honour", "--kind", help=", ".join(loans.LOAN_KINDS)),
        term: str = typer.Option(None, "--term", help=_("Single repayment date (contributions "
                                                        "and participating titles).")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
    ) -> None:
        common.check_format(format, dialect)
        common.choice(method, "--method", METHODS)
        common.choice(frequency, "--frequency", FREQUENCIES)
        common.choice(kind, "--kind", loans.LOAN_KINDS)
        when = common.require_date(date)
        amount = Money.parse(principal)
        annual = loans.parse_rate(rate)
        term_date = common.parse_date(term)
        with common.session(ctx) as s:
            c = get_club(s, club)
            result = loans.grant(s, c, investments.get_investee(s, c, investee), date=when,
                                 principal=amount, instalments=instalments, deferral=deferral,
                                 rate=annual, method=method, frequency=frequency, kind=kind,
                                 term=term_date, today=common.today())
        _result(result, format, key="loan")

    @loan_app.command("schedule", help=_("A loan's schedule with what was paid."))
    def loan_schedule(
        ctx: typer.Context,
        club: str = common.club_option(),
        loan: int = typer.Option(..., "--loan", help=_("Loan number.")),
        as_of: str = common.as_of_option(),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
        date = common.parse_date(as_of) or common.today()
        with common.session(ctx, write=False) as s:
            c = get_club(s, club)
            inv, investee = loans.get_loan(s, c, loan)
            v = loans.view(s, inv, investee, date)
        rows = [{"n": st.instalment.n, "due": st.instalment.due,
                 "principal": st.instalment.principal, "interest": st.instalment.interest,
                 "total": st.instalment.total, "outstanding_after": st.instalment.outstanding_after,
                 "paid": st.paid, "status": st.status} for st in v.statuses]
        emit(format,
             columns=[Column("n", "#", True), Column("due", _("Due")),
                      Column("principal", _("Principal"), True),
                      Column("interest", _("Interest"), True), Column("total", _("Total"), True),
                      Column("outstanding_after", _("Outstanding after"), True),
                      Column("paid", _("Paid"), True),
                      Column("status", _("Status"),
                             show=lambda v: label(INSTALMENT_STATUSES, v))],
             rows=rows,
             payload={"loan": loan, "investee": investee.slug, "kind": inv.kind,
                      "principal": Money(inv.amount_cents), "version": v.schedule.version,
                      "outstanding": v.outstanding, "instalments": rows},
             output=output,
             title=_("Loan {number} to {investee}").format(number=loan, investee=investee.name))

    @loan_app.command("repay", help=_("Record a repayment (oldest instalment first, interest "
                                      "first)."))
    def loan_repay(
        ctx: typer.Context,
        club: str = common.club_option(),
        loan: int = typer.Option(..., "--loan", help=_("Loan number.")),
        date: str = typer.Option(..., "--date", help=_("Date, YYYY-MM-DD.")),
        amount: str = typer.Option(..., "--amount", help=_("Amount received.")),
        key: str = typer.Option(None, "--key", help=_("Idempotency key.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
    ) -> None:
        common.check_format(format, dialect)
        when = common.require_date(date)
        value = Money.parse(amount)
        with common.session(ctx) as s:
            c = get_club(s, club)
            result = loans.repay(s, c, loan, date=when, amount=value, key=key,
                                 today=common.today())
            booked = _entry_read_back(s, c, result)
        _result(result, format, key="loan", booked=booked)

    @loan_app.command("payoff", help=_("The amount that settles a loan early on a date: "
                                       "outstanding principal + interest accrued to that "
                                       "date."))
    def loan_payoff(
        ctx: typer.Context,
        club: str = common.club_option(),
        loan: int = typer.Option(..., "--loan", help=_("Loan number.")),
        date: str = typer.Option(..., "--date", help=_("Date of the payment, YYYY-MM-DD.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
    ) -> None:
        common.check_format(format, dialect)
        when = common.require_date(date)
        with common.session(ctx, write=False) as s:
            quote = loans.payoff(s, get_club(s, club), loan, date=when, today=common.today())
        st = quote.settlement
        payload = {"loan": loan, "investee": quote.investee.slug, "date": when,
                   "principal": st.principal, "overdue_interest": st.overdue_interest,
                   "accrued_interest": st.accrued_interest, "interest": st.interest,
                   "overdue_instalments": st.overdue_rows, "payoff": st.total}
        if format == "json":
            emit("json", columns=[], rows=[], payload=payload)
            return
        print(_("Loan {number} to {investee}: paid off on {date} with {total}.").format(
            number=loan, investee=quote.investee.name, date=fmt.date(when),
            total=fmt.amount(st.total)))
        print("  " + _("Outstanding principal: {amount}").format(
            amount=fmt.amount(st.principal)))
        print("  " + ngettext("Interest of {count} unpaid instalment due by then: {amount}",
                              "Interest of {count} unpaid instalments due by then: {amount}",
                              st.overdue_rows).format(
            count=st.overdue_rows, amount=fmt.amount(st.overdue_interest)))
        print("  " + _("Interest of the current period accrued to that date: {amount}").format(
            amount=fmt.amount(st.accrued_interest)))
        print(_("Record it with: cigales loan repay --club {club} --loan {number} --date {date} "
                "--amount {amount}").format(club=club, number=loan, date=when.isoformat(),
                                            amount=st.total.plain()))

    @loan_app.command("reschedule", help=_("New schedule from the outstanding principal; the "
                                           "old one is kept."))
    def loan_reschedule(
        ctx: typer.Context,
        club: str = common.club_option(),
        loan: int = typer.Option(..., "--loan", help=_("Loan number.")),
        date: str = typer.Option(..., "--date", help=_("Date, YYYY-MM-DD.")),
        instalments: int = typer.Option(..., "--instalments", help=_("Number of "
                                                                     "instalments.")),
        deferral: int = typer.Option(0, "--deferral", help=_("Deferral periods.")),
        rate: str = typer.Option(None, "--rate", help=_("New annual rate; default unchanged.")),
    ) -> None:
        when = common.require_date(date)
        annual = loans.parse_rate(rate) if rate is not None else None
        with common.session(ctx) as s:
            v = loans.reschedule(s, get_club(s, club), loan, date=when, instalments=instalments,
                                 deferral=deferral, rate=annual, today=common.today())
        print(_("Loan {number} rescheduled: {outstanding} over {count} instalments.").format(
            number=loan, outstanding=fmt.money(v.outstanding), count=fmt.count(instalments)))

    @loan_app.command("write-off", help=_("Write the outstanding principal off as a loss "
                                          "(6750)."))
    def loan_write_off(
        ctx: typer.Context,
        club: str = common.club_option(),
        loan: int = typer.Option(..., "--loan", help=_("Loan number.")),
        date: str = typer.Option(..., "--date", help=_("Date, YYYY-MM-DD.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
    ) -> None:
        common.check_format(format, dialect)
        when = common.require_date(date)
        with common.session(ctx) as s:
            c = get_club(s, club)
            result = loans.write_off(s, c, loan, date=when, today=common.today())
            booked = _entry_read_back(s, c, result)
        _result(result, format, key="loan", booked=booked)

    @loan_app.command("recover", help=_("Money received on a written-off loan (7718)."))
    def loan_recover(
        ctx: typer.Context,
        club: str = common.club_option(),
        loan: int = typer.Option(..., "--loan", help=_("Loan number.")),
        date: str = typer.Option(..., "--date", help=_("Date, YYYY-MM-DD.")),
        amount: str = typer.Option(..., "--amount", help=_("Amount received.")),
    ) -> None:
        when = common.require_date(date)
        value = Money.parse(amount)
        with common.session(ctx) as s:
            result = loans.recover(s, get_club(s, club), loan, date=when, amount=value,
                                   today=common.today())
        _result(result, "table", key="loan")

    @loan_app.command("arrears", help=_("Late instalments by age and PAR30."))
    def loan_arrears(
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
            report = loans.arrears_report(s, get_club(s, club), date)
        rows = [{"loan": v.investment.number, "investee": v.investee.slug,
                 "outstanding": v.outstanding, "overdue": v.arrears.overdue,
                 "days_late": v.arrears.max_days_past_due, **v.arrears.buckets,
                 "par30": v.arrears.at_risk_30} for v in report.loans]
        emit(format,
             columns=[Column("loan", _("Loan"), True), Column("investee", _("Investee")),
                      Column("outstanding", _("Outstanding"), True),
                      Column("overdue", _("Overdue"), True),
                      Column("days_late", _("Days late"), True),
                      # Narrow terminals: the ageing buckets go (days late stays).
                      *(Column(b, label(BUCKETS, b), True, drop=1) for b in report.buckets),
                      Column("par30", "PAR30")],
             rows=rows,
             payload={"as_of": date, "outstanding": report.outstanding,
                      "par30": share_text(report.par30, 4), "buckets": report.buckets,
                      "loans": rows},
             output=output,
             title=_("Loan arrears on {date} – PAR30 {par}").format(
                 date=fmt.date(date), par=fmt.share(report.par30)),
             footer={"investee": _("Total"), "outstanding": report.outstanding,
                     **report.buckets})

    # -- portfolio and tax -----------------------------------------------------------------------
    @app.command("portfolio")  # help: cigales.cli.app.COMMANDS
    def portfolio_command(
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
            lines = portfolio.portfolio(s, get_club(s, club), date)
        rows = [{"number": ln.number, "investee": ln.investee, "legal_form": ln.legal_form,
                 "sector": ln.sector, "kind": ln.kind, "instrument": ln.instrument,
                 "instrument_label": label(KINDS, ln.instrument),
                 "date": ln.date, "cost": ln.cost,
                 "repaid": ln.repaid, "proceeds": ln.proceeds, "income": ln.income,
                 "written_off": ln.written_off, "impairment": ln.impairment,
                 "outstanding": ln.outstanding, "status": ln.status,
                 "shares_held": ln.shares_held,
                 "keys": [{"member": k.member, "share": share_text(k.share),
                           "amount": k.amount, "income": k.income, "gain": k.gain}
                          for k in ln.keys]} for ln in lines]
        emit(format,
             # At 80 columns: investee, instrument, cost, outstanding and status stay.
             columns=[Column("number", "#", True), Column("investee", _("Investee")),
                      Column("instrument", _("Instrument"), show=lambda v: label(KINDS, v)),
                      Column("date", _("Date"), drop=1),
                      Column("cost", _("Cost"), True), Column("repaid", _("Repaid"), True,
                                                              drop=2),
                      Column("outstanding", _("Outstanding"), True),
                      Column("impairment", _("Impairment"), True, drop=3),
                      Column("status", _("Status"), show=lambda v: label(STATUSES, v))],
             rows=rows, payload=rows, output=output,
             title=_("Portfolio on {date}").format(date=fmt.date(date)))

    @tax_app.command("sheet", help=_("IR-PME tax sheet and taxable income per member for a "
                                     "year."))
    def tax_sheet(
        ctx: typer.Context,
        club: str = common.club_option(),
        year: int = typer.Option(..., "--year", help=_("Year, e.g. 2025.")),
        member: str = typer.Option(None, "--member", help=_("Only this member.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
        with common.session(ctx, write=False) as s:
            c = get_club(s, club)
            if member is not None:
                from cigales.services.members import get_member

                get_member(s, c, member)
            sheets = portfolio.tax_sheets(s, c, year, member)
        payload: list[dict[str, Any]] = [{
            "member": sh.member, "year": sh.year,
            "subscriptions": [{"investment": t.number, "investee": t.investee,
                               "siren": t.siren, "paid_on": t.paid_on,
                               "club_amount": t.club_amount, "key": share_text(t.key),
                               "base": t.base, "rate": share_text(t.rate, 2),
                               "reduction": t.reduction, "lock_up_end": t.lock_up_end}
                              for t in sh.subscriptions],
            "total_base": sh.total_base, "total_reduction": sh.total_reduction,
            "income": [{"source": i.source, "kind": i.kind, "club_amount": i.club_amount,
                        "member_amount": i.member_amount} for i in sh.income],
            "warnings": [{"code": w.code, "message": w.render(_)}
                         for w in sh.warnings],
        } for sh in sheets]
        rows = [{"member": p["member"], **sub} for p in payload for sub in p["subscriptions"]]
        emit(format,
             # At 80 columns: member, investee, date paid, base and reduction stay.
             columns=[Column("member", _("Member")), Column("investee", _("Investee")),
                      Column("siren", "SIREN", drop=5), Column("paid_on", _("Paid on")),
                      Column("club_amount", _("Club amount"), True, drop=4),
                      Column("key", _("Key"), True, show=fmt.share_text, drop=3),
                      Column("base", _("Base"), True),
                      Column("rate", _("Rate"), True, show=fmt.rate, drop=1),
                      Column("reduction", _("Reduction"), True),
                      Column("lock_up_end", _("Lock-up end"), drop=2)],
             rows=rows, payload=payload, output=output,
             title=_("IR-PME tax sheet {year}").format(year=year))
        if format == "table":
            for p in payload:
                for w in p["warnings"]:
                    common.notice(f"{p['member']}: {w['message']}")
