"""The only writers of ledger rows: post_entries(), post_entry(), reverse_entry().

Writing an entry, always inside the caller's transaction:
1. validate everything in Python (clear, typed errors before touching the database);
2. lock the book row (the chain head) so writers to one book serialize;
3. take the next numbers from the journal counters (gapless; no database sequence, whose
   values are lost on rollback);
4. compute each entry's hash = sha256(previous hash + canonical entry);
5. insert entries unsealed, insert postings, add them to the kept balances
   (``ledger.balances``), then seal them: the database trigger refuses the seal of an entry
   that does not balance or has fewer than two lines.

Bulk posting goes through the same function with many drafts, so the fast path and the
safe path are the same code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from sqlalchemy import bindparam, event, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from ledger import errors
from ledger.balances import accumulate, add_postings, before_read, counts
from ledger.guards import guard_code
from ledger.limits import KEY_MAX, LABEL_MAX, check_cents, check_text
from ledger.money import Money
from ledger.schema import (
    GENESIS_HASH,
    JOURNALS,
    OPENING_JOURNAL,
    Account,
    Book,
    Entry,
    FiscalYear,
    JournalCounter,
    Posting,
    metadata,
)


@dataclass(frozen=True, slots=True)
class Line:
    """One posting of a draft: signed amount, debit positive, credit negative."""

    account: str
    amount: Money

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Money):
            raise TypeError(
                f"Line amount must be Money, got {type(self.amount).__name__} "
                "(floats are refused for money)"
            )


@dataclass(frozen=True, slots=True)
class EntryDraft:
    journal: str
    date: dt.date
    label: str
    lines: tuple[Line, ...]
    key: str | None = None
    # Set only by reverse_entry(): the id of the entry this one cancels.
    reverses_id: int | None = field(default=None)


@dataclass(frozen=True, slots=True)
class PostedEntry:
    id: int
    journal: str
    number: int
    date: dt.date
    label: str
    hash: str
    created: bool  # False when an idempotency key returned an existing entry


# Performance: json.dumps() with options builds a new JSONEncoder on every call; one shared
# encoder with the same options produces byte-identical text (dumps is exactly
# JSONEncoder(**options).encode), so hashes and digests are unchanged.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


# What each entry's hash covers, recorded per entry (entry.hash_version) so that books written
# before a change keep verifying with the form they were hashed with:
# 1 - book, journal, number, position, date, label, reversed entry, lines;
# 2 - the same, preceded by the version and followed by the idempotency key, so that a key
#     changed or removed with raw SQL (after which a retry would post twice) breaks the chain.
# The version is itself part of the version-2 text: relabelling an entry as version 1 changes
# what is recomputed, so it is a hash mismatch too.
HASH_VERSION = 2
HASH_VERSIONS = (1, 2)


def canonical(
    book_code: str,
    journal: str,
    number: int,
    seq: int,
    date: dt.date,
    label: str,
    reverses: str | None,
    lines: Iterable[tuple[str, int]],
    *,
    key: str | None = None,
    version: int = HASH_VERSION,
) -> str:
    """The text that is hashed into the chain; JSON so that no separator can be forged."""
    if version == 1:
        return _JSON.encode(
            [book_code, journal, number, seq, date.isoformat(), label, reverses, list(lines)]
        )
    if version == 2:
        return _JSON.encode(
            [2, book_code, journal, number, seq, date.isoformat(), label, reverses,
             list(lines), key]
        )
    raise ValueError(f"unknown hash version {version}")


def chain_hash(prev_hash: str, canonical_text: str) -> str:
    return hashlib.sha256((prev_hash + canonical_text).encode("utf-8")).hexdigest()


def content_digest(draft_journal: str, date: dt.date, label: str, lines: Iterable[tuple[str, int]],
                   reverses_id: int | None) -> str:
    """What an idempotency key promises: same journal, date, label, lines (and reversal target)."""
    payload = _JSON.encode([draft_journal, date.isoformat(), label, list(lines), reverses_id])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# -- unit of work --------------------------------------------------------------------------------
# A service writes many entries to one book in one transaction (a demo club, a bank statement,
# a month's savings). What the transaction has read of a book it has locked cannot change
# under it until it ends: the book row is locked (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on
# SQLite), and the rows read here (journal counters, fiscal years, accounts' ids) are written
# only by this module, which keeps the state up to date, or by ledger.closing, which calls
# forget(). So the book is locked and these rows are read once per transaction instead of once
# per entry. The state is dropped whenever a transaction or savepoint ends (commit, rollback,
# release): a rolled-back savepoint can never leave a stale counter or chain head behind.
_UOW = "ledger.post.locked_books"


class BookLike(Protocol):
    id: int
    opened_on: dt.date


@dataclass(slots=True)
class _Locked:
    """A book locked by the current transaction, and what the transaction knows of it."""

    orm: Book
    id: int
    code: str
    opened_on: dt.date
    seq: int
    head: str
    counters: dict[str, int] = field(default_factory=dict)
    years: dict[int, bool] = field(default_factory=dict)  # year -> closed
    accounts: dict[str, tuple[int, bool]] = field(default_factory=dict)  # code -> (id, postable)
    # Idempotency keys known not to be used in the book (prefetch_keys()).
    absent_keys: set[str] = field(default_factory=set)
    # Every idempotency key used in the book, when the transaction knows them all (a book of
    # at most _KNOWN_KEYS_UP_TO entries when locked, kept up to date by _write): a key not in
    # it needs no look-up. None: unknown, each key is looked up.
    used_keys: set[str] | None = None
    # Deferred finishing (see deferred()): entries from this seq on are written but not sealed
    # yet, and the book row and these journals' counters still hold their old values.
    pending_from: int | None = None
    dirty_journals: set[str] = field(default_factory=set)
    # Kept-balance totals of those entries, (account id, month) -> (debit, credit), not yet
    # added to account_balance_month (written by settle() or before any read of the table).
    kept: dict[tuple[int, dt.date], tuple[int, int]] = field(default_factory=dict)
    # PostgreSQL, deferred blocks: entry ids taken from the table's sequence ahead of the
    # inserts (_new_entry_ids), so that an entry, its postings and the caller's own rows are
    # sent together. The same list is shared by the savepoint snapshots (never copied): an id
    # handed out is never handed out again, even when its savepoint is rolled back.
    spare_ids: list[int] = field(default_factory=list)
    id_batch: int = 16


def _locked_books(session: Session) -> dict[int, _Locked]:
    books: dict[int, _Locked] = session.info.setdefault(_UOW, {})
    return books


def forget(session: Session, book_id: int | None = None) -> None:
    """Drop what this transaction knows of a book (all books by default): for a writer of
    ledger rows other than this module (ledger.closing closes fiscal years). Entries still
    to be sealed are finished first (settle())."""
    settle(session, book_id)
    if book_id is None:
        session.info.pop(_UOW, None)
    else:
        _locked_books(session).pop(book_id, None)


# -- deferred finishing ---------------------------------------------------------------------------
# Each write ends with three statements that do not depend on the entry's content: seal the
# new entries, move the book's chain head, store the journal counters. A service that writes
# many entries to a book in one transaction (a demo club, a bank statement, a month's
# savings) runs inside deferred(): entries and postings are inserted at once (their ids are
# returned to the caller), and the three statements run once, for every entry written since,
# when the block ends, before the transaction commits, or before anything in this package
# reads what they write (closing, the audit, the chain head). Sealing still goes through the
# database guard, entry by entry (balance, two lines); the hash chain is computed at write
# time exactly as before. A savepoint rolled back restores what the transaction knew when it
# began (entries waiting from before it included), so its own entries are neither numbered
# nor sealed nor chained.
_DEFER = "ledger.post.defer"


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """Finish the entries written inside the block together, when it ends normally. After an
    error the entries wait for the commit (which finishes them) or the rollback."""
    session.info[_DEFER] = session.info.get(_DEFER, 0) + 1
    try:
        yield
    finally:
        session.info[_DEFER] -= 1
        if not session.info[_DEFER]:
            del session.info[_DEFER]
    settle(session)


def _deferring(session: Session) -> bool:
    return _DEFER in session.info


def pending(session: Session) -> bool:
    """True when entries written by this transaction are not sealed yet."""
    return any(b.pending_from is not None for b in _locked_books(session).values())


def settle(session: Session, book_id: int | None = None) -> None:
    """Seal the entries written and not yet sealed, and store the book's chain head and
    journal counters (all books by default): three statements per book at most."""
    books = _locked_books(session)
    for locked in [books[book_id]] if book_id in books else (
            list(books.values()) if book_id is None else []):
        if locked.pending_from is None:
            continue
        try:
            _write_kept(session, locked)
            session.execute(_SEAL, {"b_id": locked.id, "first": locked.pending_from,
                                    "last": locked.seq})
            session.execute(_MOVE_HEAD, {"b_id": locked.id, "seq": locked.seq,
                                         "head": locked.head})
            for j in sorted(locked.dirty_journals):
                session.execute(_STORE_COUNTER, {"b_id": locked.id, "j": j,
                                                 "n": locked.counters[j]})
        except (IntegrityError, DBAPIError) as exc:
            raise translate_db_error(exc) from exc
        locked.pending_from = None
        locked.dirty_journals.clear()
        session.expire(locked.orm)


def _write_kept(session: Session, locked: _Locked) -> None:
    # One upsert per account and month for the whole deferred block.
    if locked.kept:
        add_postings(session, locked.kept)
        locked.kept = {}


@before_read
def _kept_up_to_date(session: Session) -> None:
    """Before the kept balances are read: write the totals still held for this transaction's
    books (the entries stay unsealed until settle())."""
    books = session.info.get(_UOW)
    if not books:
        return
    for locked in books.values():
        if locked.kept:
            try:
                _write_kept(session, locked)
            except (IntegrityError, DBAPIError) as exc:
                raise translate_db_error(exc) from exc


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    nested = session.get_nested_transaction()
    if nested is not None:
        # A savepoint's release (the project commits only through cigales.db.session_scope,
        # after every savepoint has ended): remembered, so that what the transaction has read
        # outlives it (ends_unit_of_work); its entries wait with the others.
        session.info.setdefault(_RELEASED, []).append(nested)
        return
    # The safety net: a transaction never commits entries that are not sealed.
    settle(session)


_RELEASED = "ledger.post.released_savepoints"


def ends_unit_of_work(session: Session, transaction: Any) -> bool:
    """Whether what a transaction has read (here, services.uow, the life cycle) must be
    dropped when ``transaction`` ends: at the end of the database transaction itself and of a
    savepoint rolled back; not at the end of a flush's subtransaction nor of a savepoint
    released, whose writes stay and kept that state up to date as they were made."""
    if transaction.parent is None:
        return True
    if not transaction.nested:
        return False
    return not any(t is transaction for t in session.info.get(_RELEASED, ()))


@event.listens_for(Session, "after_transaction_create")
def _transaction_created(session: Session, transaction: Any) -> None:
    # A savepoint remembers what the transaction knew of its books when it began: rolled
    # back, it restores exactly that (entries still waiting to be sealed from before it
    # included); released, it forgets the copy.
    if transaction.nested:
        session.info.setdefault(_SNAPSHOTS, []).append((transaction, {
            book_id: replace(locked, counters=dict(locked.counters), years=dict(locked.years),
                             accounts=dict(locked.accounts),
                             dirty_journals=set(locked.dirty_journals),
                             kept=dict(locked.kept),
                             absent_keys=set(locked.absent_keys),
                             used_keys=(None if locked.used_keys is None
                                        else set(locked.used_keys)))
            for book_id, locked in _locked_books(session).items()}))


_SNAPSHOTS = "ledger.post.savepoints"


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        for key in (_UOW, _RELEASED, _SNAPSHOTS):
            session.info.pop(key, None)
        return
    if not transaction.nested:
        return  # a flush's subtransaction
    snapshots = session.info.get(_SNAPSHOTS, [])
    mine = next((i for i, (t, _) in enumerate(snapshots) if t is transaction), None)
    snapshot = snapshots.pop(mine)[1] if mine is not None else None
    if ends_unit_of_work(session, transaction):  # rolled back
        if snapshot is None:
            session.info.pop(_UOW, None)
        else:
            session.info[_UOW] = snapshot


# post_entries(then=...): writes the caller's rows for the entries just written.
Then = Callable[[list[tuple[int, PostedEntry]]], None]


def fiscal_year_bounds(opened_on: dt.date, year: int) -> tuple[dt.date, dt.date]:
    """Fiscal years are calendar years; the first one starts when the books are opened."""
    start = max(opened_on, dt.date(year, 1, 1))
    return start, dt.date(year, 12, 31)


def ensure_fiscal_years(session: Session, book: BookLike, years: Iterable[int]) -> dict[int, bool]:
    """Create missing fiscal years (open) and return {year: closed} for the requested ones."""
    wanted = set(years)
    locked = _locked_books(session).get(book.id)
    known = locked.years if locked is not None else {}
    existing = {y: known[y] for y in wanted if y in known}
    if wanted - existing.keys():
        rows = session.execute(
            select(FiscalYear.year, FiscalYear.closed).where(
                FiscalYear.book_id == book.id, FiscalYear.year.in_(wanted - existing.keys())
            )
        ).all()
        existing.update(dict(rows))
    for year in sorted(wanted - existing.keys()):
        start, end = fiscal_year_bounds(book.opened_on, year)
        session.execute(
            insert(FiscalYear).values(
                book_id=book.id, year=year, start_date=start, end_date=end, closed=False
            )
        )
        existing[year] = False
    if locked is not None:
        locked.years.update(existing)
    return existing


_KNOWN_KEYS_UP_TO = 5_000


def _lock_book(session: Session, book_id: int) -> _Locked:
    # FOR UPDATE serializes writers on PostgreSQL; SQLite ignores it and relies on the
    # BEGIN IMMEDIATE that cigales.db issues for write transactions. Once per transaction.
    locked = _locked_books(session).get(book_id)
    if locked is not None:
        return locked
    book = session.execute(
        select(Book).where(Book.id == book_id).with_for_update()
    ).scalar_one_or_none()
    if book is None:
        raise LookupError(f"no book with id {book_id}")
    locked = _Locked(book, book.id, book.code, book.opened_on, book.chain_seq,
                     book.head_hash or GENESIS_HASH)
    # Performance: a small book's keys are read at once (none to read in a new book), so that
    # its entries need no idempotency look-up each (a demo club, a month's savings).
    if book.chain_seq == 0:
        locked.used_keys = set()
    elif book.chain_seq <= _KNOWN_KEYS_UP_TO:
        locked.used_keys = {k for k in session.execute(
            select(Entry.idem_key).where(Entry.book_id == book_id,
                                         Entry.idem_key.is_not(None))).scalars()
                            if k is not None}
    _locked_books(session)[book_id] = locked
    return locked


def _validate_shape(draft: EntryDraft, allow_opening: bool) -> list[tuple[str, int]]:
    allowed = JOURNALS if allow_opening else tuple(j for j in JOURNALS if j != OPENING_JOURNAL)
    if draft.journal not in allowed:
        raise errors.UnknownJournal(journal=draft.journal, allowed=", ".join(allowed))
    if not isinstance(draft.date, dt.date) or isinstance(draft.date, dt.datetime):
        raise TypeError("entry date must be a datetime.date")
    if not draft.label or not draft.label.strip():
        raise errors.LabelRequired()
    check_text(draft.label, "label", LABEL_MAX)
    if draft.key is not None:
        check_text(draft.key, "key", KEY_MAX)
    if len(draft.lines) < 2:
        raise errors.EntryTooShort(count=len(draft.lines))
    pairs: list[tuple[str, int]] = []
    for i, line in enumerate(draft.lines, start=1):
        if not isinstance(line, Line):
            raise TypeError("entry lines must be ledger.post.Line")
        if line.amount.is_zero():
            raise errors.ZeroPosting(line=i, account=line.account)
        check_cents(line.amount.cents, line.amount.plain())
        pairs.append((line.account, line.amount.cents))
    total = sum(c for _, c in pairs)
    if total != 0:
        raise errors.EntryMustBalance(difference=Money(total).plain())
    return pairs


def _resolve_accounts(session: Session, book: _Locked, codes: set[str]) -> dict[str, int]:
    # Accounts are added, never changed or removed: ids read once per transaction (an
    # unknown code is asked again, it may have been opened since).
    found = book.accounts
    missing = codes - found.keys()
    if missing:
        rows = session.execute(
            select(Account.code, Account.id, Account.postable).where(
                Account.book_id == book.id, Account.code.in_(missing)
            )
        ).all()
        found.update({code: (acc_id, postable) for code, acc_id, postable in rows})
    for code in sorted(codes):
        if code not in found:
            raise errors.UnknownAccount(account=code)
        if not found[code][1]:
            raise errors.AccountNotPostable(account=code)
    return {code: found[code][0] for code in codes}


def post_entries(
    session: Session,
    book_id: int,
    drafts: Sequence[EntryDraft],
    *,
    allow_opening: bool = False,
    then: Then | None = None,
) -> list[PostedEntry]:
    """Validate and write many entries in one go; all or nothing within the transaction.

    ``then``, if given, is called with the entries written (not those an idempotency key
    answered), as (index in ``drafts``, entry), right after they are inserted: the caller's
    own rows that refer to them are written there. It must only write (no reads, nothing read
    back): on PostgreSQL inside a deferred block its statements go in the same round trip as
    the entries' (``_sent_together``). It is not called when no entry is written."""
    if not drafts:
        return []
    shapes = [_validate_shape(d, allow_opening) for d in drafts]
    book = _lock_book(session, book_id)
    digests = [
        content_digest(d.journal, d.date, d.label, shape, d.reverses_id)
        for d, shape in zip(drafts, shapes, strict=True)
    ]
    results: list[PostedEntry | None] = [None] * len(drafts)
    keyed = {d.key for d in drafts if d.key is not None}
    # Keys prefetch_keys() found unused need no look-up (they are dropped when written).
    unknown = keyed - book.absent_keys
    if book.used_keys is not None:
        unknown &= book.used_keys  # the others are known unused: no look-up
    if unknown:
        # Plain rows, not ORM objects: this runs for every keyed entry (savings, bank lines).
        existing = {
            e.idem_key: e
            for e in session.execute(_KEYED_ENTRIES, {"book_id": book_id,
                                                      "keys": list(unknown)})
        }
    else:
        existing = {}
    batch_keys: dict[str, int] = {}
    to_write: list[int] = []
    for i, d in enumerate(drafts):
        if d.key is not None:
            prior = existing.get(d.key)
            if prior is not None:
                if prior.content_digest != digests[i]:
                    raise errors.IdempotencyConflict(key=d.key, journal=prior.journal,
                                                     number=prior.number)
                results[i] = PostedEntry(prior.id, prior.journal, prior.number, prior.date,
                                         prior.label, prior.hash, created=False)
                continue
            if d.key in batch_keys:
                first = batch_keys[d.key]
                if digests[first] != digests[i]:
                    raise errors.IdempotencyConflict(key=d.key, journal=drafts[first].journal,
                                                     number="?")
                continue  # resolved after the first one is written
            batch_keys[d.key] = i
        to_write.append(i)

    if to_write:
        # Replays of an idempotency key were answered above, even if their year has been
        # closed since; only new entries are checked against dates and accounts.
        new = [drafts[i] for i in to_write]
        for d in new:
            if d.date < book.opened_on:
                raise errors.DateBeforeBookStart(date=d.date.isoformat(),
                                                 start=book.opened_on.isoformat())
        closed = ensure_fiscal_years(session, book, {d.date.year for d in new})
        for d in new:
            if closed[d.date.year]:
                raise errors.FiscalYearClosed(date=d.date.isoformat(), year=d.date.year,
                                              next_open=_next_open_start(session, book))
        account_ids = _resolve_accounts(session, book,
                                        {a for i in to_write for a, _ in shapes[i]})
        _write(session, book, drafts, shapes, digests, to_write, account_ids, results, then)
    # Duplicates of a key inside the same batch return the entry written for the first one.
    for i, d in enumerate(drafts):
        if results[i] is None and d.key is not None:
            first_result = results[batch_keys[d.key]]
            assert first_result is not None
            results[i] = PostedEntry(first_result.id, first_result.journal, first_result.number,
                                     first_result.date, first_result.label, first_result.hash,
                                     created=False)
    return [r for r in results if r is not None]


