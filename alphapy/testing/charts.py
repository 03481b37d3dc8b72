"""Reading a dashboard chart back from a page, so a test checks the numbers it draws."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
_TIP = re.compile(r"^(?P<name>.*): (?P<value>[\d,]+) \S+$")


def chart_bars(html: str, chart_id: str) -> list[tuple[str, int]]:
    """The ``(name, value)`` of each bar of the chart ``chart_id`` on ``html``, in order.

    Values are read from the bars' tooltips and checked against the drawn heights, so a bar
    whose height disagrees with its number fails the test instead of passing unseen.
    """
    found = re.search(rf'<svg class="chart" id="{re.escape(chart_id)}".*?</svg>', html, re.S)
    if found is None:
        raise AssertionError(f"no chart {chart_id!r} on the page")
    svg = ET.fromstring(found.group(0))
    bars: list[tuple[str, int]] = []
    heights: list[float] = []
    for group in svg.iter(f"{SVG}g"):
        tip = _TIP.match(group.findtext(f"{SVG}title") or "")
        rect = group.find(f"{SVG}rect")
        if tip is None or rect is None:
            raise AssertionError(f"a bar of {chart_id!r} has no readable tooltip or rectangle")
        bars.append((tip["name"], int(tip["value"].replace(",", ""))))
        heights.append(float(rect.get("height", "0")))
    tallest = max((value for _, value in bars), default=0)
    for (name, value), height in zip(bars, heights, strict=True):
        if tallest and abs(height / max(heights) - value / tallest) > 0.01:
            raise AssertionError(f"the bar {name!r} of {chart_id!r} is drawn at the wrong height")
    return bars
