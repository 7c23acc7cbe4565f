"""What a trial balance is, without any database library: its rows, its totals, the months
the kept balances cover, and the escaping of an account-code prefix.

``ledger.trial`` reads the figures with SQLAlchemy Core; ``cigales.quick_read`` runs the very
same statements, compiled once (``cigales/read_sql.py``), on the ``sqlite3`` module alone.
Both build their result here, so the two paths cannot differ in what they make of the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.money import Money

ONE_DAY = dt.timedelta(days=1)

# The escape character of LIKE patterns built from a user's prefix (SQLAlchemy's autoescape
# uses the same one): "/", "%" and "_" in the prefix match themselves.
LIKE_ESCAPE = "/"


@dataclass(frozen=True, slots=True)
class AccountTotals:
    code: str
    label: str
    debit_cents: int
    credit_cents: int

    @property
    def balance_cents(self) -> int:
        return self.debit_cents - self.credit_cents


@dataclass(frozen=True, slots=True)
class AccountBalance:
    code: str
    label: str
    debit: Money
    credit: Money

    @property
    def balance(self) -> Money:
        return self.debit - self.credit


@dataclass(frozen=True, slots=True)
class TrialBalance:
    as_of: dt.date | None
    accounts: tuple[AccountBalance, ...]
    total_debit: Money
    total_credit: Money

    @property
    def balanced(self) -> bool:
        return self.total_debit == self.total_credit


def month_of(date: dt.date) -> dt.date:
    return date.replace(day=1)


def first_unkept_day(as_of: dt.date) -> dt.date:
    """The first day not covered by full months: the kept months before it are read whole,
    the postings from it to ``as_of`` are read one by one (none when ``as_of`` ends a month)."""
    following = as_of + ONE_DAY
    return following if following.day == 1 else month_of(as_of)


def escape_like(prefix: str) -> str:
    """``prefix`` as the start of a LIKE pattern escaped with ``LIKE_ESCAPE``."""
    return (prefix.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
            .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))


def trial_balance_of_rows(as_of: dt.date | None,
                          rows: Sequence[Sequence[Any]]) -> TrialBalance:
    """The trial balance of rows (code, label, debit cents, credit cents), ordered by code."""
    accounts = tuple(AccountBalance(str(code), str(label), Money(int(d)), Money(int(c)))
                     for code, label, d, c in rows)
    return TrialBalance(as_of=as_of, accounts=accounts,
                        total_debit=Money(sum(int(r[2]) for r in rows)),
                        total_credit=Money(sum(int(r[3]) for r in rows)))
