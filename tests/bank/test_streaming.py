"""Large statements read as a stream (issue #14, item 7): the same lines and fingerprints as
the whole-file reader, bounded memory whatever the size, a file changed between the passes
refused. The wall time and peak RSS of a 50 MB import are measured by bench/bank_import.py,
not here."""

from __future__ import annotations

import datetime as dt
import gc
import tracemalloc
from pathlib import Path

import pytest

from cigales.bank import fingerprint as fingerprint_mod
from cigales.bank import rules as rules_mod
from cigales.bank.errors import BankFileChanged, HeaderNotFound
from cigales.bank.fingerprint import Fingerprinter, fingerprints
from cigales.bank.lines import BankLine
from cigales.bank.source import LineCounts, open_statement
from cigales.services import bank
from cigales.services.clubs import get_club
from ledger.money import Money
from tests.bank.files import signed_csv, write
from tests.bank.test_service import SLUG, club  # noqa: F401  (a fixture, re-exported)

ROWS = [("05/04/2021", "VIR ANNE MARTIN CIG-M01", "30,00"),
        ("06/04/2021", "FRAIS TENUE DE COMPTE", "-4,50"),
        ("06/04/2021", "FRAIS TENUE DE COMPTE", "-4,50"),  # a genuine second identical line
        ("07/04/2021", "REMISE CHÈQUE n° 12", "100,00"),
        ("08/04/2021", "INFORMATION TAUX", "0,00")]


def big_csv(folder: Path, name: str, lines: int) -> Path:
    """A statement of ``lines`` lines, one identical pair every tenth line."""
    rows = []
    start = dt.date(2021, 4, 1)
    for i in range(lines):
        day = start + dt.timedelta(days=i // 400)
        label = "FRAIS" if i % 10 == 0 else f"CB MAGASIN {i:07d} TICKET"
        rows.append((day.strftime("%d/%m/%Y"), label, f"-{1 + i % 97},{i % 100:02d}"))
    return write(folder, name, signed_csv(rows), "cp1252")


@pytest.mark.parametrize(("encoding", "bom"), [("cp1252", False), ("utf-8", False),
                                                ("utf-8", True), ("iso-8859-15", False)])
def test_the_stream_reads_what_the_whole_file_reader_reads(tmp_path, encoding, bom):
    path = write(tmp_path, "avril.csv", signed_csv(ROWS), encoding, bom=bom)
    whole = bank.read_bytes(path.read_bytes(), str(path))
    source = open_statement(path)
    counts = LineCounts()
    streamed = list(source.lines(counts))
    assert streamed == list(whole.lines)
    assert len(streamed) == 4
    assert (counts.lines, counts.skipped) == (4, whole.skipped) == (4, 1)
    assert source.profile == whole.profile == "fr-signed"
    assert streamed[3].label == "REMISE CHÈQUE n° 12"
    # And again: a second pass (the booking after the check) gives the same lines.
    assert list(source.lines()) == streamed


def test_a_header_missing_or_a_file_changed_between_passes_is_refused(tmp_path):
    path = write(tmp_path, "avril.csv", signed_csv(ROWS), "utf-8")
    source = open_statement(path, "fr-signed")
    assert len(list(source.lines())) == 4
    path.write_bytes(path.read_bytes().replace(b"30,00", b"31,00"))
    with pytest.raises(BankFileChanged) as caught:
        list(source.lines())
    assert caught.value.code == "bank_file_changed"
    path.write_bytes(b"Quand;Quoi\r\n01/01/2021;x\r\n")
    with pytest.raises(HeaderNotFound):
        list(open_statement(path, "fr-signed").lines())


def test_fingerprints_are_the_same_once_the_counts_spill_to_disk():
    day = dt.date(2021, 4, 6)
    lines = [BankLine(day + dt.timedelta(days=i % 3), Money(-450), "FRAIS", i)
             for i in range(12)]
    lines += [BankLine(day, Money(100 + i), f"VIR {i}", 20 + i) for i in range(10)]
    lines.append(BankLine(day, Money(5), "AVEC ID", 40, bank_id="F1"))
    expected = fingerprints(lines)
    assert len(set(expected)) == len(expected)  # identical lines get their ordinals
    spilling = Fingerprinter(spill_at=2)
    try:
        assert [spilling(line) for line in lines] == expected
        assert spilling._db is not None  # the counts did move to the temporary database
    finally:
        spilling.close()


def _peak_of_a_dry_run(engine, path: Path) -> tuple[int, int]:
    """Peak bytes allocated by Python while every line of PATH is read, fingerprinted,
    looked up and matched (what `bank import --dry-run` does), and the lines seen."""
    from cigales import db

    with db.session_scope(engine, write=False) as s:
        ctx = bank.context(s, get_club(s, SLUG), rules_mod.rules())
    source = open_statement(path)
    gc.collect()
    tracemalloc.start()
    try:
        seen = sum(1 for _ in bank.stream_proposals(engine, SLUG, source.lines(), ctx))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, seen


def test_memory_does_not_grow_with_the_statement(club, tmp_path, monkeypatch):  # noqa: F811
    """Four times the lines, about the same peak: nothing is held per line of the file (the
    fingerprints' counts spill to disk past SPILL_AT distinct lines, lowered here so that a
    small file shows it)."""
    monkeypatch.setattr(fingerprint_mod.Fingerprinter, "SPILL_AT", 500)
    small, n_small = _peak_of_a_dry_run(club, big_csv(tmp_path, "small.csv", 3_000))
    large, n_large = _peak_of_a_dry_run(club, big_csv(tmp_path, "large.csv", 12_000))
    assert (n_small, n_large) == (3_000, 12_000)
    # Holding the lines or the proposals would make the large peak about 4x the small one.
    assert large < small * 1.5, (small, large)
