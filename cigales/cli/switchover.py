"""`cigales club switchover|switchover-template` and `cigales member import`."""

from __future__ import annotations

from pathlib import Path

import typer

from cigales.cli import common
from cigales.cli.output import Column, emit
from cigales.i18n import _
from cigales.shares import share_text
from reports import fmt


def _path_argument() -> object:
    return typer.Argument(..., help=_("An .xlsx workbook, or a folder of CSV files (or one "
                                      "CSV file for member import)."))


def register_club(club_app: typer.Typer) -> None:
    @club_app.command("switchover", help=_(
        "Move in a club that kept its books elsewhere: its position at --as-of (members, "
        "investments, loans, balances) from a workbook or a folder of CSV files, booked as "
        "one opening entry. See docs/switchover.md."))
    def club_switchover(
        ctx: typer.Context,
        path: str = _path_argument(),  # type: ignore[assignment]
        club: str = common.club_option(),
        as_of: str = typer.Option(..., "--as-of", help=_("The switchover date D, YYYY-MM-DD.")),
        dry_run: bool = typer.Option(False, "--dry-run", help=_(
            "Show what would be created and every problem found; write nothing.")),
        replace: bool = typer.Option(False, "--replace", help=_(
            "Replace a previous switchover (only while nothing else is booked).")),
        difference_to: str = typer.Option(None, "--difference-to", help=_(
            "Account that takes the difference if the opening entry does not balance.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        from cigales.services import switchover

        common.check_format(format, dialect)
        date = common.require_date(as_of)
        with common.session(ctx) as s:
            result = switchover.switchover(s, club, date, Path(path), today=common.today(),
                                           dry_run=dry_run, replace=replace,
                                           difference_to=difference_to)
        for warning in result.warnings:
            common.notice(warning.render(_))
        members = [{"code": m.code, "name": m.name, "joined": m.joined, "left": m.left,
                    "paid_in": m.paid_in, "owed": m.owed, "share": m.share, "value": m.value,
                    "units": share_text(m.units, 4) if m.units is not None else None}
                   for m in result.members]
        by_units = any(m.units is not None for m in result.members)
        investments = [{"number": i.number, "ref": i.ref, "investee": i.investee,
                        "kind": i.kind, "date": i.date, "amount": i.amount,
                        "outstanding": i.outstanding,
                        "keys": {"records": _("file"),
                                 "paid_in": _("paid in at subscription"),
                                 "switchover": _("computed at D")}[i.keys_basis],
                        **_position(i.position)}
                       for i in result.investments]
        lines = [{"account": a, "debit": m if m.cents > 0 else None,
                  "credit": -m if m.cents < 0 else None} for a, m in result.lines]
        if format == "json":
            emit(format, columns=[], rows=[], output=output, payload={
                "club": result.slug, "as_of": result.as_of, "dry_run": result.dry_run,
                "entry": result.entry, "members": members, "investments": investments,
                "opening_entry": [{"account": a, "amount": m} for a, m in result.lines],
                "net_assets": result.net_assets, "cash": result.cash,
                "warnings": [w.render(_) for w in result.warnings]})
        else:
            emit(format, title=_("Members at {date}").format(date=fmt.date(result.as_of)),
                 columns=[Column("code", _("Code")), Column("name", _("Name")),
                          Column("joined", _("Joined")), Column("left", _("Left")),
                          Column("paid_in", _("Paid in")), Column("owed", _("Owed")),
                          Column("share", _("Share"))]
                 + ([Column("units", _("Units"), True)] if by_units else [])
                 + [Column("value", _("Value"))],
                 rows=members, payload=members, output=output)
            if format == "table":
                emit(format, title=_("Investments"),
                     columns=[Column("number", _("No.")), Column("ref", _("Ref")),
                              Column("investee", _("Investee")), Column("kind", _("Kind")),
                              Column("date", _("Date")), Column("amount", _("Amount")),
                              Column("outstanding", _("At D")),
                              Column("instalments_paid", _("Instalments paid")),
                              Column("next_due", _("Next due")),
                              Column("overdue", _("Overdue at D")),
                              Column("keys", _("Keys"))],
                     rows=investments, payload=investments)
                emit(format, title=_("Opening entry (AN) dated {date}").format(
                         date=result.as_of.isoformat()),
                     columns=[Column("account", _("Account")), Column("debit", _("Debit")),
                              Column("credit", _("Credit"))],
                     rows=lines, payload=lines)
        if dry_run:
            common.notice(_("Dry run: nothing was written."))
        else:
            common.notice(_("Club “{club}” moved in at {date}: {entry}.").format(
                club=result.name, date=fmt.date(result.as_of), entry=result.entry or "—"))

    @club_app.command("switchover-template", help=_(
        "Write the empty switchover workbook: one sheet per table, an instructions sheet."))
    def club_switchover_template(
        output: str = typer.Option(..., "-o", "--output", help=_("The .xlsx file to write.")),
        lang: str = typer.Option("fr", "--lang", help=_("Column headers: fr (default) or "
                                                        "en.")),
    ) -> None:
        from cigales.switchover.template import write_template

        common.choice(lang, "--lang", ("fr", "en"))
        write_template(output, lang, _)
        common.notice(_("Template written to {path}.").format(path=output))


def _position(position: object) -> dict[str, object]:
    """A loan's schedule position at D for the dry run: "10/24" instalments paid, the next
    due date, what is overdue (and since how many days, in JSON)."""
    from cigales.services.switchover import LoanPosition

    if not isinstance(position, LoanPosition):
        return {"instalments_paid": None, "next_due": None, "overdue": None,
                "days_past_due": None}
    return {"instalments_paid": f"{position.paid}/{position.instalments}",
            "next_due": position.next_due, "overdue": position.overdue,
            "days_past_due": position.days_past_due}


def register_member(member_app: typer.Typer) -> None:
    @member_app.command("import", help=_(
        "Add the members of a new club in bulk from a CSV or XLSX file, with the checks of "
        "`member add`: all or nothing."))
    def member_import(
        ctx: typer.Context,
        path: str = _path_argument(),  # type: ignore[assignment]
        club: str = common.club_option(),
        dry_run: bool = typer.Option(False, "--dry-run", help=_(
            "Check the file and show the members; write nothing.")),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        from cigales.services import switchover
        from cigales.services.clubs import get_club

        common.check_format(format, dialect)
        with common.session(ctx) as s:
            added = switchover.import_members(s, get_club(s, club), Path(path),
                                              today=common.today(), dry_run=dry_run)
        rows = [{"code": m.code, "name": m.name, "joined": m.joined, "monthly": m.monthly}
                for m in added]
        emit(format, columns=[Column("code", _("Code")), Column("name", _("Name")),
                              Column("joined", _("Joined")), Column("monthly", _("Monthly"))],
             rows=rows, payload=rows, output=output, title=_("Members"))
        common.notice(_("Dry run: nothing was written.") if dry_run else
                      _("{count} members added.").format(count=len(added)))
