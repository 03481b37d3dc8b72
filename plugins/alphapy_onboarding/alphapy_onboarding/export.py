"""The CSV of a guild's responses: the only place a host sees e-mail addresses.

One row per member who finished, one column per question (follow-ups beside their
parent), then the personalization keys. Answers to questions removed since are kept in
columns of their own rather than lost. Cells that a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@``) are defused with a leading apostrophe (OWASP's advice on CSV
injection), since members type them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from alphapy_onboarding.flow import LANGUAGE, OPT_IN, OPT_IN_CHOICES
from alphapy_onboarding.questions import Question, QuestionSpec

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _cell(spec: QuestionSpec | None, answer: Any, present: bool) -> str:
    if not present:
        return ""
    if answer is None:
        return "(skipped)"
    if isinstance(answer, list):
        return "; ".join(spec.label_of(v) if spec else str(v) for v in answer)
    if spec is not None and spec.options:
        return spec.label_of(str(answer))
    return str(answer)


def responses_csv(questions: Iterable[Question], rows: Iterable[Mapping[str, Any]],
                  name_of: Callable[[int], str]) -> bytes:
    columns: list[tuple[str, str, QuestionSpec | None]] = []  # (answer key, header, spec)
    for number, question in enumerate(questions, start=1):
        columns.append((question.key, f"{number}. {question.spec.text[:100]}", question.spec))
        for followup in question.followups:
            trigger = "any answer" if followup.when == "*" else question.spec.label_of(followup.when)
            columns.append((f"{question.key}.{followup.when}", (f"{number}. follow-up ({trigger[:40]}): "
                            f"{followup.spec.text[:80]}"), followup.spec))
    rows = list(rows)
    known = {key for key, _, _ in columns} | {OPT_IN, LANGUAGE}
    extra = sorted({key for row in rows for key in (row["responses"] or {}) if key not in known})
    columns.extend((key, f"answer {key} (question removed)", None) for key in extra)
    opt_in_labels: dict[str, str] = dict(OPT_IN_CHOICES)

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([defuse(h) for h in ["user_id", "member", "completed_at_utc", *(h for _, h, _ in columns),
                                           OPT_IN, LANGUAGE]])
    for row in rows:
        answers: dict[str, Any] = row["responses"] or {}
        finished: datetime | None = row["timestamp"]
        cells = [str(row["user_id"]), name_of(row["user_id"]),
                 finished.isoformat(timespec="seconds") if finished else ""]
        cells += [_cell(spec, answers.get(key), key in answers) for key, _, spec in columns]
        opt_in: str | None = answers.get(OPT_IN)
        cells += [opt_in_labels.get(opt_in, opt_in) if opt_in is not None else "", answers.get(LANGUAGE) or ""]
        writer.writerow([defuse(c) for c in cells])
    return out.getvalue().encode("utf-8-sig")  # the BOM makes spreadsheet programs read UTF-8
