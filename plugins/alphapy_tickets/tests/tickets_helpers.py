"""Test helpers of the tickets plugin: a recorder for the hook it fires, the desk type.

A module of its own (not conftest.py) so that test files can import it by a name no
other plugin's tests use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alphapy import hookimpl


class SummaryRecorder:
    """A tiny plugin that implements ``ticket_summarized``, as the FAQ plugin does."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], dict[str, Any]]] = []

    @hookimpl
    async def ticket_summarized(self, ticket: dict[str, Any], summary: dict[str, Any]) -> None:
        self.calls.append((ticket, summary))


@dataclass
class Desk:
    """The test guild set up for tickets: a category, staff, a log channel."""

    guild: Any
    category: Any
    staff_role: Any
    staff: Any
    other_staff: Any
    log: Any
    extra: dict[str, Any] = field(default_factory=dict)
