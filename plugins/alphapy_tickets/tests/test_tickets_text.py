"""Pure functions: what the AI reads (personal data removed), topic keys, the HTML transcript, member text.

The removal itself is the core's (``alphapy.personal_data``, tested in ``tests/test_personal_data.py``);
here, that the plugin applies it to everything it sends to the AI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alphapy_tickets.desk import clean_text
from alphapy_tickets.lifecycle import Status, Ticket
from alphapy_tickets.summary import (
    MAX_CONVERSATION,
    Said,
    conversation,
    similarity_key,
)
from alphapy_tickets.transcript import Line, render

from alphapy import UserError


def _sent(text: str) -> str:
    """What the AI reads of a member's message ``text``."""
    said = conversation("help", [Said(True, text)])
    return said[said.index("\nMember: ") + len("\nMember: "):]


@pytest.mark.parametrize(("text", "expected"), [
    ("write to jan.de.vries+help@example.co.uk today", "write to [e-mail] today"),
    ("call +31 6 1234 5678 or (020) 555-1234", "call [phone] or [phone]"),
    ("mobile 0612345678.", "mobile [phone]."),
    ("card 4111 1111 1111 1111, exp 12/27", "card [card number], exp 12/27"),
    ("card 4111-1111-1111-1111", "card [card number]"),
    ("IBAN NL91ABNA0417164300 and DE89 3704 0044 0532 0130 00 ok", "IBAN [IBAN] and [IBAN] ok"),
    # the core's removal also takes labelled names and order ids (dates, times, versions stay)
    ("on 2024-05-01 at 12:30, version 1.2.3, order 42", "on 2024-05-01 at 12:30, version 1.2.3, order [order id]"),
    ("Name: Jan de Vries\nAccount 123456789012", "Name: [name]\nAccount [number]"),
])
def test_personal_and_payment_details_never_reach_the_ai(text: str, expected: str) -> None:
    assert _sent(text) == expected


@pytest.mark.parametrize("text", [
    "on 2024-05-01 at 12:30, version 1.2.3, an order for 42 EUR",
    "Ticket #1234 was solved in 3 days",
    "ab12 this that word; room 101; call me at noon",
    "first line\nsecond line: still its own line",
])
def test_ordinary_text_reaches_the_ai_unchanged(text: str) -> None:
    assert _sent(text) == text


def test_similarity_key_is_short_and_normalised() -> None:
    assert similarity_key("Password Reset!!") == "password-reset"
    assert similarity_key("  Wachtwoord_vergeten 123 ") == "wachtwoord-vergeten"
    assert similarity_key("refund for a@b.com") == "refund-for-e-mail"
    assert similarity_key("!!!") is None
    assert len(similarity_key("word " * 100) or "") <= 64


def test_conversation_is_redacted_anonymous_and_bounded() -> None:
    text = conversation("I paid with 4111 1111 1111 1111",
                        [Said(True, "my mail is me@example.org"), Said(False, "Fixed it."), Said(True, "  ")])
    assert "4111" not in text and "me@example.org" not in text
    assert "Member: my mail is [e-mail]" in text and "Staff: Fixed it." in text
    long = conversation("help", [Said(True, f"message {n} " + "x" * 200) for n in range(500)])
    assert len(long) <= MAX_CONVERSATION + 1
    assert "message 499" in long and "message 0 " not in long  # the latest messages are kept


def _ticket(**changes: object) -> Ticket:
    now = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)
    values: dict[str, object] = {
        "id": 7, "guild_id": 1, "user_id": 42, "username": "<b>mallory</b>",
        "description": "<script>alert('x')</script>\n@everyone", "status": Status.ARCHIVED, "created_at": now,
        "channel_id": 5, "claimed_by": 43, "claimed_at": now, "updated_at": now, "escalated_to": None,
        "archived_at": now + timedelta(hours=2), "archived_by": 43, "message_id": 6, "escalated_at": None,
        "escalated_by": None, "closed_at": now + timedelta(hours=1), "closed_by": None,
        "close_reason": "\" onload=\"x", "autoclose_at": None,
    }
    values.update(changes)
    return Ticket(**values)  # type: ignore[arg-type]


def test_transcript_escapes_everything_people_wrote() -> None:
    when = datetime(2025, 3, 30, 1, 15, tzinfo=UTC)
    lines = [
        Line("mallory", 42, False, when, "<img src=x onerror=alert(1)> & \"quotes\"",
             attachments=[("<evil>.png", 2048)]),
        Line("Alphapy", 1, True, when, "", embeds=[("Ticket #7", "<i>desc</i>", [("Status", "<b>Open</b>")])]),
    ]
    page = render(_ticket(), guild_name="Guild & <Co>", lines=lines, timezone="Europe/Amsterdam",
                  staff_names={43: "sam<script>"})
    assert "<script>" not in page and "<img" not in page and "<evil>" not in page and "<b>mallory" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&quot; onload=&quot;x" in page and "Guild &amp; &lt;Co&gt;" in page and "sam&lt;script&gt;" in page
    assert "&lt;evil&gt;.png (2.0 KB; not kept)" in page
    assert "default-src 'none'" in page  # no script or remote content runs even if something slipped
    # times in the guild's timezone, across the switch to summer time at 01:00 UTC that day
    assert "2025-03-30 03:15:00 CEST" in page and "2025-03-30 01:30:00 CET" in page
    assert page.count('<section class="m') == 3  # the description and two messages


def test_clean_text_rules() -> None:
    assert clean_text("  hello\x00 world \x07\n", limit=20, what="description", required=True) == "hello  world"
    assert clean_text("a\nb\tc", limit=10, what="x", required=True) == "a\nb\tc"
    assert clean_text("   ", limit=10, what="reason", required=False) is None
    with pytest.raises(UserError, match="Please write a description: it cannot be empty."):
        clean_text(" \n ", limit=10, what="description", required=True)
    with pytest.raises(UserError, match=r"The description is too long \(4,001 characters; at most 4,000\)."):
        clean_text("x" * 4001, limit=4000, what="description", required=True)


def test_the_buttons_of_each_status_are_transitions_it_allows() -> None:
    from alphapy_tickets.lifecycle import ACTIONS_BY_STATUS, TRANSITIONS

    for status, actions in ACTIONS_BY_STATUS.items():
        for action in actions:
            assert status in TRANSITIONS[action].sources, (status, action)
    for action, rule in TRANSITIONS.items():
        assert rule.target not in rule.sources, action
        assert rule.who != "staff" or rule.staff_task, action  # every staff action can say who may take it
    assert not ACTIONS_BY_STATUS[Status.ARCHIVED]
