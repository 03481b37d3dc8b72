"""Discord's documented limits as pure functions, shared by the bot and the emulator.

Discord refuses a body that breaks one of its limits with ``400 Invalid Form Body`` (code
50035) and a nested ``errors`` tree naming each field, e.g.::

    {"embeds": {"0": {"description": {"_errors": [
        {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 4096 or fewer in length."}]}}}}

A rule module (``messages``, ``commands``) walks a body and adds every problem to a
:class:`FormErrors`; the caller renders the tree (the emulator answers with it) or a
one-line summary (the bot logs it, a test fails with it). Every problem carries the name
of the rule it broke (``"message.content.max_length"``) so a test can allow exactly one
named check. The table of rules and their sources is ``docs/discord-limits.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BASE_TYPE_BAD_LENGTH",
    "BASE_TYPE_MAX_LENGTH",
    "BASE_TYPE_MIN_LENGTH",
    "BASE_TYPE_REQUIRED",
    "INVALID_FORM_BODY",
    "FormError",
    "FormErrors",
    "Path",
    "format_path",
]

#: Discord's JSON error code for a refused body.
INVALID_FORM_BODY = 50035

# The leaf codes Discord uses most; rule modules add their own next to the rule.
BASE_TYPE_MAX_LENGTH = "BASE_TYPE_MAX_LENGTH"
BASE_TYPE_MIN_LENGTH = "BASE_TYPE_MIN_LENGTH"
BASE_TYPE_BAD_LENGTH = "BASE_TYPE_BAD_LENGTH"
BASE_TYPE_REQUIRED = "BASE_TYPE_REQUIRED"

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """``("embeds", 0, "description")`` -> ``"embeds.0.description"`` (Discord's own spelling)."""
    return ".".join(str(part) for part in path)


@dataclass(frozen=True, slots=True)
class FormError:
    """One field Discord would refuse: where, Discord's code and message, and our rule name."""

    path: Path
    code: str
    message: str
    rule: str

    def __str__(self) -> str:
        where = format_path(self.path) or "(body)"
        return f"{where}: {self.message} ({self.code}, rule {self.rule})"


class FormErrors:
    """A collector of :class:`FormError`, rendered as Discord's nested ``errors`` tree.

    ``at(prefix)`` returns a view that adds under ``prefix`` into the same list, so a rule
    for an embed need not know where the embed sits in the body.
    """

    __slots__ = ("_items", "_prefix")

    def __init__(self, prefix: Path = (), _items: list[FormError] | None = None) -> None:
        self._prefix = tuple(prefix)
        self._items: list[FormError] = [] if _items is None else _items

    # -- collecting
    def at(self, *prefix: str | int) -> FormErrors:
        return FormErrors(self._prefix + prefix, self._items)

    def add(self, path: Path | str | int, code: str, message: str, *, rule: str) -> None:
        if not isinstance(path, tuple):
            path = (path,)
        self._items.append(FormError(self._prefix + path, code, message, rule))

    def max_length(self, path: Path | str | int, value: Sized, limit: int, *, rule: str) -> bool:
        """Adds ``BASE_TYPE_MAX_LENGTH`` when ``len(value) > limit`` (strings and lists alike)."""
        if len(value) <= limit:
            return True
        self.add(path, BASE_TYPE_MAX_LENGTH, f"Must be {limit} or fewer in length.", rule=rule)
        return False

    def length_between(self, path: Path | str | int, value: Sized, low: int, high: int, *, rule: str) -> bool:
        """Adds ``BASE_TYPE_BAD_LENGTH`` unless ``low <= len(value) <= high``."""
        if low <= len(value) <= high:
            return True
        self.add(path, BASE_TYPE_BAD_LENGTH, f"Must be between {low} and {high} in length.", rule=rule)
        return False

    def required(self, path: Path | str | int, *, rule: str) -> None:
        self.add(path, BASE_TYPE_REQUIRED, "This field is required", rule=rule)

    # -- reading
    def __iter__(self) -> Iterator[FormError]:
        prefix = self._prefix
        return (e for e in self._items if e.path[: len(prefix)] == prefix)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return any(True for _ in self)

    def rules(self) -> set[str]:
        return {e.rule for e in self}

    def without(self, rules: Iterable[str]) -> FormErrors:
        """A copy without the problems of the named rules (a test allowing one check)."""
        skip = set(rules)
        return FormErrors(self._prefix, [e for e in self if e.rule not in skip])

    def tree(self) -> dict[str, Any]:
        """Discord's ``errors`` object: nested by path, leaves ``{"_errors": [{code, message}]}``."""
        root: dict[str, Any] = {}
        for error in self:
            node = root
            for part in error.path:
                node = node.setdefault(str(part), {})
            node.setdefault("_errors", []).append({"code": error.code, "message": error.message})
        return root

    def summary(self, limit: int = 5) -> str:
        """One line naming each field and its limit, for logs and test failures."""
        items = list(self)
        text = "; ".join(str(e) for e in items[:limit])
        if len(items) > limit:
            text += f"; and {len(items) - limit} more"
        return text

    def __repr__(self) -> str:
        return f"FormErrors({self.summary()!r})"
