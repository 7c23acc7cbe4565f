"""The XLSX workbook of a club's books: journal, trial balance, members, portfolio.

Built in two steps like every report: ``workbook_data()`` gathers frozen rows from the
queries and services, ``write_xlsx()`` lays them out. Amounts are stored as numbers
(``Decimal`` from the integer cents, never a float; openpyxl prints them with 16 significant
digits, exact for any amount below 10^13 euros) formatted ``#,##0.00``; dates are real
dates. Each sheet has a bold header row kept in view (frozen panes), an auto-filter, column
widths that fit the contents and, where amounts add up, a totals row computed in cents.

The same data gives the same bytes: the document's creation and modification times are the
end of the year exported (else the date of the last entry) and so are the times stored in
the zip archive.

Streamed (issue #16): the journal is read from the database when the sheet is written, the
workbook is in openpyxl's write-only mode (rows go to a temporary file per sheet), and the
journal is read twice, once for the column widths and totals, once for the rows. Memory stays
flat for a million postings; the cells, formats and widths are those of the normal mode
(tests/test_export_golden.py), only the markup differs (no ``<dimension>`` element).
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cigales.i18n import _
from cigales.models import Club
from cigales.services.members import MemberRow, member_table
from cigales.services.portfolio import PortfolioLine, portfolio
from ledger import queries
from ledger.money import Money
from ledger.schema import Entry
from reports.cells import safe_text
from reports.export import CsvLine, journal_lines
from reports.labels import KINDS, STATUSES, label

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "DD/MM/YYYY"
SHARE_FORMAT = "0.000000"
UNITS_FORMAT = "0.0000"
_BOLD = Font(bold=True)
_FORBIDDEN_IN_TITLES = "[]:*?/\\"


@dataclass(frozen=True, slots=True)
class WorkbookData:
    club: str
    slug: str
    year: int | None
    as_of: dt.date  # trial balance, members and portfolio are taken on this date
    stamp: dt.date  # document date: year end, else the last entry's date
    # The journal's lines, streamed from the database at each call (the session must stay
    # open while the workbook is written): a million postings are never held at once.
    journal: Callable[[], Iterable[CsvLine]]
    trial_balance: queries.TrialBalance
    share_method: str
    net_assets: Money
    members: tuple[MemberRow, ...]
    portfolio: tuple[PortfolioLine, ...]


def workbook_data(session: Session, club: Club, year: int | None,
                  today: dt.date) -> WorkbookData:
    as_of = dt.date(year, 12, 31) if year is not None else today
    if year is not None:
        stamp = as_of
    else:
        last_entry = session.execute(select(func.max(Entry.date))
                                     .where(Entry.book_id == club.book_id)).scalar_one()
        stamp = last_entry if last_entry is not None else club.founded
    table, members = member_table(session, club, as_of)
    return WorkbookData(
        club=club.name, slug=club.slug, year=year, as_of=as_of, stamp=stamp,
        journal=lambda: journal_lines(session, club.book_id, year),
        trial_balance=queries.trial_balance(session, club.book_id, as_of),
        share_method=table.method, net_assets=table.net_assets, members=tuple(members),
        portfolio=tuple(portfolio(session, club, as_of)))


# -- layout ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Col:
    header: str
    kind: str = "text"  # text | money | date | int | share | units
    total: bool = False


_FORMATS = {"money": MONEY_FORMAT, "date": DATE_FORMAT, "share": SHARE_FORMAT,
            "units": UNITS_FORMAT}


def sheet_title(text: str) -> str:
    """Excel refuses some characters in sheet names and more than 31 characters."""
    cleaned = "".join(" " if ch in _FORBIDDEN_IN_TITLES else ch for ch in text).strip()
    return cleaned[:31] or "Sheet"


def _shown_width(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind == "money" and isinstance(value, Decimal):
        return len(f"{value:,.2f}")
    if kind == "date":
        return 10
    return len(str(value))


def _cell_value(value: Any) -> Any:
    if isinstance(value, Money):
        return value.to_decimal()
    if isinstance(value, str):
        # openpyxl stores a string starting with "=" as a formula; every text cell that a
        # spreadsheet could evaluate is neutralised as in the CSV exports (reports.cells).
        return safe_text(value)
    return value


def _styled(ws: Any, value: Any, *, number_format: str | None = None,
            font: Font | None = None, alignment: Alignment | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if number_format:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _sheet(wb: Workbook, title: str, columns: Sequence[_Col],
           rows: Callable[[], Iterable[Sequence[Any]]]) -> None:
    """One sheet, in two passes over ``rows`` (a fresh iterable at each call): the first
    measures the column widths and adds the totals, the second writes the rows, since a
    write-only sheet takes its column widths before its first row."""
    widths = [len(c.header) for c in columns]
    totals = [0] * len(columns)
    count = 0
    has_total = any(c.total for c in columns)

    def measure(values: Sequence[Any]) -> None:
        for i, (col, value) in enumerate(zip(columns, values, strict=True)):
            widths[i] = max(widths[i], _shown_width(value, col.kind))

    for row in rows():
        count += 1
        measure([_cell_value(v) for v in row])
        for i, (col, value) in enumerate(zip(columns, row, strict=True)):
            if col.total and isinstance(value, Money):
                totals[i] += value.cents
    total_row: list[Any] = []
    if has_total:
        total_row = [Money(t).to_decimal() if c.total else None
                     for c, t in zip(columns, totals, strict=True)]
        total_row[0] = _("Total")
        measure(total_row)

    ws = wb.create_sheet(sheet_title(title))
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    center = Alignment(vertical="center")
    ws.append([_styled(ws, c.header, font=_BOLD, alignment=center) for c in columns])

    def number_format(col: _Col, value: Any) -> str | None:
        fmt = _FORMATS.get(col.kind)
        return fmt if fmt and value is not None and not isinstance(value, str) else None

    for row in rows():
        values = [_cell_value(v) for v in row]
        ws.append([_styled(ws, v, number_format=number_format(c, v)) if v is not None else None
                   for c, v in zip(columns, values, strict=True)])
    if has_total:
        # Every cell of the totals row is bold, the empty ones too (as in a normal sheet).
        ws.append([_styled(ws, v, number_format=number_format(c, v), font=_BOLD)
                   for c, v in zip(columns, total_row, strict=True)])


def _build(data: WorkbookData) -> Workbook:
    # Write-only: each sheet's rows go to a temporary file as they are appended (issue #16).
    wb = Workbook(write_only=True)
    _sheet(wb, _("Journal"), [
        _Col(_("Date"), "date"), _Col(_("Jnl")), _Col(_("No."), "int"), _Col(_("Account")),
        _Col(_("Account label")), _Col(_("Label")), _Col(_("Debit"), "money", True),
        _Col(_("Credit"), "money", True)],
        lambda: ((ln.date, ln.journal, ln.number, ln.account, ln.account_label, ln.label,
                  ln.debit, ln.credit) for ln in data.journal()))
    _sheet(wb, _("Trial balance"), [
        _Col(_("Account")), _Col(_("Label")), _Col(_("Debit"), "money", True),
        _Col(_("Credit"), "money", True), _Col(_("Balance"), "money", True)],
        lambda: [(a.code, a.label, a.debit, a.credit, a.balance)
                 for a in data.trial_balance.accounts])
    units = data.share_method == "units"
    member_cols = [_Col(_("Member")), _Col(_("Name")), _Col(_("Paid in"), "money", True),
                   _Col(_("Share"), "share")]
    if units:
        member_cols.append(_Col(_("Units"), "units"))
    member_cols.append(_Col(_("Value"), "money", True))
    member_rows = []
    for m in data.members:
        row: list[Any] = [m.code, m.name, m.paid, Decimal(m.share_text)]
        if units:
            row.append(Decimal(m.units) if m.units is not None else None)
        row.append(m.value)
        member_rows.append(row)
    _sheet(wb, _("Members"), member_cols, lambda: member_rows)
    _sheet(wb, _("Portfolio"), [
        _Col("#", "int"), _Col(_("Investee")), _Col(_("Kind")), _Col(_("Date"), "date"),
        _Col(_("Cost"), "money", True), _Col(_("Repaid"), "money", True),
        _Col(_("Outstanding"), "money", True), _Col(_("Impairment"), "money", True),
        _Col(_("Status"))],
        # A spreadsheet is read by people: kinds and statuses in words.
        lambda: [(p.number, p.investee_name, label(KINDS, p.kind), p.date, p.cost, p.repaid,
                  p.outstanding, p.impairment, label(STATUSES, p.status))
                 for p in data.portfolio])
    stamp = dt.datetime.combine(data.stamp, dt.time())
    props = wb.properties
    props.creator = props.lastModifiedBy = "cigales"
    props.title = data.club
    props.subject = str(data.year) if data.year is not None else _("all years")
    props.created = props.modified = stamp
    return wb


def _fixed_times(archive: BinaryIO, stamp: dt.date, out: BinaryIO) -> None:
    """Copy the zip with one fixed time on every member, so equal data gives equal bytes;
    member by member, in pieces (a journal sheet of a million rows is hundreds of MB)."""
    when = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)
    with zipfile.ZipFile(archive) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=when)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            # Known size up front, as ZipFile.writestr sets it: ZIP64 only when needed.
            fixed.file_size = info.file_size
            with src.open(info) as reader, dst.open(fixed, "w") as writer:
                shutil.copyfileobj(reader, writer, 1 << 20)


def write_xlsx_file(data: WorkbookData, out: BinaryIO) -> None:
    """Write the workbook to ``out`` (a seekable binary file)."""
    wb = _build(data)
    with tempfile.TemporaryFile() as scratch:
        # openpyxl's save() stamps "modified" with the current time; write the archive
        # directly.
        archive = zipfile.ZipFile(scratch, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        ExcelWriter(wb, archive).save()
        scratch.seek(0)
        _fixed_times(scratch, data.stamp, out)


def write_xlsx(data: WorkbookData) -> bytes:
    buffer = io.BytesIO()
    write_xlsx_file(data, buffer)
    return buffer.getvalue()
