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
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from sqlalchemy.orm import Session

from cigales.i18n import _
from cigales.models import Club
from cigales.services.members import MemberRow, member_table
from cigales.services.portfolio import PortfolioLine, portfolio
from ledger import queries
from ledger.money import Money
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
    journal: tuple[CsvLine, ...]
    trial_balance: queries.TrialBalance
    share_method: str
    net_assets: Money
    members: tuple[MemberRow, ...]
    portfolio: tuple[PortfolioLine, ...]


def workbook_data(session: Session, club: Club, year: int | None,
                  today: dt.date) -> WorkbookData:
    as_of = dt.date(year, 12, 31) if year is not None else today
    lines = tuple(journal_lines(session, club.book_id, year))
    last_entry = max((ln.date for ln in lines), default=club.founded)
    stamp = as_of if year is not None else last_entry
    table, members = member_table(session, club, as_of)
    return WorkbookData(
        club=club.name, slug=club.slug, year=year, as_of=as_of, stamp=stamp, journal=lines,
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


def _sheet(wb: Workbook, title: str, columns: Sequence[_Col],
           rows: Sequence[Sequence[Any]]) -> Worksheet:
    ws = wb.create_sheet(sheet_title(title))
    ws.append([c.header for c in columns])
    for cell in ws[1]:
        cell.font = _BOLD
        cell.alignment = Alignment(vertical="center")
    totals = [0] * len(columns)
    for row in rows:
        ws.append([_cell_value(v) for v in row])
        for i, (col, value) in enumerate(zip(columns, row, strict=True)):
            if col.total and isinstance(value, Money):
                totals[i] += value.cents
    last_data_row = ws.max_row
    if any(c.total for c in columns):
        total_row: list[Any] = [Money(t).to_decimal() if c.total else None
                                for c, t in zip(columns, totals, strict=True)]
        total_row[0] = _("Total")
        ws.append(total_row)
        for cell in ws[ws.max_row]:
            cell.font = _BOLD
    for index, col in enumerate(columns, start=1):
        fmt = _FORMATS.get(col.kind)
        width = len(col.header)
        for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
            if fmt and cell.value is not None and not isinstance(cell.value, str):
                cell.number_format = fmt
            width = max(width, _shown_width(cell.value, col.kind))
        ws.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last_data_row}"
    return ws


def _build(data: WorkbookData) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, _("Journal"), [
        _Col(_("Date"), "date"), _Col(_("Jnl")), _Col(_("No."), "int"), _Col(_("Account")),
        _Col(_("Account label")), _Col(_("Label")), _Col(_("Debit"), "money", True),
        _Col(_("Credit"), "money", True)],
        [(ln.date, ln.journal, ln.number, ln.account, ln.account_label, ln.label, ln.debit,
          ln.credit) for ln in data.journal])
    _sheet(wb, _("Trial balance"), [
        _Col(_("Account")), _Col(_("Label")), _Col(_("Debit"), "money", True),
        _Col(_("Credit"), "money", True), _Col(_("Balance"), "money", True)],
        [(a.code, a.label, a.debit, a.credit, a.balance) for a in data.trial_balance.accounts])
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
    _sheet(wb, _("Members"), member_cols, member_rows)
    _sheet(wb, _("Portfolio"), [
        _Col("#", "int"), _Col(_("Investee")), _Col(_("Kind")), _Col(_("Date"), "date"),
        _Col(_("Cost"), "money", True), _Col(_("Repaid"), "money", True),
        _Col(_("Outstanding"), "money", True), _Col(_("Impairment"), "money", True),
        _Col(_("Status"))],
        # A spreadsheet is read by people: kinds and statuses in words.
        [(p.number, p.investee_name, label(KINDS, p.kind), p.date, p.cost, p.repaid,
          p.outstanding, p.impairment, label(STATUSES, p.status)) for p in data.portfolio])
    stamp = dt.datetime.combine(data.stamp, dt.time())
    props = wb.properties
    props.creator = props.lastModifiedBy = "cigales"
    props.title = f"{data.club} ({data.slug})"
    props.subject = str(data.year) if data.year is not None else _("all years")
    props.created = props.modified = stamp
    return wb


def _fixed_times(archive: bytes, stamp: dt.date) -> bytes:
    """Rewrite the zip with one fixed time on every member, so equal data gives equal bytes."""
    when = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=when)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def write_xlsx(data: WorkbookData) -> bytes:
    wb = _build(data)
    buffer = io.BytesIO()
    # openpyxl's save() stamps "modified" with the current time; write the archive directly.
    archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()
    return _fixed_times(buffer.getvalue(), data.stamp)
