"""Charts as SVG drawn on the server: no script, no CDN, prints as it shows.

Colours and strokes are presentation attributes (not ``style``), which the
Content-Security-Policy allows without 'unsafe-inline'.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from ledger.money import Money

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 70, 10, 10, 30
COLOURS = ("#1f5f8b", "#c05a00", "#2e7d32", "#6a1b9a")


def line_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Money]]],
               money_label: object) -> str:
    """A line chart of money series over shared x labels (months); ``money_label`` formats the
    y axis (a Money -> str callable)."""
    fmt = money_label if callable(money_label) else str
    values = [v.cents for _, vs in series for v in vs] or [0]
    top, bottom = max(*values, 0), min(*values, 0)
    span = (top - bottom) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(labels), 2)

    def x(i: int) -> float:
        return LEFT + plot_w * i / (count - 1)

    def y(cents: int) -> float:
        return TOP + plot_h * (top - cents) / span

    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-label="{escape(title)}" class="chart">'),
             f"<title>{escape(title)}</title>"]
    for cents in (bottom, (top + bottom) // 2, top):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(cents):.1f}" '
                     f'y2="{y(cents):.1f}" stroke="#ccc" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y(cents) + 4:.1f}" text-anchor="end" '
                     f'font-size="11" fill="#333">{escape(fmt(Money(cents)))}</text>')
    if labels:
        for i in sorted({0, len(labels) // 2, len(labels) - 1}):
            parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
                         f'font-size="11" fill="#333">{escape(labels[i])}</text>')
    for (name, vs), colour in zip(series, COLOURS, strict=False):
        points = " ".join(f"{x(i):.1f},{y(v.cents):.1f}" for i, v in enumerate(vs))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                     f'points="{points}"><title>{escape(name)}</title></polyline>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title: str, bars: Sequence[tuple[str, Money]], money_label: object) -> str:
    """Horizontal bars, one per label (regions), longest = the largest amount."""
    fmt = money_label if callable(money_label) else str
    row, label_w, value_w = 26, 180, 110
    height = TOP + BOTTOM + row * max(len(bars), 1)
    largest = max((m.cents for _, m in bars), default=0) or 1
    plot_w = WIDTH - label_w - value_w
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-label="{escape(title)}" class="chart">'),
             f"<title>{escape(title)}</title>"]
    for i, (name, amount) in enumerate(bars):
        y = TOP + i * row
        w = max(plot_w * max(amount.cents, 0) / largest, 1)
        parts.append(f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="12" '
                     f'fill="#222">{escape(name)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="18" '
                     f'fill="{COLOURS[0]}"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" font-size="12" '
                     f'fill="#222">{escape(fmt(amount))}</text>')
    parts.append("</svg>")
    return "".join(parts)
