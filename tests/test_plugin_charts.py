"""The chart API plugins draw with (``alphapy.chart_figure``): the numbers drawn are the data,
the figure is labelled for screen readers, and its table holds the same numbers."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import alphapy
from alphapy.testing import chart_bars

SVG = "{http://www.w3.org/2000/svg}"


def test_the_bars_drawn_are_the_numbers_given() -> None:
    data = [("refund", 12), ("a very long search about teleporters", 5), ("<b>bold</b>", 0), ("shipping", 1_234)]
    html = str(alphapy.chart_figure(data, chart_id="faq-top", title="Top searches", unit="times"))
    assert chart_bars(html, "faq-top") == data
    svg = ET.fromstring(re.search(r"<svg.*</svg>", html, re.S).group(0))  # type: ignore[union-attr]
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "faq-top-title faq-top-desc"
    assert svg.findtext(f"{SVG}desc") == "1,251 times in all, over 4 bars."
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert labels[:3] == ["0", "1,000", "2,000"] and "a very long…" in labels  # clipped on the axis only
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


def test_its_table_holds_the_same_numbers_unless_the_page_has_its_own() -> None:
    bars = [alphapy.ChartBar("Open", 3), alphapy.ChartBar("Closed", 1_500)]
    html = str(alphapy.chart_figure(bars, chart_id="status", title="Tickets", unit="tickets", label_heading="Status"))
    table = re.search(r'<table class="visually-hidden">.*</table>', html, re.S)
    assert table is not None
    assert "<th scope=\"col\">Status</th><th scope=\"col\">Tickets</th>" in table.group(0)
    assert re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", table.group(0)) == [("Open", "3"),
                                                                                        ("Closed", "1,500")]
    assert "<table" not in str(alphapy.chart_figure(bars, chart_id="status", title="Tickets", table=False))


def test_a_chart_that_lies_about_its_numbers_is_caught() -> None:
    html = str(alphapy.chart_figure([("a", 2), ("b", 4)], chart_id="c", title="t"))
    with pytest.raises(AssertionError, match="wrong height"):
        chart_bars(html.replace("b: 4 times", "b: 8 times"), "c")
    with pytest.raises(AssertionError, match="no chart"):
        chart_bars(html, "elsewhere")


def test_importing_alphapy_does_not_import_the_charts() -> None:
    code = "import sys, alphapy; print('alphapy.dashboard.plugin_charts' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
