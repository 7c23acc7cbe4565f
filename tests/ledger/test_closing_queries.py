"""Year closing and the read-only queries, as an accounting exercise with exact figures.

The club "Les Fourmis" opens its books on 2021-03-15 with two members, M01 and M02.

2021  BQ 1  04-05  savings          5121 50.00 / 1011-M01 30.00, 1011-M02 20.00
      BQ 2  06-30  bank fees        6270  4.50 / 5121  4.50
      OD 1  09-01  to the livret    5122 40.00 / 5121 40.00
      BQ 3  12-31  livret interest  5122  1.25 / 7680  1.25          result 2021: loss 3.25
2022  BQ 4  01-10  savings          5121 50.00 / 1011-M01 30.00, 1011-M02 20.00
      BQ 5  03-01  bank fees (typo) 6270  9.99 / 5121  9.99
      BQ 6  03-02  reversal of BQ 5 5121  9.99 / 6270  9.99
      BQ 7  06-30  bank fees        6270  4.00 / 5121  4.00
      BQ 8  12-31  livret interest  5122 12.40 / 7680 12.40          result 2022: profit 8.40
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text

from cigales import db
from cigales.models import Club
from ledger.audit import check_book
from ledger.closing import ClosingResult, carry_forward, close_year, closed_years
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.post import post_entries, reverse_entry
from ledger.queries import (
    AccountLedger,
    TrialBalance,
    balance,
    balances_by_account,
    general_ledger,
    journal,
    trial_balance,
)
from ledger.schema import Account
from tests.helpers import draft, m, make_club

D = dt.date

# -- helpers ------------------------------------------------------------------------------------


def snapshot(engine: Engine) -> dict[str, Any]:
    with db.session_scope(engine, write=False) as s:
        def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in s.execute(text(sql)).all()]

        return {
            "entries": rows("SELECT seq, journal, number, date, hash FROM entry ORDER BY seq"),
            "postings": rows("SELECT entry_id, line_no, account_id, amount_cents FROM posting "
                             "ORDER BY entry_id, line_no"),
            "fiscal_years": [(y, bool(c)) for y, c in
                             rows("SELECT year, closed FROM fiscal_year ORDER BY year")],
            "counters": rows("SELECT journal, last_number FROM journal_counter "
                             "ORDER BY journal"),
            "book": rows("SELECT chain_seq, head_hash FROM book ORDER BY id"),
        }


def open_sub_account(engine: Engine, book_id: int, code: str) -> None:
    """A member sub-account written straight into the ledger (these tests bypass the club
    services, which reserve member accounts to the member commands)."""
    with db.session_scope(engine) as s:
        s.execute(insert(Account).values(book_id=book_id, code=code,
                                         label=f"Apports de l'indivisaire {code[5:]}",
                                         postable=True))


def tb_rows(tb: TrialBalance) -> list[tuple[str, str, str, str]]:
    return [(a.code, a.debit.plain(), a.credit.plain(), a.balance.plain()) for a in tb.accounts]


def tb_totals(tb: TrialBalance) -> tuple[str, str]:
    return tb.total_debit.plain(), tb.total_credit.plain()


def ledger_lines(acc: AccountLedger) -> list[tuple[str, str, int, str, str, str]]:
    return [(ln.date.isoformat(), ln.journal, ln.number, ln.debit.plain(), ln.credit.plain(),
             ln.running.plain()) for ln in acc.lines]


def entry_lines(engine: Engine, club: Club, journal_code: str,
                number: int) -> list[tuple[str, str]]:
    with db.session_scope(engine, write=False) as s:
        entries = journal(s, club.book_id, journal_code)
    (found,) = [e for e in entries if e.number == number]
    return [(ln.account, ln.amount.plain()) for ln in found.lines]


def close(engine: Engine, club: Club, year: int, *, carry: bool = False,
          today: D | None = None) -> ClosingResult:
    with db.session_scope(engine) as s:
        return close_year(s, club.book_id, year,
                          allocation=carry_forward("110", "119") if carry else None,
                          today=today)


def audit(engine: Engine, club: Club) -> list[Any]:
    with db.session_scope(engine, write=False) as s:
        return check_book(s, club.book_id)


def savings(date: D) -> Any:
    return draft(date, ("5121", "50.00"), ("1011-M01", "-30.00"), ("1011-M02", "-20.00"),
                 label="Épargne mensuelle")


@pytest.fixture
def club(engine: Engine) -> Club:
    c = make_club(engine)
    open_sub_account(engine, c.book_id, "1011-M01")
    open_sub_account(engine, c.book_id, "1011-M02")
    return c


@pytest.fixture
def book(engine: Engine, club: Club) -> Club:
    with db.session_scope(engine) as s:
        post_entries(s, club.book_id, [
            savings(D(2021, 4, 5)),
            draft(D(2021, 6, 30), ("6270", "4.50"), ("5121", "-4.50"), label="Frais bancaires"),
            draft(D(2021, 9, 1), ("5122", "40"), ("5121", "-40"), journal="OD",
                  label="Virement vers le livret"),
            draft(D(2021, 12, 31), ("5122", "1.25"), ("7680", "-1.25"),
                  label="Intérêts du livret 2021"),
            savings(D(2022, 1, 10)),
            draft(D(2022, 3, 1), ("6270", "9.99"), ("5121", "-9.99"),
                  label="Frais bancaires (erreur)"),
        ])
    with db.session_scope(engine) as s:
        reverse_entry(s, club.book_id, "BQ", 5, D(2022, 3, 2))
    with db.session_scope(engine) as s:
        post_entries(s, club.book_id, [
            draft(D(2022, 6, 30), ("6270", "4.00"), ("5121", "-4.00"), label="Frais bancaires"),
            draft(D(2022, 12, 31), ("5122", "12.40"), ("7680", "-12.40"),
                  label="Intérêts du livret 2022"),
        ])
    return club


TB_2021 = [
    ("1011-M01", "0.00", "30.00", "-30.00"),
    ("1011-M02", "0.00", "20.00", "-20.00"),
    ("5121", "50.00", "44.50", "5.50"),
    ("5122", "41.25", "0.00", "41.25"),
    ("6270", "4.50", "0.00", "4.50"),
    ("7680", "0.00", "1.25", "-1.25"),
]

TB_BEFORE_CLOSING = [
    ("1011-M01", "0.00", "60.00", "-60.00"),
    ("1011-M02", "0.00", "40.00", "-40.00"),
    ("5121", "109.99", "58.49", "51.50"),
    ("5122", "53.65", "0.00", "53.65"),
    ("6270", "18.49", "9.99", "8.50"),
    ("7680", "0.00", "13.65", "-13.65"),
]

# -- the exercise before closing --------------------------------------------------------------


def test_trial_balance_of_the_exercise(engine, book):
    with db.session_scope(engine, write=False) as s:
        full = trial_balance(s, book.book_id)
        y2021 = trial_balance(s, book.book_id, as_of=D(2021, 12, 31))
        march = trial_balance(s, book.book_id, as_of=D(2022, 3, 1))
        y2022 = trial_balance(s, book.book_id, from_date=D(2022, 1, 1))
        early = trial_balance(s, book.book_id, as_of=D(2021, 4, 4))
    assert tb_rows(full) == TB_BEFORE_CLOSING
    assert tb_totals(full) == ("182.13", "182.13")
    assert full.balanced
    assert full.as_of is None

    assert tb_rows(y2021) == TB_2021
    assert tb_totals(y2021) == ("95.75", "95.75")
    assert y2021.as_of == D(2021, 12, 31)

    assert tb_rows(march) == [
        ("1011-M01", "0.00", "60.00", "-60.00"),
        ("1011-M02", "0.00", "40.00", "-40.00"),
        ("5121", "100.00", "54.49", "45.51"),
        ("5122", "41.25", "0.00", "41.25"),
        ("6270", "14.49", "0.00", "14.49"),
        ("7680", "0.00", "1.25", "-1.25"),
    ]
    assert tb_totals(march) == ("155.74", "155.74")

    # Movements of 2022 alone.
    assert tb_rows(y2022) == [
        ("1011-M01", "0.00", "30.00", "-30.00"),
        ("1011-M02", "0.00", "20.00", "-20.00"),
        ("5121", "59.99", "13.99", "46.00"),
        ("5122", "12.40", "0.00", "12.40"),
        ("6270", "13.99", "9.99", "4.00"),
        ("7680", "0.00", "12.40", "-12.40"),
    ]
    assert tb_totals(y2022) == ("86.38", "86.38")

    assert early.accounts == ()
    assert tb_totals(early) == ("0.00", "0.00")


def test_prefix_filters_and_balance(engine, book):
    with db.session_scope(engine, write=False) as s:
        fees = trial_balance(s, book.book_id, prefix="6")
        bank = trial_balance(s, book.book_id, prefix="5121")
        members = trial_balance(s, book.book_id, prefix="1011", as_of=D(2021, 12, 31))
        nothing = trial_balance(s, book.book_id, prefix="2")
        got = {
            "5121": balance(s, book.book_id, "5121"),
            "5": balance(s, book.book_id, "5"),
            "1011": balance(s, book.book_id, "1011"),
            "1011-M02": balance(s, book.book_id, "1011-M02"),
            "6": balance(s, book.book_id, "6"),
            "7": balance(s, book.book_id, "7"),
            "2": balance(s, book.book_id, "2"),
            "5121@2022-03-01": balance(s, book.book_id, "5121", as_of=D(2022, 3, 1)),
            "5121@2021-04-04": balance(s, book.book_id, "5121", as_of=D(2021, 4, 4)),
            "6270 in 2022": balance(s, book.book_id, "6270", from_date=D(2022, 1, 1)),
            "6270 in Q1 2022": balance(s, book.book_id, "6270", as_of=D(2022, 3, 31),
                                       from_date=D(2022, 1, 1)),
        }
        by_account = balances_by_account(s, book.book_id)
        by_account_2021 = balances_by_account(s, book.book_id, as_of=D(2021, 12, 31),
                                              prefix="5")
    assert tb_rows(fees) == [("6270", "18.49", "9.99", "8.50")]
    assert tb_totals(fees) == ("18.49", "9.99")
    assert tb_rows(bank) == [("5121", "109.99", "58.49", "51.50")]
    assert tb_rows(members) == [("1011-M01", "0.00", "30.00", "-30.00"),
                                ("1011-M02", "0.00", "20.00", "-20.00")]
    assert nothing.accounts == ()
    assert {k: v.plain() for k, v in got.items()} == {
        "5121": "51.50",
        "5": "105.15",
        "1011": "-100.00",
        "1011-M02": "-40.00",
        "6": "8.50",
        "7": "-13.65",
        "2": "0.00",
        "5121@2022-03-01": "45.51",
        "5121@2021-04-04": "0.00",
        "6270 in 2022": "4.00",
        "6270 in Q1 2022": "0.00",
    }
    assert {k: v.plain() for k, v in by_account.items()} == {
        "1011-M01": "-60.00", "1011-M02": "-40.00", "5121": "51.50", "5122": "53.65",
        "6270": "8.50", "7680": "-13.65",
    }
    assert {k: v.plain() for k, v in by_account_2021.items()} == {"5121": "5.50",
                                                                   "5122": "41.25"}


def test_prefix_is_literal_not_a_pattern(engine, book):
    with db.session_scope(engine, write=False) as s:
        assert balance(s, book.book_id, "5%") == Money(0)
        assert balance(s, book.book_id, "512_") == Money(0)
        assert trial_balance(s, book.book_id, prefix="1011-M0_").accounts == ()


def test_general_ledger_running_balances(engine, book):
    with db.session_scope(engine, write=False) as s:
        (full,) = general_ledger(s, book.book_id, prefix="5121")
        (from_2022,) = general_ledger(s, book.book_id, prefix="5121", from_date=D(2022, 1, 1))
        (q1,) = general_ledger(s, book.book_id, prefix="5121", from_date=D(2022, 1, 1),
                               to_date=D(2022, 3, 1))
        members = general_ledger(s, book.book_id, prefix="1011", from_date=D(2022, 6, 1))
    assert (full.code, full.label, full.opening.plain(), full.closing.plain()) == (
        "5121", "Banque – compte courant", "0.00", "51.50")
    assert ledger_lines(full) == [
        ("2021-04-05", "BQ", 1, "50.00", "0.00", "50.00"),
        ("2021-06-30", "BQ", 2, "0.00", "4.50", "45.50"),
        ("2021-09-01", "OD", 1, "0.00", "40.00", "5.50"),
        ("2022-01-10", "BQ", 4, "50.00", "0.00", "55.50"),
        ("2022-03-01", "BQ", 5, "0.00", "9.99", "45.51"),
        ("2022-03-02", "BQ", 6, "9.99", "0.00", "55.50"),
        ("2022-06-30", "BQ", 7, "0.00", "4.00", "51.50"),
    ]
    assert [ln.label for ln in full.lines][-2:] == ["Extourne BQ 5 – Frais bancaires (erreur)",
                                                    "Frais bancaires"]
    assert (from_2022.opening.plain(), from_2022.closing.plain()) == ("5.50", "51.50")
    assert ledger_lines(from_2022) == ledger_lines(full)[3:]
    assert (q1.opening.plain(), q1.closing.plain()) == ("5.50", "45.51")
    assert ledger_lines(q1) == ledger_lines(full)[3:5]
    # Accounts with a balance brought forward and no movement in the period still appear.
    assert [(a.code, a.opening.plain(), a.lines, a.closing.plain()) for a in members] == [
        ("1011-M01", "-60.00", (), "-60.00"), ("1011-M02", "-40.00", (), "-40.00")]


def test_general_ledger_of_all_accounts_adds_up_to_the_trial_balance(engine, book):
    with db.session_scope(engine, write=False) as s:
        ledgers = general_ledger(s, book.book_id)
        tb = trial_balance(s, book.book_id)
    assert [a.code for a in ledgers] == [a.code for a in tb.accounts]
    for acc, row in zip(ledgers, tb.accounts, strict=True):
        assert acc.closing == row.balance
        assert sum((ln.debit for ln in acc.lines), Money(0)) == row.debit
        assert sum((ln.credit for ln in acc.lines), Money(0)) == row.credit


def test_journal_listing_order_and_reversal_reference(engine, book):
    with db.session_scope(engine, write=False) as s:
        entries = journal(s, book.book_id)
        bq_2022 = journal(s, book.book_id, "BQ", from_date=D(2022, 1, 1), to_date=D(2022, 6, 30))
        od = journal(s, book.book_id, "OD")
    assert [(e.journal, e.number, e.date.isoformat(), e.reverses) for e in entries] == [
        ("BQ", 1, "2021-04-05", None),
        ("BQ", 2, "2021-06-30", None),
        ("BQ", 3, "2021-12-31", None),
        ("BQ", 4, "2022-01-10", None),
        ("BQ", 5, "2022-03-01", None),
        ("BQ", 6, "2022-03-02", "BQ 5"),
        ("BQ", 7, "2022-06-30", None),
        ("BQ", 8, "2022-12-31", None),
        ("OD", 1, "2021-09-01", None),
    ]
    first = entries[0]
    assert first.label == "Épargne mensuelle"
    assert [(ln.account, ln.label, ln.amount.plain()) for ln in first.lines] == [
        ("5121", "Banque – compte courant", "50.00"),
        ("1011-M01", "Apports de l'indivisaire M01", "-30.00"),
        ("1011-M02", "Apports de l'indivisaire M02", "-20.00"),
    ]
    reversal = entries[5]
    assert reversal.label == "Extourne BQ 5 – Frais bancaires (erreur)"
    assert [(ln.account, ln.amount.plain()) for ln in reversal.lines] == [
        ("6270", "-9.99"), ("5121", "9.99")]
    assert [(ln.account, ln.amount.plain()) for ln in entries[4].lines] == [
        ("6270", "9.99"), ("5121", "-9.99")]
    assert all(len(e.hash) == 64 for e in entries)
    assert len({e.hash for e in entries}) == 9
    assert [(e.journal, e.number) for e in bq_2022] == [("BQ", 4), ("BQ", 5), ("BQ", 6),
                                                        ("BQ", 7)]
    assert [(e.journal, e.number) for e in od] == [("OD", 1)]


# -- closing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("carry", [False, True], ids=["kept-in-12x", "carried-to-11x"])
def test_closing_two_years_loss_then_profit(engine, book, carry):
    with db.session_scope(engine, write=False) as s:
        before = {p: trial_balance(s, book.book_id, prefix=p)
                  for p in ("1011", "2", "3", "4", "5")}
        cash_before = balance(s, book.book_id, "5121")

    # 2021: a loss of 3.25 (fees 4.50, interest 1.25) goes to 129 (debit).
    r2021 = close(engine, book, 2021, carry=carry, today=D(2022, 1, 1))
    assert r2021.year == 2021
    assert r2021.result == m("-3.25")
    expected_od = [("OD", 2)] + ([("OD", 3)] if carry else [])
    assert [(e.journal, e.number) for e in r2021.closing_entries] == expected_od
    assert all(e.date == D(2021, 12, 31) and e.created for e in r2021.closing_entries)
    assert r2021.closing_entries[0].label == "Clôture de l'exercice 2021 – résultat"
    assert entry_lines(engine, book, "OD", 2) == [
        ("6270", "-4.50"), ("7680", "1.25"), ("129", "3.25")]
    if carry:
        assert r2021.closing_entries[1].label == "Affectation du résultat 2021"
        assert entry_lines(engine, book, "OD", 3) == [("129", "-3.25"), ("119", "3.25")]
    assert r2021.opening_entry is not None
    assert (r2021.opening_entry.journal, r2021.opening_entry.number,
            r2021.opening_entry.date, r2021.opening_entry.label) == (
        "AN", 1, D(2022, 1, 1), "À-nouveaux 2022")
    loss_account = "119" if carry else "129"
    assert entry_lines(engine, book, "AN", 1) == [
        ("1011-M01", "-30.00"), ("1011-M02", "-20.00"), (loss_account, "3.25"),
        ("5121", "5.50"), ("5122", "41.25")]

    # 2022: a profit of 8.40 (interest 12.40, fees 4.00 net of the reversed 9.99) to 120.
    r2022 = close(engine, book, 2022, carry=carry, today=D(2023, 1, 1))
    assert r2022.result == m("8.40")
    first_od = 4 if carry else 3
    assert [(e.journal, e.number) for e in r2022.closing_entries] == (
        [("OD", first_od), ("OD", first_od + 1)] if carry else [("OD", first_od)])
    assert entry_lines(engine, book, "OD", first_od) == [
        ("6270", "-4.00"), ("7680", "12.40"), ("120", "-8.40")]
    if carry:
        assert entry_lines(engine, book, "OD", first_od + 1) == [("120", "8.40"),
                                                                  ("110", "-8.40")]
    assert r2022.opening_entry is not None
    assert (r2022.opening_entry.journal, r2022.opening_entry.number,
            r2022.opening_entry.date) == ("AN", 2, D(2023, 1, 1))
    an2 = entry_lines(engine, book, "AN", 2)
    if carry:
        assert an2 == [("1011-M01", "-60.00"), ("1011-M02", "-40.00"), ("110", "-8.40"),
                       ("119", "3.25"), ("5121", "51.50"), ("5122", "53.65")]
    else:
        assert an2 == [("1011-M01", "-60.00"), ("1011-M02", "-40.00"), ("120", "-8.40"),
                       ("129", "3.25"), ("5121", "51.50"), ("5122", "53.65")]

    with db.session_scope(engine, write=False) as s:
        tb = trial_balance(s, book.book_id)
        after = {p: trial_balance(s, book.book_id, prefix=p) for p in before}
        # The opening entry restates exactly the cumulative balances at the year end.
        assert {k: v.plain() for k, v in balances_by_account(s, book.book_id,
                                                             as_of=D(2022, 12, 31)).items()} \
            == dict(an2)
        assert balance(s, book.book_id, "5121") == cash_before == m("51.50")
        assert balance(s, book.book_id, "6") == Money(0)
        assert balance(s, book.book_id, "7") == Money(0)
        assert balance(s, book.book_id, "12").plain() == ("0.00" if carry else "-5.15")
        assert balance(s, book.book_id, "11").plain() == ("-5.15" if carry else "0.00")
        assert closed_years(s, book.book_id) == [2021, 2022]

    # AN entries are not counted: balance-sheet accounts read exactly as before closing.
    assert after == before
    result_accounts = (
        [("110", "0.00", "8.40", "-8.40"), ("119", "3.25", "0.00", "3.25"),
         ("120", "8.40", "8.40", "0.00"), ("129", "3.25", "3.25", "0.00")]
        if carry else
        [("120", "0.00", "8.40", "-8.40"), ("129", "3.25", "0.00", "3.25")]
    )
    assert tb_rows(tb) == [
        ("1011-M01", "0.00", "60.00", "-60.00"),
        ("1011-M02", "0.00", "40.00", "-40.00"),
        *result_accounts,
        ("5121", "109.99", "58.49", "51.50"),
        ("5122", "53.65", "0.00", "53.65"),
        ("6270", "18.49", "18.49", "0.00"),
        ("7680", "13.65", "13.65", "0.00"),
    ]
    assert tb_totals(tb) == (("210.68", "210.68") if carry else ("199.03", "199.03"))
    assert audit(engine, book) == []


def test_queries_after_closing(engine, book):
    close(engine, book, 2021, carry=True)
    close(engine, book, 2022, carry=True)
    with db.session_scope(engine, write=False) as s:
        entries = journal(s, book.book_id)
        (bank_2022,) = general_ledger(s, book.book_id, prefix="5121", from_date=D(2022, 1, 1))
        fees_2022 = general_ledger(s, book.book_id, prefix="6", from_date=D(2022, 1, 1))
        tb_2021 = trial_balance(s, book.book_id, as_of=D(2021, 12, 31))
        tb_2022_only = trial_balance(s, book.book_id, prefix="7", from_date=D(2022, 1, 1))
        an_only = journal(s, book.book_id, "AN")
    assert [(e.journal, e.number) for e in entries] == [
        ("AN", 1), ("AN", 2), *[("BQ", n) for n in range(1, 9)],
        *[("OD", n) for n in range(1, 6)]]
    assert [(e.journal, e.number, e.date.isoformat()) for e in an_only] == [
        ("AN", 1, "2022-01-01"), ("AN", 2, "2023-01-01")]
    assert [e.reverses for e in entries if e.reverses] == ["BQ 5"]
    # The opening entry of 2022 is not a movement of 5121: the ledger carries 5.50 forward once.
    assert bank_2022.opening == m("5.50")
    assert [ln.journal for ln in bank_2022.lines] == ["BQ"] * 4
    assert bank_2022.closing == m("51.50")
    # 6270 was brought to zero on 2021-12-31, so nothing is brought forward into 2022.
    assert [(a.code, a.opening.plain(), a.closing.plain()) for a in fees_2022] == [
        ("6270", "0.00", "0.00")]
    assert ledger_lines(fees_2022[0]) == [
        ("2022-03-01", "BQ", 5, "9.99", "0.00", "9.99"),
        ("2022-03-02", "BQ", 6, "0.00", "9.99", "0.00"),
        ("2022-06-30", "BQ", 7, "4.00", "0.00", "4.00"),
        ("2022-12-31", "OD", 4, "0.00", "4.00", "0.00"),
    ]
    assert tb_rows(tb_2021) == [
        ("1011-M01", "0.00", "30.00", "-30.00"),
        ("1011-M02", "0.00", "20.00", "-20.00"),
        ("119", "3.25", "0.00", "3.25"),
        ("129", "3.25", "3.25", "0.00"),
        ("5121", "50.00", "44.50", "5.50"),
        ("5122", "41.25", "0.00", "41.25"),
        ("6270", "4.50", "4.50", "0.00"),
        ("7680", "1.25", "1.25", "0.00"),
    ]
    assert tb_totals(tb_2021) == ("103.50", "103.50")
    assert tb_rows(tb_2022_only) == [("7680", "12.40", "12.40", "0.00")]
    assert audit(engine, book) == []


def test_posting_into_a_closed_year_is_refused_after_closing(engine, book):
    close(engine, book, 2021)
    before = snapshot(engine)
    with pytest.raises(LedgerError) as caught, db.session_scope(engine) as s:
        post_entries(s, book.book_id, [draft(D(2021, 12, 31), ("6270", "1"), ("5121", "-1"))])
    assert caught.value.code == "fiscal_year_closed"
    assert caught.value.params["next_open"] == "2022-01-01"
    assert snapshot(engine) == before
    # 2022 is still open.
    with db.session_scope(engine) as s:
        (p,) = post_entries(s, book.book_id, [draft(D(2022, 1, 1), ("6270", "1"),
                                                    ("5121", "-1"))])
    assert (p.journal, p.number) == ("BQ", 9)


def test_closing_an_empty_year(engine, club):
    result = close(engine, club, 2021)
    assert result == ClosingResult(2021, Money(0), (), None)
    with db.session_scope(engine, write=False) as s:
        assert closed_years(s, club.book_id) == [2021]
        assert journal(s, club.book_id) == []
    assert audit(engine, club) == []


def test_closing_a_year_without_income_or_expense(engine, club):
    with db.session_scope(engine) as s:
        post_entries(s, club.book_id, [savings(D(2021, 5, 1))])
    result = close(engine, club, 2021, carry=True)
    assert (result.result, result.closing_entries) == (Money(0), ())
    assert result.opening_entry is not None
    assert entry_lines(engine, club, "AN", 1) == [
        ("1011-M01", "-30.00"), ("1011-M02", "-20.00"), ("5121", "50.00")]
    assert audit(engine, club) == []


def test_closing_a_break_even_year(engine, club):
    with db.session_scope(engine) as s:
        post_entries(s, club.book_id, [
            savings(D(2021, 5, 1)),
            draft(D(2021, 6, 30), ("6270", "2.10"), ("5121", "-2.10")),
            draft(D(2021, 12, 31), ("5121", "2.10"), ("7680", "-2.10")),
        ])
    result = close(engine, club, 2021, carry=True)
    assert result.result == Money(0)
    # Income and expense are still brought to zero, but nothing goes to 120/129 or 110/119.
    assert [(e.journal, e.number) for e in result.closing_entries] == [("OD", 1)]
    assert entry_lines(engine, club, "OD", 1) == [("6270", "-2.10"), ("7680", "2.10")]
    assert entry_lines(engine, club, "AN", 1) == [
        ("1011-M01", "-30.00"), ("1011-M02", "-20.00"), ("5121", "50.00")]
    with db.session_scope(engine, write=False) as s:
        assert balance(s, club.book_id, "1") == m("-50")
        assert trial_balance(s, club.book_id, prefix="12").accounts == ()
    assert audit(engine, club) == []


def test_closing_with_a_gap_year_in_between(engine, club):
    with db.session_scope(engine) as s:
        post_entries(s, club.book_id, [
            savings(D(2021, 5, 1)),
            draft(D(2023, 2, 1), ("6270", "3"), ("5121", "-3")),
        ])
    r2021 = close(engine, club, 2021)
    r2022 = close(engine, club, 2022)
    r2023 = close(engine, club, 2023, carry=True)
    assert [r.result.plain() for r in (r2021, r2022, r2023)] == ["0.00", "0.00", "-3.00"]
    assert [r.opening_entry.number for r in (r2021, r2022, r2023)
            if r.opening_entry is not None] == [1, 2, 3]
    assert entry_lines(engine, club, "AN", 3) == [
        ("1011-M01", "-30.00"), ("1011-M02", "-20.00"), ("119", "3.00"), ("5121", "47.00")]
    assert audit(engine, club) == []


# -- closing refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prepare", "year", "today", "code", "params"),
    [
        pytest.param((), 2022, None, "earlier_years_open", {"year": 2022, "years": "2021"},
                     id="out-of-order"),
        pytest.param((), 2023, None, "earlier_years_open", {"year": 2023, "years": "2021, 2022"},
                     id="two-years-open-before"),
        pytest.param((2021,), 2023, None, "earlier_years_open",
                     {"year": 2023, "years": "2022"}, id="one-year-open-before"),
        pytest.param((2021,), 2021, None, "fiscal_year_already_closed",
                     {"year": 2021, "next": 2022}, id="twice"),
        pytest.param((2021, 2022), 2021, None, "fiscal_year_already_closed",
                     {"year": 2021, "next": 2023}, id="twice-later"),
        pytest.param((2021,), 2022, D(2022, 12, 31), "fiscal_year_not_ended",
                     {"year": 2022, "end": "2022-12-31"}, id="on-last-day"),
        pytest.param((), 2022, D(2022, 6, 30), "fiscal_year_not_ended",
                     {"year": 2022, "end": "2022-12-31"}, id="mid-year"),
        pytest.param((), 2020, None, "unknown_fiscal_year", {"year": 2020},
                     id="before-the-books"),
    ],
)
def test_closing_refusals_change_nothing(engine, book, prepare, year, today, code, params):
    for y in prepare:
        close(engine, book, y)
    before = snapshot(engine)
    with pytest.raises(LedgerError) as caught:
        close(engine, book, year, today=today)
    assert caught.value.code == code
    assert caught.value.exit_code == 1
    for name, value in params.items():
        assert caught.value.params[name] == value, name
    assert snapshot(engine) == before
    assert audit(engine, book) == []


def test_closing_the_day_after_the_year_end(engine, book):
    result = close(engine, book, 2021, today=D(2022, 1, 1))
    assert result.result == m("-3.25")
    assert audit(engine, book) == []
