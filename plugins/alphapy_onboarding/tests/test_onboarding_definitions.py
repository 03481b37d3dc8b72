"""The pure parts: reading what hosts type, checking answers, walking a flow."""

from __future__ import annotations

import pytest
from alphapy_onboarding.export import defuse
from alphapy_onboarding.flow import (
    AnswerError,
    Flow,
    check_answer,
    decode_choice,
    drop_untriggered,
    encode_choice,
    rule_pages,
)
from alphapy_onboarding.questions import (
    FollowUp,
    Option,
    Question,
    QuestionDraft,
    QuestionSpec,
    Rule,
    check_image_url,
    check_spec,
    parse_followups,
    parse_options,
    with_type,
)

from alphapy import UserError


def question(qid: int, kind: str = "select", options: tuple[str, ...] = ("a", "b"), *, required: bool = True,
             followups: tuple[FollowUp, ...] = (), **bounds: int) -> Question:
    spec = QuestionSpec(f"Q{qid}?", kind, tuple(Option(v.upper(), v) for v in options) if kind in (
        "select", "multiselect") else (), required, **bounds)
    return Question(qid, qid, spec, followups)


def test_options_from_labels_and_objects() -> None:
    options = parse_options('["Café Olé", {"label": "Music", "value": "m", "description": "Songs", '
                            '"role": "<@&123>"}, "🎮", {"label": "Art", "role_id": 456}]')
    assert [(o.label, o.value, o.description, o.role_id) for o in options] == [
        ("Café Olé", "cafe-ole", None, None), ("Music", "m", "Songs", 123), ("🎮", "option-3", None, None),
        ("Art", "art", None, 456)]
    assert options[1].to_json() == {"label": "Music", "value": "m", "description": "Songs", "role_id": "123"}


