"""What every reader produces: bank lines (signed, credit positive) and the statement."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledger.money import Money


@dataclass(frozen=True, slots=True)
class BankLine:
    date: dt.date
    amount: Money  # signed: a credit (money in) is positive, a debit negative
    label: str
    line_no: int  # where the line starts in the source file (1-based)
    reference: str | None = None
    bank_id: str | None = None  # FITID (OFX), AcctSvcrRef (camt), or a CSV id column
    iban: str | None = None  # counterparty IBAN when the format gives it
    counterparty: str | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    format: str  # "csv", "ofx", "camt.053"
    profile: str  # profile name for CSV, else the format
    lines: tuple[BankLine, ...]
    skipped: int = 0  # zero-amount or pending lines, which move no money
    closing_balance: Money | None = None
    closing_date: dt.date | None = None
