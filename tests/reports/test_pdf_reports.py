"""The AGM pack and member statements as PDF: text extracted with pypdf, bytes compared.

The figures looked for are those of tests/reports/test_report_data.py (Les Cigales du Lac,
2025), printed the French way ("6 480,00"); the PDF's no-break spaces read back as spaces.
"""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from cigales import db
from cigales.i18n import using
from cigales.services.clubs import get_club
from reports.data import build_agm_pack, build_member_statements
from reports.pdf.agm import render_agm
from reports.pdf.statement import render_statement
from tests.reports.conftest import SLUG, TODAY


def pages(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    return [re.sub(r"[\u00a0\u202f]", " ", p.extract_text()) for p in reader.pages]


@pytest.fixture
def agm_pdf(lake) -> bytes:
    with db.session_scope(lake, write=False) as s:
        pack = build_agm_pack(s, get_club(s, SLUG), 2025, generated=TODAY)
    with using("fr"):
        return render_agm(pack)


def test_agm_pages_are_numbered_and_carry_club_and_period(agm_pdf):
    texts = pages(agm_pdf)
    n = len(texts)
    assert n >= 6
    for i, text in enumerate(texts, start=1):
        assert f"Page {i} / {n}" in text
        assert "Les Cigales du Lac" in text
        assert "Exercice 2025 : 01/01/2025 – 31/12/2025" in text
        assert "Généré le 22/11/2026" in text


def test_agm_prints_the_ledger_totals_in_french(agm_pdf):
    text = "\n".join(pages(agm_pdf))
    assert "Sommaire" in text
    # The phase by the domain's name (the club was founded in 2024: phase 1 in 2025).
    assert "P1 – phase d’investissement" in text
    # Balance sheet totals (2025 and 2024), cash, result, net assets, PAR30.
    assert re.search(r"Total de l’actif\s+6 480,00\s+3 970,00", text)
    assert re.search(r"Total du passif\s+6 480,00\s+3 970,00", text)
    assert re.search(r"Trésorerie au 31 décembre\s+5 080,00", text)
    assert re.search(r"Trésorerie au 1er janvier\s+1 970,00", text)
    assert re.search(r"Résultat \(bénéfice \+ / perte −\)\s+10,00\s+-30,00", text)
    assert "6 480,00 €" in text
    assert "100,00 %" in text  # PAR30
    # Alerts print their amounts the French way, not as machine values ("400.00").
    assert "183 jours (400,00 impayés)" in text
    # The share table: each member and the total.
    for row in (r"M01\s+Anne Martin\s+500,00\s+1 500,00\s+23,08 %\s+1 495,38",
                r"M02\s+Bruno Le Goff\s+0,00\s+3 000,00\s+46,15 %\s+2 990,77",
                r"M03\s+Chloé Diallo\s+2 000,00\s+2 000,00\s+30,77 %\s+1 993,85",
                r"Total\s+2 500,00\s+6 500,00\s+100,00 %\s+6 480,00"):
        assert re.search(row, text)
    # Resolutions and signatures.
    assert "approuve les comptes de l’exercice 2025" in text
    assert "Le trésorier" in text


def test_agm_in_english(lake):
    with db.session_scope(lake, write=False) as s:
        pack = build_agm_pack(s, get_club(s, SLUG), 2025, generated=TODAY)
    with using("en"):
        text = "\n".join(pages(render_agm(pack)))
    assert "General meeting" in text
    assert re.search(r"Total assets\s+6,480.00\s+3,970.00", text)
    assert "Page 1 / " in text


def test_agm_is_byte_identical_for_the_same_data(lake, agm_pdf):
    with db.session_scope(lake, write=False) as s:
        pack = build_agm_pack(s, get_club(s, SLUG), 2025, generated=TODAY)
    with using("fr"):
        assert render_agm(pack) == agm_pdf
    assert b"\xe2\x80\xaf" not in agm_pdf  # no narrow no-break space sent to the PDF fonts


def test_statement_shows_the_member_figures_and_the_chain_head(lake):
    with db.session_scope(lake, write=False) as s:
        club = get_club(s, SLUG)
        (st,) = build_member_statements(s, club, 2024, generated=TODAY, member="M02")
    with using("fr"):
        data = render_statement(st)
    text = "\n".join(pages(data))
    assert "Bruno Le Goff (M02)" in text
    assert "CIG-M02" in text
    assert "2 977,50 €" in text  # value of 3/4 of 3,970.00 net assets
    assert "75,0000 %" in text
    assert re.search(r"La Fabrique\s+—\s+01/09/2024\s+1 000,00\s+75,00 %\s+750,00\s+18 %\s+"
                     r"135,00\s+31/12/2029", text)
    assert st.chain[1] in text.replace("\n", "")
    assert "Page 1 / " in text


def test_statement_explains_the_chain_head_in_plain_words(lake):
    with db.session_scope(lake, write=False) as s:
        (st,) = build_member_statements(s, get_club(s, SLUG), 2025, generated=TODAY,
                                        member="M01")
    for lang, words in (("fr", ("Preuve que les comptes n’ont pas été modifiés",
                                "maillons d’une chaîne", f"opération numéro {st.chain[0]}")),
                        ("en", ("Proof that the books are unchanged", "links of a chain",
                                f"operation number {st.chain[0]}"))):
        with using(lang):
            text = " ".join(" ".join(pages(render_statement(st))).split())
        for expected in words:
            assert expected in text, (lang, expected)
        # A member is not told to run a command.
        assert "cigales" not in text.replace("Cigales du Lac", ""), lang
        assert "SHA-256" not in text, lang