@pytest.mark.parametrize(("text", "expected"), [
    ("[", "not valid JSON"), ('"Red"', "must be a JSON list"), ("[1, 2]", "Option 1 must be a label"),
    (str([f"o{n}" for n in range(26)]).replace("'", '"'), "at most 25 options (26 given)"),
    ('[""]', "needs text"), ('["a\\nb"]', "one line"), ('["x", {"label": "y", "value": "-bad"}]', "value must be"),
    ('[{"label": "A", "role": true}]', "A role must be"), ("[" + '"x",' * 9000 + '"x"]', "too long"),
    ("[" * 7000 + "]" * 7000, "nested too deeply"), ("[" * 10_000 + "]" * 10_000, "too long"),
    ('["A", ' + "9" * 5000 + "]", "too many digits"), ('["A", Infinity]', "not valid JSON"),
])
def test_bad_options(text: str, expected: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_options(text)
    assert expected in refused.value.message


def test_followups_as_object_or_list() -> None:
    as_object = parse_followups('{"a": "Why?", "*": {"question": "Mail?", "type": "email", "required": false}}')
    as_list = parse_followups('[{"when": "a", "question": "Why?"}, '
                              '{"when": "*", "question": "Mail?", "type": "email", "required": false}]')
    assert as_object == as_list
    assert [(f.when, f.spec.type, f.spec.required, f.spec.max_length) for f in as_object] == [
        ("a", "text", True, 1000), ("*", "email", False, None)]
    with pytest.raises(UserError, match="one question per trigger"):
        parse_followups('[{"when": "a", "question": "x"}, {"when": "a", "question": "y"}]')
    with pytest.raises(UserError, match="needs a trigger"):
        parse_followups('[{"question": "x"}]')


def test_question_defaults_and_bounds() -> None:
    multi = check_spec(QuestionDraft("Pick", "multiselect", list(parse_options('["a", "b", "c"]'))))
    assert (multi.min_values, multi.max_values) == (1, 3)
    assert check_spec(QuestionDraft("Say", "text")).max_length == 1000
    with pytest.raises(UserError, match="single choice"):
        check_spec(QuestionDraft("Pick", "select", list(parse_options('["a", "b"]')), max_values=2))
    with pytest.raises(UserError, match="max_length must be from 1 to 4000"):
        check_spec(QuestionDraft("Say", "text", max_length=4001))
    with pytest.raises(UserError, match="at most 1000 characters"):
        check_spec(QuestionDraft("q" * 4001, "text"))
    changed = with_type(QuestionDraft("Pick", "multiselect", list(parse_options('["a", "b"]')), min_values=1,
                                      max_values=2), "email")
    assert (changed.options, changed.min_values, changed.max_values) == ([], None, None)


def test_image_urls() -> None:
    assert check_image_url(" https://cdn.example.org/x.png ", "image URL") == "https://cdn.example.org/x.png"
    assert check_image_url("none", "image URL") is None
    for bad in ("http://example.org/x.png", "HTTPS:/x", "https://example.org/a b", "file:///etc/passwd"):
        with pytest.raises(UserError, match="https://"):
            check_image_url(bad, "image URL")


def test_answers_are_checked() -> None:
    flow = Flow(questions=(question(1), question(2, "multiselect", ("a", "b", "c"), min_values=2, max_values=2),
                           question(3, "text", max_length=10), question(4, "email")))
    select, multi, text, email = (flow.step(str(n)) for n in (1, 2, 3, 4))
    assert check_answer(select, ["b"]) == "b"
    assert check_answer(multi, ["c", "a"]) == ["a", "c"]  # in the host's order
    assert check_answer(text, "  ten chars! ") == "ten chars!"
    assert check_answer(email, "Jane.Doe@EXAMPLE.org") == "Jane.Doe@example.org"
    for step, raw, message in [
        (select, ["zzz"], "Please pick one"), (select, ["a", "b"], "Please pick one"), (multi, ["a"], "Please pick 2"),
        (multi, ["a", "a"], "Please pick answers"), (text, "x" * 11, "11 characters long; at most 10"),
        (text, "   ", "it was empty"), (text, "a\x00b", "control characters"), (text, 42, "Please type"),
        (email, "not-an-address", "not a valid e-mail address"), (email, "a@@example.org", "not a valid"),
        (email, "a@example", "not a valid"), (email, "x" * 250 + "@example.org", "at most 254 fit"),
    ]:
        with pytest.raises(AnswerError) as refused:
            check_answer(step, raw)
        assert message in refused.value.message, (raw, refused.value.message)
    language = flow.step("preferred_language")
    assert check_answer(language, "other: Deutsch ") == "other: Deutsch"
    with pytest.raises(AnswerError):
        check_answer(language, "fr")


def test_the_current_step_follows_the_flow_as_it_is_now() -> None:
    why = FollowUp("a", QuestionSpec("Why a?", "text", max_length=100))
    q1, q2, q3 = question(1, followups=(why,)), question(2, "text"), question(3, required=False)
    flow = Flow(rules=(Rule(1, 1, "Be kind", "Always"),), questions=(q1, q2))
    assert flow.current({}, rules_accepted=False).key == "rules"
    assert flow.current({}, rules_accepted=True).key == "1"
    assert flow.current({"1": "a"}, True).key == "1.a"
    assert flow.current({"1": "b"}, True).key == "2"
    answers = {"1": "a", "1.a": "because", "2": "hi"}
    assert flow.current(answers, True).key == "personalized_opt_in"
    # The host inserts a question before where the member is: it is asked next.
    edited = Flow(rules=flow.rules, questions=(q1, q3, q2))
    assert edited.current(answers, True).key == "3"
    # The host removes the question the member was on: they move on; its answer is not kept.
    assert Flow(questions=(q1,)).current({"1": "a", "1.a": "x", "2": "hi"}, True).key == "personalized_opt_in"
    assert Flow(questions=(q1,)).final_answers({"1": "a", "1.a": "x", "2": "hi"}) == {"1": "a", "1.a": "x"}
    # A changed mind drops the follow-up that no longer applies.
    changed = {"1": "b", "1.a": "because"}
    drop_untriggered(q1, changed)
    assert changed == {"1": "b"}
    assert flow.next_after("1", {"1": "a"}).key == "1.a"
    assert flow.step("1.zzz") is None and flow.step("99") is None


def test_roles_from_answers() -> None:
    spec = QuestionSpec("Pick", "multiselect", (Option("A", "a", role_id=10), Option("B", "b", role_id=20),
                                                Option("C", "c", role_id=10)))
    flow = Flow(questions=(Question(1, 1, spec),))
    assert flow.roles_for({"1": ["a", "b", "c"]}) == [10, 20]
    assert flow.roles_for({"1": None}) == []


def test_preview_masks_round_trip() -> None:
    spec = QuestionSpec("Pick", "multiselect", tuple(Option(f"O{n}", f"o{n}") for n in range(25)))
    everything = [f"o{n}" for n in range(25)]
    assert len(encode_choice(spec, everything)) <= 5
    assert decode_choice(spec, encode_choice(spec, everything)) == everything
    assert decode_choice(spec, encode_choice(spec, ["o3", "o24"])) == ["o3", "o24"]
    assert decode_choice(spec, "!!") == []


def test_rule_pages_respect_discords_limits() -> None:
    short = [Rule(n, n, f"R{n}", "x") for n in range(23)]
    assert [len(p) for p in rule_pages(short)] == [10, 10, 3]
    long = [Rule(n, n, f"R{n}", "x" * 4000) for n in range(3)]
    assert [len(p) for p in rule_pages(long)] == [1, 1, 1]


def test_csv_cells_are_defused() -> None:
    assert [defuse(c) for c in ("=SUM(A1)", "+1", "-1", "@cmd", "plain", "")] == [
        "'=SUM(A1)", "'+1", "'-1", "'@cmd", "plain", ""]
