"""hledger and beancount exports: each tool reads the file and finds exactly our balances.

The club spans 2021–2024: 2021 and 2022 are closed (results allocated to the members'
1018 sub-accounts, AN entries for 2022 and 2023), 2023 is not, so a 2024 export opens with
balances computed from the books. It holds member sub-accounts, an equity stake with an
impairment, an honour loan partly repaid, a reversal and labels with quotes, a backslash and
a semicolon.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from cigales import db
from cigales.i18n import _
from cigales.services import bookkeeping, clubs, flows, investments, loans, members, savings
from ledger.money import Money
from ledger.queries import balances_by_account, journal
from ledger.schema import OPENING_JOURNAL
from reports.plaintext import (
    ROOTS,
    account_name,
    account_names,
    beancount_string,
    hledger_text,
    ledger_data,
    root_of,
    write_beancount,
    write_hledger,
)

TODAY = dt.date(2026, 11, 22)
SLUG = "pta"
# Labels may not hold control characters any more (issue #14): the line break that this label
# once carried is covered by the unit tests of beancount_string / _one_line below.
TRICKY = 'Frais "tenue"; compte \\ agence suite'
D = dt.date


def build(engine) -> None:
    """The club described in the module docstring."""
    with db.session_scope(engine) as s:
        club = clubs.create_club(s, SLUG, "Club « PTA »", D(2021, 3, 1), today=TODAY,
                                 result_allocation="members")
        for code, name in (("M01", "Anne"), ("M02", "Bruno"), ("M03", "Chloé")):
            members.add_member(s, club, code=code, name=name, joined=club.founded, today=TODAY)
        savings.add_saving(s, club, member_code="M01", date=D(2021, 4, 1),
                           amount=Money(300000), today=TODAY)
        savings.add_saving(s, club, member_code="M02", date=D(2021, 4, 2),
                           amount=Money(200000), today=TODAY)
        savings.add_saving(s, club, member_code="M03", date=D(2021, 4, 3),
                           amount=Money(123456), today=TODAY)
        flows.add_expense(s, club, date=D(2021, 5, 1), amount=Money(450), kind="bank_fees",
                          label=TRICKY, today=TODAY)
        flows.add_expense(s, club, date=D(2021, 6, 1), amount=Money(6000), kind="dues",
                          label="Cotisation 2021", today=TODAY)
        wrong = flows.add_income(s, club, date=D(2021, 7, 1), amount=Money(999),
                                 kind="other", label="Erreur", today=TODAY)
        bookkeeping.reverse(s, club, journal=wrong.journal, number=wrong.number,
                            date=D(2021, 7, 2), today=TODAY)
        flows.add_income(s, club, date=D(2021, 12, 31), amount=Money(312),
                         kind="bank_interest", label="Intérêts 2021", today=TODAY)
        bookkeeping.close(s, club, 2021, today=TODAY)
        fabrique = investments.add_investee(s, club, slug="la-fabrique", name="La Fabrique",
                                            legal_form="SARL", capital=Money(1200000))
        investments.subscribe(s, club, fabrique, date=D(2022, 3, 1), shares=20,
                              unit_price=Money(10000), today=TODAY)
        investments.impair(s, club, fabrique, date=D(2022, 12, 1), amount=Money(50000),
                           reverse=False, today=TODAY)
        velo = investments.add_investee(s, club, slug="1-atelier-velo", name="L'Atelier Vélo",
                                        legal_form="EI")
        loans.grant(s, club, velo, date=D(2022, 4, 1), principal=Money(120000),
                    instalments=12, today=TODAY)
        loans.repay(s, club, 2, date=D(2022, 5, 1), amount=Money(10000), today=TODAY)
        bookkeeping.close(s, club, 2022, today=TODAY)
        loans.repay(s, club, 2, date=D(2023, 6, 1), amount=Money(10000), today=TODAY)
        flows.add_income(s, club, date=D(2023, 12, 31), amount=Money(1234),
                         kind="bank_interest", label="Intérêts 2023", today=TODAY)
        flows.add_expense(s, club, date=D(2024, 2, 1), amount=Money(6500), kind="dues",
                          label="Cotisation 2024", today=TODAY)


def our_balances(engine, year: int | None) -> dict[str, Money]:
    """Cumulative balances (AN excluded) at the end of the year exported, by account name."""
    as_of = D(year, 12, 31) if year is not None else None
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, SLUG)
        by_code = balances_by_account(s, club.book_id, as_of)
    return {account_name(code): amount for code, amount in by_code.items()}


def export(engine, year: int | None, writer) -> str:
    with db.session_scope(engine, write=False) as s:
        return writer(ledger_data(s, clubs.get_club(s, SLUG), year))


def tool(name: str) -> str:
    """Path of an external tool (PATH, or beside this Python for bean-check)."""
    found = shutil.which(name)
    if found is None and (Path(sys.executable).parent / name).exists():
        found = str(Path(sys.executable).parent / name)
    if found is None:
        if os.environ.get("CIGALES_REQUIRE_TOOLS"):
            pytest.fail(f"{name} is required (CIGALES_REQUIRE_TOOLS is set) but not installed")
        pytest.skip(f"{name} is not installed")
    return found


def cents(text: str) -> Money:
    """An hledger amount ("1234.50 EUR", "0") as Money, without a float."""
    value = text.strip().removesuffix("EUR").strip()
    return Money.from_decimal(Decimal(value))


# -- account names --------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "name"), [
    ("5121", "Assets:C51:C5121"),
    ("1011-M01", "Equity:C10:C1011:M01"),
    ("1018-M02", "Equity:C10:C1018:M02"),
    ("110", "Equity:C11:C110"),
    ("164", "Liabilities:C16:C164"),
    ("261-la-fabrique", "Assets:C26:C261:La-fabrique"),
    ("274-1-atelier-velo", "Assets:C27:C274:X1-atelier-velo"),
    ("2961", "Assets:C29:C2961"),
    ("4567-M01", "Liabilities:C45:C4567:M01"),
    ("411", "Assets:C41:C411"),
    ("471", "Assets:C47:C471"),
    ("51", "Assets:C51"),
    ("6270", "Expenses:C62:C6270"),
    ("7680", "Income:C76:C7680"),
    ("890", "Equity:C89:C890"),
    ("1011-M_1.b", "Equity:C10:C1011:M-1-b"),
])
def test_account_name_rule(code, name):
    assert account_name(code) == name
    assert name.split(":")[0] in ROOTS
    assert all(part[:1].isupper() for part in name.split(":"))


def test_root_by_class():
    assert [root_of(c) for c in ("1011", "17", "2718", "3", "401", "455", "486", "512",
                                 "606", "706", "9")] == [
        "Equity", "Liabilities", "Assets", "Assets", "Liabilities", "Liabilities", "Assets",
        "Assets", "Expenses", "Income", "Equity"]


def test_two_codes_with_one_name_are_refused():
    from cigales.errors import CigalesError

    with pytest.raises(CigalesError) as error:
        account_names(["261-la-fabrique", "261-La-fabrique"], "beancount")
    assert error.value.code == "account_name_clash"


def test_text_escaping():
    assert beancount_string('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c d"'
    assert hledger_text("a; b\n\tc") == "a, b c"


# -- data: the AN rule ----------------------------------------------------------------------------

def test_opening_rules(engine):
    build(engine)
    with db.session_scope(engine, write=False) as s:
        club = clubs.get_club(s, SLUG)
        # The entries stream from the session: read them while it is open.
        every = ledger_data(s, club, None)
        y2023 = ledger_data(s, club, 2023)
        y2024 = ledger_data(s, club, 2024)
        every_entries = list(every.entries)
        y2023_entries = list(y2023.entries)
        y2024_entries = list(y2024.entries)
        recorded = journal(s, club.book_id)
    # All years: every entry but the AN ones.
    assert len(every_entries) == len([e for e in recorded if e.journal != OPENING_JOURNAL])
    assert all(e.journal != OPENING_JOURNAL for e in every_entries)
    # 2022 was closed: 2023 opens with its recorded AN entry.
    assert (y2023_entries[0].journal, y2023_entries[0].number) == (OPENING_JOURNAL, 2)
    assert all(e.date.year == 2023 for e in y2023_entries)
    # 2023 is not closed: 2024 opens with balances computed from the books.
    first = y2024_entries[0]
    assert (first.journal, first.number, first.date) == (None, None, D(2024, 1, 1))
    assert sum(p.amount.cents for p in first.postings) == 0
    assert [e.label for e in y2024_entries[1:]] == ["Cotisation 2024"]
    # Accounts are opened on their first use in the file.
    opened = {a.code: a.opened for a in y2023.accounts}
    assert opened["5121"] == D(2023, 1, 1)
    assert opened["7680"] == D(2023, 12, 31)


# -- hledger --------------------------------------------------------------------------------------

def hledger_balances(path) -> dict[str, Money]:
    out = subprocess.run([tool("hledger"), "-f", str(path), "bal", "-O", "csv", "--flat",
                          "--no-total"], capture_output=True, text=True, check=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["account", "balance"]
    result = {account: cents(amount) for account, amount in rows[1:]}
    return {k: v for k, v in result.items() if not v.is_zero()}


@pytest.mark.parametrize("year", [None, 2021, 2022, 2023, 2024])
def test_hledger_balances_equal_ours(engine, tmp_path, year):
    build(engine)
    hledger = tool("hledger")
    path = tmp_path / "club.journal"
    path.write_text(export(engine, year, write_hledger), encoding="utf-8")
    check = subprocess.run([hledger, "-f", str(path), "check", "--strict"],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr  # accounts and commodity declared
    assert hledger_balances(path) == our_balances(engine, year)


def test_hledger_file_shape(engine, tmp_path):
    build(engine)
    text = export(engine, 2021, write_hledger)
    assert "commodity 1000.00 EUR" in text
    assert "account Assets:C51:C5121  ; Banque – compte courant" in text
    assert '2021-05-01 * (BQ 4) Frais "tenue", compte \\ agence suite' in text
    assert "    ; journal: BQ, number: 4, hash: " in text
    assert "reverses: BQ 6" in text
    # Amounts: dot decimal, two places, no grouping.
    assert "  3000.00 EUR" in text
    assert "-3000.00 EUR" in text
    path = tmp_path / "j.journal"
    path.write_text(text, encoding="utf-8")
    out = subprocess.run([tool("hledger"), "-f", str(path), "print", "desc:tenue"],
                         capture_output=True, text=True, check=True).stdout
    assert "(BQ 4)" in out


# -- beancount ------------------------------------------------------------------------------------

def beancount_balances(path) -> tuple[dict[str, Money], list]:
    from beancount import loader
    from beancount.core import data

    entries, errors, _options = loader.load_file(str(path))
    sums: dict[str, int] = defaultdict(int)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                assert posting.units.currency == "EUR"
                sums[posting.account] += Money.from_decimal(posting.units.number).cents
    return {k: Money(v) for k, v in sums.items() if v}, errors


@pytest.mark.parametrize("year", [None, 2021, 2022, 2023, 2024])
def test_beancount_balances_equal_ours(engine, tmp_path, year):
    build(engine)
    path = tmp_path / "club.beancount"
    path.write_text(export(engine, year, write_beancount), encoding="utf-8")
    check = subprocess.run([tool("bean-check"), str(path)], capture_output=True, text=True,
                           check=False)
    assert (check.returncode, check.stdout + check.stderr) == (0, "")
    balances, errors = beancount_balances(path)
    assert errors == []
    assert balances == our_balances(engine, year)


def test_beancount_metadata_and_labels(engine, tmp_path):
    build(engine)
    tool("bean-check")
    from beancount import loader
    from beancount.core import data

    path = tmp_path / "club.beancount"
    path.write_text(export(engine, None, write_beancount), encoding="utf-8")
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    assert options["title"] == f"Club « PTA » (pta), {_('all years')}"
    transactions = [e for e in entries if isinstance(e, data.Transaction)]
    fees = next(t for t in transactions if t.meta.get("number") == 4
                and t.meta.get("journal") == "BQ")
    assert fees.narration == 'Frais "tenue"; compte \\ agence suite'
    assert len(fees.meta["hash"]) == 64
    assert any(t.meta.get("reverses") == "BQ 6" for t in transactions)
    opens = {e.account: e for e in entries if isinstance(e, data.Open)}
    assert opens["Equity:C10:C1011:M01"].meta["code"] == "1011-M01"
    assert opens["Assets:C26:C261:La-fabrique"].date == D(2022, 3, 1)
    assert opens["Assets:C51:C5121"].meta["name"] == "Banque – compte courant"