def _write(
    session: Session,
    book: _Locked,
    drafts: Sequence[EntryDraft],
    shapes: Sequence[list[tuple[str, int]]],
    digests: Sequence[str],
    to_write: Sequence[int],
    account_ids: dict[str, int],
    results: list[PostedEntry | None],
    then: Then | None = None,
) -> None:
    journals = sorted({drafts[i].journal for i in to_write})
    counters = {j: book.counters[j] for j in journals if j in book.counters}
    unknown = [j for j in journals if j not in counters]
    if unknown:
        rows = session.execute(
            select(JournalCounter.journal, JournalCounter.last_number).where(
                JournalCounter.book_id == book.id, JournalCounter.journal.in_(unknown)
            )
        ).all()
        counters.update(dict(rows))
    for j in journals:
        if j not in counters:
            session.execute(insert(JournalCounter).values(book_id=book.id, journal=j,
                                                          last_number=0))
            counters[j] = 0

    reversal_refs = _reversal_refs(session, [drafts[i].reverses_id for i in to_write])
    seq = book.seq
    head = book.head
    entry_rows: list[dict[str, object]] = []
    numbered: list[tuple[int, str]] = []
    for i in to_write:
        d = drafts[i]
        counters[d.journal] += 1
        seq += 1
        number = counters[d.journal]
        reverses = reversal_refs.get(d.reverses_id) if d.reverses_id is not None else None
        text = canonical(book.code, d.journal, number, seq, d.date, d.label, reverses, shapes[i],
                         key=d.key)
        digest = chain_hash(head, text)
        entry_rows.append(
            {
                "book_id": book.id,
                "journal": d.journal,
                "number": number,
                "seq": seq,
                "date": d.date,
                "label": d.label,
                "sealed": False,
                "prev_hash": head,
                "hash": digest,
                "reverses_id": d.reverses_id,
                "idem_key": d.key,
                "content_digest": digests[i],
                "hash_version": HASH_VERSION,
            }
        )
        numbered.append((number, digest))
        head = digest

    first_seq = book.seq + 1
    # PostgreSQL, inside a deferred block: every statement is a round trip to the server, so
    # the entries, their postings and the caller's rows (``then``) are sent together, in one
    # psycopg pipeline, with entry ids taken from the sequence beforehand (a batch of them
    # per round trip). Nothing in the pipeline is read back; the rows, triggers and checks
    # are the same, and a refusal is raised here, when the pipeline ends.
    together = _deferring(session) and session.get_bind().dialect.name == "postgresql"
    try:
        if together:
            ids = _new_entry_ids(session, book, len(entry_rows))
            for row, entry_id in zip(entry_rows, ids, strict=True):
                row["id"] = entry_id
        with _sent_together(session, together):
            if together:
                session.execute(_INSERT_ENTRIES_WITH_IDS, entry_rows)
            else:
                # Performance: plain Core inserts on the tables skip the ORM bulk-insert
                # bookkeeping (per-row state we never use), and RETURNING (seq, id) replaces
                # sort_by_parameter_order=True, which made SQLAlchemy fall back on SQLite to
                # one INSERT statement per entry. Unordered RETURNING is batched into
                # multi-row INSERTs; seq is unique per book and known for every row written
                # here (the book row is locked), so it maps each returned id back to its
                # draft whatever the row order.
                returned: dict[int, int] = dict(session.execute(_INSERT_ENTRIES,
                                                                entry_rows).all())
                ids = [returned[s] for s in range(first_seq, seq + 1)]
            posting_rows = [
                {"entry_id": entry_id, "line_no": n, "account_id": account_ids[code],
                 "amount_cents": cents}
                for entry_id, i in zip(ids, to_write, strict=True)
                for n, (code, cents) in enumerate(shapes[i], start=1)
            ]
            # Performance: RETURNING (whose ids are not needed) makes SQLAlchemy send the
            # postings as multi-row INSERTs ("insertmanyvalues", up to 1,000 rows a
            # statement) instead of an executemany() of one-row INSERTs. SQLite pays a fixed
            # cost per statement (statement journal, trigger and foreign-key set-up), which
            # made this the slowest step of bulk posting; the rows, triggers and checks are
            # the same. In a pipeline nothing may be read back: an executemany(), which
            # psycopg sends in the same pipeline.
            session.execute(_INSERT_POSTINGS_PLAIN if together else _INSERT_POSTINGS,
                            posting_rows)
            written = [(i, PostedEntry(entry_id, drafts[i].journal, number, drafts[i].date,
                                       drafts[i].label, digest, created=True))
                       for entry_id, i, (number, digest) in zip(ids, to_write, numbered,
                                                                 strict=True)]
            if then is not None:
                then(written)
        # Kept balances (ledger.balances) move with the postings, in this transaction: one
        # upsert per account and month of the batch, under the rule of every balance query.
        # Inside deferred() they wait with the sealing: one upsert per account and month of
        # the whole block (settle()), or before anything reads the table (before_read).
        kept: dict[tuple[int, dt.date], tuple[int, int]] = {}
        for i in to_write:
            d = drafts[i]
            if counts(d.journal, d.date, book.opened_on):
                for code, cents in shapes[i]:
                    accumulate(kept, account_ids[code], d.date, cents)
        if not _deferring(session):
            add_postings(session, _merged(dict(book.kept), kept) if book.kept else kept)
    except (IntegrityError, DBAPIError) as exc:
        # Re-read the book next time, unless entries written before wait to be sealed: their
        # range must survive, for the commit's settle() (the state has not moved).
        if book.pending_from is None:
            _locked_books(session).pop(book.id, None)
        raise translate_db_error(exc) from exc
    # Only once every statement has succeeded: the transaction's view of the book moves on.
    if book.pending_from is None:
        book.pending_from = first_seq
    book.seq, book.head = seq, head
    book.counters.update(counters)
    book.dirty_journals.update(journals)
    book.absent_keys.difference_update(drafts[i].key for i in to_write)
    if book.used_keys is not None:
        book.used_keys.update(k for i in to_write if (k := drafts[i].key) is not None)
    if _deferring(session):
        book.kept = _merged(book.kept, kept)
    else:
        book.kept = {}
    if not _deferring(session):
        settle(session, book.id)
    for i, posted in written:
        results[i] = posted


