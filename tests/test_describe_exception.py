"""One exception describer for the core and the plugins: one line, secrets hidden, bounded."""

from __future__ import annotations

from alphapy import PluginManager, describe_exception
from alphapy.redaction import REDACTED, register_secrets


def test_a_multi_line_message_becomes_one_line_with_its_type() -> None:
    error = ValueError("hook answered badly\n  in plugin twice\n\n  at startup")
    assert describe_exception(error) == "ValueError: hook answered badly in plugin twice at startup"


def test_an_exception_without_a_message_is_its_type() -> None:
    assert describe_exception(TimeoutError()) == "TimeoutError"


def test_a_long_message_is_cut_to_the_limit() -> None:
    described = describe_exception(RuntimeError("x" * 1000), limit=50)
    assert len(described) == 50 and described.endswith("...")


def test_secrets_in_the_message_are_hidden() -> None:
    register_secrets(["describer-secret-7f3a"])
    described = describe_exception(OSError("cannot reach postgresql://bot:describer-secret-7f3a@db/alphapy"))
    assert "describer-secret-7f3a" not in described and REDACTED in described


def test_a_failed_plugin_shows_no_secret_to_the_host() -> None:
    register_secrets(["plugin-secret-91bc"])
    plugins = PluginManager()
    plugins.mark_failed("leaky", RuntimeError("login failed for token plugin-secret-91bc\nretry later"))
    assert plugins.infos["leaky"].error == f"RuntimeError: login failed for token {REDACTED} retry later"
