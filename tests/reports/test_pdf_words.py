"""No word is cut inside a table cell ("Rembours é", "Dépréciati on"): columns are widened
for their longest word. Every table of the AGM pack and of a statement is recorded as it is
built, then each of its words must be found whole in the text extracted from the PDF."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from cigales import db
from cigales.i18n import using
from cigales.services.clubs import get_club
from reports.data import build_agm_pack, build_member_statements
from reports.pdf import base
from reports.pdf.agm import render_agm
from reports.pdf.base import Col, PageInfo, build_pdf, data_table
from reports.pdf.statement import render_statement
from tests.reports.conftest import SLUG, TODAY

_WORD = re.compile(r"[^\W\d_]{4,}")  # words of letters only, long enough to be cut


def tokens(data: bytes) -> set[str]:
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return set(_WORD.findall(text))


@pytest.fixture
def recorded(monkeypatch):
    """The header and wrapped-cell words of every data_table built."""
    seen: set[str] = set()
    original = base._needed_widths

    def spy(columns, rows, total):
        for index, col in enumerate(columns):
            seen.update(_WORD.findall(col.header))
            if col.align == "left":
                for row in rows:
                    seen.update(_WORD.findall(row[index]))
        return original(columns, rows, total)

    monkeypatch.setattr(base, "_needed_widths", spy)
    return seen


def test_narrow_columns_are_widened_for_their_longest_word():
    columns = [Col("Investissement"), Col("Remboursé", 13, "right"),
               Col("Dépréciation", 13, "right"), Col("Encours", 13, "right"),
               Col("Statut", 13)]
    rows = [["La Fabrique coopérative", "1 000,00", "0,00", "500,00", "Radiée"]]
    widths = base._fit_words(base._column_widths(columns),
                             base._needed_widths(columns, rows, None))
    assert widths[1] > 13 * base.mm  # "Remboursé" in bold 9 pt needs more than 13 mm
    assert sum(widths) == pytest.approx(sum(base._column_widths(columns)))
    data = build_pdf([data_table(columns, rows)], PageInfo("T", "Club", "2025", "today"))
    found = tokens(data)
    assert {"Remboursé", "Dépréciation", "Investissement", "Radiée"} <= found


def test_no_word_is_cut_in_the_agm_pack_or_a_statement(lake, recorded):
    with db.session_scope(lake, write=False) as s:
        club = get_club(s, SLUG)
        pack = build_agm_pack(s, club, 2025, generated=TODAY)
        statement = build_member_statements(s, club, 2025, generated=TODAY, member="M01")[0]
    for lang in ("fr", "en"):
        recorded.clear()
        with using(lang):
            found = tokens(render_agm(pack)) | tokens(render_statement(statement))
        assert len(recorded) > 30, lang  # the spy saw the tables
        cut = sorted(recorded - found)
        assert cut == [], (lang, cut)
