"""The page template and building blocks shared by every PDF (design.md §6).

Callers build a story from the helpers below and hand it to ``build_pdf``. Every piece of text
goes through ``reports.fmt.pdf_safe`` here, so Babel's narrow no-break spaces (absent from the
standard fonts' WinAnsi encoding) can never reach the page as missing glyphs.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from cigales.i18n import _, language
from reports.fmt import pdf_safe
from reports.pdf import typeface

# -- geometry and palette -------------------------------------------------------------------------
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 24 * mm  # leaves room for the running header above the frame
MARGIN_BOTTOM = 20 * mm  # and for the footer below it
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
FRAME_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

# Muted slate tones: they print well in greyscale, which is how most AGM packs end up.
INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#616E7C")
ACCENT = colors.HexColor("#334E68")
RULE = colors.HexColor("#9AA5B1")
HAIRLINE = colors.HexColor("#D9DEE4")
HEADER_FILL = colors.HexColor("#E4E7EB")
ZEBRA_FILL = colors.HexColor("#F5F7FA")

Align = Literal["left", "right", "center"]
_ALIGNMENT = {"left": TA_LEFT, "right": TA_RIGHT, "center": TA_CENTER}


@dataclass(frozen=True)
class PageInfo:
    """What the running header and footer print; all strings already formatted."""

    title: str
    club: str
    period: str
    generated: str


# -- styles ---------------------------------------------------------------------------------------
def _make_styles() -> MappingProxyType[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=typeface.REGULAR, fontSize=10, leading=13.5,
                          textColor=INK, spaceAfter=4)
    heading = {"fontName": typeface.BOLD, "textColor": ACCENT, "keepWithNext": 1}
    return MappingProxyType({
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=MUTED),
        "title": ParagraphStyle("title", parent=body, fontName=typeface.BOLD, fontSize=20,
                                leading=24, textColor=ACCENT, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=12, leading=15,
                                   textColor=MUTED, spaceAfter=14),
        "heading1": ParagraphStyle("heading1", parent=body, fontSize=14, leading=18,
                                   spaceBefore=14, spaceAfter=6, **heading),
        "heading2": ParagraphStyle("heading2", parent=body, fontSize=11.5, leading=14.5,
                                   spaceBefore=10, spaceAfter=4, **heading),
    })


STYLES = _make_styles()
"""Paragraph styles by name: body, small, title, subtitle, heading1, heading2. Shared: do not
mutate, derive with ``ParagraphStyle(name, parent=STYLES[...])`` instead."""

_CELL_SIZE = 9  # tables stay readable at 9 pt yet fit seven or eight amount columns


def _cell_style(align: Align, *, bold: bool = False) -> ParagraphStyle:
    return ParagraphStyle(
        f"cell-{align}-{'bold' if bold else 'regular'}", fontName=(
            typeface.BOLD if bold else typeface.REGULAR), fontSize=_CELL_SIZE, leading=11,
        textColor=INK, alignment=_ALIGNMENT[align])


def _markup(text: str) -> str:
    """Plain text -> Paragraph markup: escaped, PDF-safe, line breaks kept."""
    return escape(pdf_safe(text)).replace("\n", "<br/>")


# -- simple flowables -----------------------------------------------------------------------------
def paragraph(text: str, style: str = "body") -> Flowable:
    """A paragraph of plain text (markup characters are escaped, not interpreted)."""
    return Paragraph(_markup(text), STYLES[style])


def spacer(height_mm: float) -> Flowable:
    return Spacer(1, height_mm * mm)


def page_break() -> Flowable:
    return PageBreak()


class _Heading(Paragraph):  # type: ignore[misc]
    """A paragraph the document recognises after drawing it: it feeds the TOC and the outline."""

    toc_level = 0
    plain = ""  # for the outline, which takes text, not markup
    markup = ""  # for the TOC, which lays its entries out as Paragraphs

    def split(self, _avail_width: float, _avail_height: float) -> list[Flowable]:
        # Move whole to the next page: the halves of a split heading would be plain Paragraphs
        # and the TOC entry would be lost.
        return []


def heading(text: str, level: int = 0) -> Flowable:
    """A section heading (level 0 or 1), listed in the table of contents and the PDF outline.

    Outline levels cannot skip: a level-1 heading needs a level-0 heading before it.
    """
    if level not in (0, 1):
        raise ValueError(f"heading level must be 0 or 1, got {level}")
    flowable = _Heading(_markup(text), STYLES[f"heading{level + 1}"])
    flowable.toc_level = level
    flowable.plain = pdf_safe(text)
    flowable.markup = _markup(text)
    return flowable


def table_of_contents() -> Flowable:
    """Placeholder filled with the headings and their pages; needs ``build_pdf(toc=True)``."""
    toc = TableOfContents(dotsMinLevel=0, rightColumnWidth=15 * mm)
    toc.levelStyles = [
        ParagraphStyle("toc0", fontName=typeface.BOLD, fontSize=10.5, leading=16,
                       textColor=INK, leftIndent=0, firstLineIndent=0),
        ParagraphStyle("toc1", fontName=typeface.REGULAR, fontSize=10, leading=14,
                       textColor=INK, leftIndent=6 * mm, firstLineIndent=0),
    ]
    return toc


# -- tables ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Col:
    """A data_table column; columns without a width share what the others leave of the frame."""

    header: str
    width_mm: float | None = None
    align: Align = "left"


def _column_widths(columns: Sequence[Col]) -> list[float]:
    fixed = sum(c.width_mm * mm for c in columns if c.width_mm is not None)
    free = [c for c in columns if c.width_mm is None]
    share = (FRAME_WIDTH - fixed) / len(free) if free else 0.0
    if free and share < 10 * mm:
        raise ValueError("fixed column widths leave no room for the other columns")
    return [c.width_mm * mm if c.width_mm is not None else share for c in columns]


def _cell(text: str, col: Col, *, bold: bool = False) -> Any:
    # Left-aligned cells hold labels that may be long: a Paragraph wraps them. Amounts
    # (right/centre) stay plain strings so they never wrap; the FONT command styles them.
    if col.align == "left":
        return Paragraph(_markup(text), _cell_style("left", bold=bold))
    return pdf_safe(text)


def data_table(
    columns: Sequence[Col],
    rows: Sequence[Sequence[str]],
    *,
    total: Sequence[str] | None = None,
    zebra: bool = True,
) -> Flowable:
    """A ruled table whose header repeats on every page; cells are already-formatted strings."""
    width = len(columns)
    if any(len(row) != width for row in rows) or (total is not None and len(total) != width):
        raise ValueError(f"every row and the total must have {width} cells")
    header = [Paragraph(_markup(c.header), _cell_style(c.align, bold=True)) for c in columns]
    data: list[list[Any]] = [header]
    data += [[_cell(text, col) for text, col in zip(row, columns, strict=True)] for row in rows]
    if total is not None:
        data.append([_cell(text, col, bold=True) for text, col in zip(total, columns, strict=True)])
    last_body = len(rows)  # row index of the last body row (0 is the header)
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), typeface.REGULAR, _CELL_SIZE, 11),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
    ]
    for index, col in enumerate(columns):
        commands.append(("ALIGN", (index, 0), (index, -1), col.align.upper()))
    if last_body:
        commands.append(("LINEBELOW", (0, 1), (-1, last_body), 0.25, HAIRLINE))
        if zebra:
            commands.append(("ROWBACKGROUNDS", (0, 1), (-1, last_body), [None, ZEBRA_FILL]))
    if total is not None:
        commands += [
            ("FONT", (0, -1), (-1, -1), typeface.BOLD, _CELL_SIZE, 11),
            ("LINEABOVE", (0, -1), (-1, -1), 0.9, INK),
            ("TOPPADDING", (0, -1), (-1, -1), 4),
        ]
    widths = _fit_words(_column_widths(columns), _needed_widths(columns, rows, total))
    return _DataTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT",
                      style=TableStyle(commands))


# A table this short (in rows, header not counted) moves whole to the next page with its
# heading rather than split; a longer one splits, but never leaves fewer than _MIN_PART body
# rows on either page: a page holding only a header and a total row, or a heading over two
# lines, reads as a mistake.
_SMALL_TABLE_ROWS = 12
_MIN_PART = 3


class _DataTable(Table):  # type: ignore[misc]
    def _body_rows(self) -> int:
        return int(len(self._cellvalues) - self.repeatRows)

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        if self._body_rows() <= _SMALL_TABLE_ROWS:
            return []  # whole on the next page (the frame always holds such a table)
        parts = list(super().split(avail_width, avail_height))
        if len(parts) != 2:
            return parts
        head, tail = parts
        head_rows = len(head._cellvalues) - self.repeatRows
        tail_rows = len(tail._cellvalues) - self.repeatRows
        if head_rows < _MIN_PART:
            return []  # too little room left here: start the table on the next page
        if tail_rows >= _MIN_PART:
            return parts
        # Move rows from the first page so that the last holds _MIN_PART of them.
        self.wrap(avail_width, avail_height)
        heights = self._rowHeights
        move = _MIN_PART - tail_rows
        keep = head_rows + self.repeatRows - move  # rows (with the header) on the first page
        if keep - self.repeatRows < _MIN_PART:
            return []
        shorter = sum(heights[:keep]) + 0.5
        return list(super().split(avail_width, shorter))


_CELL_PADDING = 8 + 1  # LEFTPADDING + RIGHTPADDING, and a point so rounding never wraps


def _needed_widths(columns: Sequence[Col], rows: Sequence[Sequence[str]],
                   total: Sequence[str] | None) -> list[float]:
    """The narrowest each column may be without cutting a word: its longest word (header in
    bold, wrapped cells) or its longest value (amounts are never wrapped)."""

    def words(text: str) -> list[str]:
        return pdf_safe(text).split() or [""]

    needs = []
    body = [*rows, *([total] if total is not None else [])]
    for index, col in enumerate(columns):
        widest = max(stringWidth(w, typeface.BOLD, _CELL_SIZE) for w in words(col.header))
        for row in body:
            text = row[index]
            font = typeface.BOLD if row is total else typeface.REGULAR
            if col.align == "left":
                widest = max(widest, *(stringWidth(w, font, _CELL_SIZE) for w in words(text)))
            else:
                widest = max(widest, stringWidth(pdf_safe(text), font, _CELL_SIZE))
        needs.append(float(widest) + _CELL_PADDING)
    return needs


def _fit_words(widths: list[float], needs: list[float]) -> list[float]:
    """Widen the columns too narrow for their longest word, taking the room from columns that
    have more than they need (in proportion to their slack). Without enough room in total the
    widths stay as designed: ReportLab then splits the word rather than overflow the page."""
    deficit = sum(max(0.0, n - w) for w, n in zip(widths, needs, strict=True))
    slack = sum(max(0.0, w - n) for w, n in zip(widths, needs, strict=True))
    if deficit == 0 or slack < deficit:
        return widths
    return [n if w < n else w - (w - n) * deficit / slack
            for w, n in zip(widths, needs, strict=True)]


def key_value_table(pairs: Sequence[tuple[str, str]]) -> Flowable:
    """Label / value lines for cover pages and summary blocks."""
    label_style = ParagraphStyle("kv-label", parent=STYLES["body"], textColor=MUTED, spaceAfter=0)
    value_style = ParagraphStyle("kv-value", parent=STYLES["body"], spaceAfter=0)
    data = [[Paragraph(_markup(k), label_style), Paragraph(_markup(v), value_style)]
            for k, v in pairs]
    if not data:
        return Spacer(1, 0)
    return Table(data, colWidths=[60 * mm, FRAME_WIDTH - 60 * mm], hAlign="LEFT", style=[
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, HAIRLINE),
    ])


_PER_ROW = 3  # three boxes fit the frame with room to sign
_GAP = 6 * mm


def _signature_box(role: str, width: float) -> Table:
    label = _cell_style("left")
    label_width = 22 * mm
    rows = [
        [Paragraph(_markup(role), _cell_style("left", bold=True)), ""],
        [Paragraph(_markup(_("Name:")), label), ""],
        [Paragraph(_markup(_("Date:")), label), ""],
        [Paragraph(_markup(_("Signature:")), label), ""],
    ]
    return Table(rows, colWidths=[label_width, width - label_width],
                 rowHeights=[None, 9 * mm, 9 * mm, 22 * mm], style=[
        ("SPAN", (0, 0), (-1, 0)),
        ("BOX", (0, 0), (-1, -1), 0.6, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 1), (-1, -1), "BOTTOM"),
        ("VALIGN", (0, 3), (-1, 3), "TOP"),
        ("LINEBELOW", (1, 1), (1, 2), 0.4, RULE),  # a line to write on for name and date
        ("RIGHTPADDING", (1, 0), (1, -1), 6),
    ])


def signature_blocks(roles: Sequence[str]) -> Flowable:
    """One box per role with lines for the name, the date and the signature, three per row."""
    if not roles:
        return Spacer(1, 0)
    per_row = min(_PER_ROW, len(roles))
    width = (FRAME_WIDTH - _GAP * (per_row - 1)) / per_row
    boxes: list[Any] = [_signature_box(role, width) for role in roles]
    boxes += [""] * (-len(boxes) % per_row)
    grid = [boxes[i:i + per_row] for i in range(0, len(boxes), per_row)]
    # A plain Table, not KeepTogether: a preceding heading's keepWithNext only binds to
    # flowables that are not containers, and a row of boxes never splits anyway.
    return Table(grid, colWidths=[width + _GAP] * (per_row - 1) + [width], hAlign="LEFT",
                 style=[
                     ("LEFTPADDING", (0, 0), (-1, -1), 0),
                     ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                     ("RIGHTPADDING", (0, 0), (-2, -1), _GAP),
                     ("TOPPADDING", (0, 0), (-1, -1), 0),
                     ("BOTTOMPADDING", (0, 0), (-1, -1), _GAP),
                     ("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ])


# -- the document ---------------------------------------------------------------------------------
class _PageCount(Flowable):  # type: ignore[misc]
    """Invisible indexing flowable: multiBuild repeats passes until the total printed in
    "Page x / y" equals the page count of the pass that printed it.

    (The NumberedCanvas recipe defers every page to save() and so points all outline
    bookmarks at page 1; multiBuild, which the TOC needs anyway, avoids that.)
    """

    def __init__(self, doc: BaseDocTemplate) -> None:
        super().__init__()
        self._doc = doc
        self.shown: int | None = None  # total printed in the footers of the current pass
        self.counted: int | None = None  # pages the previous pass produced

    def isIndexing(self) -> int:  # noqa: N802 - ReportLab's protocol
        return 1

    def beforeBuild(self) -> None:  # noqa: N802
        self.shown = self.counted

    def afterBuild(self) -> None:  # noqa: N802
        self.counted = self._doc.page

    def isSatisfied(self) -> bool:  # noqa: N802
        return self.shown is not None and self.shown == self.counted

    def notify(self, kind: str, stuff: object) -> None:
        pass  # indexing flowables receive every notification; page counting needs none

    def wrap(self, _avail_width: float, _avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        pass


class _Document(BaseDocTemplate):  # type: ignore[misc]
    def __init__(self, buffer: io.BytesIO, info: PageInfo, *, toc: bool) -> None:
        super().__init__(
            buffer, pagesize=A4,
            leftMargin=MARGIN_X, rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM,
            title=pdf_safe(info.title), author=pdf_safe(info.club),
            subject=pdf_safe(info.period), creator="cigales",
            lang=language(),
            # Fixed creation date and document id: same data, same bytes (design.md §6).
            invariant=1,
        )
        self.info = info
        self.toc = toc
        self.page_count = _PageCount(self)
        self._page_label = _("Page {page} / {pages}")
        self._headings = 0
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])

    def beforeDocument(self) -> None:  # noqa: N802
        # Bookmark keys restart on every pass so the final pass names them exactly like the
        # earlier ones (the TOC links to them) and the bytes never depend on pass count.
        self._headings = 0
        self.canv.showOutline()

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802
        if not isinstance(flowable, _Heading):
            return
        self._headings += 1
        key = f"section-{self._headings}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(flowable.plain, key, level=flowable.toc_level, closed=False)
        if self.toc:
            self.notify("TOCEntry", (flowable.toc_level, flowable.markup, self.page, key))

    def _decorate(self, canv: Any, doc: BaseDocTemplate) -> None:
        info = self.info
        right = PAGE_WIDTH - MARGIN_X
        canv.saveState()
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        header_y = PAGE_HEIGHT - 13 * mm
        canv.setFont(typeface.BOLD, 9)
        canv.setFillColor(INK)
        canv.drawString(MARGIN_X, header_y, pdf_safe(info.club))
        canv.setFont(typeface.REGULAR, 9)
        canv.setFillColor(MUTED)
        canv.drawRightString(right, header_y, pdf_safe(info.title))
        canv.line(MARGIN_X, header_y - 2.5 * mm, right, header_y - 2.5 * mm)
        footer_y = 10 * mm
        canv.line(MARGIN_X, footer_y + 4 * mm, right, footer_y + 4 * mm)
        canv.setFont(typeface.REGULAR, 8)
        canv.drawString(MARGIN_X, footer_y,
                        pdf_safe(f"{info.club} — {info.period} — {info.generated}"))
        # The first pass does not know the total yet; its pages are never saved.
        pages = self.page_count.counted if self.page_count.counted is not None else "?"
        canv.drawRightString(right, footer_y,
                             pdf_safe(self._page_label.format(page=doc.page, pages=pages)))
        canv.restoreState()


def build_pdf(story: list[Flowable], info: PageInfo, *, toc: bool = False) -> bytes:
    """Lay the story out on A4 pages with header, footer and "Page x / y"; same input, same bytes.

    ``toc=True`` lets a ``table_of_contents()`` in the story list the headings.
    """
    if not toc and any(isinstance(f, TableOfContents) for f in story):
        raise ValueError("the story holds a table of contents: build it with toc=True")
    buffer = io.BytesIO()
    doc = _Document(buffer, info, toc=toc)
    doc.multiBuild([doc.page_count, *story])
    return buffer.getvalue()
