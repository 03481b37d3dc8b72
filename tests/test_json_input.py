"""Typed JSON within bounds: deep nesting, huge numbers and NaN are refused with a reason."""

from __future__ import annotations

import pytest

from alphapy.json_input import MAX_DEPTH, JsonInputError, load_json_input, nesting_depth


def test_ordinary_json_is_read() -> None:
    assert load_json_input('{"a": [1, "[{", {"b": null}]}') == {"a": [1, "[{", {"b": None}]}


@pytest.mark.parametrize(("text", "depth"), [
    ("1", 0), ("[]", 1), ('{"a": [[]]}', 3), ('["[[[[", "]"]', 1), ('["\\"[[", {}]', 2), ("[" * 10_000, 10_000),
])
def test_nesting_is_measured_outside_strings(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


@pytest.mark.parametrize(("text", "problem", "syntax"), [
    ("[" * 10_000 + "]" * 10_000, f"nested too deeply (at most {MAX_DEPTH} levels", False),
    ("{" + '"a": {' * 5_000 + "}" * 5_001, "nested too deeply", False),
    ("[" + "9" * 5_000 + "]", "not usable: a number in it has too many digits", False),
    ("[NaN]", "not valid JSON (NaN is not a JSON value)", True),
    ('{"a": -Infinity}', "not valid JSON (-Infinity is not a JSON value)", True),
    ("[1, 2", "not valid JSON (Expecting ',' delimiter at line 1, column 6)", True),
    ("x" * 101, "too long (at most 100 characters)", False),
])
def test_bad_json_gets_a_reason_not_a_crash(text: str, problem: str, syntax: bool) -> None:
    with pytest.raises(JsonInputError) as refused:
        load_json_input(text, max_chars=100 if text.startswith("x") else None)
    assert refused.value.problem.startswith(problem) and refused.value.syntax is syntax


def test_a_lower_depth_can_be_asked_for() -> None:
    assert load_json_input("[[1]]", max_depth=2) == [[1]]
    with pytest.raises(JsonInputError, match="at most 2 levels"):
        load_json_input("[[[1]]]", max_depth=2)
