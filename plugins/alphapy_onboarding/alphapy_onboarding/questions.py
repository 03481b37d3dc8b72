"""What a host defines: questions, their options and follow-ups, and rules.

Everything a host types is checked here before it is stored, so that a member never meets
a question Discord would refuse to show (26 options, a label of 200 characters) and the
flow never meets a follow-up whose trigger cannot happen. Host input arrives as JSON;
it is normalised to one stored shape:

* ``options``: ``[{"label", "value", "description"?, "role_id"?}, ...]`` (2 to 25);
  ``value`` is a short slug (it travels in custom ids and keys the answers);
* ``followup``: ``[{"when": "<option value>" | "*", "question", "type", ...}, ...]``,
  a list because JSONB does not keep the order of an object's keys.

Errors are :class:`alphapy.errors.UserError` with one sentence saying what to fix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from alphapy import JsonInputError, UserError, load_json_input

QUESTION_TYPES = ("select", "multiselect", "text", "email")
CHOICE_TYPES = ("select", "multiselect")
TYPE_NAMES = {"select": "a choice", "multiselect": "several choices", "text": "a text answer", "email": "an e-mail address"}

MAX_QUESTIONS = 25          # per guild: a longer flow loses people
MAX_RULES = 25              # per guild
MAX_OPTIONS = 25            # Discord's limit for a select menu
MIN_OPTIONS = 2
MAX_FOLLOWUPS = 25
QUESTION_MAX = 1000         # shown in an embed description
LABEL_MAX = 100             # Discord: option label and description
VALUE_MAX = 32              # our slug, so that custom ids stay under 100 characters
TEXT_MAX = 4000             # Discord: a modal text input
TEXT_DEFAULT = 1000
EMAIL_MAX = 254             # RFC 5321 path limit
RULE_TITLE_MAX = 256        # Discord: embed title
RULE_DESCRIPTION_MAX = 4000  # under Discord's 4,096 for an embed description
URL_MAX = 2000
JSON_MAX = 16000

ANY = "*"  # a follow-up trigger: any answer that is not a skip

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_VALUE = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{VALUE_MAX - 1}}}")
_ROLE = re.compile(r"<@&(\d{1,20})>|(\d{1,20})")
_OPTION_KEYS = {"label", "value", "description", "role", "role_id"}
_FOLLOWUP_KEYS = {"when", "question", "type", "options", "required", "min_values", "max_values", "max_length"}


@dataclass(frozen=True)
class Option:
    """One choice of a select question; ``role_id`` is granted to whoever picks it."""

    label: str
    value: str
    description: str | None = None
    role_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "value": self.value}
        if self.description:
            out["description"] = self.description
        if self.role_id:
            out["role_id"] = str(self.role_id)  # a string: JSON readers with 53-bit numbers
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Option:
        role = data.get("role_id")
        return cls(str(data["label"]), str(data["value"]), data.get("description") or None,
                   int(role) if role else None)


@dataclass(frozen=True)
class QuestionSpec:
    """What one step asks: a guild question or a follow-up."""

    text: str
    type: str
    options: tuple[Option, ...] = ()
    required: bool = True
    min_values: int | None = None
    max_values: int | None = None
    max_length: int | None = None

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def label_of(self, value: str) -> str:
        found = self.option(value)
        return found.label if found else value


@dataclass(frozen=True)
class FollowUp:
    """A question asked right after its parent when the parent's answer matches ``when``."""

    when: str
    spec: QuestionSpec

    def triggered_by(self, answer: Any) -> bool:
        if answer is None:
            return False
        if self.when == ANY:
            return True
        if isinstance(answer, list):
            return self.when in answer
        return bool(answer == self.when)

    def to_json(self) -> dict[str, Any]:
        return {"when": self.when, **spec_to_json(self.spec)}


@dataclass(frozen=True)
class Question:
    """A row of ``guild_onboarding_questions``."""

    id: int
    step_order: int
    spec: QuestionSpec
    followups: tuple[FollowUp, ...] = ()
    enabled: bool = True

    @property
    def key(self) -> str:
        return str(self.id)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Question:
        spec = QuestionSpec(
            text=row["question"],
            type=row["question_type"],
            options=tuple(Option.from_json(o) for o in row["options"] or ()),
            required=row["required"] is not False,  # NULL means the default: required
            min_values=row["min_values"],
            max_values=row["max_values"],
            max_length=row["max_length"],
        )
        followups = tuple(FollowUp(f["when"], spec_from_json(f)) for f in row["followup"] or ())
        return cls(row["id"], row["step_order"], spec, followups, row["enabled"] is not False)


