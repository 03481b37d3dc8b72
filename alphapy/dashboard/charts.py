"""Bar charts as inline SVG, drawn on the server so that no script is needed to read them.

Pure functions: numbers in, escaped markup out. Colours come from classes styled in
``static/style.css`` (the Content-Security-Policy refuses inline styles, and the classes
follow the light and dark themes). Each chart is an ``role="img"`` with a ``<title>`` and
a ``<desc>``; the page puts the same numbers in a visually hidden table for screen readers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 220
LEFT = 56  # room for the value labels (larger on a phone: see style.css)
RIGHT = 8
TOP = 12
BOTTOM = 28  # room for the bucket labels
MAX_X_LABELS = 8
_ID_UNSAFE = re.compile(r"[^a-z0-9-]")


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One bar: its short axis ``label``, its full ``name`` (tooltip), the total and the part
    that failed (drawn over the bottom of the bar in the failure colour)."""

    label: str
    name: str
    value: int
    failed: int = 0


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (at least 1), so axis labels are round."""
    if value <= 1:
        return 1
    power = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def label_every(count: int, most: int = MAX_X_LABELS) -> int:
    """Label one bar in this many, so at most ``most`` labels share the axis."""
    return max(1, math.ceil(count / most))


def _number(value: float) -> str:
    return f"{value:,.0f}"


def bar_chart(points: Sequence[ChartPoint], *, chart_id: str, title: str, description: str,
              unit: str = "uses", show_failed: bool = True) -> Markup:
    """An SVG bar chart of ``points`` with value and bucket labels on its axes.

    ``chart_id`` prefixes the ids of the title and description (``aria-labelledby``), so
    several charts can share a page. ``unit`` names what a bar counts in its tooltip; a chart
    with nothing that can fail passes ``show_failed=False`` so its tooltips don't say "0 failed".
    """
    prefix = _ID_UNSAFE.sub("-", chart_id.lower()) or "chart"
    title_id, desc_id = f"{prefix}-title", f"{prefix}-desc"
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_value = nice_ceiling(max((p.value for p in points), default=0))
    parts = [
        f'<svg class="chart" id="{prefix}" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = TOP + plot_height * (1 - fraction)
        parts.append(f'<line class="chart-grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-label" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{_number(top_value * fraction)}</text>')
    band = plot_width / max(len(points), 1)
    bar_width = max(band * 0.72, 1.0)
    every = label_every(len(points))
    for index, point in enumerate(points):
        x = LEFT + band * index + (band - bar_width) / 2
        height = plot_height * point.value / top_value
        failed_height = plot_height * min(point.failed, point.value) / top_value
        tip = f"{point.name}: {_number(point.value)} {unit}"
        if show_failed:
            tip += f", {_number(point.failed)} failed"
        parts.append(f'<g class="chart-bar"><title>{escape(tip)}</title>')
        parts.append(f'<rect class="chart-ok" x="{x:.1f}" y="{TOP + plot_height - height:.1f}" '
                     f'width="{bar_width:.1f}" height="{height:.1f}"/>')
        if failed_height > 0:
            parts.append(f'<rect class="chart-failed" x="{x:.1f}" y="{TOP + plot_height - failed_height:.1f}" '
                         f'width="{bar_width:.1f}" height="{failed_height:.1f}"/>')
        parts.append("</g>")
        if index % every == 0:
            parts.append(f'<text class="chart-label" x="{x + bar_width / 2:.1f}" y="{HEIGHT - 8}" '
                         f'text-anchor="middle">{escape(point.label)}</text>')
    parts.append(f'<line class="chart-axis" x1="{LEFT}" y1="{TOP + plot_height}" x2="{WIDTH - RIGHT}" '
                 f'y2="{TOP + plot_height}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
