"""check_book(): recompute every ledger invariant from the rows themselves.

The triggers prevent corruption through normal SQL; the audit finds what got through anyway
(a trigger dropped by hand, a file edited with another tool, a restore of a damaged backup).
It trusts nothing stored except the rows: hashes are recomputed from the postings.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import balances, guards
from ledger.closing_audit import check_closings
from ledger.money import Money
from ledger.post import HASH_VERSIONS, canonical, chain_hash, content_digest, settle
from ledger.queries import balances_by_account_from_postings
from ledger.schema import (
    GENESIS_HASH,
    OPENING_JOURNAL,
    Account,
    Book,
    Entry,
    FiscalYear,
    JournalCounter,
    Posting,
)


@dataclass(frozen=True, slots=True)
class AuditIssue:
    code: str
    detail: str
    entry: str | None = None  # "BQ 12" when the issue is about one entry

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "detail": self.detail, "entry": self.entry}


def check_book(session: Session, book_id: int) -> list[AuditIssue]:
    settle(session, book_id)  # this transaction's own entries are checked sealed
    issues: list[AuditIssue] = []
    conn = session.connection()
    for name in guards.missing(conn):
        issues.append(AuditIssue("guard_missing", f"database guard {name} is missing"))
    issues += _check_entries_balance(session, book_id)
    issues += _check_numbering(session, book_id)
    issues += _check_chain(session, book_id)
    issues += _check_reversals(session, book_id)
    issues += _check_fiscal_years(session, book_id)
    issues += _check_kept_balances(session, book_id)
    issues += [AuditIssue(*finding) for finding in check_closings(session, book_id)]
    return issues


def _ref(journal: str, number: int) -> str:
    return f"{journal} {number}"


def _check_entries_balance(session: Session, book_id: int) -> list[AuditIssue]:
    issues = []
    stats = (
        select(
            Entry.journal,
            Entry.number,
            Entry.sealed,
            func.count(Posting.id).label("n"),
            func.coalesce(func.sum(Posting.amount_cents), 0).label("total"),
            func.coalesce(func.sum(func.abs(Posting.amount_cents)), 0).label("abs_total"),
            func.coalesce(func.min(func.abs(Posting.amount_cents)), 0).label("min_abs"),
        )
        .select_from(Entry)
        .outerjoin(Posting, Posting.entry_id == Entry.id)
        .where(Entry.book_id == book_id)
        .group_by(Entry.id, Entry.journal, Entry.number, Entry.sealed)
    ).subquery()
    bad = session.execute(
        select(stats).where(
            (stats.c.sealed.is_(False)) | (stats.c.n < 2) | (stats.c.total != 0)
            | (stats.c.min_abs == 0)
        )
    ).all()
    for journal, number, sealed, n, total, _abs, min_abs in bad:
        ref = _ref(journal, number)
        if not sealed:
            issues.append(AuditIssue("entry_not_sealed", "entry was never sealed", ref))
        if n < 2:
            issues.append(AuditIssue("entry_needs_two_lines", f"{n} line(s)", ref))
        if int(total) != 0:
            issues.append(AuditIssue("entry_must_balance",
                                     f"lines sum to {Money(int(total)).plain()}", ref))
        if n >= 1 and int(min_abs) == 0:
            issues.append(AuditIssue("posting_must_not_be_zero", "a line is zero", ref))
    total = session.execute(
        select(func.coalesce(func.sum(Posting.amount_cents), 0))
        .join(Entry, Entry.id == Posting.entry_id)
        .where(Entry.book_id == book_id)
    ).scalar_one()
    if int(total) != 0:
        issues.append(AuditIssue("book_must_balance",
                                 f"all postings sum to {Money(int(total)).plain()}"))
    return issues


def _check_numbering(session: Session, book_id: int) -> list[AuditIssue]:
    issues = []
    rows = session.execute(
        select(Entry.journal, func.count(), func.min(Entry.number), func.max(Entry.number))
        .where(Entry.book_id == book_id)
        .group_by(Entry.journal)
    ).all()
    counters = dict(
        session.execute(
            select(JournalCounter.journal, JournalCounter.last_number).where(
                JournalCounter.book_id == book_id
            )
        ).all()
    )
    for journal, count, low, high in rows:
        if low != 1 or high != count:
            issues.append(AuditIssue(
                "numbering_gap",
                f"journal {journal} has {count} entries numbered {low}..{high}"))
        if counters.get(journal) != high:
            issues.append(AuditIssue(
                "numbering_counter_mismatch",
                f"journal {journal} counter is {counters.get(journal)}, last entry is {high}"))
    return issues


def _check_chain(session: Session, book_id: int) -> list[AuditIssue]:
    """Recompute every hash from the postings, in chain order."""
    issues = []
    book = session.execute(select(Book).where(Book.id == book_id)).scalar_one()
    entries = session.execute(
        select(Entry.id, Entry.journal, Entry.number, Entry.seq, Entry.date, Entry.label,
               Entry.prev_hash, Entry.hash, Entry.reverses_id, Entry.idem_key,
               Entry.content_digest, Entry.hash_version)
        .where(Entry.book_id == book_id)
        .order_by(Entry.seq)
    ).all()
    lines: dict[int, list[tuple[str, int]]] = {}
    for entry_id, code, cents in session.execute(
        select(Posting.entry_id, Account.code, Posting.amount_cents)
        .join(Account, Account.id == Posting.account_id)
        .join(Entry, Entry.id == Posting.entry_id)
        .where(Entry.book_id == book_id)
        .order_by(Posting.entry_id, Posting.line_no)
    ).all():
        lines.setdefault(entry_id, []).append((code, int(cents)))
    refs = {e.id: f"{e.journal}:{e.number}" for e in entries}
    head = GENESIS_HASH
    newest_version = min(HASH_VERSIONS)
    for expected_seq, e in enumerate(entries, start=1):
        ref = _ref(e.journal, e.number)
        if e.seq != expected_seq:
            issues.append(AuditIssue("chain_sequence_gap",
                                     f"chain position {e.seq}, expected {expected_seq}", ref))
        if e.prev_hash != head:
            issues.append(AuditIssue("chain_broken",
                                     "previous hash does not match the entry before", ref))
        entry_lines = lines.get(e.id, [])
        reverses = refs.get(e.reverses_id) if e.reverses_id is not None else None
        if e.hash_version not in HASH_VERSIONS:
            issues.append(AuditIssue("hash_version_unknown",
                                     f"hash version {e.hash_version} is not known", ref))
            head = e.hash
            continue
        # Versions only go up along the chain: an older form after a newer one means an
        # entry was relabelled to escape what the newer form covers (e.g. its key).
        if e.hash_version < newest_version:
            issues.append(AuditIssue("hash_version_downgraded",
                                     f"hash version {e.hash_version} after version "
                                     f"{newest_version}", ref))
        newest_version = max(newest_version, e.hash_version)
        text = canonical(book.code, e.journal, e.number, e.seq, e.date, e.label, reverses,
                         entry_lines, key=e.idem_key, version=e.hash_version)
        recomputed = chain_hash(e.prev_hash, text)
        if recomputed != e.hash:
            issues.append(AuditIssue("hash_mismatch",
                                     "entry content differs from what was hashed", ref))
        if e.idem_key is not None:
            digest = content_digest(e.journal, e.date, e.label, entry_lines, e.reverses_id)
            if digest != e.content_digest:
                issues.append(AuditIssue("idempotency_digest_mismatch",
                                         "entry content differs from its idempotency record",
                                         ref))
        head = e.hash
    if book.chain_seq != len(entries) or book.head_hash != head:
        issues.append(AuditIssue("chain_head_mismatch",
                                 f"book head is {book.chain_seq}/{book.head_hash[:12]}, "
                                 f"entries end at {len(entries)}/{head[:12]}"))
    return issues


def _check_reversals(session: Session, book_id: int) -> list[AuditIssue]:
    """A reversal's lines are the exact opposite of its original's."""
    issues = []
    rev = Entry.__table__.alias("rev")
    orig_posting = Posting.__table__.alias("orig_posting")
    rev_posting = Posting.__table__.alias("rev_posting")
    mismatches = session.execute(
        select(rev.c.journal, rev.c.number)
        .select_from(rev)
        .join(rev_posting, rev_posting.c.entry_id == rev.c.id)
        .outerjoin(
            orig_posting,
            (orig_posting.c.entry_id == rev.c.reverses_id)
            & (orig_posting.c.line_no == rev_posting.c.line_no)
            & (orig_posting.c.account_id == rev_posting.c.account_id)
            & (orig_posting.c.amount_cents == -rev_posting.c.amount_cents),
        )
        .where(rev.c.book_id == book_id, rev.c.reverses_id.is_not(None),
               orig_posting.c.id.is_(None))
        .distinct()
    ).all()
    for journal, number in mismatches:
        issues.append(AuditIssue("reversal_mismatch",
                                 "reversal lines are not the opposite of the original",
                                 _ref(journal, number)))
    return issues


def _check_fiscal_years(session: Session, book_id: int) -> list[AuditIssue]:
    """Entries sit in known years; each opening entry restates the previous year's balances."""
    issues = []
    book = session.execute(select(Book).where(Book.id == book_id)).scalar_one()
    early = session.execute(
        select(Entry.journal, Entry.number)
        .where(Entry.book_id == book_id, Entry.date < book.opened_on)
    ).all()
    for journal, number in early:
        issues.append(AuditIssue("date_before_book_start", "dated before the books opened",
                                 _ref(journal, number)))
    years = session.execute(
        select(FiscalYear.year, FiscalYear.closed, FiscalYear.end_date)
        .where(FiscalYear.book_id == book_id)
        .order_by(FiscalYear.year)
    ).all()
    for year, closed, end in years:
        if not closed:
            continue
        opening = session.execute(
            select(Entry.id, Entry.journal, Entry.number)
            .where(Entry.book_id == book_id, Entry.journal == OPENING_JOURNAL,
                   Entry.date == end.replace(year=end.year + 1, month=1, day=1))
        ).first()
        expected = balances_by_account_from_postings(session, book_id, end)
        if opening is None:
            if len(expected) >= 2:
                issues.append(AuditIssue("opening_entry_missing",
                                         f"no à-nouveaux entry after closing {year}"))
            continue
        stated = dict(
            session.execute(
                select(Account.code, func.sum(Posting.amount_cents))
                .join(Account, Account.id == Posting.account_id)
                .where(Posting.entry_id == opening.id)
                .group_by(Account.code)
            ).all()
        )
        if {k: v.cents for k, v in expected.items()} != {k: int(v) for k, v in stated.items()}:
            issues.append(AuditIssue("opening_entry_mismatch",
                                     f"à-nouveaux do not restate the balances at end of {year}",
                                     _ref(opening.journal, opening.number)))
    return issues


def _check_kept_balances(session: Session, book_id: int) -> list[AuditIssue]:
    """The kept monthly totals (ledger.balances) equal the postings' own, month by month."""
    found = balances.differences(session, book_id)
    codes = balances.codes(session, (account_id for account_id, *_ in found))
    return [
        AuditIssue("balance_cache_mismatch",
                   f"account {codes.get(account_id, account_id)}, {month:%Y-%m}: kept debit "
                   f"{Money(kept[0]).plain()} credit {Money(kept[1]).plain()}, postings debit "
                   f"{Money(want[0]).plain()} credit {Money(want[1]).plain()}")
        for account_id, month, kept, want in found
    ]
