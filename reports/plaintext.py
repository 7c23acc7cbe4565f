"""Plain-text accounting exports: an hledger journal and a beancount ledger of a club's books.

Account names. Each chart code becomes ``Root:C<chapter>:C<code>[:<Sub>]``: the root type
from the French PCG class, the two-digit chapter, the general code with a ``C`` in front (a
name component must start with a letter) and, for a sub-account (``1011-M01``,
``261-la-fabrique``), the sub-code as a last component: ``Equity:C10:C1011:M01``,
``Assets:C26:C261:La-fabrique``. A two-digit code is its own chapter (``Assets:C51``). Roots:

- class 1 → Equity, except 15–19 (provisions, borrowings and related debts) → Liabilities;
- classes 2 and 3 → Assets (impairments 29, 39 included, as contra-assets);
- class 4 → Liabilities for 40 and 42–45 (suppliers, staff, social bodies, state, members
  and partners, e.g. 4567), Assets for 41 and 46–49;
- class 5 → Assets; class 6 → Expenses; class 7 → Income; anything else → Equity.

A sub-code keeps its letters, digits and hyphens; ``.`` and ``_`` become ``-``, a lower-case
first letter is capitalised and a leading digit gets an ``X`` in front. Two codes that would
still end up with the same name make the export fail (``account_name_clash``) rather than
merge two accounts.

Opening balances. Our balances are cumulative from the opening of the books and leave the AN
journal out (the à-nouveaux entry restates what earlier postings already sum to). Without a
year the export holds every entry except the AN ones, so each tool's balances equal ours.
With ``--year Y`` it holds the entries of Y except AN, preceded by the opening of Y: the AN
entries of Y as recorded when they restate exactly our balances on 31 December Y−1 (what
`cigales check` verifies once Y−1 is closed), otherwise one opening transaction computed
from those balances (Y−1 not closed yet). Either way the file's balances on 31 December Y
equal ours.

Text. Amounts are ``1234.50 EUR`` (dot, two decimals, no grouping). Labels are put on one
line (line breaks and tabs become spaces); beancount strings escape ``\\`` and ``"``; an
hledger description ends at ``;``, which has no escape there, so it becomes ``,``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, not_, or_, select
from sqlalchemy.orm import Session

from cigales.errors import AccountNameClash
from cigales.i18n import _
from cigales.models import Club
from ledger import queries
from ledger.money import CURRENCY, Money
from ledger.schema import OPENING_JOURNAL, Account, Book, Entry, Posting

# -- account names --------------------------------------------------------------------------------

ROOTS = ("Assets", "Liabilities", "Equity", "Income", "Expenses")


def root_of(general: str) -> str:
    """Root account type of a general code (digits only) by its PCG class."""
    cls, chapter = general[:1], general[:2]
    if cls == "1":
        return "Liabilities" if chapter in ("15", "16", "17", "18", "19") else "Equity"
    if cls in ("2", "3", "5"):
        return "Assets"
    if cls == "4":
        return "Liabilities" if chapter in ("40", "42", "43", "44", "45") else "Assets"
    if cls == "6":
        return "Expenses"
    if cls == "7":
        return "Income"
    return "Equity"


def _sub_component(sub: str) -> str:
    text = re.sub(r"[^A-Za-z0-9-]", "-", sub)
    if text[:1].isdigit():
        return "X" + text
    return text[:1].upper() + text[1:]


def account_name(code: str) -> str:
    """The hierarchical name of a chart code, valid for both hledger and beancount."""
    general, _sep, sub = code.partition("-")
    parts = [root_of(general)]
    if len(general) > 2:
        parts.append(f"C{general[:2]}")
    parts.append(f"C{general}")
    if sub:
        parts.append(_sub_component(sub))
    return ":".join(parts)


def account_names(codes: list[str], tool: str) -> dict[str, str]:
    """Names of ``codes``; refuses two codes sharing one name (their balances would merge)."""
    names: dict[str, str] = {}
    seen: dict[str, str] = {}
    for code in sorted(codes):
        name = account_name(code)
        if name in seen:
            raise AccountNameClash(first=seen[name], second=code, name=name, tool=tool)
        seen[name] = code
        names[code] = name
    return names


# -- data -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PtaPosting:
    account: str  # our chart code
    amount: Money  # signed: debit positive


@dataclass(frozen=True, slots=True)
class PtaEntry:
    date: dt.date
    journal: str | None  # None for an opening computed from balances
    number: int | None
    label: str
    hash: str | None
    reverses: str | None
    postings: tuple[PtaPosting, ...]

    @property
    def code(self) -> str | None:
        return f"{self.journal} {self.number}" if self.journal is not None else None


@dataclass(frozen=True, slots=True)
class PtaAccount:
    code: str
    label: str
    opened: dt.date  # first use in the export


@dataclass(frozen=True, slots=True)
class PtaLedger:
    club: str
    slug: str
    year: int | None
    accounts: tuple[PtaAccount, ...]
    # Re-iterable: each pass streams the entries from the database (the session must stay
    # open while they are written); the opening entries come first, held in memory.
    entries: Iterable[PtaEntry]


@dataclass(frozen=True, slots=True)
class _Entries:
    """The entries of an export: the opening (AN entries or one computed from balances, a
    handful) followed by the recorded entries streamed in date order."""

    session: Session
    book_id: int
    year: int | None
    counted: ColumnElement[bool]
    opening: tuple[PtaEntry, ...]

    def __iter__(self) -> Iterator[PtaEntry]:
        yield from self.opening
        for e in _stream(self.session, self.book_id, self.year, self.counted):
            yield _from_journal(e)


def _stream(session: Session, book_id: int, year: int | None,
            where: ColumnElement[bool]) -> Iterator[queries.JournalEntry]:
    first = dt.date(year, 1, 1) if year is not None else None
    last = dt.date(year, 12, 31) if year is not None else None
    return queries.iter_journal(session, book_id, None, first, last, order="chronological",
                                where=where)


def _totals(entries: Iterable[PtaEntry]) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for entry in entries:
        for p in entry.postings:
            sums[p.account] += p.amount.cents
    return {code: cents for code, cents in sums.items() if cents}


def _from_journal(e: queries.JournalEntry) -> PtaEntry:
    return PtaEntry(e.date, e.journal, e.number, e.label, e.hash, e.reverses,
                    tuple(PtaPosting(ln.account, ln.amount) for ln in e.lines))


def ledger_data(session: Session, club: Club, year: int | None = None) -> PtaLedger:
    """The entries to export (see the module docstring for the AN rule) and their accounts.
    The accounts and the opening are read now; the entries are streamed when iterated."""
    book_id = club.book_id
    # The opening position of a club that moved in mid-life counts like any entry
    # (ledger.schema.counts_in_balances); closing à-nouveaux only restate balances.
    opened = session.execute(select(Book.opened_on).where(Book.id == book_id)).scalar_one()
    counted = or_(Entry.journal != OPENING_JOURNAL, Entry.date == opened)
    opening: tuple[PtaEntry, ...] = ()
    if year is not None:
        start = dt.date(year, 1, 1)
        brought = queries.balances_by_account(session, book_id, start - dt.timedelta(days=1))
        wanted = {code: m.cents for code, m in brought.items()}
        an = tuple(_from_journal(e) for e in _stream(session, book_id, year, not_(counted)))
        if an and _totals(an) == wanted:
            opening = an
        elif wanted:
            label = _("Balances brought forward on {date}").format(
                date=(start - dt.timedelta(days=1)).isoformat())
            opening = (PtaEntry(start, None, None, label, None, None, tuple(
                PtaPosting(code, Money(cents)) for code, cents in sorted(wanted.items()))),)
    # First use of each account: in the opening, else its earliest counted posting (the
    # stream is in date order, so that is where a pass over it would first meet it).
    first_use: dict[str, dt.date] = {}
    for entry in opening:
        for p in entry.postings:
            first_use.setdefault(p.account, entry.date)
    conds = [Entry.book_id == book_id, counted]
    if year is not None:
        conds += [Entry.date >= dt.date(year, 1, 1), Entry.date <= dt.date(year, 12, 31)]
    for code, date in session.execute(
            select(Account.code, func.min(Entry.date))
            .select_from(Entry)
            .join(Posting, Posting.entry_id == Entry.id)
            .join(Account, Account.id == Posting.account_id)
            .where(*conds)
            .group_by(Account.code)):
        first_use.setdefault(code, date)
    labels = dict(session.execute(select(Account.code, Account.label)
                                  .where(Account.book_id == book_id)).all())
    accounts = tuple(PtaAccount(code, labels.get(code, ""), first_use[code])
                     for code in sorted(first_use))
    return PtaLedger(club.name, club.slug, year, accounts,
                     _Entries(session, book_id, year, counted, opening))


# -- writers --------------------------------------------------------------------------------------

def _one_line(text: str) -> str:
    return " ".join(text.split())


def _amount(value: Money) -> str:
    return f"{value.plain()} {CURRENCY}"


def _title(data: PtaLedger) -> str:
    period = str(data.year) if data.year is not None else _("all years")
    return f"{data.club} ({data.slug}), {period}"


def _column(rows: list[tuple[str, str]]) -> list[str]:
    width = max((len(name) for name, _amt in rows), default=0)
    amount_width = max((len(amt) for _name, amt in rows), default=0)
    return [f"    {name.ljust(width)}  {amt.rjust(amount_width)}" for name, amt in rows]


def hledger_text(value: str) -> str:
    """A description or comment for hledger: one line, no ``;`` (it would start a comment)."""
    return _one_line(value).replace(";", ",")


def hledger_chunks(data: PtaLedger) -> Iterator[str]:
    """The hledger journal, entry by entry; account names are checked before the first."""
    names = account_names([a.code for a in data.accounts], "hledger")
    out = [f"; {hledger_text(_title(data))}",
           "",
           f"commodity 1000.00 {CURRENCY}",
           ""]
    for account in data.accounts:
        label = hledger_text(account.label)
        out.append(f"account {names[account.code]}" + (f"  ; {label}" if label else ""))
    yield "\n".join(out)
    for entry in data.entries:
        head = entry.date.isoformat() + " *"
        if entry.code:
            head += f" ({entry.code})"
        out = ["", f"{head} {hledger_text(entry.label)}"]
        tags = []
        if entry.journal is not None:
            tags += [f"journal: {entry.journal}", f"number: {entry.number}"]
        if entry.reverses:
            tags.append(f"reverses: {entry.reverses}")
        if entry.hash:
            tags.append(f"hash: {entry.hash}")
        if tags:
            out.append("    ; " + ", ".join(tags))
        out.extend(_column([(names[p.account], _amount(p.amount)) for p in entry.postings]))
        yield "\n" + "\n".join(out)
    yield "\n"


def write_hledger(data: PtaLedger) -> str:
    return "".join(hledger_chunks(data))


def beancount_string(value: str) -> str:
    """A double-quoted beancount string on one line."""
    return '"' + _one_line(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def beancount_chunks(data: PtaLedger) -> Iterator[str]:
    """The beancount ledger, entry by entry; account names are checked before the first."""
    names = account_names([a.code for a in data.accounts], "beancount")
    out = [f"option \"title\" {beancount_string(_title(data))}",
           f"option \"operating_currency\" \"{CURRENCY}\"",
           ""]
    for account in sorted(data.accounts, key=lambda a: (a.opened, a.code)):
        out.append(f"{account.opened.isoformat()} open {names[account.code]} {CURRENCY}")
        out.append(f"  code: {beancount_string(account.code)}")
        if account.label:
            out.append(f"  name: {beancount_string(account.label)}")
    yield "\n".join(out)
    for entry in data.entries:
        out = ["", f"{entry.date.isoformat()} * {beancount_string(entry.label)}"]
        if entry.journal is not None:
            out.append(f"  journal: {beancount_string(entry.journal)}")
            out.append(f"  number: {entry.number}")
        if entry.reverses:
            out.append(f"  reverses: {beancount_string(entry.reverses)}")
        if entry.hash:
            out.append(f"  hash: {beancount_string(entry.hash)}")
        out.extend(line[2:] for line in _column(
            [(names[p.account], _amount(p.amount)) for p in entry.postings]))
        yield "\n" + "\n".join(out)
    yield "\n"


def write_beancount(data: PtaLedger) -> str:
    return "".join(beancount_chunks(data))
