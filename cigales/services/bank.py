"""Bank statement import: read a file, propose what each line is, book the confirmed lines
through the existing services, list and assign suspense lines, reconcile with a statement.

Crash safety: lines are booked in batches, each in its own transaction (``session_scope``,
the one place that commits) holding both the entries and the ``bank_line`` rows with their
fingerprints. A crash leaves nothing or complete batches; a re-run skips the fingerprints
already stored and books the rest, so nothing is booked twice.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session

from cigales import chart, db
from cigales.bank import camt, ofx
from cigales.bank import iban as iban_mod
from cigales.bank import profiles as profiles_mod
from cigales.bank.csv_reader import read_csv
from cigales.bank.encoding import decode
from cigales.bank.errors import (
    AssignSignMismatch,
    AssignTarget,
    IbanInUse,
    LineNotBookable,
    LineNotInSuspense,
    UnknownBankLine,
)
from cigales.bank.fingerprint import Fingerprinter, fingerprints, label_words, same_movement
from cigales.bank.lines import BankLine, Statement, reference_text
from cigales.bank.matching import (
    SUSPENSE_ACCOUNT,
    Context,
    LoanInfo,
    Match,
    MemberInfo,
    Proposal,
    match_line,
)
from cigales.bank.models import BankImport, BankLineRow, MemberBankAccount
from cigales.bank.rules import Rule
from cigales.bank.source import StatementFile, detect_profile, open_statement
from cigales.errors import MemberAccountReserved
from cigales.models import Club, Investee, Investment, Member, MemberIdentity
from cigales.services import bank_links, bookkeeping, flows, loans, savings
from cigales.services.clubs import get_club
from cigales.services.lifecycle import lifecycle, not_in_future
from cigales.services.members import get_member
from ledger.errors import UserError
from ledger.money import Money
from ledger.post import PostedEntry, deferred, prefetch_keys
from ledger.queries import account_balance
from ledger.schema import Account, Book, Entry, FiscalYear, Posting

BATCH_SIZE = 200
# Lines read, fingerprinted and looked up in the database together when streaming a file.
PROPOSE_CHUNK = 1000
# Test hook for the crash test: seconds to sleep after each committed batch.
DELAY_ENV = "CIGALES_BANK_BATCH_DELAY"
_LABEL_MAX = 250


# -- reading --------------------------------------------------------------------------------------

def read_bytes(data: bytes, path: str, profile: str | None = None,
               profile_dir: Path | None = None) -> Statement:
    """Any supported format: OFX and camt.053 are recognised by content, CSV by profile
    (given, or the first one whose header is found in the file)."""
    if profile is None and ofx.looks_like_ofx(data):
        return ofx.read_ofx(data, path)
    if profile is None and camt.looks_like_camt(data):
        return camt.read_camt(data, path)
    chosen = (profiles_mod.resolve(profile, profile_dir) if profile is not None
              else detect_profile(data, path, profile_dir))
    text, _ = decode(data, chosen.encoding, path)
    return read_csv(text, chosen, path)


def read(path: Path, profile: str | None = None, profile_dir: Path | None = None
         ) -> tuple[Statement, str]:
    """The statement in a file, whole in memory, and the file's sha256 (small files; a
    statement of any size is read as a stream with ``open_file``)."""
    source = open_file(path, profile, profile_dir)
    return source.statement(), source.sha256


def open_file(path: Path, profile: str | None = None, profile_dir: Path | None = None
              ) -> StatementFile:
    """The statement file recognised, its lines not read yet (``StatementFile.lines``)."""
    return open_statement(path, profile, profile_dir)


# -- proposing ------------------------------------------------------------------------------------

def context(session: Session, club: Club, rules: Sequence[Rule]) -> Context:
    ibans: dict[int, list[str]] = {}
    for member_id, value in session.execute(select(
            MemberBankAccount.member_id, MemberBankAccount.iban).where(
            MemberBankAccount.club_id == club.id)).all():
        ibans.setdefault(member_id, []).append(value)
    members = tuple(
        MemberInfo(code, name or "", int(monthly), tuple(ibans.get(member_id, ())))
        for member_id, code, name, monthly in session.execute(
            select(Member.id, Member.code, MemberIdentity.name, Member.monthly_cents)
            .outerjoin(MemberIdentity, MemberIdentity.member_id == Member.id)
            .where(Member.club_id == club.id).order_by(Member.code)).all())
    active_loans = tuple(
        LoanInfo(int(number), slug, name)
        for number, slug, name in session.execute(
            select(Investment.number, Investee.slug, Investee.name)
            .join(Investee, Investee.id == Investment.investee_id)
            .where(Investment.club_id == club.id, Investment.kind.in_(loans.LOAN_KINDS),
                   Investment.status == "active").order_by(Investment.number)).all())
    return Context(members, active_loans, tuple(rules))


def known_fingerprints(session: Session, club: Club, prints: Sequence[str]) -> set[str]:
    found: set[str] = set()
    unique = sorted(set(prints))
    for i in range(0, len(unique), 500):
        found.update(session.execute(select(BankLineRow.fingerprint).where(
            BankLineRow.club_id == club.id,
            BankLineRow.fingerprint.in_(unique[i:i + 500]))).scalars())
    return found


def line_ids(session: Session, club: Club, prints: Sequence[str]) -> dict[str, int]:
    """The number (``bank_line.id``) of each booked line, by fingerprint: the one identifier
    `bank import`, `bank suspense` and `bank assign --line` all show and accept."""
    found: dict[str, int] = {}
    for start in range(0, len(prints), 500):
        found.update((fp, int(line_id)) for fp, line_id in session.execute(
            select(BankLineRow.fingerprint, BankLineRow.id).where(
                BankLineRow.club_id == club.id,
                BankLineRow.fingerprint.in_(prints[start:start + 500]))).all())
    return found


def _seen_in_another_format(session: Session, club: Club, lines: Sequence[BankLine],
                            prints: list[str], known: set[str],
                            up_to_line: int | None = None,
                            taken: Callable[[str], bool] | None = None) -> list[str]:
    """``prints`` where a line not known by its own fingerprint is a movement already booked
    from a file of another format (same date and amount, same label words): that line takes
    the booked line's fingerprint, so it is known and shows the booked line's number.

    Booked lines of this very statement (known by fingerprint) are not candidates; each booked
    line is paired with one new line at most; two lines that both carry a bank id (FITID,
    AcctSvcrRef) are the same movement only if the ids are equal, which the fingerprint
    already says. ``up_to_line``: only lines booked before this statement was started (a
    streamed import books its first batches while it reads on; its own lines are never the
    other format's copy). ``taken``: whether a booked line (by fingerprint) already stands
    for a line read earlier in this statement (a streamed import looks up one chunk at a
    time; a booked line claimed by chunk 1 is no candidate for chunk 3)."""
    todo = [i for i, fp in enumerate(prints) if fp not in known]
    if not todo:
        return prints
    dates = sorted({lines[i].date for i in todo})
    rows: list[BankLineRow] = []
    for start in range(0, len(dates), 200):
        query = select(BankLineRow).where(
            BankLineRow.club_id == club.id, BankLineRow.date.in_(dates[start:start + 200]))
        if up_to_line is not None:
            query = query.where(BankLineRow.id <= up_to_line)
        rows.extend(session.execute(query.order_by(BankLineRow.id)).scalars())
    own = set(prints)
    pool: dict[tuple[dt.date, int], list[BankLineRow]] = {}
    for row in rows:
        if row.fingerprint not in own and not (taken is not None and taken(row.fingerprint)):
            pool.setdefault((row.date, row.amount_cents), []).append(row)
    out = list(prints)
    for i in todo:
        line = lines[i]
        words = label_words(line.raw_label or line.label, line.reference)
        candidates = pool.get((line.date, line.amount.cents), [])
        for row in candidates:
            if line.bank_id and row.bank_id:
                continue  # two bank ids that differ: two movements
            if same_movement(words, label_words(row.raw_label or row.label, row.reference)):
                out[i] = row.fingerprint
                candidates.remove(row)
                break
    return out


def propose(session: Session, club: Club, statement: Statement,
            rules: Sequence[Rule]) -> list[Proposal]:
    ctx = context(session, club, rules)
    prints = fingerprints(statement.lines)
    known = known_fingerprints(session, club, prints)
    crossed = _seen_in_another_format(session, club, statement.lines, prints, known)
    known |= {fp for fp, own in zip(crossed, prints, strict=True) if fp != own}
    prints = crossed
    return [Proposal(line, fp, match_line(line, ctx), known=fp in known)
            for line, fp in zip(statement.lines, prints, strict=True)]


class Bookability:
    """Whether a line could be booked at all (even to 471): read once, checked per line."""

    def __init__(self, session: Session, club: Club, today: dt.date) -> None:
        self.life = lifecycle(session, club)
        book = session.get(Book, club.book_id)
        assert book is not None
        self.opened_on = book.opened_on
        self.closed = set(session.execute(select(FiscalYear.year).where(
            FiscalYear.book_id == club.book_id, FiscalYear.closed.is_(True))).scalars())
        self.today = today

    def check(self, line: BankLine) -> None:
        try:
            not_in_future(line.date, self.today)
            self.life.check_writable(line.date)
            if line.date < self.opened_on:
                from ledger.errors import DateBeforeBookStart
                raise DateBeforeBookStart(date=line.date.isoformat(),
                                          start=self.opened_on.isoformat())
            if line.date.year in self.closed:
                from ledger.errors import FiscalYearClosed
                raise FiscalYearClosed(date=line.date.isoformat(), year=line.date.year,
                                       next_open=f"{max(self.closed) + 1}-01-01")
        except UserError as exc:
            raise LineNotBookable(line=line.line_no, date=line.date.isoformat(),
                                  amount=line.amount.plain(), cause=exc) from exc


def check_bookable(session: Session, club: Club, proposals: Iterable[Proposal],
                   today: dt.date) -> None:
    """Refuse the whole import before writing if a line could not be booked even to 471."""
    checker = Bookability(session, club, today)
    for p in proposals:
        if not p.known:
            checker.check(p.line)


# -- streaming a large statement -----------------------------------------------------------------

def _chunks(items: Iterable[BankLine], size: int) -> Iterator[list[BankLine]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def stream_proposals(engine: Engine, club_slug: str, lines: Iterable[BankLine],
                     ctx: Context, *, chunk: int = PROPOSE_CHUNK) -> Iterator[Proposal]:
    """Proposals for lines read one at a time: ``chunk`` lines are fingerprinted and looked
    up in the database together (one short read transaction each), then matched and yielded.
    Nothing is held beyond the chunk but the fingerprints' counts and the booked lines this
    statement already stands for (bounded, spilled to disk: see ``Fingerprinter``), so
    memory stays bounded whatever the size of the statement; a movement booked from a file
    of another format is recognised however far apart the two lines are in the file."""
    fingerprint = Fingerprinter()
    last_line: int | None = None
    try:
        for batch in _chunks(lines, chunk):
            prints = [fingerprint(line) for line in batch]
            with db.session_scope(engine, write=False) as s:
                club = get_club(s, club_slug)
                if last_line is None:  # the lines booked before this statement
                    last_line = int(s.execute(select(func.coalesce(func.max(BankLineRow.id), 0))
                                              .where(BankLineRow.club_id == club.id))
                                    .scalar_one())
                known = known_fingerprints(s, club, prints)
                # The same movement booked from a file of another format (cross-format).
                crossed = _seen_in_another_format(s, club, batch, prints, known, last_line,
                                                  fingerprint.claimed)
            known |= {fp for fp, own in zip(crossed, prints, strict=True) if fp != own}
            prints = crossed
            # The booked lines this chunk stands for: no later chunk pairs them again.
            for fp in prints:
                if fp in known:
                    fingerprint.claim(fp)
            for line, fp in zip(batch, prints, strict=True):
                yield Proposal(line, fp, match_line(line, ctx), known=fp in known)
    finally:
        fingerprint.close()


# -- booking --------------------------------------------------------------------------------------

def _label(line: BankLine) -> str:
    # Not the bank's text, which names the payer or payee: entries are sealed and cannot be
    # erased (issue #14). bank_line keeps the text, where member erasure can redact it.
    return f"Relevé bancaire – {reference_text(line)}"[:_LABEL_MAX]


def _book_account(session: Session, club: Club, account: str, date: dt.date, amount: Money,
                  label: str, key: str, today: dt.date) -> PostedEntry:
    """Expense or income through flows when the account is one of theirs, else a BQ entry."""
    by_account_exp = {v: k for k, v in flows.EXPENSE_ACCOUNTS.items()}
    by_account_inc = {v: k for k, v in flows.INCOME_ACCOUNTS.items()}
    if amount.cents < 0 and account in by_account_exp:
        return flows.add_expense(session, club, date=date, amount=-amount,
                                 kind=by_account_exp[account], label=label, key=key,
                                 today=today)
    if amount.cents > 0 and account in by_account_inc:
        return flows.add_income(session, club, date=date, amount=amount,
                                kind=by_account_inc[account], label=label, key=key, today=today)
    return bookkeeping.add_entry(session, club, date=date, label=label, journal="BQ",
                                 lines=[(chart.BANK_ACCOUNT, amount), (account, -amount)],
                                 key=key, today=today)


def _book_target(session: Session, club: Club, kind: str, target: str, line: BankLine,
                 key: str, today: dt.date, date: dt.date | None = None) -> PostedEntry:
    when = date or line.date
    label = _label(line)
    if kind == "saving":
        # The member code and the bank's reference: never the payer's name (issue #14).
        return savings.add_saving(session, club, member_code=target, date=when,
                                  amount=line.amount, reference=reference_text(line), key=key,
                                  today=today).entry
    if kind == "loan":
        repaid = loans.repay(session, club, int(target), date=when, amount=line.amount,
                             key=key, today=today).entry
        assert repaid is not None
        return repaid
    return _book_account(session, club, target, when, line.amount, label, key, today)


def book_proposal(session: Session, club: Club, proposal: Proposal, today: dt.date,
                  recorded_savings: bank_links.RecordedSavings | None = None, *,
                  fallback: bool = True) -> Match:
    """Book one line as proposed; if a service refuses (member not active, overpayment,
    unknown account ...), book it to 471 instead and note why. Returns what was booked.
    ``recorded_savings``: the savings already recorded, read once for a batch of lines.
    ``fallback=False`` (book_batch's optimistic chunks): a refusal is raised instead, and the
    caller's savepoint undoes the chunk."""
    key = f"bank:{proposal.fingerprint}"
    match = proposal.match
    entry: PostedEntry | None = None
    if match.kind == "saving" and match.target is not None:
        recorded = (recorded_savings.take(match.target, proposal.line.date,
                                          proposal.line.amount)
                    if recorded_savings is not None else
                    bank_links.recorded_saving(session, club, match.target, proposal.line.date,
                                               proposal.line.amount))
        if recorded is not None:
            # Already in the books (`saving collect` / `saving add`): linked, not booked again.
            proposal.outcome = "linked"
            proposal.entry = f"{recorded.journal} {recorded.number}"
            _insert_line(session, club, proposal, match, recorded.id)
            return match
    if match.kind != "suspense" and match.target is not None and not fallback:
        entry = _book_target(session, club, match.kind, match.target, proposal.line, key, today)
        proposal.outcome = "booked"
    elif match.kind != "suspense" and match.target is not None:
        try:
            with session.begin_nested():
                entry = _book_target(session, club, match.kind, match.target, proposal.line,
                                     key, today)
            proposal.outcome = "booked"
        except UserError as exc:
            proposal.outcome = exc.code
            match = Match("suspense", SUSPENSE_ACCOUNT, "refused", exc.code)
    if entry is None:
        amount = proposal.line.amount
        entry = bookkeeping.add_entry(
            session, club, date=proposal.line.date, label=_label(proposal.line), journal="BQ",
            lines=[(chart.BANK_ACCOUNT, amount), (SUSPENSE_ACCOUNT, -amount)], key=key,
            today=today)
        proposal.outcome = proposal.outcome or "booked"
    proposal.entry = f"{entry.journal} {entry.number}"
    _insert_line(session, club, proposal, match, entry.id)
    return match


def _insert_line(session: Session, club: Club, proposal: Proposal, match: Match,
                 entry_id: int) -> None:
    line = proposal.line
    row = {
        "club_id": club.id, "import_id": _current_import(session),
        "fingerprint": proposal.fingerprint,
        "line_no": line.line_no, "date": line.date, "amount_cents": line.amount.cents,
        "label": line.label[:500], "raw_label": line.raw_label,
        "reference": (line.reference or None) and line.reference[:200],
        "bank_id": (line.bank_id or None) and line.bank_id[:200], "kind": match.kind,
        "target": match.target, "entry_id": entry_id}
    waiting = session.info.get(_LINES)
    if waiting is not None:  # book_batch inserts its lines together
        waiting.append(row)
    else:
        session.execute(insert(BankLineRow).values(**row))


_LINES = "cigales.bank.lines_to_insert"


def _current_import(session: Session) -> int:
    value = session.info.get("bank_import_id")
    assert isinstance(value, int), "book_proposal runs inside book_batch"
    return value


@dataclass(frozen=True, slots=True)
class ImportInfo:
    file_sha256: str
    file_name: str
    profile: str
    lines_total: int
    lines_known: int


@dataclass(frozen=True, slots=True)
class ImportResult:
    import_id: int | None
    booked: int
    known: int  # already booked before (this run or an overlapping statement)
    to_suspense: int
    batches: int


@dataclass(slots=True)
class ImportTally:
    """Counts of a streamed booking, filled as the proposals go by."""

    import_id: int | None = None
    booked: int = 0
    known: int = 0
    to_suspense: int = 0
    batches: int = 0

    def result(self) -> ImportResult:
        return ImportResult(self.import_id, self.booked, self.known, self.to_suspense,
                            self.batches)


def book_batch(session: Session, club: Club, proposals: Sequence[Proposal], info: ImportInfo,
               import_id: int | None, today: dt.date) -> tuple[int | None, int]:
    """Book one batch in the caller's transaction; returns (import id, lines booked)."""
    fresh = [p for p in proposals if not p.known]
    # Another run may have booked some of these since they were proposed.
    already = known_fingerprints(session, club, [p.fingerprint for p in fresh])
    todo = [p for p in fresh if p.fingerprint not in already]
    for p in fresh:
        if p.fingerprint in already:
            p.known = True
    if not todo:
        return import_id, 0
    if import_id is None:
        record = BankImport(
            club_id=club.id, file_sha256=info.file_sha256, file_name=info.file_name[:300],
            profile=info.profile[:100], imported_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            lines_total=info.lines_total, lines_booked=0, lines_known=info.lines_known)
        session.add(record)
        session.flush()
        import_id = record.id
    session.info["bank_import_id"] = import_id
    session.info[_LINES] = []
    try:
        # One unit of work: the batch's entries are sealed together (ledger.post.deferred),
        # its idempotency keys and the savings already recorded are read once, its bank lines
        # inserted together; a line refused inside its savepoint leaves nothing behind.
        prefetch_keys(session, club.book_id, [f"bank:{p.fingerprint}" for p in todo])
        recorded = bank_links.RecordedSavings(
            session, club, [p.line.date for p in todo if p.match.kind == "saving"])
        with deferred(session):
            for start in range(0, len(todo), CHUNK):
                _book_chunk(session, club, todo[start:start + CHUNK], today, recorded)
            lines = session.info[_LINES]
            if lines:
                session.execute(insert(BankLineRow), lines)
    finally:
        session.info.pop("bank_import_id", None)
        session.info.pop(_LINES, None)
    session.execute(update(BankImport).where(BankImport.id == import_id).values(
        lines_booked=BankImport.lines_booked + len(todo)))
    return import_id, len(todo)


# Lines booked under one savepoint when none is refused (the usual case): two statements for
# the chunk instead of two per line.
CHUNK = 50


def _book_chunk(session: Session, club: Club, chunk: Sequence[Proposal], today: dt.date,
                recorded: bank_links.RecordedSavings) -> None:
    """Book a chunk of lines in one savepoint; if a service refuses one of them, undo the
    chunk (database, proposals, lines waiting, savings taken) and book its lines one by one,
    each in its own savepoint, so the refused one goes to 471 exactly as it always did."""
    before = [(p.match, p.outcome, p.entry) for p in chunk]
    waiting = len(session.info[_LINES])
    free = recorded.state()
    try:
        with session.begin_nested():
            for p in chunk:
                p.match = book_proposal(session, club, p, today, recorded, fallback=False)
        return
    except UserError:
        for p, (match, outcome, entry) in zip(chunk, before, strict=True):
            p.match, p.outcome, p.entry = match, outcome, entry
        del session.info[_LINES][waiting:]
        recorded.restore(free)
    for p in chunk:
        p.match = book_proposal(session, club, p, today, recorded)


def book_stream(engine: Engine, club_slug: str, proposals: Iterable[Proposal],
                info: ImportInfo, tally: ImportTally, *, today: dt.date,
                batch_size: int = BATCH_SIZE,
                on_line: Callable[[], None] | None = None) -> Iterator[Proposal]:
    """Book the new proposals, ``batch_size`` lines per transaction, and yield every proposal
    (known ones too) in order once its batch is committed, with its outcome and entry.

    The caller checks the lines beforehand (``Bookability``): a line that cannot be booked
    must stop the import before the first batch, not in the middle."""
    delay = float(os.environ.get(DELAY_ENV, "0") or 0)
    pending: list[Proposal] = []
    fresh: list[Proposal] = []

    def flush() -> None:
        if not fresh:
            return
        with db.session_scope(engine) as s:
            tally.import_id, count = book_batch(s, get_club(s, club_slug), fresh, info,
                                                tally.import_id, today)
        tally.booked += count
        tally.batches += 1
        if on_line is not None:
            for _ in fresh:
                on_line()
        if delay:
            time.sleep(delay)

    def settled() -> Iterator[Proposal]:
        for p in pending:
            if p.known:
                tally.known += 1
            elif p.match.kind == "suspense":
                tally.to_suspense += 1
            yield p

    for proposal in proposals:
        pending.append(proposal)
        if not proposal.known:
            fresh.append(proposal)
        if len(fresh) >= batch_size:
            flush()
            yield from settled()
            pending, fresh = [], []
    flush()
    yield from settled()


def book_all(engine: Engine, club_slug: str, proposals: Sequence[Proposal], info: ImportInfo,
             *, today: dt.date, batch_size: int = BATCH_SIZE,
             on_line: Callable[[], None] | None = None) -> ImportResult:
    """Book every new proposal, ``batch_size`` lines per transaction."""
    with db.session_scope(engine, write=False) as s:
        check_bookable(s, get_club(s, club_slug), proposals, today)
    tally = ImportTally()
    for _ in book_stream(engine, club_slug, proposals, info, tally, today=today,
                         batch_size=batch_size, on_line=on_line):
        pass
    return tally.result()


# -- suspense and assignment ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SuspenseLine:
    id: int
    date: dt.date
    amount: Money
    label: str
    entry: str
    reason: str


def suspense(session: Session, club: Club) -> list[SuspenseLine]:
    rows = session.execute(
        select(BankLineRow, Entry.journal, Entry.number)
        .join(Entry, Entry.id == BankLineRow.entry_id)
        .where(BankLineRow.club_id == club.id, BankLineRow.kind == "suspense",
               BankLineRow.assigned_entry_id.is_(None))
        .order_by(BankLineRow.date, BankLineRow.id)).all()
    return [SuspenseLine(r.id, r.date, Money(r.amount_cents), r.label, f"{j} {n}",
                         r.target or "") for r, j, n in rows]


@dataclass(frozen=True, slots=True)
class Assignment:
    line: int
    kind: str
    target: str
    reversal: str
    entry: str


def assign(session: Session, club: Club, line_id: int, *, member: str | None = None,
           account: str | None = None, loan: int | None = None, date: dt.date | None = None,
           today: dt.date) -> Assignment:
    """Move a suspense line to its real account: the 471 entry is reversed and the line is
    booked again through the normal service (a saving records the capital movement)."""
    if sum(x is not None for x in (member, account, loan)) != 1:
        raise AssignTarget()
    row = session.execute(select(BankLineRow).where(
        BankLineRow.club_id == club.id, BankLineRow.id == line_id)).scalar_one_or_none()
    if row is None:
        raise UnknownBankLine(line=line_id)
    if row.kind != "suspense" or row.assigned_entry_id is not None:
        raise LineNotInSuspense(line=line_id, kind=row.assigned_kind or row.kind)
    amount = Money(row.amount_cents)
    kind, target = (("saving", member) if member is not None
                    else ("loan", str(loan)) if loan is not None
                    else ("entry", account))
    assert target is not None
    if kind in ("saving", "loan") and amount.cents < 0:
        raise AssignSignMismatch(line=line_id, direction="debit", amount=amount.plain(),
                                 target=kind, allowed="credits (money in)")
    if kind == "saving":
        get_member(session, club, target)
    elif kind == "loan":
        loans.get_loan(session, club, int(target))
    elif chart.is_member_account(target):
        raise MemberAccountReserved(account=target)
    original = session.get(Entry, row.entry_id)
    assert original is not None
    when = date or row.date
    line = BankLine(row.date, amount, row.label, row.line_no, row.reference, row.bank_id)
    # Both entries or neither, even for a caller that catches the error and goes on.
    with session.begin_nested():
        reversal = bookkeeping.reverse(session, club, journal=original.journal,
                                       number=original.number, date=when, today=today,
                                       key=f"bank-unassign:{row.fingerprint}")
        entry = _book_target(session, club, kind, target, line,
                             f"bank-assign:{row.fingerprint}", today, date=when)
    if kind == "entry":
        kind = "expense" if amount.cents < 0 else "income"
    session.execute(update(BankLineRow).where(BankLineRow.id == row.id).values(
        reversal_entry_id=reversal.id, assigned_entry_id=entry.id, assigned_kind=kind,
        assigned_target=target))
    return Assignment(line_id, kind, target, f"{reversal.journal} {reversal.number}",
                      f"{entry.journal} {entry.number}")


# -- reconciliation -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LedgerMovement:
    date: dt.date
    entry: str
    label: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Reconciliation:
    date: dt.date
    ledger: Money
    statement: Money
    difference: Money  # statement − ledger
    unreconciled: tuple[LedgerMovement, ...]  # 5121 movements no bank line accounts for
    suspense: tuple[SuspenseLine, ...]

    @property
    def ok(self) -> bool:
        return self.difference.is_zero()


def reconcile(session: Session, club: Club, date: dt.date, balance: Money, *,
              since: dt.date | None = None) -> Reconciliation:
    """Books against statement on ``date``; movements listed only after ``since`` (the last
    date that matched), which earlier reconciliations already accounted for."""
    ledger = account_balance(session, club.book_id, chart.BANK_ACCOUNT, as_of=date)
    difference = balance - ledger
    unreconciled: tuple[LedgerMovement, ...] = ()
    if not difference.is_zero():
        linked: set[int] = set()
        for a, b, c in session.execute(select(
                BankLineRow.entry_id, BankLineRow.reversal_entry_id,
                BankLineRow.assigned_entry_id).where(BankLineRow.club_id == club.id)).all():
            linked.update(x for x in (a, b, c) if x is not None)
        rows = session.execute(
            select(Entry.id, Entry.date, Entry.journal, Entry.number, Entry.label,
                   func.sum(Posting.amount_cents))
            .join(Posting, Posting.entry_id == Entry.id)
            .join(Account, Account.id == Posting.account_id)
            .where(Entry.book_id == club.book_id, Entry.journal != "AN", Entry.date <= date,
                   Entry.date > (since or dt.date.min), Account.code == chart.BANK_ACCOUNT)
            .group_by(Entry.id, Entry.date, Entry.journal, Entry.number, Entry.label)
            .order_by(Entry.date, Entry.journal, Entry.number)).all()
        unreconciled = tuple(
            LedgerMovement(d, f"{j} {n}", label, Money(int(total)))
            for entry_id, d, j, n, label, total in rows
            if entry_id not in linked and int(total) != 0)
    pending = tuple(s for s in suspense(session, club) if s.date <= date)
    return Reconciliation(date, ledger, balance, difference, unreconciled, pending)


# -- members' IBANs -------------------------------------------------------------------------------

def record_iban(session: Session, club: Club, member_code: str, value: str) -> str:
    """Record (validated) that the member pays from this IBAN; returns it masked."""
    compact = iban_mod.validate(value)
    member = get_member(session, club, member_code)
    owner = session.execute(
        select(Member.code).join(MemberBankAccount, MemberBankAccount.member_id == Member.id)
        .where(MemberBankAccount.club_id == club.id, MemberBankAccount.iban == compact)
    ).scalar_one_or_none()
    if owner is not None and owner != member.code:
        raise IbanInUse(iban=iban_mod.mask(compact), member=owner)
    if owner is None:
        session.execute(insert(MemberBankAccount).values(club_id=club.id, member_id=member.id,
                                                         iban=compact))
    return iban_mod.mask(compact)


def member_ibans(session: Session, club: Club) -> list[tuple[str, str]]:
    """(member code, masked IBAN) for every recorded account."""
    return [(code, iban_mod.mask(value)) for code, value in session.execute(
        select(Member.code, MemberBankAccount.iban)
        .join(MemberBankAccount, MemberBankAccount.member_id == Member.id)
        .where(MemberBankAccount.club_id == club.id)
        .order_by(Member.code, MemberBankAccount.id)).all()]


def booked_lines(session: Session, club: Club) -> list[BankLine]:
    """Every booked bank line, in import order (e.g. to write them back to a CSV)."""
    return [BankLine(r.date, Money(r.amount_cents), r.label, r.line_no, r.reference, r.bank_id)
            for r in session.execute(select(BankLineRow).where(
                BankLineRow.club_id == club.id).order_by(BankLineRow.id)).scalars()]

