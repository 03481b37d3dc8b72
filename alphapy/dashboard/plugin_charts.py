"""The bar chart a plugin's page draws: the overview's SVG chart, with its numbers in a table.

Plugins get the same server-drawn chart as the core's overview, so their pages need no
script and follow the light and dark themes through the core's ``chart-*`` CSS classes. A
chart alone is not readable by everyone: each figure carries its ``<title>``/``<desc>`` and,
unless the page already lists the same numbers in a visible table, a visually hidden one.

Call :func:`chart_figure` from a handler and pass the markup to the template, or call it in
the template itself: the dashboard offers it to every template as ``chart_figure``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup

from alphapy.dashboard.charts import ChartPoint, bar_chart

AXIS_LABEL_CHARS = 12  # longer labels are clipped on the axis; the tooltip and table keep them whole


@dataclass(frozen=True, slots=True)
class ChartBar:
    """One bar of a plugin's chart: what it counts (``label``) and how many (``value``)."""

    label: str
    value: int


def _bars(data: Iterable[ChartBar | tuple[str, int]]) -> list[ChartBar]:
    return [item if isinstance(item, ChartBar) else ChartBar(str(item[0]), int(item[1])) for item in data]


def _axis_label(label: str) -> str:
    return label if len(label) <= AXIS_LABEL_CHARS else label[: AXIS_LABEL_CHARS - 1] + "…"


def chart_figure(data: Iterable[ChartBar | tuple[str, int]], *, chart_id: str, title: str,
                 description: str = "", unit: str = "times", label_heading: str = "",
                 table: bool = True) -> Markup:
    """A ``<figure>`` with an SVG bar chart of ``data`` (``ChartBar`` or ``(label, value)`` pairs).

    ``chart_id`` must be unique on the page (it prefixes the ids ``aria-labelledby`` points
    to). ``description`` defaults to the total, so a screen reader hears what the chart shows.
    ``table=False`` leaves out the visually hidden table when the page shows the same numbers
    in a table of its own; ``label_heading`` names the table's first column (``title`` if empty).
    """
    bars = _bars(data)
    total = sum(bar.value for bar in bars)
    summary = description or f"{total:,} {unit} in all, over {len(bars):,} bars."
    points = [ChartPoint(_axis_label(bar.label), bar.label, bar.value) for bar in bars]
    svg = bar_chart(points, chart_id=chart_id, title=title, description=summary, unit=unit, show_failed=False)
    parts = [Markup('<figure class="chart-box">'), svg,
             Markup("<figcaption>{}</figcaption>").format(summary), Markup("</figure>")]
    if table:
        rows = Markup("").join(Markup("<tr><td>{}</td><td>{}</td></tr>").format(bar.label, f"{bar.value:,}")
                               for bar in bars)
        parts.append(Markup(
            '<table class="visually-hidden"><caption>{}</caption><thead><tr><th scope="col">{}</th>'
            '<th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>'
        ).format(title, label_heading or title, unit.capitalize(), rows))
    return Markup("").join(parts)

