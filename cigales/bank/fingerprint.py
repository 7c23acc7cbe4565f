"""Occurrence-aware fingerprints: the identity of a bank line across imports.

A line with a bank id (OFX FITID, camt AcctSvcrRef, a CSV id column) is identified by it.
Otherwise by sha256 of date + amount + normalised label + ordinal, the ordinal counting the
identical lines before it in the same statement: two genuine identical payments on one day
are two lines, and an overlapping statement that contains them again yields the same two
fingerprints, so neither is imported twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from cigales.bank.lines import BankLine
from cigales.bank.values import normalise

VERSION = "v1"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def fingerprints(lines: Sequence[BankLine]) -> list[str]:
    seen: dict[tuple[str, ...], int] = {}
    out = []
    for line in lines:
        if line.bank_id:
            out.append(_digest(VERSION, "id", line.bank_id.strip()))
            continue
        # The raw label: the same file line always gives the same fingerprint.
        label = line.raw_label or line.label
        key = (line.date.isoformat(), str(line.amount.cents), normalise(label))
        ordinal = seen.get(key, 0)
        seen[key] = ordinal + 1
        out.append(_digest(VERSION, *key, str(ordinal)))
    return out
