"""`cigales bank ...`: import bank statements, suspense lines, assignment, reconciliation,
members' IBANs and the CSV profiles."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import Engine

from cigales import db
from cigales.bank import profiles as profiles_mod
from cigales.bank import rules as rules_mod
from cigales.bank.errors import BalanceMismatch
from cigales.bank.iban import mask
from cigales.bank.matching import Proposal
from cigales.bank.rules import rule_name
from cigales.bank.source import LineCounts
from cigales.cli import common
from cigales.cli import output as output_mod
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


# A table is for a person's screen: at most this many lines in it. JSON and CSV carry every
# line, written as they are read (bank import streams: docs/bank.md, "Large statements").
TABLE_ROWS = 1000
# Lines named one by one in the notices after booking; beyond, a count.
NOTICE_LINES = 50


def _bar_wanted(format: str, output: str | None) -> bool:
    """A progress bar on a terminal only: never with JSON, nor when stdout is piped (unless
    the result goes to a file)."""
    return format != "json" and (bool(output) or sys.stdout.isatty())


def _with_ids(engine: Engine, club: str, proposals: Iterable[Proposal], group: int = 1000
              ) -> Iterator[tuple[Proposal, dict[str, int]]]:
    """Each proposal with the numbers of the booked lines among its group (one query each)."""
    it = iter(proposals)
    while chunk := list(islice(it, group)):
        with db.session_scope(engine, write=False) as s:
            ids = bank.line_ids(s, get_club(s, club), [p.fingerprint for p in chunk])
        for p in chunk:
            yield p, ids


class _AfterBooking:
    """What the notices after booking say, gathered line by line (bounded)."""

    def __init__(self) -> None:
        self.refused: list[Proposal] = []
        self.refused_more = 0
        self.suspense: list[int] = []
        self.suspense_more = 0
        self.linked = 0

    def see(self, p: Proposal, ids: dict[str, int]) -> None:
        if p.known and p.outcome is None:
            return
        if p.outcome == "linked":
            self.linked += 1
        if p.outcome not in (None, "booked", "linked"):
            if len(self.refused) < NOTICE_LINES:
                self.refused.append(p)
            else:
                self.refused_more += 1
        if p.fingerprint in ids and (p.match.kind == "suspense"
                                     or p.outcome not in (None, "booked", "linked")):
            if len(self.suspense) < NOTICE_LINES:
                self.suspense.append(ids[p.fingerprint])
            else:
                self.suspense_more += 1

    def tell(self, result: bank.ImportResult) -> None:
        for p in self.refused:
            common.notice(_("Line {line}: proposed as {kind} {target} but refused ({code}); "
                            "booked to 471 instead.").format(
                line=p.line.line_no, kind=_kind_text(p.match.kind),
                target=p.match.target or "", code=p.outcome))
        if self.refused_more:
            common.notice(_("… and {count} more lines refused the same way.").format(
                count=self.refused_more))
        common.notice(_("{booked} lines booked ({suspense} to 471 suspense), {known} already "
                        "imported.").format(booked=result.booked, suspense=result.to_suspense,
                                            known=result.known))
        if self.linked:
            common.notice(ngettext(
                "{count} line paid a saving already recorded: linked to it, not booked again.",
                "{count} lines paid savings already recorded: linked to them, not booked "
                "again.", self.linked).format(count=self.linked))
        if self.suspense:
            numbers = ", ".join(str(n) for n in self.suspense)
            if self.suspense_more:
                numbers += " " + _("(and {count} more: `cigales bank suspense` lists them "
                                   "all)").format(count=self.suspense_more)
            # Name the lines left in suspense by the number `bank assign --line` takes.
            common.notice(_("In suspense: No. {numbers}; assign each with `cigales bank assign "
                            "--line No. --member CODE` (or --account, --loan).").format(
                numbers=numbers))


def _import(ctx: typer.Context, path: Path, club: str, profile: str | None,
            profile_dir: str | None, rules: str | None, dry_run: bool, yes: bool, format: str,
            output: str | None) -> None:
    """`bank import`, streamed: the file is read line by line, twice (a check pass that
    writes nothing, then the booking or the listing), so that memory stays bounded whatever
    its size; the proposals go out as they are made (JSON, CSV) or, for a table, the first
    TABLE_ROWS of them."""
    source = bank.open_file(path, profile, Path(profile_dir) if profile_dir else None)
    all_rules = rules_mod.rules(Path(rules) if rules else None)
    today = common.today()
    engine = common.state(ctx).get_engine(create=False)
    with common.session(ctx, write=False) as s:
        club_obj = get_club(s, club)
        matching = bank.context(s, club_obj, all_rules)
        checker = bank.Bookability(s, club_obj, today)
    bar = _bar_wanted(format, output)

    # 1. Check every line before anything is written or shown; count; keep a table's rows.
    counts = LineCounts()
    new = 0
    preview: list[Proposal] = []
    with common.progress(source.size, _("Reading the statement"), enabled=bar,
                         in_bytes=True) as advance:
        for p in bank.stream_proposals(engine, club, source.lines(counts, advance), matching):
            if not p.known:
                checker.check(p.line)
                new += 1
            if format == "table" and len(preview) < TABLE_ROWS:
                preview.append(p)
    lines, known, skipped = counts.lines, counts.lines - new, counts.skipped

    head = {"club": club, "file": str(path), "format": source.format,
            "profile": source.profile, "lines": lines, "new": new, "known": known,
            "skipped": skipped, "dry_run": dry_run}
    title = _("{file}: {lines} lines, {new} new, {known} already imported").format(
        file=path.name, lines=lines, new=new, known=known)
    if format == "table":
        with db.session_scope(engine, write=False) as s:
            ids = bank.line_ids(s, get_club(s, club), [p.fingerprint for p in preview])
        emit("table", columns=_columns(), rows=[_table_row(p, ids) for p in preview],
             payload=None, output=output, title=title)
        if lines > len(preview):
            common.notice(_("The table shows the first {shown} of {lines} lines; "
                            "--format csv -o FILE lists them all.").format(
                shown=len(preview), lines=lines))
    preview = []

    def listing(proposals: Iterable[Proposal], tail: Callable[[], dict[str, Any]],
                seen: Callable[[Proposal, dict[str, int]], None] | None = None) -> None:
        """Write the proposals as JSON or CSV as they come (or only go through them)."""
        pairs = _with_ids(engine, club, proposals)
        if format == "table":
            for p, ids in pairs:
                if seen is not None:
                    seen(p, ids)
            return
        with output_mod.text_target(output) as out:
            if format == "json":
                stream = output_mod.JsonStream(out, head, "proposals")
                for p, ids in pairs:
                    if seen is not None:
                        seen(p, ids)
                    stream.item(_row(p, ids))
                stream.close(tail())
            else:
                rows = output_mod.CsvStream(out, _COLUMNS)
                for p, ids in pairs:
                    if seen is not None:
                        seen(p, ids)
                    rows.row(_table_row(p, ids))

    if dry_run or not new:
        if format != "table":
            with common.progress(source.size, _("Writing the proposals"), enabled=bar,
                                 in_bytes=True) as advance:
                listing(bank.stream_proposals(engine, club, source.lines(None, advance),
                                              matching),
                        lambda: {"booked": 0, "to_suspense": 0})
        if dry_run:
            common.notice(_("Dry run: nothing was written."))
        elif not lines:
            # A header and no line (or only zero-amount lines): say so, rather than
            # claiming that lines were imported before.
            common.notice(_("The statement has no line to import ({skipped} without "
                            "movement). [bank_statement_empty]").format(skipped=skipped))
        else:
            common.notice(_("Nothing new to import: every line was imported before."))
        return

    # 2. Book, batch by batch, and list each line once its batch is committed.
    common.confirm(yes, _("Booking {count} bank lines").format(count=new))
    info = bank.ImportInfo(source.sha256, path.name, source.profile, lines, known)
    tally = bank.ImportTally()
    after = _AfterBooking()
    writer = common.state(ctx).get_engine()
    with common.progress(new, _("Booking bank lines"), enabled=bar) as advance:
        booked = bank.book_stream(
            writer, club, bank.stream_proposals(engine, club, source.lines(), matching), info,
            tally, today=today, on_line=advance)
        listing(booked, lambda: {"booked": tally.booked, "to_suspense": tally.to_suspense},
                after.see)
    after.tell(tally.result())


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
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
        path = Path(file)
        _import(ctx, path, club, profile, profile_dir, rules, dry_run, yes, format, output)

    @bank_app.command("suspense", help=_("Bank lines still on 471 (compte d'attente)."))
    def bank_suspense(
        ctx: typer.Context,
        club: str = common.club_option(),
        format: str = common.format_option(),
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
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
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
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
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
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
        dialect: str = common.dialect_option(),
        output: str = common.output_option(),
    ) -> None:
        common.check_format(format, dialect)
        with common.session(ctx, write=False) as s:
            pairs = bank.member_ibans(s, get_club(s, club))
        rows = [{"member": code, "iban": masked} for code, masked in pairs]
        emit(format, columns=[Column("member", _("Member")), Column("iban", _("IBAN"))],
             rows=rows, payload=rows, output=output, title=_("Members' IBANs"))
