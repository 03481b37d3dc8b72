"""``alphapy.redaction``: which values count as secrets and how text is cleaned of them."""

from __future__ import annotations

import pytest

from alphapy.redaction import redact_text, register_secrets, secrets_in, url_password


@pytest.mark.parametrize(("value", "password"), [
    ("postgresql://alphapy:pw-1@db:5432/alphapy", "pw-1"),
    ("postgresq://alphapy:pw-2@db/alphapy", "pw-2"),       # mistyped scheme
    ("postgresql//alphapy:pw-3@db/alphapy", "pw-3"),       # colon forgotten
    ("postgresql:/alphapy:pw-4@db/alphapy", "pw-4"),       # a slash forgotten
    ("postgresql:alphapy:pw-5@db/alphapy", "pw-5"),        # both slashes forgotten
    ("alphapy:pw-6@db/alphapy", "pw-6"),                   # no scheme at all
    ("ws://gw:p@ss:w@rd@127.0.0.1/", "p@ss:w@rd"),         # unescaped @ and : in the password
    ("postgresql://alphapy@db/alphapy", None),
    ("postgresql://postgres:@/postgres?host=/tmp/pg", None),
    ("https://discord.com/api/v10", None),
    ("someone@example.com", None),
])
def test_the_password_of_a_url_like_value_is_found(value: str, password: str | None) -> None:
    assert url_password(value) == password


def test_secrets_are_values_of_secret_names_and_url_passwords() -> None:
    found = secrets_in({"PREMIUM_WEBHOOK_SECRET": "whsec-abc", "MY_API_KEY": "key-abc", "DATABASE_URL":
                        "postgresql://a:p%40ss-word@db/x", "HEALTH_PORT": "8080", "PROMPT_TOKENS": "12345678"})
    assert set(found) == {"whsec-abc", "key-abc", "p%40ss-word", "p@ss-word"}


def test_known_secrets_and_secret_shapes_are_hidden() -> None:
    register_secrets(["short", "registered-value", "registered-value-longer"])
    text = ("registered-value-longer, registered-value, short, scheme//u:typo-pw@h, "
            "postgresql://u:pw@h/db, Bearer abcdefghijkl")
    assert redact_text(text) == "***, ***, short, scheme//u:***@h, postgresql://u:***@h/db, Bearer ***"
