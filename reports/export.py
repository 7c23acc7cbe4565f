"""Machine exports of a club's books. Build the rows from queries first, then write them.

FEC (fichier des écritures comptables, LPF art. A47 A-1): the 18 columns in order, tab
separated, dates YYYYMMDD, amounts with a decimal comma and no thousands separator, one line
per posting. EcritureNum restarts at 1 for each journal and year and follows the entries in
date order, as the administration expects; the book's own number stays in PieceRef. The
books keep no separate validation time (an entry is sealed when written), so ValidDate is the
entry date. Sub-accounts (1011-M01) are exported as the account (1011) with the sub-code as
auxiliary account (CompAuxNum M01), the usual way for third-party accounts.

The XLSX workbook is in ``reports.xlsx``, the hledger and beancount files in
``reports.plaintext``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import queries
from ledger.money import Money
from ledger.schema import Account
from reports import csvdialect

FEC_COLUMNS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
)
JOURNAL_LABELS = {"BQ": "Banque", "OD": "Opérations diverses", "AN": "À-nouveaux"}


@dataclass(frozen=True, slots=True)
class FecLine:
    journal: str
    number: int  # renumbered: 1.. per journal in the year, in date order
    date: dt.date
    account: str
    account_label: str
    auxiliary: str
    auxiliary_label: str
    piece: str  # the book's own reference, e.g. "BQ 12"
    label: str
    debit: Money
    credit: Money


def fec_lines(session: Session, book_id: int, year: int) -> Iterator[FecLine]:
    """The year's FEC lines, streamed from the database in the FEC's order."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    labels = dict(session.execute(select(Account.code, Account.label)
                                  .where(Account.book_id == book_id)).all())
    counters: dict[str, int] = {}
    for entry in queries.iter_journal(session, book_id, None, first, last, order="fec"):
        counters[entry.journal] = counters.get(entry.journal, 0) + 1
        for ln in entry.lines:
            parent, _, sub = ln.account.partition("-")
            yield FecLine(
                journal=entry.journal, number=counters[entry.journal], date=entry.date,
                account=parent, account_label=labels.get(parent, ln.label),
                auxiliary=sub, auxiliary_label=ln.label if sub else "",
                piece=f"{entry.journal} {entry.number}", label=entry.label,
                debit=ln.amount if ln.amount.cents > 0 else Money(0),
                credit=-ln.amount if ln.amount.cents < 0 else Money(0))


def _fec_amount(value: Money) -> str:
    return value.plain().replace(".", ",")


def _fec_text(value: str) -> str:
    # Tabs and line breaks would break the fixed column layout.
    return " ".join(value.replace("\t", " ").split())


def fec_chunks(lines: Iterable[FecLine]) -> Iterator[str]:
    """The FEC file, line by line."""
    yield "\t".join(FEC_COLUMNS) + "\r\n"
    for ln in lines:
        date = ln.date.strftime("%Y%m%d")
        yield "\t".join((
            ln.journal, JOURNAL_LABELS.get(ln.journal, ln.journal), str(ln.number), date,
            ln.account, _fec_text(ln.account_label), ln.auxiliary,
            _fec_text(ln.auxiliary_label), ln.piece, date, _fec_text(ln.label),
            _fec_amount(ln.debit), _fec_amount(ln.credit), "", "", date, "", "",
        )) + "\r\n"


def write_fec(lines: Iterable[FecLine]) -> str:
    return "".join(fec_chunks(lines))


# -- CSV ------------------------------------------------------------------------------------------

CSV_COLUMNS = ("journal", "number", "date", "label", "account", "account_label", "debit",
               "credit")
CSV_DIALECTS = csvdialect.NAMES


@dataclass(frozen=True, slots=True)
class CsvLine:
    journal: str
    number: int
    date: dt.date
    label: str
    account: str
    account_label: str
    debit: Money
    credit: Money


def journal_lines(session: Session, book_id: int, year: int | None = None) -> Iterator[CsvLine]:
    """Every posting (of the year), streamed in the journal's order."""
    first = dt.date(year, 1, 1) if year is not None else None
    last = dt.date(year, 12, 31) if year is not None else None
    for e in queries.iter_journal(session, book_id, None, first, last):
        for ln in e.lines:
            yield CsvLine(e.journal, e.number, e.date, e.label, ln.account, ln.label,
                          ln.amount if ln.amount.cents > 0 else Money(0),
                          -ln.amount if ln.amount.cents < 0 else Money(0))


def csv_chunks(lines: Iterable[CsvLine], dialect: str = csvdialect.DEFAULT) -> Iterator[bytes]:
    """The CSV file in the dialect (reports.csvdialect), a few hundred lines at a time.
    Labels are free text: neutralised against formula injection (reports.cells)."""
    d = csvdialect.DIALECTS[dialect]
    return d.rows(CSV_COLUMNS, (
        (ln.journal, ln.number, d.date(ln.date), d.cell(ln.label), ln.account,
         d.cell(ln.account_label), d.amount(ln.debit), d.amount(ln.credit))
        for ln in lines))


def write_csv(lines: Iterable[CsvLine], dialect: str = csvdialect.DEFAULT) -> bytes:
    return b"".join(csv_chunks(lines, dialect))
