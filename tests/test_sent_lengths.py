"""The testing kit's length check names each field Discord would refuse, and only those."""

from __future__ import annotations

import pytest

from alphapy.testing.sent_lengths import length_problems

FINE = {"content": "x" * 2000, "embeds": [{"title": "t" * 256, "description": "d" * 4096,
                                            "fields": [{"name": "n", "value": "v" * 1024}]}],
        "components": [{"type": 1, "components": [{"type": 2, "label": "l" * 80}]}]}


def test_a_body_at_every_limit_passes():
    assert length_problems(FINE) == []
    assert length_problems({"type": 4, "data": FINE}) == []


@pytest.mark.parametrize(("body", "field"), [
    ({"content": "x" * 2001}, "content: 2001"),
    ({"embeds": [{"description": "d" * 4097}]}, "embeds.0.description: 4097"),
    ({"embeds": [{"fields": [{"name": "", "value": "v"}]}]}, "embeds.0.fields.0.name: 0"),
    ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, "embeds: 6001"),
    ({"type": 4, "data": {"components": [{"type": 1, "components": [{"type": 2, "label": "l" * 81}]}]}},
     "data.components.0.components.0.label: 81"),
    ({"components": [{"type": 1, "components": [{"type": 3, "options": [{"label": "a", "value": "v" * 101}]}]}]},
     "components.0.components.0.options.0.value: 101"),
    ({"type": 9, "data": {"title": "t" * 46, "components": []}}, "data.title: 46"),
    ({"type": 9, "data": {"title": "t", "components": [{"type": 1, "components": [
        {"type": 4, "label": "l", "value": "v" * 11, "max_length": 10}]}]}}, "components.0.components.0.value: 11"),
    ({"type": 8, "data": {"choices": [{"name": "n", "value": str(n)} for n in range(26)]}}, "data.choices: 26"),
])
def test_each_refused_field_is_named(body, field):
    problems = length_problems(body)
    assert len(problems) == 1 and field in problems[0], problems
