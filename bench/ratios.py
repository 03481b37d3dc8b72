"""Ratio figures shared by the benches: ours against a baseline, alternating in one run.

Absolute figures on a shared machine move 2-3x between runs; a ratio of two runs taken
in turn (ours, baseline, ours, baseline ...) within one process cancels most of that.
Every target is printed as one line ``ratio <target>: <value> (goal <op> <goal>, met)``
that ``bench/run_all.py`` collects into its table.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

LINE = re.compile(r"^ratio (?P<target>[\w.-]+): (?P<value>[\d.]+)(?P<unit>\S*) "
                  r"\(goal (?P<op><=|>=|<) (?P<goal>[\d.]+)\S*, (?P<met>met|NOT met)\)(?P<note>.*)$")


@dataclass(frozen=True)
class Ratio:
    """One target's figure and its goal, as printed and as parsed back by ``run_all``."""

    target: str
    value: float
    op: str
    goal: float
    unit: str = "x"
    note: str = ""

    @property
    def met(self) -> bool:
        if self.op == "<=":
            return self.value <= self.goal
        if self.op == "<":
            return self.value < self.goal
        return self.value >= self.goal

    def line(self) -> str:
        note = f" {self.note}" if self.note else ""
        return (f"ratio {self.target}: {self.value:.3g}{self.unit} (goal {self.op} {self.goal:g}{self.unit}, "
                f"{'met' if self.met else 'NOT met'}){note}")


def report(target: str, value: float, op: str, goal: float, *, unit: str = "x", note: str = "") -> Ratio:
    """Print one target's line and return it."""
    ratio = Ratio(target, value, op, goal, unit, note)
    print(ratio.line(), flush=True)
    return ratio


def parse(line: str) -> Ratio | None:
    """A ``ratio ...`` line back as a :class:`Ratio` (``None`` for any other line)."""
    match = LINE.match(line.strip())
    if match is None:
        return None
    return Ratio(match["target"], float(match["value"]), match["op"], float(match["goal"]),
                 match["unit"] or "x", match["note"].strip())


def alternating(ours: Callable[[], float], baseline: Callable[[], float], rounds: int) -> float:
    """Median of ``ours() / baseline()`` over ``rounds`` rounds taken in turn (lower: ours
    took less of whatever both measure)."""
    ratios = []
    for _ in range(rounds):
        mine = ours()
        theirs = baseline()
        ratios.append(mine / theirs)
    return statistics.median(ratios)


async def alternating_async(ours: Callable[[], Awaitable[float]], baseline: Callable[[], Awaitable[float]],
                            rounds: int) -> float:
    """:func:`alternating` for figures measured on the event loop."""
    ratios = []
    for _ in range(rounds):
        mine = await ours()
        theirs = await baseline()
        ratios.append(mine / theirs)
    return statistics.median(ratios)
