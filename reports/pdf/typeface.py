"""The typeface embedded in every PDF: DejaVu Sans Condensed, shipped in reports/pdf/fonts/.

The base-14 PDF fonts (Helvetica) are not embedded and lack U+202F, the narrow no-break space
Babel puts between thousands in French; a PDF kept ten years must not depend on the fonts of
the machine that opens it. DejaVu (Bitstream Vera licence, LICENSE-DejaVu.txt beside the
files) has every glyph of French and English text; the condensed cut keeps table columns
about as wide as Helvetica's. ReportLab embeds only the glyphs used (a subset).
"""

from __future__ import annotations

import functools
from pathlib import Path

from reportlab import rl_config
from reportlab.graphics import shapes
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import tables

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR = "CigalesSans"
BOLD = "CigalesSans-Bold"
ITALIC = "CigalesSans-Oblique"
_FILES = {REGULAR: "DejaVuSansCondensed.ttf", BOLD: "DejaVuSansCondensed-Bold.ttf",
          ITALIC: "DejaVuSansCondensed-Oblique.ttf"}


@functools.cache
def register() -> None:
    """Register the fonts once per process (and map <b>/<i> in paragraphs to them)."""
    for name, file in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, ITALIC)
    addMapping(REGULAR, 1, 1, BOLD)
    # What a canvas or a chart element uses when nothing names a font: ours, not Helvetica.
    rl_config.canvas_basefontname = REGULAR
    shapes.STATE_DEFAULTS["fontName"] = REGULAR
    # Table cells start in this font before drawing their paragraphs: without it every page
    # would still reference (though never draw with) a Helvetica that is not embedded.
    tables.CellStyle.fontname = REGULAR


register()
