"""One text helper module: ``escape`` and ``safe`` replace the plugins' hand-written escapes."""

from __future__ import annotations

from alphapy import escape, safe

ZWSP = "\u200b"


def test_escape_makes_markdown_inert_and_mentions_unable_to_ping() -> None:
    assert escape("**raid** @everyone") == f"\\*\\*raid\\*\\* @{ZWSP}everyone"


def test_escape_can_keep_staff_markdown_and_still_defuse_mentions() -> None:
    assert escape("**raid** @here", markdown=False) == f"**raid** @{ZWSP}here"


def test_safe_folds_lines_unless_asked_to_keep_them() -> None:
    assert safe("first\nsecond\x07") == "first second "
    assert safe("first\nsecond\x07", keep_newlines=True) == "first\nsecond "


def test_safe_with_newlines_still_escapes_and_fits() -> None:
    text = safe("line *one*\n@everyone " + "word " * 50, 40, keep_newlines=True)
    assert text.startswith("line \\*one\\*\n@" + ZWSP) and len(text) <= 40


def test_escape_can_keep_mentions_that_should_show_as_names() -> None:
    assert escape("**Welcome** <@123>", mentions=False) == "\\*\\*Welcome\\*\\* <@123>"