def _new_entry_ids(session: Session, book: _Locked, n: int) -> list[int]:
    """``n`` entry ids from the entry table's sequence, in increasing order. They are taken
    while the book is locked, in batches that double up to 512 (one round trip each), so a
    book's entries keep ids in the order of their seq, as when the database assigned them; ids
    left over when the transaction ends are lost, like those of a rolled-back insert."""
    pool = book.spare_ids
    if len(pool) < n:
        batch = max(n - len(pool), book.id_batch)
        book.id_batch = min(512, 2 * book.id_batch)
        pool.extend(session.execute(_NEXT_ENTRY_IDS, {"n": batch}).scalars())
    ids = pool[:n]
    del pool[:n]
    return ids


@contextmanager
def _sent_together(session: Session, on: bool) -> Iterator[None]:
    """PostgreSQL: the statements run in the block are sent in one psycopg pipeline and their
    results awaited once, at the end (their results must not be read: SQLAlchemy would find
    none). An error of one of them is raised at the latest here, as SQLAlchemy's error."""
    if not on:
        yield
        return
    # Start-up: psycopg is imported only when a PostgreSQL database is written.
    import psycopg

    raw = session.connection().connection.driver_connection
    try:
        with raw.pipeline():  # type: ignore[union-attr]
            yield
    except psycopg.Error as exc:
        raise DBAPIError.instance(None, None, exc, psycopg.Error) from exc


