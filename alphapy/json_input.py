"""Reading JSON that a person typed (a command option, a setting), within bounds.

``json.loads`` alone is not safe for such text: a few thousand nested brackets exhaust the
interpreter's recursion limit (``RecursionError``), a number of more than 4,300 digits
raises a plain ``ValueError`` rather than a ``JSONDecodeError``, and ``NaN`` or
``Infinity`` are accepted although JSON (and PostgreSQL's JSONB) has no such values.
Each of those reached hosts as an error id. :func:`load_json_input` turns every one of
them into a :class:`JsonInputError` whose ``problem`` completes a sentence about the
input ("The options are ..."), so callers can answer with one polite sentence.

The nesting is measured before parsing, by one linear scan, so deep input never reaches
the recursive parser at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_DEPTH", "JsonInputError", "load_json_input", "nesting_depth"]

MAX_DEPTH = 32  # far more than any setting or option list needs; far below the recursion limit


class JsonInputError(ValueError):
    """Typed JSON that cannot be accepted; ``problem`` continues "The <what> is/are ...".

    ``syntax`` is true when the text is simply not JSON, where an example of the expected
    shape helps more than for the other refusals.
    """

    def __init__(self, problem: str, *, syntax: bool = False) -> None:
        super().__init__(problem)
        self.problem = problem
        self.syntax = syntax


def nesting_depth(text: str) -> int:
    """How deeply lists and objects nest in ``text``; brackets inside strings do not count."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise JsonInputError(f"not valid JSON ({name} is not a JSON value)", syntax=True)


def load_json_input(
    text: str,
    *,
    max_chars: int | None = None,
    max_depth: int = MAX_DEPTH,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """The value ``text`` holds, or :class:`JsonInputError` saying why it cannot be read.

    Exceptions raised by ``object_pairs_hook`` (a caller's own refusal) pass through.
    """
    if max_chars is not None and len(text) > max_chars:
        raise JsonInputError(f"too long (at most {max_chars:,} characters)")
    too_deep = f"nested too deeply (at most {max_depth} levels of lists and objects)"
    if nesting_depth(text) > max_depth:
        raise JsonInputError(too_deep)
    try:
        return json.loads(text, object_pairs_hook=object_pairs_hook, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise JsonInputError(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                             syntax=True) from None
    except RecursionError:  # cannot happen after the depth check; kept so it never becomes a crash
        raise JsonInputError(too_deep) from None
    except JsonInputError:
        raise
    except ValueError:  # Python refuses to read integers of more than 4,300 digits
        raise JsonInputError("not usable: a number in it has too many digits") from None
