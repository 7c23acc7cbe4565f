"""Routine bank flows other than savings: expenses (fees, dues, insurance) and income."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from cigales import chart
from cigales.errors import CigalesError
from cigales.models import Club
from cigales.services.lifecycle import lifecycle, not_in_future
from ledger.errors import N_, LabelRequired
from ledger.money import Money
from ledger.post import EntryDraft, Line, PostedEntry, post_entry

EXPENSE_ACCOUNTS = {"bank_fees": "6270", "dues": "6281", "insurance": "6160", "other": "6180"}
INCOME_ACCOUNTS = {"bank_interest": "7680", "other": "7580"}


class AmountNotPositive(CigalesError):
    code = "amount_must_be_positive"
    template = N_("The amount must be positive; got {amount}. To cancel an operation, "
                  "reverse its entry.")


def _flow(session: Session, club: Club, *, date: dt.date, amount: Money, label: str,
          account: str, expense: bool, key: str | None, today: dt.date) -> PostedEntry:
    if amount.cents <= 0:
        raise AmountNotPositive(amount=amount.plain())
    if not label.strip():
        raise LabelRequired()
    not_in_future(date, today)
    lifecycle(session, club).check_writable(date)
    lines = ((Line(account, amount), Line(chart.BANK_ACCOUNT, -amount)) if expense
             else (Line(chart.BANK_ACCOUNT, amount), Line(account, -amount)))
    return post_entry(session, club.book_id, EntryDraft("BQ", date, label.strip(), lines,
                                                         key=key))


def add_expense(session: Session, club: Club, *, date: dt.date, amount: Money, kind: str,
                label: str, key: str | None = None, today: dt.date) -> PostedEntry:
    return _flow(session, club, date=date, amount=amount, label=label,
                 account=EXPENSE_ACCOUNTS[kind], expense=True, key=key, today=today)


def add_income(session: Session, club: Club, *, date: dt.date, amount: Money, kind: str,
               label: str, key: str | None = None, today: dt.date) -> PostedEntry:
    return _flow(session, club, date=date, amount=amount, label=label,
                 account=INCOME_ACCOUNTS[kind], expense=False, key=key, today=today)
