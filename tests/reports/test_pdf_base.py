"""The shared PDF layer: page furniture, page totals, TOC, repeated table headers, charts,
French amounts and byte-identical output, checked on the text pypdf extracts."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from ledger.money import Money
from reports import fmt
from reports.pdf.base import (
    Col,
    PageInfo,
    build_pdf,
    data_table,
    heading,
    key_value_table,
    page_break,
    paragraph,
    signature_blocks,
    spacer,
    table_of_contents,
)
from reports.pdf.charts import bar_chart, line_chart, pie_chart

INFO = PageInfo(
    title="Assemblée générale 2026",
    club="CIGALES des Étangs",
    period="Exercice 2025",
    generated="Généré le 22/11/2026",
)
ROWS = 120
NBSP, NNBSP = "\u00a0", "\u202f"


def euros(cents: int) -> str:
    return fmt.money(Money(cents), "fr")


def row_amount(i: int) -> Money:
    return Money(123_450 + i * 1_001)  # 1 234,50 for row 0, thousands separators throughout


def sample_story() -> list:
    months = [f"{2018 + m // 12}-{m % 12 + 1:02d}" for m in range(100)]  # 2018-01 .. 2026-04
    monthly = [(i * 7919) % 250_000 for i in range(len(months))]
    total = sum((row_amount(i) for i in range(ROWS)), Money(0))
    return [
        paragraph(INFO.title, "title"),
        paragraph("Rapport <annuel> & comptes", "subtitle"),
        key_value_table([("Club", INFO.club), ("Capital", fmt.money(Money(1_234_567), "fr"))]),
        spacer(4),
        paragraph("Sommaire", "heading2"),
        table_of_contents(),
        page_break(),
        heading("Apports des membres"),
        paragraph("Chaque ligne est un apport; le tableau s'étend sur plusieurs pages."),
        data_table(
            [Col("Date", 24), Col("Membre"), Col("Libellé"), Col("Montant (€)", 30, "right")],
            [[f"{(i % 28) + 1:02d}/03/2025", f"Membre {i:03d}",
              "Versement mensuel au titre de l'épargne solidaire" if i % 5 == 0 else "Apport",
              fmt.amount(row_amount(i), "fr")] for i in range(ROWS)],
            total=["", "Total", "", fmt.amount(total, "fr")],
        ),
        heading("Graphiques"),
        heading("Apports par mois", level=1),
        bar_chart(months, monthly, title="Apports mensuels", value_format=euros),
        heading("Évolution du portefeuille", level=1),
        line_chart(months[:18], [i * 50_000 for i in range(18)], title="Valeur du portefeuille",
                   value_format=euros),
        heading("Répartition", level=1),
        pie_chart(["Alpha SARL", "Beta SCOP", "Gamma SAS", "Delta"],
                  [500_000, 250_000, 125_050, 0], title="Participations", value_format=euros),
        pie_chart([], [], title="Prêts en cours", value_format=euros),
        heading("Signatures"),
        signature_blocks(["Gérant(e)", "Trésorier(ère)", "Secrétaire"]),
    ]


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return build_pdf(sample_story(), INFO, toc=True)


@pytest.fixture(scope="module")
def pages(pdf_bytes: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages]


def test_every_page_has_header_footer_and_true_page_total(pages: list[str]):
    total = len(pages)
    assert total >= 4
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} / {total}" in text
        for furniture in (INFO.club, INFO.title, INFO.period, INFO.generated):
            assert furniture in text, (number, furniture)


def test_table_header_is_repeated_on_every_page_it_spans(pages: list[str]):
    spanned = [text for text in pages if re.search(r"Membre \d{3}", text)]
    assert len(spanned) >= 3
    for text in spanned:
        assert "Montant (€)" in text
        assert "Libellé" in text
    rows_seen = set(re.findall(r"Membre (\d{3})", "\n".join(pages)))
    assert rows_seen == {f"{i:03d}" for i in range(ROWS)}


def test_amounts_keep_their_narrow_no_break_spaces(pdf_bytes: bytes, pages: list[str]):
    # The embedded font has U+202F, so amounts print exactly as Babel formats them.
    text = "\n".join(pages)
    assert NNBSP in fmt.amount(row_amount(0), "fr")
    assert fmt.amount(row_amount(0), "fr") in text
    total = sum((row_amount(i) for i in range(ROWS)), Money(0))
    assert fmt.amount(total, "fr") in text
    # key_value_table: pypdf reads this cell's no-break spaces back as plain spaces.
    spaced = re.sub(r"[\u00a0\u202f]", " ", text)
    assert re.sub(r"[\u00a0\u202f]", " ", fmt.money(Money.parse("12345.67"), "fr")) in spaced


def test_every_font_is_embedded(pdf_bytes: bytes):
    # Self-contained for ten years: no base-14 font left to the reader's machine.
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf_bytes)).pages:
        resources = page["/Resources"]
        for ref in resources.get("/Font", {}).values():
            font = ref.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert fonts
    for name, font in fonts.items():
        assert "Helvetica" not in name, name
        descendants = font.get("/DescendantFonts")
        descriptor = (descendants[0].get_object() if descendants else font)["/FontDescriptor"]
        assert "/FontFile2" in descriptor.get_object(), name


def test_toc_lists_headings_with_their_pages(pdf_bytes: bytes, pages: list[str]):
    toc = PdfReader(io.BytesIO(pdf_bytes)).pages[0].extract_text(extraction_mode="layout")

    def page_of(title: str) -> int:
        return next(n for n, text in enumerate(pages[1:], start=2) if title in text)

    for title in ("Apports des membres", "Graphiques", "Apports par mois", "Répartition",
                  "Signatures"):
        match = re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", toc, re.MULTILINE)
        assert match, title
        assert int(match.group(1)) == page_of(title), title


def test_markup_characters_are_text(pages: list[str]):
    assert "Rapport <annuel> & comptes" in pages[0]


def test_charts_print_formatted_values_and_empty_pie_says_no_data(pages: list[str]):
    text = re.sub(r"[\u00a0\u202f]", " ", "\n".join(pages))
    assert "Alpha SARL" in text
    assert "5 000,00 €" in text  # pie legend amount via value_format
    assert "57,1 %" in text  # 500 000 / 875 050, to one decimal
    assert "Aucune donnée" in text  # the empty pie, in French by default
    assert "2018-01" in text
    assert "2026-01" in text
    assert "2018-02" not in text  # 100 months: one label a year


def test_same_input_gives_same_bytes(pdf_bytes: bytes):
    assert build_pdf(sample_story(), INFO, toc=True) == pdf_bytes


def test_metadata_and_outline(pdf_bytes: bytes):
    reader = PdfReader(io.BytesIO(pdf_bytes))
    assert reader.metadata is not None
    assert reader.metadata.title == INFO.title
    assert reader.metadata.author == INFO.club
    assert reader.metadata.subject == INFO.period
    outline = reader.outline
    assert [item.title for item in outline if not isinstance(item, list)] == [
        "Apports des membres", "Graphiques", "Signatures"]
    first = outline[0]
    assert not isinstance(first, list)
    assert reader.get_destination_page_number(first) + 1 >= 2


def test_document_without_toc_builds_and_counts_pages():
    data = build_pdf([paragraph("Seul"), page_break(), paragraph("Deux")], INFO)
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    assert ["Page 1 / 2" in texts[0], "Page 2 / 2" in texts[1]] == [True, True]


def test_toc_needs_toc_build():
    with pytest.raises(ValueError, match="toc=True"):
        build_pdf([table_of_contents()], INFO)


def test_data_table_rejects_ragged_rows():
    with pytest.raises(ValueError, match="2 cells"):
        data_table([Col("A"), Col("B")], [["1"]])


def test_first_page_renders_to_png(pdf_bytes: bytes, tmp_path: Path):
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        if os.environ.get("CIGALES_REQUIRE_TOOLS"):
            pytest.fail("pdftoppm is required (CIGALES_REQUIRE_TOOLS is set)")
        pytest.skip("pdftoppm not installed")
    pdf = tmp_path / "sample.pdf"
    pdf.write_bytes(pdf_bytes)
    subprocess.run([pdftoppm, "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True, capture_output=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_charts_survive_degenerate_input():
    story = [
        bar_chart(["a", "b"], [0, 0], title="Zéro", value_format=euros),
        bar_chart(["a", "b"], [-5_000, 12_000], title="Négatif", value_format=euros),
        bar_chart([], [], title="Vide", value_format=euros),
        line_chart(["a"], [42], title="Un point", value_format=euros),
        line_chart([], [], title="Vide", value_format=euros),
        pie_chart(["a", "b"], [0, 0], title="Zéro", value_format=euros),
    ]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(build_pdf(story, INFO))).pages)
    assert text.count("Aucune donnée") == 3


def test_charts_reject_bad_input():
    with pytest.raises(ValueError, match="labels"):
        bar_chart(["a"], [1, 2], title="t", value_format=euros)
    with pytest.raises(ValueError, match="zero or more"):
        pie_chart(["a", "b"], [5, -1], title="t", value_format=euros)
    with pytest.raises(TypeError, match="cents"):
        line_chart(["a"], [1.5], title="t", value_format=euros)  # type: ignore[list-item]


# -- no near-empty page for a small table ----------------------------------------------------

def _pages_of(story: list) -> list[str]:
    data = build_pdf(story, INFO)
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _filler(lines: int) -> list:
    return [paragraph(f"Ligne de remplissage numéro {i} du rapport annuel.") for i in
            range(lines)]


def _small_table(rows: int, name: str) -> list:
    columns = [Col("Membre"), Col("Montant", 30, "right")]
    return [heading(name, 0), data_table(columns, [[f"{name} M{i:02d}", euros(100 * i)]
                                                   for i in range(rows)],
                                         total=["Total", euros(1)])]


@pytest.mark.parametrize("filler", range(36, 52))
def test_a_small_table_is_never_split_from_its_heading_or_itself(filler: int):
    """Whatever text comes before it, a five-row table sits whole on one page, under its
    heading: never a heading alone at the foot of a page, never a page holding only the last
    rows or the total."""
    pages = _pages_of([*_filler(filler), *_small_table(5, "Quotes-parts"),
                       paragraph("Fin du document.")])
    holding = [i for i, text in enumerate(pages) if "Quotes-parts M" in text]
    assert len(holding) == 1, holding
    page = pages[holding[0]]
    assert "Quotes-parts\n" in page or page.count("Quotes-parts") > 5  # the heading
    assert all(f"Quotes-parts M{i:02d}" in page for i in range(5))
    assert "Total" in page


@pytest.mark.parametrize("filler", range(0, 50, 3))
def test_a_long_table_leaves_at_least_three_rows_on_each_page(filler: int):
    pages = _pages_of([*_filler(filler), *_small_table(40, "Journal")])
    for text in pages:
        rows = len(re.findall(r"Journal M\d\d", text)) + ("Total" in text)
        assert rows == 0 or rows >= 3, (filler, text)
    assert sum(len(re.findall(r"Journal M\d\d", text)) for text in pages) == 40
