"""The way through: which step comes next, and whether an answer is acceptable.

A guild's flow is its enabled rules (one step: accept them), its enabled questions in
``step_order`` with each follow-up right after its parent when the parent's answer
triggers it, and two fixed personalization steps. A member's position is never stored:
it is the first step without an answer, computed from the answers saved so far against
the flow as it is *now*. A host who adds, removes or reorders questions while someone is
halfway therefore never strands them, and a restart loses nothing.

Step keys double as answer keys and travel in custom ids: ``"rules"``, ``"12"`` (question
id 12), ``"12.friend"`` (its follow-up for the option value ``friend``; ``"12.*"`` for any
answer), ``"personalized_opt_in"`` and ``"preferred_language"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alphapy import fit
from alphapy_onboarding.questions import EMAIL_MAX, FollowUp, Question, QuestionSpec, Rule

RULES = "rules"
OPT_IN = "personalized_opt_in"
LANGUAGE = "preferred_language"
PERSONALIZATION = (OPT_IN, LANGUAGE)

OPT_IN_CHOICES = (("full", "Yes, please!"), ("events_only", "Only events and sessions"), ("no", "No, thanks"))
LANGUAGE_CHOICES = (("en", "English"), ("nl", "Nederlands"), ("other", "Another language…"))
OTHER_LANGUAGE_MAX = 50

EMBEDS_PER_MESSAGE = 10   # Discord's limits for one message
EMBED_CHARS_PER_MESSAGE = 5800  # of 6,000, leaving room for footers

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_STEP_KEY = re.compile(r"rules|personalized_opt_in|preferred_language|\d{1,10}(?:\.(?:\*|[a-z0-9][a-z0-9_-]{0,31}))?")


class AnswerError(Exception):
    """An answer that cannot be kept; the member reads the message and is asked again."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Step:
    """One screen of the flow."""

    key: str
    kind: str  # "rules", "question", "followup", "opt_in", "language"
    spec: QuestionSpec | None = None
    question: Question | None = None  # the guild question (the parent, for a follow-up)
    number: int = 0  # 1-based among the guild's questions (a follow-up shares its parent's)

    @property
    def skippable(self) -> bool:
        return self.spec is not None and not self.spec.required

    @property
    def needs_form(self) -> bool:
        return self.spec is not None and self.spec.type in ("text", "email")


OPT_IN_STEP = Step(OPT_IN, "opt_in")
LANGUAGE_STEP = Step(LANGUAGE, "language")
RULES_STEP = Step(RULES, "rules")


def is_step_key(text: str) -> bool:
    return bool(_STEP_KEY.fullmatch(text))


