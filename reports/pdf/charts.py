"""Charts drawn with reportlab.graphics: bar, pie and line, fixed size and palette.

Values arrive as integer cents and every number printed comes from the caller's
``value_format(cents)``, so charts read exactly like the tables next to them. A fixed size,
palette and label spacing keep the output byte-identical for the same data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from cigales.i18n import _
from reports.fmt import pdf_safe, share
from reports.pdf import typeface
from reports.pdf.base import ACCENT, FRAME_WIDTH, HAIRLINE, INK, MUTED, RULE

ValueFormat = Callable[[int], str]

WIDTH = FRAME_WIDTH  # full frame width: charts sit between tables, aligned with them
HEIGHT = 75 * mm  # three charts fit one A4 page with their headings
PALETTE = tuple(colors.HexColor(c) for c in (
    "#486581", "#D9822B", "#5B8C5A", "#A65D57", "#7B6FA6",
    "#C9A227", "#3E7C8C", "#9AA5B1", "#B86B9E", "#6B7F3A",
))
MAX_CATEGORY_LABELS = 12  # beyond this, labels overlap at 7.5 pt: show every n-th one
# Label steps that fall on quarters and years when the categories are months.
_LABEL_STEPS = (1, 2, 3, 4, 6, 12, 24, 36, 60, 120)
_EMPTY_HEIGHT = 24 * mm  # an empty chart keeps its title but not the whole plot area
_TITLE_BAND = 22  # points above the plot kept for the title
_AXIS_FONT = 7.5


def _units(cents: int) -> float:
    # Drawing coordinates only: a float places the bar or point. Money itself stays in integer
    # cents and every amount printed is value_format(cents), never computed from this float.
    return cents / 100


def _frame(title: str, height: float = HEIGHT) -> Drawing:
    drawing = Drawing(WIDTH, height)
    drawing.add(String(0, height - 12, pdf_safe(title), fontName=typeface.BOLD,
                       fontSize=10.5, fillColor=INK))
    return drawing


def _no_data(title: str) -> Drawing:
    drawing = _frame(title, _EMPTY_HEIGHT)
    drawing.add(String(WIDTH / 2, (_EMPTY_HEIGHT - _TITLE_BAND) / 2, pdf_safe(_("No data")),
                       textAnchor="middle", fontName=typeface.ITALIC, fontSize=10,
                       fillColor=MUTED))
    return drawing


def _check(labels: Sequence[str], values: Sequence[int]) -> None:
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels for {len(values)} values")
    if any(type(v) is not int for v in values):
        raise TypeError("chart values are integer cents")


def _sparse(labels: Sequence[str]) -> list[str]:
    """Every n-th label, the others blank, so at most MAX_CATEGORY_LABELS are printed."""
    needed = -(-len(labels) // MAX_CATEGORY_LABELS)
    step = next((s for s in _LABEL_STEPS if s >= needed), needed)
    return [pdf_safe(label) if i % step == 0 else "" for i, label in enumerate(labels)]


def _axis_room(values: Sequence[int], value_format: ValueFormat) -> float:
    # Ticks can round up past the largest value by one digit (9 876 -> 10 000): measure that.
    widest = max(abs(v) for v in values) * 10
    samples = [value_format(widest)] + ([value_format(-widest)] if min(values) < 0 else [])
    return max(float(stringWidth(pdf_safe(s), typeface.REGULAR, _AXIS_FONT)) for s in samples) + 8


def _category_plot(chart: Any, labels: Sequence[str], values: Sequence[int],
                   value_format: ValueFormat) -> Any:
    """Position and style the axes shared by the bar and the line chart."""
    chart.x = _axis_room(values, value_format)
    chart.y = 16  # room for category labels under the axis
    chart.width = WIDTH - chart.x - 6
    chart.height = HEIGHT - chart.y - _TITLE_BAND - 4
    chart.data = [[_units(v) for v in values]]
    category = chart.categoryAxis
    category.categoryNames = _sparse(labels)
    category.labels.fontName = typeface.REGULAR
    category.labels.fontSize = _AXIS_FONT
    category.labels.fillColor = MUTED
    category.labels.boxAnchor = "n"
    category.labels.dy = -3
    category.strokeColor = RULE
    category.tickDown = 2
    axis = chart.valueAxis
    axis.valueMin = min(0.0, _units(min(values)))
    if max(values) <= 0 and min(values) == 0:
        axis.valueMax = 1.0  # all zero: give the axis a range instead of a degenerate one
    axis.labelTextFormat = lambda v: pdf_safe(value_format(round(v * 100)))
    axis.labels.fontName = typeface.REGULAR
    axis.labels.fontSize = _AXIS_FONT
    axis.labels.fillColor = MUTED
    axis.strokeColor = RULE
    axis.visibleGrid = True
    axis.gridStrokeColor = HAIRLINE
    axis.gridStrokeWidth = 0.4
    axis.maximumTicks = 6
    axis.rangeRound = "ceiling"  # end on a labelled tick above the tallest value
    return chart


def bar_chart(labels: Sequence[str], values: Sequence[int], *, title: str,
              value_format: ValueFormat) -> Drawing:
    """One bar per label (e.g. per month); values in cents."""
    _check(labels, values)
    if not values:
        return _no_data(title)
    drawing = _frame(title)
    chart = _category_plot(VerticalBarChart(), labels, values, value_format)
    chart.bars[0].fillColor = PALETTE[0]
    chart.bars[0].strokeColor = None
    # barWidth and groupSpacing are relative: bars take 2/3 of each slot at any count.
    chart.barWidth = 10
    chart.groupSpacing = 5
    drawing.add(chart)
    return drawing


def line_chart(labels: Sequence[str], values: Sequence[int], *, title: str,
               value_format: ValueFormat) -> Drawing:
    """A line through one point per label (e.g. portfolio value per month); values in cents."""
    _check(labels, values)
    if not values:
        return _no_data(title)
    drawing = _frame(title)
    chart = _category_plot(HorizontalLineChart(), labels, values, value_format)
    chart.joinedLines = 1
    chart.lines[0].strokeColor = ACCENT
    chart.lines[0].strokeWidth = 1.5
    if len(values) <= 24:  # markers help on short series and clutter long ones
        chart.lines[0].symbol = makeMarker("FilledCircle", size=3.5, fillColor=ACCENT,
                                           strokeColor=ACCENT)
    drawing.add(chart)
    return drawing


def pie_chart(labels: Sequence[str], values: Sequence[int], *, title: str,
              value_format: ValueFormat) -> Drawing:
    """Shares of a whole, legend "label  amount  percent"; zero total draws "No data".

    Up to 14 slices fit the legend: group the smallest into one before calling.
    """
    _check(labels, values)
    if any(v < 0 for v in values):
        raise ValueError("a pie chart needs values that are zero or more")
    total = sum(values)
    if total == 0:
        return _no_data(title)
    drawing = _frame(title)
    size = HEIGHT - _TITLE_BAND - 12
    pie = Pie()
    pie.x, pie.y = 8, 6
    pie.width = pie.height = size
    # Zero slices are left out of the pie (a zero-angle wedge draws a stray line) but kept in
    # the legend, each with its own colour, so the legend still lists every label.
    shown = [i for i, v in enumerate(values) if v > 0]
    pie.data = [values[i] for i in shown]  # ints: the pie needs only the ratios
    pie.labels = None
    pie.startAngle = 90
    pie.direction = "clockwise"
    pie.slices.strokeColor = colors.white
    pie.slices.strokeWidth = 0.8
    for slot, i in enumerate(shown):
        pie.slices[slot].fillColor = PALETTE[i % len(PALETTE)]
    drawing.add(pie)
    drawing.add(_legend(labels, values, total, value_format, x=pie.x + size + 10 * mm))
    return drawing


def _legend(labels: Sequence[str], values: Sequence[int], total: int,
            value_format: ValueFormat, *, x: float) -> Legend:
    legend = Legend()
    legend.x = x
    legend.y = HEIGHT - _TITLE_BAND - 2
    legend.boxAnchor = "nw"
    legend.alignment = "right"  # swatch on the left of the text
    legend.fontName = typeface.REGULAR
    legend.fontSize = 8.5
    legend.fillColor = INK
    legend.deltay = 12
    legend.columnMaximum = 14
    legend.dx = legend.dy = 7
    legend.dxTextSpace = 6
    legend.strokeColor = None
    # The percentage is exact (Fraction of cents), only its display is rounded.
    legend.colorNamePairs = [
        (PALETTE[i % len(PALETTE)], (pdf_safe(label), pdf_safe(value_format(v)),
                                     pdf_safe(share(Fraction(v, total), digits=1))))
        for i, (label, v) in enumerate(zip(labels, values, strict=True))
    ]
    # Three aligned sub-columns: label, amount and percent (amounts right-aligned as in tables).
    legend.subCols[0].minWidth = 46 * mm
    legend.subCols[1].minWidth = 26 * mm
    legend.subCols[1].align = "right"
    legend.subCols[2].minWidth = 14 * mm
    legend.subCols[2].align = "right"
    return legend
