"""Occurrence-aware fingerprints: the identity of a bank line across imports.

A line with a bank id (OFX FITID, camt AcctSvcrRef, a CSV id column) is identified by it.
Otherwise by sha256 of date + amount + normalised label + ordinal, the ordinal counting the
identical lines before it in the same statement: two genuine identical payments on one day
are two lines, and an overlapping statement that contains them again yields the same two
fingerprints, so neither is imported twice.
"""

from __future__ import annotations

import hashlib
import re
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


# -- the same movement in another format -------------------------------------------------------
#
# A fingerprint is format-bound: an OFX line is identified by its FITID, a CSV line by its
# label as that file writes it. The same movement exported in two formats (a CSV of the day,
# then the month's OFX) therefore has two fingerprints. What does not depend on the format:
# the date, the amount, and the words of the label (OFX splits them over NAME and MEMO, a CSV
# joins them, a camt file puts the reference apart). Two lines are the same movement when
# those agree; occurrences are paired one to one, so two genuine identical payments stay two.

def label_words(label: str, reference: str | None = None) -> frozenset[str]:
    """The words of a label (and reference), normalised: upper case, no accents, no
    punctuation; one- and two-letter words (M, DE, LE) carry no identity and are left out."""
    words = re.findall(r"[A-Z0-9]+", normalise(f"{label} {reference or ''}"))
    return frozenset(w for w in words if len(w) > 2)


def same_movement(a: frozenset[str], b: frozenset[str]) -> bool:
    """Labels of one movement in two formats: one's words hold the other's, or most of the
    shorter one's words are shared (a bank abbreviating differently by format)."""
    if not a or not b:
        return not a and not b
    if a <= b or b <= a:
        return True
    return len(a & b) * 10 >= 7 * min(len(a), len(b))
