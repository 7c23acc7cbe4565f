"""Bounds of issue #14 below the command line: money, text in the database, files.

The database enforces the same text lengths on both backends (VARCHAR on PostgreSQL, the
generated triggers on SQLite), even for raw SQL; a return nested 100,000 levels deep and a
CSV cell over the csv module's limit are coded errors, not RecursionError / _csv.Error.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from cigales import db
from cigales.bank.csv_reader import read_csv
from cigales.bank.errors import BankFileUnreadable
from cigales.bank.profiles import resolve
from cigales.federation.document import ReturnNotJson, loads
from cigales.services import members
from ledger.limits import MAX_AMOUNT_CENTS, AmountTooLarge, ControlCharacters, TextTooLong
from ledger.money import Money
from ledger.post import EntryDraft, Line, post_entry
from tests.helpers import FOUNDED, TODAY, draft, make_club


def test_money_maximum():
    assert Money.parse("1 000 000 000 000,00").cents == MAX_AMOUNT_CENTS
    assert Money.parse("-1000000000000").cents == -MAX_AMOUNT_CENTS
    for text_ in ("1000000000000,01", "99999999999999999999999,00", "9" * 100_000):
        with pytest.raises(AmountTooLarge):
            Money.parse(text_)
    with pytest.raises(AmountTooLarge):
        Money.from_decimal(Decimal("1e999999"))


def test_ledger_refuses_oversized_lines_and_text(engine):
    club = make_club(engine)
    huge = Money(MAX_AMOUNT_CENTS + 1)
    with db.session_scope(engine) as s:
        with pytest.raises(AmountTooLarge):
            post_entry(s, club.book_id, EntryDraft("BQ", FOUNDED, "x", (
                Line("5121", huge), Line("471", -huge))))
        with pytest.raises(TextTooLong):
            post_entry(s, club.book_id, draft(FOUNDED, ("5121", "1"), ("471", "-1"),
                                              label="x" * 301))
        with pytest.raises(ControlCharacters):
            post_entry(s, club.book_id, draft(FOUNDED, ("5121", "1"), ("471", "-1"),
                                              label="a\x00b"))
        with pytest.raises(TextTooLong):
            post_entry(s, club.book_id, draft(FOUNDED, ("5121", "1"), ("471", "-1"),
                                              key="k" * 201))


@pytest.mark.parametrize(("table", "sql"), [
    ("account", "UPDATE account SET label = :v"),
    ("club", "UPDATE club SET name = :v"),
    ("member_identity", "UPDATE member_identity SET name = :v"),
])
def test_the_database_refuses_long_text_on_both_backends(engine, table, sql):
    club = make_club(engine)
    with db.session_scope(engine) as s:
        members.add_member(s, club, code="M01", name="Anne", joined=FOUNDED, today=TODAY)
    with engine.connect() as conn:
        conn.execute(text(sql), {"v": "x" * 200})  # at the limit: accepted
        conn.rollback()
    with engine.connect() as conn, pytest.raises(DBAPIError) as caught:
        conn.execute(text(sql), {"v": "x" * 100_000})
    message = str(caught.value.orig)
    assert "text_too_long" in message or "too long" in message


def test_deeply_nested_return_is_not_json():
    with pytest.raises(ReturnNotJson) as caught:
        loads(b"[" * 100_000 + b"]" * 100_000, "deep.json")
    assert caught.value.code == "return_not_json"


def test_csv_cell_over_the_csv_limit_is_refused():
    profile = resolve("fr-signed")
    content = "Date;Libellé;Montant\n01/05/2021;\"" + "x" * 140_000 + "\n"
    with pytest.raises(BankFileUnreadable) as caught:
        read_csv(content, profile, "big.csv")
    assert "line 2" in str(caught.value)