# The Core tables behind the mapped classes, for the bulk inserts in _write().
_ENTRY_TABLE = metadata.tables[Entry.__tablename__]
_POSTING_TABLE = metadata.tables[Posting.__tablename__]
# Performance: the statements run for every entry are built once (building a statement costs
# more than SQLAlchemy's compiled-statement cache saves); the values are bound per call.
_INSERT_ENTRIES = insert(_ENTRY_TABLE).returning(_ENTRY_TABLE.c.seq, _ENTRY_TABLE.c.id)
_INSERT_POSTINGS = insert(_POSTING_TABLE).returning(_POSTING_TABLE.c.id)
# PostgreSQL, in a pipeline (_sent_together): the entries with their ids given, nothing
# returned (inline(): not even the implicit RETURNING of a one-row insert's primary key).
_INSERT_ENTRIES_WITH_IDS = insert(_ENTRY_TABLE).inline()
_INSERT_POSTINGS_PLAIN = insert(_POSTING_TABLE).inline()
_NEXT_ENTRY_IDS = select(
    func.nextval(func.pg_get_serial_sequence(_ENTRY_TABLE.name, _ENTRY_TABLE.c.id.name))
).select_from(func.generate_series(1, bindparam("n")))
_KEYED_ENTRIES = (
    # Plain rows, not ORM objects: this runs for every keyed entry (savings, bank lines).
    select(Entry.id, Entry.idem_key, Entry.journal, Entry.number, Entry.date, Entry.label,
           Entry.hash, Entry.content_digest)
    .where(Entry.book_id == bindparam("book_id"),
           Entry.idem_key.in_(bindparam("keys", expanding=True)))
)
_SEAL = (update(_ENTRY_TABLE)
         .where(_ENTRY_TABLE.c.book_id == bindparam("b_id"),
                _ENTRY_TABLE.c.seq.between(bindparam("first"), bindparam("last")))
         .values(sealed=True))
