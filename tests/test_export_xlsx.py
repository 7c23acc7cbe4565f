"""XLSX export: read the workbook back and find every figure of the ledger, to the cent.

Uses the club of test_export_plaintext (2021–2024, two closed years, member sub-accounts, an
equity stake and a loan).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from cigales import db
from cigales.i18n import _
from cigales.services import clubs
from cigales.services.members import member_table
from cigales.services.portfolio import portfolio
from ledger.money import Money
from ledger.queries import trial_balance
from reports.export import journal_lines
from reports.labels import KINDS, STATUSES, label
from reports.xlsx import DATE_FORMAT, MONEY_FORMAT, sheet_title, workbook_data, write_xlsx
from tests.test_export_plaintext import SLUG, TODAY, build

D = dt.date


def money(value) -> Money:
    """A number read back from the sheet as Money, through its decimal text (no arithmetic)."""
    assert isinstance(value, (int, float))
    assert not isinstance(value, bool)
    return Money.from_decimal(Decimal(str(value)))


def workbook(engine, year: int | None) -> tuple[bytes, openpyxl.Workbook]:
    with db.session_scope(engine, write=False) as s:
        data = workbook_data(s, clubs.get_club(s, SLUG), year, TODAY)
        # The journal streams from the session: written while it is open.
        raw = write_xlsx(data)
    return raw, openpyxl.load_workbook(io.BytesIO(raw))


def body(ws) -> tuple[tuple, list[tuple], tuple]:
    rows = list(ws.iter_rows(values_only=True))
    return rows[0], rows[1:-1], rows[-1]


def test_sheets_layout_and_formats(engine):
    build(engine)
    _raw, wb = workbook(engine, 2022)
    assert wb.sheetnames == [sheet_title(_(t)) for t in
                             ("Journal", "Trial balance", "Members", "Portfolio")]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert all(cell.font.bold for cell in ws[1])
        assert all(ws.column_dimensions[c.column_letter].width >= 8 for c in ws[1])
    journal = wb.worksheets[0]
    header = [c.value for c in journal[1]]
    assert header == [_("Date"), _("Jnl"), _("No."), _("Account"), _("Account label"),
                      _("Label"), _("Debit"), _("Credit")]
    first = journal[2]
    assert first[0].is_date
    assert first[0].number_format == DATE_FORMAT
    assert (first[6].number_format, first[7].number_format) == (MONEY_FORMAT, MONEY_FORMAT)
    last = journal[journal.max_row]
    assert last[0].value == _("Total")
    assert last[6].font.bold
    tb = wb.worksheets[1]
    assert all(tb.cell(row=r, column=c).number_format == MONEY_FORMAT
               for r in range(2, tb.max_row + 1) for c in (3, 4, 5))
    assert wb.properties.created == wb.properties.modified == dt.datetime(2022, 12, 31)


@pytest.mark.parametrize("year", [None, 2021, 2022, 2023])
def test_every_value_equals_the_ledger(engine, year):
    build(engine)
    _raw, wb = workbook(engine, year)
    as_of = D(year, 12, 31) if year is not None else TODAY
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, SLUG)
        lines = list(journal_lines(s, club.book_id, year))
        tb = trial_balance(s, club.book_id, as_of)
        table, members = member_table(s, club, as_of)
        holdings = portfolio(s, club, as_of)

    # Journal: one row per posting, in the ledger's order, amounts exact.
    _header, rows, total = body(wb.worksheets[0])
    assert len(rows) == len(lines) > 0
    for row, ln in zip(rows, lines, strict=True):
        assert row[0].date() == ln.date
        assert row[1:6] == (ln.journal, ln.number, ln.account, ln.account_label, ln.label)
        assert (money(row[6]), money(row[7])) == (ln.debit, ln.credit)
    debit = Money(sum(ln.debit.cents for ln in lines))
    assert money(total[6]) == money(total[7]) == debit
    assert debit == Money(sum(ln.credit.cents for ln in lines))

    # Trial balance on 31 December (or today): the queries' rows and totals.
    _header, rows, total = body(wb.worksheets[1])
    assert [(r[0], r[1], money(r[2]), money(r[3]), money(r[4])) for r in rows] == [
        (a.code, a.label, a.debit, a.credit, a.balance) for a in tb.accounts]
    assert money(total[2]) == money(total[3]) == tb.total_debit == tb.total_credit
    assert money(total[4]) == Money(0)

    # Members: the share table; values add up to the net assets.
    _header, rows, total = body(wb.worksheets[2])
    assert [(r[0], r[1], money(r[2]), Decimal(str(r[3])), money(r[4])) for r in rows] == [
        (m.code, m.name, m.paid, Decimal(m.share_text), m.value) for m in members]
    assert money(total[4]) == table.net_assets
    assert money(total[2]) == Money(sum(m.paid.cents for m in members))

    # Portfolio: each investment.
    _header, rows, total = body(wb.worksheets[3])
    # Kinds and statuses in words (the codes are in JSON and CSV).
    assert [(r[0], r[1], r[2], r[3].date(), *map(money, r[4:8]), r[8]) for r in rows] == [
        (p.number, p.investee_name, label(KINDS, p.kind), p.date, p.cost, p.repaid,
         p.outstanding, p.impairment, label(STATUSES, p.status)) for p in holdings]
    assert money(total[4]) == Money(sum(p.cost.cents for p in holdings))
    if year is None or year >= 2022:
        assert [r[2] for r in rows] == [label(KINDS, "equity"), label(KINDS, "honour")]
        assert not {r[2] for r in rows} & {"equity", "honour"}
        assert not {r[8] for r in rows} & {"held", "current", "late", "written_off"}
        assert money(rows[0][7]) == Money(50000)  # the impairment


def test_amounts_are_stored_as_exact_decimal_text(engine):
    build(engine)
    raw, wb = workbook(engine, 2021)
    titles = wb.sheetnames
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        sheet = archive.read(f"xl/worksheets/sheet{titles.index(wb.worksheets[0].title) + 1}"
                             ".xml").decode()
    assert "<v>1234.56</v>" in sheet  # M03's saving, not 1234.5599999…
    assert "<v>4.5</v>" in sheet


def test_same_data_same_bytes(engine):
    build(engine)
    first, _wb = workbook(engine, 2022)
    second, _wb = workbook(engine, 2022)
    assert first == second
    every, wb = workbook(engine, None)
    # Without a year the document date is the last entry's.
    assert wb.properties.modified == dt.datetime(2024, 2, 1)
    assert every == workbook(engine, None)[0]
    # Another "today" with the same entries: the same file.
    with db.session_scope(engine, write=False) as s:
        later = write_xlsx(workbook_data(s, clubs.get_club(s, SLUG), None, D(2026, 11, 23)))
    assert later == every


def test_sheet_titles_are_made_valid():
    assert sheet_title("Balance: 2022/2023 [x]") == "Balance  2022 2023  x"
    assert len(sheet_title("x" * 40)) == 31