@dataclass(frozen=True)
class Rule:
    """A row of ``guild_rules``."""

    id: int
    rule_order: int
    title: str
    description: str
    thumbnail_url: str | None = None
    image_url: str | None = None
    enabled: bool = True

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Rule:
        return cls(row["id"], row["rule_order"], row["title"], row["description"], row["thumbnail_url"],
                   row["image_url"], row["enabled"] is not False)


@dataclass
class QuestionDraft:
    """A question as a host is writing it (add or edit), before it is checked."""

    text: str
    type: str
    options: list[Option] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    required: bool = True
    min_values: int | None = None
    max_values: int | None = None
    max_length: int | None = None

    @classmethod
    def of(cls, question: Question) -> QuestionDraft:
        s = question.spec
        return cls(s.text, s.type, list(s.options), list(question.followups), s.required, s.min_values,
                   s.max_values, s.max_length)

    def spec(self) -> QuestionSpec:
        return QuestionSpec(self.text, self.type, tuple(self.options), self.required, self.min_values,
                            self.max_values, self.max_length)


# --- JSON shapes ---------------------------------------------------------------------------

def spec_to_json(spec: QuestionSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"question": spec.text, "type": spec.type, "required": spec.required}
    if spec.options:
        out["options"] = [o.to_json() for o in spec.options]
    for name in ("min_values", "max_values", "max_length"):
        if getattr(spec, name) is not None:
            out[name] = getattr(spec, name)
    return out


def spec_from_json(data: Mapping[str, Any]) -> QuestionSpec:
    return QuestionSpec(
        text=data["question"],
        type=data["type"],
        options=tuple(Option.from_json(o) for o in data.get("options") or ()),
        required=data.get("required", True) is not False,
        min_values=data.get("min_values"),
        max_values=data.get("max_values"),
        max_length=data.get("max_length"),
    )


# --- reading what a host typed ---------------------------------------------------------------

def _load_json(text: str, what: str) -> Any:
    """The JSON a host typed, or one sentence saying why not (too long, too deep, not JSON)."""
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise UserError(f"The {what} JSON names {key!r} twice.")
            seen[key] = value
        return seen

    try:
        return load_json_input(text, max_chars=JSON_MAX, object_pairs_hook=no_duplicates)
    except JsonInputError as exc:
        example = ' Example: [{"label": "Gaming", "value": "gaming"}, "Music"]' if exc.syntax else ""
        raise UserError(f"The {what} are {exc.problem}.{example}") from None