_MOVE_HEAD = (update(metadata.tables[Book.__tablename__])
              .where(metadata.tables[Book.__tablename__].c.id == bindparam("b_id"))
              .values(chain_seq=bindparam("seq"), head_hash=bindparam("head")))
_STORE_COUNTER = (update(metadata.tables[JournalCounter.__tablename__])
                  .where(metadata.tables[JournalCounter.__tablename__].c.book_id
                         == bindparam("b_id"),
                         metadata.tables[JournalCounter.__tablename__].c.journal
                         == bindparam("j"))
                  .values(last_number=bindparam("n")))


def _merged(into: dict[tuple[int, dt.date], tuple[int, int]],
            more: dict[tuple[int, dt.date], tuple[int, int]]
            ) -> dict[tuple[int, dt.date], tuple[int, int]]:
    """``into`` with ``more``'s (debit, credit) added, key by key (``into`` is changed)."""
    for key, (debit, credit) in more.items():
        had = into.get(key)
        into[key] = (debit, credit) if had is None else (had[0] + debit, had[1] + credit)
    return into


def translate_db_error(exc: DBAPIError) -> Exception:
    """Map a guard's refusal to a typed error; anything else is a real bug and propagates."""
    code = guard_code(str(exc.orig))
    if code is None:
        return exc
    return errors.DatabaseRefused(detail=code)


