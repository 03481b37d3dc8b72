"""The core's text fitting: cuts where a reader expects one, never inside markup."""

from __future__ import annotations

import re

import discord
import pytest

from alphapy.cogs.text import EMBED_TOTAL, clip, embed_length, fit, fit_embed, fit_embeds, fit_lines, safe

MARKUP = re.compile(r"<[^<>]*>")


def balanced(text: str) -> bool:
    """Every mention/timestamp/emoji is whole and every paired marker is closed."""
    for match in MARKUP.finditer(text):
        assert re.fullmatch(r"<(@[!&]?\d+|#\d+|t:\d+(:[tTdDfFR])?|a?:\w+:\d+)>", match.group()), match.group()
    stripped = MARKUP.sub("", text.replace("\\*", "").replace("\\_", ""))
    return all(stripped.count(marker) % 2 == 0 for marker in ("**", "`", "~~", "||"))


def test_short_text_is_untouched():
    assert fit("hello world", 11) == "hello world"


def test_cut_at_a_word():
    assert fit("the quick brown fox jumps", 14) == "the quick…"


def test_cut_prefers_a_line_end():
    text = "first line is here\nsecond line goes on and on"
    assert fit(text, 25) == "first line is here…"


@pytest.mark.parametrize("limit", range(2, 120))
def test_hostile_markup_at_every_cut_point(limit):
    text = ("**bold <@123456789012345678> words** `code with <#42> inside` "
            "<t:1700000000:R> <:party:987654321098765432> [a link](https://example.com/x) "
            "||spoiler text|| ~~gone~~ <@&55555> end")
    out = fit(text, limit)
    assert len(out) <= limit
    assert balanced(out), out
    assert "](" not in out or "[a link](https://example.com/x)" in out


def test_a_mention_at_the_cut_is_kept_whole_or_left_out():
    text = "ping " + "<@123456789012345678>" * 3
    for limit in range(6, len(text)):
        out = fit(text, limit)
        assert len(out) <= limit
        assert re.fullmatch(r"ping( ?)(<@123456789012345678>)*…", out), out


def test_bold_cut_inside_is_closed():
    assert fit("**" + "word " * 50 + "**", 30) == "**word word word word word**…"


def test_escaped_markdown_never_loses_its_backslash():
    text = discord.utils.escape_markdown("*" * 100)
    out = fit(text, 51)
    assert len(out) <= 51 and not out.rstrip("…").endswith("\\") and out.count("\\") * 2 == len(out) - 1


def test_a_lone_star_is_plain_text():
    assert fit("5 * 3 is fifteen and so on", 18) == "5 * 3 is fifteen…"


def test_safe_counts_its_escapes():
    out = safe("**x** " * 50, 40)
    assert len(out) <= 40 and balanced(out)


def test_clip_is_fit():
    assert clip("a b c d e f", 6) == fit("a b c d e f", 6)


def test_lines_say_how_many_were_left_out():
    lines = [f"item {i}" for i in range(100)]
    out = fit_lines(lines, 60)
    assert len(out) <= 60
    kept = out.splitlines()
    assert kept[-1] == f"… and {100 - len(kept) + 1} more"
    assert kept[:-1] == lines[: len(kept) - 1]


def test_one_huge_line_is_cut_not_dropped():
    out = fit_lines(["word " * 1000, "second"], 100)
    assert len(out) <= 100
    assert out.startswith("word") and out.endswith("… and 1 more")


def test_lines_that_fit_are_unchanged():
    assert fit_lines(["a", "b"], 3) == "a\nb"


def big_embed() -> discord.Embed:
    embed = discord.Embed(title="**t**" * 100, description="<@1> **bold** " * 600)
    for index in range(30):
        embed.add_field(name=f"field {index} " * 40, value="<t:1700000000:R> text " * 80)
    embed.add_field(name="", value="")
    embed.set_footer(text="f " * 2000)
    embed.set_author(name="a " * 200)
    return embed


def test_embed_is_cut_to_every_limit():
    embed = fit_embed(big_embed())
    data = embed.to_dict()
    assert embed_length([embed]) <= EMBED_TOTAL
    assert len(data["title"]) <= 256 and len(data["description"]) <= 4096
    assert len(data["footer"]["text"]) <= 2048 and len(data["author"]["name"]) <= 256
    assert len(data["fields"]) <= 25
    for field in data["fields"]:
        assert 0 < len(field["name"]) <= 256 and 0 < len(field["value"]) <= 1024
        assert balanced(field["value"])
    assert balanced(data["description"])
    assert data["fields"][-1]["value"].endswith("more")


def test_embeds_of_one_message_share_6000():
    embeds = fit_embeds([big_embed(), big_embed()])
    assert embed_length(embeds) <= EMBED_TOTAL


def test_empty_field_gets_a_dash():
    embed = fit_embed(discord.Embed().add_field(name="", value=""))
    assert embed.fields[0].name == "—" and embed.fields[0].value == "—"


def test_unshown_items_are_counted_in_the_more_line():
    assert fit_lines(["a", "b"], 100, unshown=3) == "a\nb\n… and 3 more"
    out = fit_lines([f"item {i}" for i in range(50)], 40, unshown=10)
    kept = out.splitlines()
    assert len(out) <= 40 and kept[-1] == f"… and {60 - len(kept) + 1} more"


@pytest.mark.parametrize("limit", range(1, 80))
def test_lines_fit_every_limit(limit):
    lines = ["**a** <@1>", "b" * 30, "c c c c c c c c c c c"]
    out = fit_lines(lines, limit, unshown=2)
    assert len(out) <= limit


def test_many_embeds_with_long_authors_share_6000():
    embeds = []
    for _ in range(10):
        embed = discord.Embed(title="t" * 256, description="d " * 2000).set_author(name="a" * 256)
        embed.add_field(name="n" * 256, value="v " * 512)
        embeds.append(embed)
    assert embed_length(fit_embeds(embeds)) <= EMBED_TOTAL


def test_stars_between_spaces_are_arithmetic_not_emphasis():
    assert fit("5 * 3 * 2 is thirty and more words", 14) == "5 * 3 * 2 is…"
