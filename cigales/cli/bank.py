"""`cigales bank ...`: import bank statements, suspense lines, assignment, reconciliation,
members' IBANs and the CSV profiles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer

from cigales.bank import profiles as profiles_mod
from cigales.bank import rules as rules_mod
from cigales.bank.errors import BalanceMismatch
from cigales.bank.iban import mask
from cigales.bank.matching import Proposal
from cigales.bank.rules import rule_name
from cigales.cli import common
from cigales.cli.output import Column, emit
from cigales.errors import Amount
from cigales.i18n import _, ngettext
from cigales.services import bank, reconciliations
from cigales.services.clubs import get_club
from ledger.money import Money
from reports import fmt


def _kind_text(kind: str) -> str:
    return {
        "saving": _("saving"), "loan": _("loan repayment"), "expense": _("expense"),
        "income": _("income"), "entry": _("entry"), "suspense": _("suspense (471)"),
    }.get(kind, kind)


def _status(p: Proposal) -> str:
    if p.known:
        return "known"
    return p.outcome or "new"


def _row(p: Proposal, ids: dict[str, int]) -> dict[str, Any]:
    line = p.line
    return {
        # "id" is the line's number in the books (what `bank assign --line` takes, once
        # booked); "line" is its position in the file, for finding it there.
        "id": ids.get(p.fingerprint), "line": line.line_no,
        "date": line.date, "amount": line.amount, "label": line.label,
        "kind": p.match.kind, "target": p.match.target, "reason": p.match.reason,
        "detail": p.match.detail, "status": _status(p), "entry": p.entry,
        "counterparty_iban": mask(line.iban) if line.iban else None,
        "fingerprint": p.fingerprint,
    }


def _table_row(p: Proposal, ids: dict[str, int]) -> dict[str, Any]:
    row = _row(p, ids)
    label = p.line.label
    row["label"] = label if len(label) <= 48 else label[:47] + "…"
    target = "" if p.match.kind == "suspense" else (p.match.target or "")
    row["proposal"] = f"{_kind_text(p.match.kind)} {target}".strip()
    detail = rule_name(p.match.detail) if p.match.reason == "rule" else p.match.detail
    row["why"] = detail or {"iban": _("member's IBAN"),
                                    "name_amount": _("name and planned amount"),
                                    "investee": _("investee name"), "none": ""}.get(
        p.match.reason, p.match.reason)
    # Tables are for people: statuses in words (JSON and CSV keep the codes).
    row["status"] = {"known": _("already imported"), "new": _("new"),
                     "booked": _("booked"),
                     "linked": _("linked to {entry}").format(entry=p.entry)}.get(
        row["status"], row["status"])
    return row


_COLUMNS = [Column("id", "id", True), Column("line", "#", True), Column("date", "Date"),
            Column("amount", "Amount", True),
            Column("label", "Label"), Column("proposal", "Proposal"), Column("why", "Why"),
            Column("status", "Status")]


def _columns() -> list[Column]:
    # At 80 columns the reason goes first: the proposal and its status say what happens.
    return [Column("id", _("No."), True), Column("date", _("Date")),
            Column("amount", _("Amount"), True), Column("label", _("Label")),
            Column("proposal", _("Proposal")), Column("why", _("Why"), drop=1),
            Column("status", _("Status"))]


def _suspense_notice(booked: list[Proposal], ids: dict[str, int]) -> None:
    """Name the lines left in suspense by the number `bank assign --line` takes."""
    numbers = [str(ids[p.fingerprint]) for p in booked
               if p.fingerprint in ids and (p.match.kind == "suspense"
                                            or p.outcome not in (None, "booked", "linked"))]
    if numbers:
        common.notice(_("In suspense: No. {numbers}; assign each with `cigales bank assign "
                        "--line No. --member CODE` (or --account, --loan).").format(
            numbers=", ".join(numbers)))


def _reconcile_and_remember(ctx: typer.Context, club: str, when: dt.date, amount: Money
                            ) -> tuple[dt.date | None, bank.Reconciliation]:
    """Reconcile after the last matched date; a match is remembered for the next time."""
    with common.session(ctx) as s:
        the_club = get_club(s, club)
        since = reconciliations.last_reconciled(s, the_club, before=when)
        out = bank.reconcile(s, the_club, when, amount, since=since)
        if out.ok:
            reconciliations.remember(s, the_club, when, amount)
    return since, out


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``; their help lines are in cigales.cli.app.COMMANDS."""
    bank_app = typer.Typer(no_args_is_help=True)
    app.add_typer(bank_app, name="bank")

    @bank_app.command("import", help=_(
        "Import a bank statement (CSV through a profile, OFX, camt.053): show what each line "
        "is, then book the new lines. Lines already imported are skipped."))
    def bank_import(
        ctx: typer.Context,
        file: str = typer.Argument(..., help=_("The bank's export file.")),
        club: str = common.club_option(),
        profile: str = typer.Option(None, "--profile", help=_(
            "CSV profile name or path of a .toml file; default: detected from the header.")),
        profile_dir: str = typer.Option(None, "--profile-dir", help=_(
            "Folder of your own .toml profiles, added to the shipped ones.")),
        rules: str = typer.Option(None, "--rules", help=_(
            "Your own label rules (.toml), tried before the shipped ones.")),
        dry_run: bool = typer.Option(False, "--dry-run", help=_(
            "Show the proposals and write nothing.")),
        yes: bool = typer.Option(False, "--yes", help=_("Book without asking.")),
        format: str = common.format_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format)
        path = Path(file)
        statement, sha = bank.read(path, profile, Path(profile_dir) if profile_dir else None)
        all_rules = rules_mod.rules(Path(rules) if rules else None)
        today = common.today()
        with common.session(ctx, write=False) as s:
            club_obj = get_club(s, club)
            proposals = bank.propose(s, club_obj, statement, all_rules)
            bank.check_bookable(s, club_obj, proposals, today)
            ids = bank.line_ids(s, club_obj, [p.fingerprint for p in proposals])
        new = [p for p in proposals if not p.known]
        known = len(proposals) - len(new)

        def payload(booked: int, to_suspense: int) -> dict[str, Any]:
            return {"club": club, "file": str(path), "format": statement.format,
                    "profile": statement.profile, "lines": len(proposals), "new": len(new),
                    "known": known, "skipped": statement.skipped, "dry_run": dry_run,
                    "booked": booked, "to_suspense": to_suspense,
                    "proposals": [_row(p, ids) for p in proposals]}

        title = _("{file}: {lines} lines, {new} new, {known} already imported").format(
            file=path.name, lines=len(proposals), new=len(new), known=known)
        if format == "table":
            emit("table", columns=_columns(), rows=[_table_row(p, ids) for p in proposals],
                 payload=None, output=output, title=title)
        if dry_run or not new:
            if format != "table":
                emit(format, columns=_COLUMNS, rows=[_table_row(p, ids) for p in proposals],
                     payload=payload(0, 0), output=output)
            if dry_run:
                common.notice(_("Dry run: nothing was written."))
            elif not proposals:
                # A header and no line (or only zero-amount lines): say so, rather than
                # claiming that lines were imported before.
                common.notice(_("The statement has no line to import ({skipped} without "
                                "movement).").format(skipped=statement.skipped))
            else:
                common.notice(_("Nothing new to import: every line was imported before."))
            return
        common.confirm(yes, _("Booking {count} bank lines").format(count=len(new)))
        info = bank.ImportInfo(sha, path.name, statement.profile, len(proposals), known)
        with common.progress(len(new), _("Booking bank lines")) as advance:
            result = bank.book_all(common.state(ctx).get_engine(), club, proposals, info,
                                   today=today, on_line=advance)
        with common.session(ctx, write=False) as s:
            ids.update(bank.line_ids(s, get_club(s, club), [p.fingerprint for p in new]))
        if format != "table":
            emit(format, columns=_COLUMNS, rows=[_table_row(p, ids) for p in proposals],
                 payload=payload(result.booked, result.to_suspense), output=output)
        refused = [p for p in new if p.outcome not in (None, "booked", "linked")]
        for p in refused:
            common.notice(_("Line {line}: proposed as {kind} {target} but refused ({code}); "
                            "booked to 471 instead.").format(
                line=p.line.line_no, kind=_kind_text(p.match.kind),
                target=p.match.target or "", code=p.outcome))
        common.notice(_("{booked} lines booked ({suspense} to 471 suspense), {known} already "
                        "imported.").format(booked=result.booked, suspense=result.to_suspense,
                                            known=result.known))
        linked = [p for p in new if p.outcome == "linked"]
        if linked:
            common.notice(ngettext(
                "{count} line paid a saving already recorded: linked to it, not booked again.",
                "{count} lines paid savings already recorded: linked to them, not booked "
                "again.", len(linked)).format(count=len(linked)))
        _suspense_notice(new, ids)

    @bank_app.command("suspense", help=_("Bank lines still on 471 (compte d'attente)."))
    def bank_suspense(
        ctx: typer.Context,
        club: str = common.club_option(),
        format: str = common.format_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format)
        with common.session(ctx, write=False) as s:
            lines = bank.suspense(s, get_club(s, club))
        rows = [{"id": x.id, "date": x.date, "amount": x.amount, "label": x.label,
                 "entry": x.entry, "reason": x.reason} for x in lines]
        total = Money(sum(x.amount.cents for x in lines))
        emit(format, columns=[Column("id", _("No."), True), Column("date", _("Date")),
                              Column("amount", _("Amount"), True), Column("label", _("Label")),
                              Column("entry", _("Entry"))],
             rows=rows, payload=rows, output=output,
             title=_("Suspense (471): {count} lines").format(count=len(lines)),
             footer={"label": _("Total"), "amount": total})

    @bank_app.command("assign", help=_(
        "Move a suspense line to its real account: the 471 entry is reversed and the line "
        "booked as a member's saving, a loan repayment or to an account."))
    def bank_assign(
        ctx: typer.Context,
        club: str = common.club_option(),
        line: int = typer.Option(..., "--line", help=_(
            "The line's number (No.) shown by `bank import` and `bank suspense`.")),
        member: str = typer.Option(None, "--member", help=_("A member's saving: code.")),
        account: str = typer.Option(None, "--account", help=_("An account, e.g. 6270.")),
        loan: int = typer.Option(None, "--loan", help=_("A loan repayment: loan number.")),
        date: str = typer.Option(None, "--date", help=_(
            "Date of the correction, YYYY-MM-DD; default the bank line's date.")),
    ) -> None:
        when = common.parse_date(date)
        with common.session(ctx) as s:
            out = bank.assign(s, get_club(s, club), line, member=member, account=account,
                              loan=loan, date=when, today=common.today())
        print(_("Line {line} assigned to {kind} {target}: reversal {reversal}, entry "
                "{entry}.").format(line=out.line, kind=_kind_text(out.kind), target=out.target,
                                   reversal=out.reversal, entry=out.entry))

    @bank_app.command("reconcile", help=_(
        "Compare the books' bank balance (5121) on a date with the statement's; on a "
        "difference, list the movements no bank line accounts for."))
    def bank_reconcile(
        ctx: typer.Context,
        club: str = common.club_option(),
        date: str = typer.Option(..., "--date", help=_("Statement date, YYYY-MM-DD.")),
        balance: str = typer.Option(..., "--balance", help=_(
            "Statement balance on that date, e.g. 1 234,56 (negative if overdrawn).")),
        format: str = common.format_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format)
        when = common.require_date(date)
        amount = Money.parse(balance)
        since, out = _reconcile_and_remember(ctx, club, when, amount)
        rows = [{"date": m.date, "entry": m.entry, "label": m.label, "amount": m.amount}
                for m in out.unreconciled]
        if since is not None and format == "table":
            common.notice(_("Last reconciliation on {date}: only later movements are "
                            "listed.").format(date=fmt.date(since)))
        payload = {"date": out.date, "since": since, "ledger": out.ledger,
                   "statement": out.statement,
                   "difference": out.difference, "ok": out.ok, "unreconciled": rows,
                   "suspense": [{"id": x.id, "date": x.date, "amount": x.amount,
                                 "label": x.label} for x in out.suspense]}
        if format == "json":
            emit("json", columns=[], rows=[], payload=payload, output=output)
        elif not out.ok and not rows:
            common.notice(_("Every movement on 5121 comes from an imported bank line: the "
                            "statement holds lines not imported yet, or an import is "
                            "missing."))
        elif not out.ok:
            emit(format, columns=[Column("date", _("Date")), Column("entry", _("Entry")),
                                  Column("label", _("Label")),
                                  Column("amount", _("Amount"), True)],
                 rows=rows, payload=payload, output=output,
                 title=_("Movements on 5121 not matched by an imported bank line"))
        if out.suspense and format == "table":
            common.notice(ngettext(
                "{count} bank line is still in suspense (471): see `cigales bank suspense`.",
                "{count} bank lines are still in suspense (471): see `cigales bank suspense`.",
                len(out.suspense)).format(count=fmt.count(len(out.suspense))))
        if not out.ok:
            raise BalanceMismatch(date=fmt.date(when), ledger=Amount(out.ledger.plain()),
                                  statement=Amount(out.statement.plain()),
                                  difference=Amount(out.difference.plain()))
        if format == "table":
            print(_("Reconciled: on {date} the books and the statement both show "
                    "{balance}.").format(date=fmt.date(when), balance=fmt.money(out.ledger)))

    @bank_app.command("profiles", help=_("The CSV profiles: shipped ones and your own."))
    def bank_profiles(
        profile_dir: str = typer.Option(None, "--profile-dir", help=_(
            "Folder of your own .toml profiles.")),
        format: str = common.format_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format)
        found = profiles_mod.available(Path(profile_dir) if profile_dir else None)
        rows = [{"name": p.name, "encoding": p.encoding, "columns": "; ".join(
                    p.required_columns()), "description": p.description, "source": p.source}
                for p in sorted(found.values(), key=lambda p: p.name)]
        emit(format, columns=[Column("name", _("Profile")), Column("encoding", _("Encoding")),
                              Column("columns", _("Columns"))],
             rows=rows, payload=rows, output=output, title=_("Bank CSV profiles"))

    @bank_app.command("iban", help=_(
        "Record the IBAN a member pays from (validated; shown masked), so that their "
        "transfers are recognised."))
    def bank_iban(
        ctx: typer.Context,
        club: str = common.club_option(),
        member: str = typer.Option(..., "--member", help=_("Member code.")),
        iban: str = typer.Option(..., "--iban", help=_("The IBAN, with or without spaces.")),
    ) -> None:
        with common.session(ctx) as s:
            masked = bank.record_iban(s, get_club(s, club), member, iban)
        print(_("IBAN {iban} recorded for {member}.").format(iban=masked, member=member))

    @bank_app.command("ibans", help=_("Members' recorded IBANs (masked)."))
    def bank_ibans(
        ctx: typer.Context,
        club: str = common.club_option(),
        format: str = common.format_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format)
        with common.session(ctx, write=False) as s:
            pairs = bank.member_ibans(s, get_club(s, club))
        rows = [{"member": code, "iban": masked} for code, masked in pairs]
        emit(format, columns=[Column("member", _("Member")), Column("iban", _("IBAN"))],
             rows=rows, payload=rows, output=output, title=_("Members' IBANs"))