def _reversal_refs(session: Session, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Entry.id, Entry.journal, Entry.number).where(Entry.id.in_(wanted))
    ).all()
    return {entry_id: f"{journal}:{number}" for entry_id, journal, number in rows}


def _next_open_start(session: Session, book: BookLike) -> str:
    last_closed = session.execute(
        select(func.max(FiscalYear.year)).where(FiscalYear.book_id == book.id,
                                                 FiscalYear.closed.is_(True))
    ).scalar_one_or_none()
    if last_closed is None:
        return book.opened_on.isoformat()
    return dt.date(last_closed + 1, 1, 1).isoformat()


def prefetch_keys(session: Session, book_id: int, keys: Iterable[str]) -> None:
    """Look up many idempotency keys at once for entries about to be posted one by one (a bank
    statement's lines): the ones not used yet need no look-up each when posted. The book is
    locked, so no other writer can use them before this transaction ends."""
    wanted = set(keys)
    if not wanted:
        return
    book = _lock_book(session, book_id)
    used = {e.idem_key for e in session.execute(_KEYED_ENTRIES, {"book_id": book_id,
                                                                 "keys": list(wanted)})}
    book.absent_keys.update(wanted - used)


def post_entry(session: Session, book_id: int, draft: EntryDraft) -> PostedEntry:
    return post_entries(session, book_id, [draft])[0]