@dataclass(frozen=True)
class Flow:
    """A guild's enabled rules and questions, in order."""

    rules: tuple[Rule, ...] = ()
    questions: tuple[Question, ...] = ()

    @property
    def question_count(self) -> int:
        return len(self.questions)

    def steps(self, answers: Mapping[str, Any]) -> Iterator[Step]:
        """Every step, in order, with the follow-ups the answers so far trigger."""
        if self.rules:
            yield RULES_STEP
        for number, question in enumerate(self.questions, start=1):
            yield Step(question.key, "question", question.spec, question, number)
            answer = answers.get(question.key)
            for followup in question.followups:
                if followup.triggered_by(answer):
                    yield Step(followup_key(question, followup), "followup", followup.spec, question, number)
        yield OPT_IN_STEP
        yield LANGUAGE_STEP

    def current(self, answers: Mapping[str, Any], rules_accepted: bool) -> Step | None:
        """The first step still to do; None when everything is done."""
        for step in self.steps(answers):
            if step.kind == "rules":
                if not rules_accepted:
                    return step
            elif step.key not in answers:
                return step
        return None

    def next_after(self, key: str, answers: Mapping[str, Any]) -> Step | None:
        """The step after ``key`` (None: the end), for a preview that keeps no answers."""
        walk = self.steps(answers)
        for step in walk:
            if step.key == key:
                return next(walk, None)
        return None

    def step(self, key: str, answers: Mapping[str, Any] | None = None) -> Step | None:
        """The step called ``key`` in this flow, triggered or not (None if there is none)."""
        if key == RULES:
            return RULES_STEP if self.rules else None
        if key == OPT_IN:
            return OPT_IN_STEP
        if key == LANGUAGE:
            return LANGUAGE_STEP
        question_key, _, when = key.partition(".")
        for number, question in enumerate(self.questions, start=1):
            if question.key != question_key:
                continue
            if not when:
                return Step(question.key, "question", question.spec, question, number)
            followup = next((f for f in question.followups if f.when == when), None)
            return None if followup is None else Step(key, "followup", followup.spec, question, number)
        return None

    def final_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers of the steps actually walked: nothing stale from an earlier branch."""
        keys = [s.key for s in self.steps(answers) if s.kind != "rules"]
        return {key: answers.get(key) for key in keys if key in answers}

    def roles_for(self, answers: Mapping[str, Any]) -> list[int]:
        """Role ids named by the options the member picked, in flow order, without repeats."""
        roles: list[int] = []
        for step in self.steps(answers):
            if step.spec is None or not step.spec.options:
                continue
            picked = answers.get(step.key)
            values = picked if isinstance(picked, list) else [picked]
            for option in step.spec.options:
                if option.value in values and option.role_id and option.role_id not in roles:
                    roles.append(option.role_id)
        return roles


def followup_key(question: Question, followup: FollowUp) -> str:
    return f"{question.key}.{followup.when}"


def drop_untriggered(question: Question, answers: dict[str, Any]) -> None:
    """After a parent is answered again, forget follow-up answers its new answer no longer asks."""
    answer = answers.get(question.key)
    for followup in question.followups:
        if not followup.triggered_by(answer):
            answers.pop(followup_key(question, followup), None)


# --- answers ----------------------------------------------------------------------------------

def check_answer(step: Step, raw: Any) -> Any:
    """The value to store for ``raw`` (select values, or typed text), or :class:`AnswerError`."""
    if step.kind == "opt_in":
        if raw not in {value for value, _ in OPT_IN_CHOICES}:
            raise AnswerError("Please pick one of the buttons.")
        return raw
    if step.kind == "language":
        return check_language(raw)
    spec = step.spec
    assert spec is not None
    if spec.type == "select":
        values = _values(raw)
        if len(values) != 1 or spec.option(values[0]) is None:
            raise AnswerError("Please pick one of the answers in the menu.")
        return values[0]
    if spec.type == "multiselect":
        values = _values(raw)
        low, high = spec.min_values or 1, spec.max_values or len(spec.options)
        if len(set(values)) != len(values) or any(spec.option(v) is None for v in values):
            raise AnswerError("Please pick answers from the menu.")
        if not low <= len(values) <= high:
            raise AnswerError(f"Please pick {low} to {high} answers." if low != high else f"Please pick {low}.")
        return [o.value for o in spec.options if o.value in values]  # in the host's order
    if spec.type == "text":
        return check_text(raw, spec.max_length or 4000)
    if spec.type == "email":
        return check_email(raw)
    raise AnswerError("This question cannot be answered.")


def _values(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, Sequence) and all(isinstance(v, str) for v in raw):
        return list(raw)
    raise AnswerError("Please pick from the menu.")


def check_text(raw: Any, limit: int) -> str:
    if not isinstance(raw, str):
        raise AnswerError("Please type your answer.")
    text = raw.strip()
    if not text:
        raise AnswerError("Please type your answer (it was empty).")
    if len(text) > limit:
        raise AnswerError(f"Your answer is {len(text):,} characters long; at most {limit:,} fit.")
    if _CONTROL.search(text):
        raise AnswerError("Your answer contains control characters; please type plain text.")
    return text


def check_email(raw: Any) -> str:
    """A syntactically valid address, normalised (no DNS look-up: that is slow and leaks)."""
    from email_validator import EmailNotValidError, validate_email  # on first use: not at every start

    text = check_text(raw, EMAIL_MAX)
    try:
        valid = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise AnswerError(f"That is not a valid e-mail address: {exc}") from None
    return str(valid.normalized)


def check_language(raw: Any) -> str:
    if raw in ("en", "nl"):
        return str(raw)
    if isinstance(raw, str) and raw.startswith("other:"):
        text = check_text(raw[len("other:"):], OTHER_LANGUAGE_MAX)
        if "\n" in text:
            raise AnswerError("Please name the language on one line.")
        return f"other: {text}"
    raise AnswerError("Please pick a language.")


def mask_email(address: str) -> str:
    """``a•••@example.org``: enough for the member to recognise, nothing for onlookers."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def describe_answer(step: Step, answer: Any) -> str:
    """How an answer reads back to the member who gave it (e-mail addresses masked)."""
    if answer is None:
        return "skipped"
    if step.kind == "opt_in":
        return dict(OPT_IN_CHOICES).get(answer, str(answer))
    if step.kind == "language":
        return str(dict(LANGUAGE_CHOICES).get(answer, answer) if answer in ("en", "nl") else answer)
    spec = step.spec
    assert spec is not None
    if spec.type == "email":
        return mask_email(answer)
    if isinstance(answer, list):
        return ", ".join(spec.label_of(v) for v in answer)
    if spec.type == "select":
        return spec.label_of(answer)
    return fit(answer, 200)


# --- the preview carries its parent's answer in the custom id ------------------------------------

def encode_choice(spec: QuestionSpec, answer: Any) -> str:
    """A select answer as a base-36 bit mask of option positions (at most 5 characters)."""
    values = answer if isinstance(answer, list) else [answer]
    mask = sum(1 << i for i, option in enumerate(spec.options) if option.value in values)
    return _base36(mask)


def decode_choice(spec: QuestionSpec, text: str) -> Any:
    try:
        mask = int(text, 36) if text else 0
    except ValueError:
        mask = 0
    values = [o.value for i, o in enumerate(spec.options) if mask >> i & 1]
    if spec.type == "multiselect":
        return values
    return values[0] if values else None


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


# --- rules pages ---------------------------------------------------------------------------------

def rule_pages(rules: Sequence[Rule]) -> list[list[Rule]]:
    """Rules grouped into messages Discord accepts (10 embeds, 6,000 characters each)."""
    pages: list[list[Rule]] = []
    page: list[Rule] = []
    size = 0
    for rule in rules:
        cost = len(rule.title) + len(rule.description)
        if page and (len(page) == EMBEDS_PER_MESSAGE or size + cost > EMBED_CHARS_PER_MESSAGE):
            pages.append(page)
            page, size = [], 0
        page.append(rule)
        size += cost
    if page:
        pages.append(page)
    return pages