def _clean_line(value: Any, what: str, limit: int, *, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise UserError(f"Each {what} needs text.")
        return None
    if not isinstance(value, str):
        raise UserError(f"Each {what} must be text, not {type(value).__name__}.")
    text = value.strip()
    if not text:
        raise UserError(f"Each {what} needs text.")
    if len(text) > limit:
        raise UserError(f"A {what} can have at most {limit} characters ({len(text)} given).")
    if _CONTROL.search(text) or "\n" in text or "\r" in text:
        raise UserError(f"A {what} must be one line of text without control characters.")
    return text


def slug(label: str) -> str:
    """A value for an option given only a label: "Learn new skills" -> "learn-new-skills"."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return text[:VALUE_MAX].rstrip("-")


def parse_role(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str):
        match = _ROLE.fullmatch(value.strip())
        if match:
            return int(match.group(1) or match.group(2))
    raise UserError(f"A role must be a @role mention or a role id, not {str(value)[:50]!r}.")


def parse_options(text: str) -> list[Option]:
    """Options from JSON: a list of labels and/or ``{"label", "value"?, "description"?, "role"?}``."""
    data = _load_json(text, "options")
    if not isinstance(data, list):
        raise UserError('The options must be a JSON list, e.g. ["Gaming", "Music"].')
    return _options_from(data)


def _options_from(data: list[Any]) -> list[Option]:
    if len(data) > MAX_OPTIONS:
        raise UserError(f"A question can have at most {MAX_OPTIONS} options ({len(data)} given): "
                        "Discord shows no more in one menu.")
    options: list[Option] = []
    for index, item in enumerate(data, start=1):
        if isinstance(item, str):
            item = {"label": item}
        if not isinstance(item, dict):
            raise UserError(f"Option {index} must be a label or an object with a label.")
        unknown = set(item) - _OPTION_KEYS
        if unknown:
            raise UserError(f"Option {index} has unknown field(s): {', '.join(sorted(unknown))} "
                            f"(known: label, value, description, role).")
        label = _clean_line(item.get("label"), "option label", LABEL_MAX)
        assert label is not None
        raw_value = item.get("value")
        if raw_value is None:
            value = slug(label) or f"option-{index}"
        elif isinstance(raw_value, str) and _VALUE.fullmatch(raw_value):
            value = raw_value
        else:
            raise UserError(f"Option {index}'s value must be 1 to {VALUE_MAX} lowercase letters, digits, '-' or "
                            f"'_', starting with a letter or digit (got {str(raw_value)[:40]!r}).")
        description = _clean_line(item.get("description"), "option description", LABEL_MAX, required=False)
        role = item.get("role", item.get("role_id"))
        options.append(Option(label, value, description, parse_role(role) if role not in (None, "") else None))
    values = [o.value for o in options]
    duplicate = next((v for v in values if values.count(v) > 1), None)
    if duplicate is not None:
        raise UserError(f"Two options have the value {duplicate!r}; give them different values.")
    return options


def parse_followups(text: str) -> list[FollowUp]:
    """Follow-ups from JSON: ``{"<trigger>": {...}}`` or ``[{"when": "<trigger>", ...}]``.

    The trigger is an option value of the parent question, or ``"*"`` for any answer.
    """
    data = _load_json(text, "follow-ups")
    if isinstance(data, dict):
        items = []
        for when, body in data.items():
            if not isinstance(body, (dict, str)):
                raise UserError(f"The follow-up for {when!r} must be a question (text or an object).")
            items.append({"when": when, **({"question": body} if isinstance(body, str) else body)})
    elif isinstance(data, list):
        items = data
    else:
        raise UserError('The follow-ups must be a JSON object such as {"friend": {"question": "Who invited you?"}}.')
    if len(items) > MAX_FOLLOWUPS:
        raise UserError(f"A question can have at most {MAX_FOLLOWUPS} follow-ups.")
    followups: list[FollowUp] = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise UserError(f"Follow-up {index} must be an object with a question.")
        if "followup" in item or "followups" in item:
            raise UserError("A follow-up cannot have follow-ups of its own.")
        unknown = set(item) - _FOLLOWUP_KEYS
        if unknown:
            raise UserError(f"Follow-up {index} has unknown field(s): {', '.join(sorted(unknown))}.")
        when = item.get("when")
        if not isinstance(when, str) or not (when == ANY or _VALUE.fullmatch(when)):
            raise UserError(f"Follow-up {index} needs a trigger: an option value of the question, or \"*\".")
        kind = item.get("type", "text")
        if kind not in QUESTION_TYPES:
            raise UserError(f"Follow-up {index} has an unknown type {str(kind)[:20]!r} "
                            f"(one of: {', '.join(QUESTION_TYPES)}).")
        options = item.get("options")
        if options is not None and not isinstance(options, list):
            raise UserError(f"Follow-up {index}'s options must be a JSON list.")
        required = item.get("required", True)
        if not isinstance(required, bool):
            raise UserError(f"Follow-up {index}'s required must be true or false.")
        bounds: dict[str, Any] = {}
        for name in ("min_values", "max_values", "max_length"):
            value = item.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise UserError(f"Follow-up {index}'s {name} must be a whole number.")
            bounds[name] = value
        draft = QuestionDraft(text=item.get("question"), type=kind,  # type: ignore[arg-type]
                              options=_options_from(options or []), required=required, **bounds)
        followups.append(FollowUp(when, check_spec(draft, what=f"Follow-up {index}")))
    triggers = [f.when for f in followups]
    duplicate = next((t for t in triggers if triggers.count(t) > 1), None)
    if duplicate is not None:
        raise UserError(f"Two follow-ups have the trigger {duplicate!r}; one question per trigger.")
    return followups


# --- checking a whole question ------------------------------------------------------------------

def check_spec(draft: QuestionDraft, *, what: str = "The question") -> QuestionSpec:
    """The draft's spec, normalised, or a :class:`UserError` saying what is wrong."""
    text = draft.text
    if not isinstance(text, str) or not text.strip():
        raise UserError(f"{what} needs its text.")
    text = text.strip()
    if len(text) > QUESTION_MAX:
        raise UserError(f"{what} can have at most {QUESTION_MAX} characters ({len(text)} given).")
    if _CONTROL.search(text):
        raise UserError(f"{what} must not contain control characters.")
    if draft.type not in QUESTION_TYPES:
        raise UserError(f"{what} has an unknown type {draft.type!r} (one of: {', '.join(QUESTION_TYPES)}).")
    options = list(draft.options)
    min_values, max_values, max_length = draft.min_values, draft.max_values, draft.max_length
    if draft.type in CHOICE_TYPES:
        if len(options) < MIN_OPTIONS:
            raise UserError(f"{what} is a {draft.type} question: give it {MIN_OPTIONS} to {MAX_OPTIONS} options.")
        if len(options) > MAX_OPTIONS:
            raise UserError(f"A question can have at most {MAX_OPTIONS} options ({len(options)} given).")
        if max_length is not None:
            raise UserError(f"{what}: max_length is for text questions only.")
        if draft.type == "select":
            if min_values not in (None, 1) or max_values not in (None, 1):
                raise UserError(f"{what} is a single choice; make it a multiselect to allow several answers.")
            min_values = max_values = None
        else:
            min_values = 1 if min_values is None else min_values
            max_values = len(options) if max_values is None else max_values
            if not 1 <= min_values <= max_values <= len(options):
                raise UserError(f"{what}: pick at least 1 and at most {len(options)} answers, with the minimum "
                                f"not above the maximum (got {min_values} to {max_values}).")
    else:
        if options:
            raise UserError(f"{what}: options are for select and multiselect questions only.")
        if min_values is not None or max_values is not None:
            raise UserError(f"{what}: min_values and max_values are for multiselect questions only.")
        if draft.type == "text":
            max_length = TEXT_DEFAULT if max_length is None else max_length
            if not 1 <= max_length <= TEXT_MAX:
                raise UserError(f"{what}: max_length must be from 1 to {TEXT_MAX}.")
        else:
            if max_length is not None:
                raise UserError(f"{what}: an e-mail address has a fixed length limit.")
    return QuestionSpec(text, draft.type, tuple(options), bool(draft.required), min_values, max_values, max_length)


def check_question(draft: QuestionDraft, role_problem: Callable[[int], str | None]) -> tuple[QuestionSpec, list[FollowUp]]:
    """The whole question with its follow-ups; ``role_problem(id)`` vets each role it names."""
    spec = check_spec(draft)
    values = {o.value for o in spec.options}
    for followup in draft.followups:
        if followup.when != ANY and followup.when not in values:
            known = ", ".join(sorted(values)) if values else "none: use \"*\" for any answer"
            raise UserError(f"The follow-up trigger {followup.when!r} is not an option value of this question "
                            f"(values: {known}).")
    for option in _all_options(spec, draft.followups):
        if option.role_id is not None:
            problem = role_problem(option.role_id)
            if problem:
                raise UserError(f"Option {option.label!r}: {problem}")
    return spec, list(draft.followups)


def _all_options(spec: QuestionSpec, followups: Iterable[FollowUp]) -> Iterable[Option]:
    yield from spec.options
    for followup in followups:
        yield from followup.spec.options


def with_type(draft: QuestionDraft, new_type: str) -> QuestionDraft:
    """Changing a question's type drops the bounds that no longer apply."""
    if new_type == draft.type:
        return draft
    changed = replace(draft, type=new_type)
    if new_type not in CHOICE_TYPES:
        changed.options = []
    if new_type != "multiselect":
        changed.min_values = changed.max_values = None
    if new_type != "text":
        changed.max_length = None
    return changed


# --- rules ---------------------------------------------------------------------------------------

def check_rule_text(title: str | None, description: str | None) -> tuple[str | None, str | None]:
    if title is not None:
        title = title.strip()
        if not title or len(title) > RULE_TITLE_MAX or _CONTROL.search(title) or "\n" in title:
            raise UserError(f"A rule's title must be one line of 1 to {RULE_TITLE_MAX} characters.")
    if description is not None:
        description = description.strip()
        if not description or len(description) > RULE_DESCRIPTION_MAX or _CONTROL.search(description):
            raise UserError(f"A rule's description must be 1 to {RULE_DESCRIPTION_MAX:,} characters of text.")
    return title, description


def check_image_url(url: str | None, what: str) -> str | None:
    """An https URL (Discord shows only those reliably), or None to leave the field empty."""
    if url is None:
        return None
    url = url.strip()
    if url.lower() in ("", "none", "-"):
        return None
    if len(url) > URL_MAX or _CONTROL.search(url) or any(c.isspace() for c in url):
        raise UserError(f"The {what} must be an https:// link of at most {URL_MAX} characters.")
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname or "." not in parts.hostname:
        raise UserError(f"The {what} must be an https:// link (got {url[:60]!r}).")
    return url