def find_entry(session: Session, book_id: int, journal: str, number: int) -> Entry:
    entry = session.execute(
        select(Entry).where(Entry.book_id == book_id, Entry.journal == journal,
                            Entry.number == number)
    ).scalar_one_or_none()
    if entry is None:
        raise errors.UnknownEntry(journal=journal, number=number)
    return entry


def reverse_entry(
    session: Session,
    book_id: int,
    journal: str,
    number: int,
    date: dt.date,
    *,
    label: str | None = None,
    key: str | None = None,
) -> PostedEntry:
    """Cancel an entry with its exact opposite, linked to it; the original stays untouched."""
    original = find_entry(session, book_id, journal, number)
    if original.reverses_id is not None:
        raise errors.CannotReverseReversal(journal=journal, number=number)
    if date < original.date:
        raise errors.ReversalBeforeOriginal(journal=journal, number=number,
                                            original=original.date.isoformat(),
                                            date=date.isoformat())
    lines = session.execute(
        select(Account.code, Posting.amount_cents)
        .join(Account, Account.id == Posting.account_id)
        .where(Posting.entry_id == original.id)
        .order_by(Posting.line_no)
    ).all()
    draft = EntryDraft(
        journal=original.journal,
        date=date,
        # Cut to the label limit: the original's label may already be as long as allowed.
        label=label or f"Extourne {original.journal} {original.number} – {original.label}"[
            :LABEL_MAX],
        lines=tuple(Line(code, Money(-cents)) for code, cents in lines),
        key=key,
        reverses_id=original.id,
    )
    if key is None or session.execute(
        select(Entry.id).where(Entry.book_id == book_id, Entry.idem_key == key)
    ).first() is None:
        by = session.execute(
            select(Entry.journal, Entry.number).where(Entry.reverses_id == original.id)
        ).first()
        if by is not None:
            raise errors.AlreadyReversed(journal=journal, number=number,
                                         by=f"{by.journal} {by.number}")
    return post_entry(session, book_id, draft)
