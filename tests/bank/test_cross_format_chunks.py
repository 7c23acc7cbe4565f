"""The same movement in another format is recognised across the chunks of a streamed import.

`bank import` reads a statement in chunks of ``bank.PROPOSE_CHUNK`` lines (1,000), each looked
up in the database on its own. A booked line that one chunk pairs with a line of the file (or
that a line of the file is the very copy of) stands for that line only: a later chunk, 1,500
lines further down, must not pair it again, or a genuine second payment would be taken for
a copy and never booked. The streamed proposals must say what the whole-file ones say.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cigales import db
from cigales.bank import rules as rules_mod
from cigales.bank.source import open_statement
from cigales.services import bank
from cigales.services.clubs import get_club
from tests.bank.files import signed_csv, write
from tests.bank.test_cross_format import ofx
from tests.bank.test_service import SLUG, club, run_import  # noqa: F401

LINES = 2_500
FIRST, SECOND = 100, 1_600  # the twin, and a genuine second payment 1,500 lines later
MARTIN = ("05/01/2024", "VIR SEPA ANNE MARTIN CIG-M01 EPARGNE", "30,00")


def filler(i: int) -> tuple[dt.date, str, str]:
    """Line ``i`` of a busy month: card payments, none like the member's saving."""
    day = dt.date(2024, 1, 2) + dt.timedelta(days=i % 27)
    return day, f"CB MAGASIN {i:05d} TICKET", f"-{1 + i % 89},{i % 100:02d}"


def big_ofx(folder: Path) -> Path:
    rows = []
    for i in range(LINES):
        if i in (FIRST, SECOND):
            rows.append(("20240105", "30,00", f"F{i}", "VIR SEPA ANNE MARTIN",
                         "CIG-M01 EPARGNE"))
        else:
            day, label, amount = filler(i)
            rows.append((day.strftime("%Y%m%d"), amount, f"F{i}", label, ""))
    return write(folder, "mois.ofx", ofx(rows))


def big_csv(folder: Path) -> Path:
    rows = []
    for i in range(LINES):
        if i == FIRST:
            rows.append(MARTIN)  # the very line booked before
        elif i == SECOND:
            # Another payment that day, of the same amount, its label holding the other's
            # words: the booked line is already this file's line FIRST, so this one is new.
            rows.append(("05/01/2024", "VIR SEPA ANNE MARTIN CIG-M01 EPARGNE FEVRIER",
                         "30,00"))
        else:
            day, label, amount = filler(i)
            rows.append((day.strftime("%d/%m/%Y"), label, amount))
    return write(folder, "releve.csv", signed_csv(rows))


def streamed(engine, path: Path) -> list[bank.Proposal]:
    """The proposals of `bank import` (chunk by chunk), in file order."""
    with db.session_scope(engine, write=False) as s:
        ctx = bank.context(s, get_club(s, SLUG), rules_mod.rules())
    source = open_statement(path)
    return list(bank.stream_proposals(engine, SLUG, source.lines(), ctx))


def whole(engine, path: Path) -> list[bank.Proposal]:
    """The proposals of the whole file read at once (the reference)."""
    statement, _ = bank.read(path)
    with db.session_scope(engine, write=False) as s:
        return bank.propose(s, get_club(s, SLUG), statement, rules_mod.rules())


def test_a_second_payment_a_chunk_later_is_not_taken_for_the_csv_s_copy(club, tmp_path):  # noqa: F811
    _, first = run_import(club, write(tmp_path, "jour.csv", signed_csv([MARTIN])))
    assert first.booked == 1
    path = big_ofx(tmp_path)
    assert LINES > 2 * bank.PROPOSE_CHUNK
    assert SECOND - FIRST > bank.PROPOSE_CHUNK
    proposals = streamed(club, path)
    assert len(proposals) == LINES
    known = [i for i, p in enumerate(proposals) if p.known]
    # The OFX line FIRST is the CSV's movement; SECOND, 1,500 lines on, is a new one.
    assert known == [FIRST]
    assert [p.known for p in proposals] == [p.known for p in whole(club, path)]
    assert [p.fingerprint for p in proposals] == [p.fingerprint for p in whole(club, path)]


def test_a_booked_line_found_again_by_its_own_fingerprint_is_not_paired_later(
        club, tmp_path):  # noqa: F811
    run_import(club, write(tmp_path, "jour.csv", signed_csv([MARTIN])))
    path = big_csv(tmp_path)
    proposals = streamed(club, path)
    assert [i for i, p in enumerate(proposals) if p.known] == [FIRST]
    assert [p.known for p in proposals] == [p.known for p in whole(club, path)]


def test_pairing_across_chunks_holds_once_the_store_spills_to_disk(club, tmp_path,  # noqa: F811
                                                                   monkeypatch):
    """The booked lines claimed move to disk with the counts (bounded memory)."""
    from cigales.bank import fingerprint as fingerprint_mod

    monkeypatch.setattr(fingerprint_mod.Fingerprinter, "SPILL_AT", 50)
    run_import(club, write(tmp_path, "jour.csv", signed_csv([MARTIN])))
    proposals = streamed(club, big_csv(tmp_path))
    assert [i for i, p in enumerate(proposals) if p.known] == [FIRST]
