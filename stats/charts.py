"""Small server-rendered SVG charts for the dashboard: no JavaScript, nothing from a CDN.

Both helpers take plain numbers (int, Decimal or float) and labels, and return markup safe to
put in a template; every label is escaped. Values are only turned into floats for drawing.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#417690", "#e07b39", "#5a9e4b", "#b6465f", "#7d5ba6", "#c9a227", "#3a8f8f", "#888")
CHART_SERIES_MAX = len(PALETTE)  # lines one chart draws; a view sums the rest as "Other"
WIDTH = 760
FONT = 'font-family="sans-serif" font-size="11"'

Number = int | float | Decimal


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `value` (1 for nothing)."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


def _legend(names: Sequence[str], top: float, left: float) -> tuple[list[str], float]:
    parts, x, y = [], left, top
    for index, name in enumerate(names):
        width = 22 + 7 * len(name) + 6 * sum(1 for c in name if ord(c) > 0x2E80)
        if x + width > WIDTH and x > left:
            x, y = left, y + 16
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x:.0f}" y="{y - 9:.0f}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14:.0f}" y="{y:.0f}" {FONT}>{escape(name)}</text>')
        x += width + 12
    return parts, y


def line_chart(
    *, days: Sequence[date], series: Sequence[tuple[str, Sequence[Number]]], label: str
) -> SafeString:
    """A line per series over `days` (each series has one value per day), with a legend.

    `label` names the chart for screen readers. An empty `days` gives an empty chart.
    """
    peak = max((float(v) for _name, values in series for v in values), default=0)
    step = nice_ceiling(peak / 4)
    ticks = [_number(step * n) for n in range(5)]
    height, right, top, bottom = 200, 16, 10, 24
    left = 12 + 7 * max(len(t) for t in ticks)
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    ceiling = step * 4
    parts = []
    for n, text in enumerate(ticks):
        y = top + plot_h - plot_h * n / 4
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{text}</text>')
    count = len(days)

    def x_of(index: int) -> float:
        return left + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)

    if count:
        marks = sorted({round(i * (count - 1) / 5) for i in range(6)})
        long_range = (days[-1] - days[0]).days > 180
        for index in marks:
            text = days[index].strftime("%Y-%m" if long_range else "%m-%d")
            anchor = "start" if index == 0 else "end" if index == count - 1 else "middle"
            parts.append(
                f'<text x="{x_of(index):.1f}" y="{height - 6}" text-anchor="{anchor}" {FONT}>'
                f"{text}</text>"
            )
    for number, (name, values) in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        points = " ".join(
            f"{x_of(i):.1f},{top + plot_h - plot_h * float(v) / ceiling:.1f}"
            for i, v in enumerate(values)
        )
        total = sum(values)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{points}" '
            f'data-series="{escape(name)}" data-total="{total}">'
            f"<title>{escape(name)}: {total:,}</title></polyline>"
        )
    legend, last_line = _legend([name for name, _values in series], height + 14, left)
    total_height = last_line + 8 if series else height
    svg = (
        f'<svg class="stats-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {total_height:.0f}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(label)}</title>{''.join(parts + legend)}</svg>"
    )
    return mark_safe(svg)  # every text in it was escaped


def bar_chart(*, bars: Sequence[tuple[str, Number]], label: str) -> SafeString:
    """Horizontal bars, largest scale first as given, with each value written at its bar's end."""
    row, left, right = 22, 170, 70
    peak = max((float(value) for _name, value in bars), default=0) or 1
    parts = []
    for index, (name, value) in enumerate(bars):
        y = 4 + index * row
        width = (WIDTH - left - right) * float(value) / peak
        short = name if len(name) <= 14 else name[:13] + "…"
        colour = PALETTE[0]
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" {FONT}>'
            f"<title>{escape(name)}</title>{escape(short)}</text>"
        )
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{width:.1f}" height="{row - 8}" '
            f'fill="{colour}" data-label="{escape(name)}" data-value="{value}"/>'
        )
        parts.append(f'<text x="{left + width + 4:.1f}" y="{y + 14}" {FONT}>{value:,}</text>')
    height = 8 + row * len(bars)
    svg = (
        f'<svg class="stats-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(label)}</title>'
        f"{''.join(parts)}</svg>"
    )
    return mark_safe(svg)  # every text in it was escaped
