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
import sqlite3
from collections.abc import Sequence

from cigales.bank.lines import BankLine
from cigales.bank.values import normalise

VERSION = "v1"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


class Fingerprinter:
    """Fingerprints of one statement's lines, given one at a time in file order.

    The ordinal of a line needs the count of identical lines before it, for every distinct
    (date, amount, label) seen so far: on a statement of a million lines that is a million
    counts. They are kept in a dict keyed by a 16-byte digest of the line's key until
    ``spill_at`` distinct keys, then moved to a private temporary SQLite database (on disk,
    deleted when closed, a few MB of page cache), so memory stays bounded whatever the size
    of the file. A 128-bit digest makes two different keys sharing a count as unlikely as a
    sha256 fingerprint colliding.

    The same store remembers, for a streamed import, which booked lines this statement has
    already claimed (``claim``/``claimed``): a booked line known by one of its own lines, or
    paired with one of its lines seen in another format. Chunks read later must not pair that
    booked line again, however far down the file they are.
    """

    SPILL_AT = 200_000

    def __init__(self, spill_at: int | None = None) -> None:
        self._spill_at = self.SPILL_AT if spill_at is None else spill_at
        self._counts: dict[bytes, int] = {}
        self._db: sqlite3.Connection | None = None

    def __call__(self, line: BankLine) -> str:
        if line.bank_id:
            return _digest(VERSION, "id", line.bank_id.strip())
        # The raw label: the same file line always gives the same fingerprint.
        label = line.raw_label or line.label
        key = (line.date.isoformat(), str(line.amount.cents), normalise(label))
        ordinal = self._next(hashlib.blake2b("\x1f".join(key).encode("utf-8"),
                                             digest_size=16).digest())
        return _digest(VERSION, *key, str(ordinal))

    def claim(self, fingerprint: str) -> None:
        """Remember that a line of this statement stands for the booked line ``fingerprint``."""
        self._next(self._claim_key(fingerprint))

    def claimed(self, fingerprint: str) -> bool:
        """Whether a line read earlier in this statement stands for booked ``fingerprint``."""
        key = self._claim_key(fingerprint)
        if self._db is None:
            return key in self._counts
        return self._db.execute("SELECT 1 FROM seen WHERE k = ?", (key,)).fetchone() is not None

    @staticmethod
    def _claim_key(fingerprint: str) -> bytes:
        # 17 bytes: never equal to a count's 16-byte key.
        return b"c" + hashlib.blake2b(fingerprint.encode("ascii"), digest_size=16).digest()

    def _next(self, key: bytes) -> int:
        """How many times ``key`` was seen before (and count this time)."""
        if self._db is None:
            seen = self._counts.get(key, 0)
            self._counts[key] = seen + 1
            if len(self._counts) > self._spill_at:
                self._spill()
            return seen
        row = self._db.execute(
            "INSERT INTO seen (k, n) VALUES (?, 1) ON CONFLICT (k) DO UPDATE SET n = n + 1 "
            "RETURNING n", (key,)).fetchone()
        return int(row[0]) - 1

    def _spill(self) -> None:
        # "": a private temporary database on disk, removed when the connection closes.
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE seen (k BLOB PRIMARY KEY, n INTEGER NOT NULL) "
                         "WITHOUT ROWID")
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO seen (k, n) VALUES (?, ?)", self._counts.items())
        self._counts = {}

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def fingerprints(lines: Sequence[BankLine]) -> list[str]:
    fingerprint = Fingerprinter()
    try:
        return [fingerprint(line) for line in lines]
    finally:
        fingerprint.close()


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
