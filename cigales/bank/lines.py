"""What every reader produces: bank lines (signed, credit positive) and the statement."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledger.limits import visible
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
    # The label as the file had it, kept only when it held control characters (an escape
    # sequence, a NUL byte ...): ``label`` then shows them as a visible mark, so that no
    # terminal, PDF or entry label ever receives them, while the raw text stays on record in
    # bank_line.raw_label (erased with the member's other data).
    raw_label: str | None = None

    def __post_init__(self) -> None:
        clean = visible(self.label)
        if clean != self.label:
            object.__setattr__(self, "raw_label", self.raw_label or self.label)
            object.__setattr__(self, "label", clean)
        for name in ("reference", "bank_id", "counterparty"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, visible(value))


def reference_text(line: BankLine) -> str:
    """How an entry booked from this line names it: the bank's reference, never the label.

    The label is free text written by the payer's bank and usually carries the payer's name;
    entries are sealed and cannot be erased, so only the reference (or the bank's id of the
    line, or its line number) goes into their labels. The label stays in bank_line, which
    member erasure redacts.
    """
    return (line.reference or line.bank_id or f"ligne {line.line_no}")[:100]


@dataclass(frozen=True, slots=True)
class Statement:
    format: str  # "csv", "ofx", "camt.053"
    profile: str  # profile name for CSV, else the format
    lines: tuple[BankLine, ...]
    skipped: int = 0  # zero-amount or pending lines, which move no money
    closing_balance: Money | None = None
    closing_date: dt.date | None = None
