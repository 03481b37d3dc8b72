"""The emulator refuses what Discord refuses: one body just inside each documented limit
is accepted, one just outside is answered ``400 Invalid Form Body`` (50035) with the
``errors`` tree naming the field, over the emulator's real HTTP path."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from alphapy.discord_rules.messages import RULES
from alphapy.testing.emulator import DiscordEmulator
from alphapy.testing.emulator.interactions import APPLICATION_COMMAND, AUTOCOMPLETE, Interaction

Body = dict[str, Any]


def text(n: int) -> str:
    return "x" * n


def embed(**fields: Any) -> Body:
    return {"title": "t", **fields}


def buttons(n: int, prefix: str = "b") -> Body:
    row = [{"type": 2, "style": 1, "label": "L", "custom_id": f"{prefix}{i}"} for i in range(n)]
    return {"type": 1, "components": row}


def select(custom_id: str = "s", *, options: int = 2, min_values: int = 1, max_values: int = 1) -> Body:
    return {
        "type": 3,
        "custom_id": custom_id,
        "min_values": min_values,
        "max_values": max_values,
        "options": [{"label": f"o{i}", "value": f"v{i}"} for i in range(options)],
    }


def row(*components: Body) -> Body:
    return {"type": 1, "components": list(components)}


def text_input(custom_id: str = "f", **fields: Any) -> Body:
    return {"type": 4, "custom_id": custom_id, "style": 1, "label": "Field", **fields}


def modal(*rows: Body, title: str = "Form") -> Body:
    return {"type": 9, "data": {"custom_id": "m", "title": title, "components": list(rows)}}


def choices(n: int, value: str = "v") -> Body:
    return {"type": 8, "data": {"choices": [{"name": f"c{i}", "value": value} for i in range(n)]}}


def fields(n: int, name: str = "n", value: str = "v") -> list[Body]:
    return [{"name": name, "value": value} for _ in range(n)]


# (rule, body just inside, body just outside, error path, code). Message bodies go to a
# channel send; "callback" bodies are whole interaction callbacks.
MESSAGE_CASES: list[tuple[str, Body, Body, str, str]] = [
    ("message.content.max_length", {"content": text(2000)}, {"content": text(2001)}, "content", "BASE_TYPE_MAX_LENGTH"),
    ("message.embeds.max_items", {"embeds": [embed()] * 10}, {"embeds": [embed()] * 11}, "embeds",
     "BASE_TYPE_MAX_LENGTH"),
    ("embed.title.max_length", {"embeds": [{"title": text(256)}]}, {"embeds": [{"title": text(257)}]},
     "embeds.0.title", "BASE_TYPE_MAX_LENGTH"),
    ("embed.description.max_length", {"embeds": [{"description": text(4096)}]},
     {"embeds": [{"description": text(4097)}]}, "embeds.0.description", "BASE_TYPE_MAX_LENGTH"),
    ("embed.fields.max_items", {"embeds": [embed(fields=fields(25))]}, {"embeds": [embed(fields=fields(26))]},
     "embeds.0.fields", "BASE_TYPE_MAX_LENGTH"),
    ("embed.field.name.length", {"embeds": [embed(fields=fields(1, name=text(256)))]},
     {"embeds": [embed(fields=fields(1, name=text(257)))]}, "embeds.0.fields.0.name", "BASE_TYPE_MAX_LENGTH"),
    ("embed.field.name.length", {"embeds": [embed(fields=fields(1, name="n"))]},
     {"embeds": [embed(fields=fields(1, name=""))]}, "embeds.0.fields.0.name", "BASE_TYPE_REQUIRED"),
    ("embed.field.value.length", {"embeds": [embed(fields=fields(1, value=text(1024)))]},
     {"embeds": [embed(fields=fields(1, value=text(1025)))]}, "embeds.0.fields.0.value", "BASE_TYPE_MAX_LENGTH"),
    ("embed.field.value.length", {"embeds": [embed(fields=fields(1, value="v"))]},
     {"embeds": [embed(fields=fields(1, value=""))]}, "embeds.0.fields.0.value", "BASE_TYPE_REQUIRED"),
    ("embed.footer.text.max_length", {"embeds": [{"footer": {"text": text(2048)}}]},
     {"embeds": [{"footer": {"text": text(2049)}}]}, "embeds.0.footer.text", "BASE_TYPE_MAX_LENGTH"),
    ("embed.author.name.max_length", {"embeds": [{"author": {"name": text(256)}}]},
     {"embeds": [{"author": {"name": text(257)}}]}, "embeds.0.author.name", "BASE_TYPE_MAX_LENGTH"),
    ("message.embeds.total_length", {"embeds": [{"description": text(4000)}, {"description": text(2000)}]},
     {"embeds": [{"description": text(4000)}, {"description": text(2001)}]}, "embeds", "MAX_EMBED_SIZE_EXCEEDED"),
    ("message.components.max_rows", {"components": [buttons(1, f"r{i}-") for i in range(5)]},
     {"components": [buttons(1, f"r{i}-") for i in range(6)]}, "components", "BASE_TYPE_MAX_LENGTH"),
    ("component.row.width", {"components": [buttons(5)]}, {"components": [buttons(6)]},
     "components.0.components", "COMPONENT_LAYOUT_WIDTH_EXCEEDED"),
    ("component.row.width", {"components": [row(select())]},
     {"components": [row(select(), {"type": 2, "style": 1, "label": "L", "custom_id": "b"})]},
     "components.0.components", "COMPONENT_LAYOUT_WIDTH_EXCEEDED"),
    ("component.custom_id.length", {"components": [row(select(text(100)))]}, {"components": [row(select(text(101)))]},
     "components.0.components.0.custom_id", "BASE_TYPE_BAD_LENGTH"),
    ("component.custom_id.unique", {"components": [buttons(1, "a"), buttons(1, "b")]},
     {"components": [buttons(1, "a"), buttons(1, "a")]}, "components.1.components.0.custom_id",
     "COMPONENT_CUSTOM_ID_DUPLICATED"),
    ("select.values.range", {"components": [row(select(min_values=2, max_values=2))]},
     {"components": [row(select(min_values=3, max_values=2))]}, "components.0.components.0.min_values",
     "SELECT_COMPONENT_VALUES_INVALID"),
    ("select.values.range", {"components": [row(select(options=3, max_values=3))]},
     {"components": [row(select(options=2, max_values=3))]}, "components.0.components.0.max_values",
     "SELECT_COMPONENT_VALUES_INVALID"),
    ("select.options.max_items", {"components": [row(select(options=25))]}, {"components": [row(select(options=26))]},
     "components.0.components.0.options", "BASE_TYPE_MAX_LENGTH"),
]

CALLBACK_CASES: list[tuple[str, Body, Body, str, str]] = [
    ("message.content.max_length", {"type": 4, "data": {"content": text(2000)}},
     {"type": 4, "data": {"content": text(2001)}}, "data.content", "BASE_TYPE_MAX_LENGTH"),
    ("embed.description.max_length", {"type": 4, "data": {"embeds": [{"description": text(4096)}]}},
     {"type": 4, "data": {"embeds": [{"description": text(4097)}]}}, "data.embeds.0.description",
     "BASE_TYPE_MAX_LENGTH"),
    ("modal.title.length", modal(row(text_input()), title=text(45)), modal(row(text_input()), title=text(46)),
     "data.title", "BASE_TYPE_BAD_LENGTH"),
    ("modal.components.count", modal(*(row(text_input(f"f{i}")) for i in range(5))),
     modal(*(row(text_input(f"f{i}")) for i in range(6))), "data.components", "BASE_TYPE_BAD_LENGTH"),
    ("modal.components.count", modal(row(text_input())), modal(), "data.components", "BASE_TYPE_BAD_LENGTH"),
    ("modal.row.width", modal(row(text_input("a")), row(text_input("b"))), modal(row(text_input("a"), text_input("b"))),
     "data.components.0.components", "COMPONENT_LAYOUT_WIDTH_EXCEEDED"),
    ("text_input.length.range", modal(row(text_input(min_length=10, max_length=10))),
     modal(row(text_input(min_length=11, max_length=10))), "data.components.0.components.0.min_length",
     "TEXT_INPUT_LENGTHS_INVALID"),
    ("text_input.value.max_length", modal(row(text_input(max_length=10, value=text(10)))),
     modal(row(text_input(max_length=10, value=text(11)))), "data.components.0.components.0.value",
     "BASE_TYPE_MAX_LENGTH"),
    ("text_input.label.max_length", modal(row(text_input(label=text(45)))), modal(row(text_input(label=text(46)))),
     "data.components.0.components.0.label", "BASE_TYPE_MAX_LENGTH"),
    ("component.custom_id.unique", modal(row(text_input("a")), row(text_input("b"))),
     modal(row(text_input("a")), row(text_input("a"))), "data.components.1.components.0.custom_id",
     "COMPONENT_CUSTOM_ID_DUPLICATED"),
    ("autocomplete.choices.max_items", choices(25), choices(26), "data.choices", "BASE_TYPE_MAX_LENGTH"),
    ("autocomplete.choice.value.max_length", choices(1, text(100)), choices(1, text(101)), "data.choices.0.value",
     "BASE_TYPE_MAX_LENGTH"),
    ("autocomplete.choice.name.length", {"type": 8, "data": {"choices": [{"name": text(100), "value": "v"}]}},
     {"type": 8, "data": {"choices": [{"name": text(101), "value": "v"}]}}, "data.choices.0.name",
     "BASE_TYPE_BAD_LENGTH"),
]


def leaf(errors: Body, path: str) -> list[Body]:
    """The ``_errors`` list at ``path`` of Discord's nested tree."""
    node = errors
    for part in path.split("."):
        node = node[part]
    return node["_errors"]


@pytest.fixture
async def http(emu: DiscordEmulator) -> AsyncIterator[Callable[..., Any]]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:

        async def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
            async with session.request(method, emu.api_base + path, json=body) as resp:
                return resp.status, await resp.json() if resp.content_type == "application/json" else None

        yield call


def new_interaction(emu: DiscordEmulator, kind: int = APPLICATION_COMMAND) -> Interaction:
    """An interaction the bot received (no bot runs here: the test answers it itself)."""
    guild = emu.guilds[0]
    owner = guild.members[guild.owner_id]
    interaction = Interaction(
        emu.state.ids.next(), kind, owner.user, owner, guild, guild.channel("general"), {"name": "t"}, name="test"
    )
    emu.interactions.register(interaction)
    return interaction


def assert_refused(status: int, answer: Any, path: str, code: str) -> None:
    assert status == 400, answer
    assert answer["code"] == 50035 and answer["message"] == "Invalid Form Body"
    assert code in [e["code"] for e in leaf(answer["errors"], path)], answer["errors"]


@pytest.mark.parametrize(("rule", "inside", "outside", "path", "code"), MESSAGE_CASES,
                         ids=[f"{c[0]}-{c[4]}" for c in MESSAGE_CASES])
async def test_message_limits(emu: DiscordEmulator, http, rule: str, inside: Body, outside: Body, path: str,
                              code: str) -> None:
    general = emu.add_guild("Limits").channel("general")
    status, answer = await http("POST", f"/channels/{general.id}/messages", inside)
    assert status == 200, answer
    status, answer = await http("POST", f"/channels/{general.id}/messages", outside)
    assert_refused(status, answer, path, code)
    assert [rule in r.errors.rules() for r in emu.refusals] == [True]
    emu.refusals.clear()


@pytest.mark.parametrize(("rule", "inside", "outside", "path", "code"), CALLBACK_CASES,
                         ids=[f"{c[0]}-{c[4]}" for c in CALLBACK_CASES])
async def test_interaction_callback_limits(emu: DiscordEmulator, http, rule: str, inside: Body, outside: Body,
                                           path: str, code: str) -> None:
    emu.add_guild("Limits")
    kind = AUTOCOMPLETE if inside["type"] == 8 else APPLICATION_COMMAND
    accepted = new_interaction(emu, kind)
    status, answer = await http("POST", f"/interactions/{accepted.id}/{accepted.token}/callback", inside)
    assert status == 204, answer
    refused = new_interaction(emu, kind)
    status, answer = await http("POST", f"/interactions/{refused.id}/{refused.token}/callback", outside)
    assert_refused(status, answer, path, code)
    assert refused.response_type is None  # nothing was shown
    assert [rule in r.errors.rules() for r in emu.refusals] == [True]
    emu.refusals.clear()


@pytest.mark.parametrize("route", ["followup", "edit original", "edit channel message"])
async def test_content_is_2000_on_every_route_that_posts_or_edits(emu: DiscordEmulator, http, route: str) -> None:
    general = emu.add_guild("Limits").channel("general")
    interaction = new_interaction(emu)
    assert (await http("POST", f"/interactions/{interaction.id}/{interaction.token}/callback", {"type": 5}))[0] == 204
    app = emu.application.id
    if route == "followup":
        method, path = "POST", f"/webhooks/{app}/{interaction.token}"
    elif route == "edit original":
        method, path = "PATCH", f"/webhooks/{app}/{interaction.token}/messages/@original"
    else:
        status, sent = await http("POST", f"/channels/{general.id}/messages", {"content": "hi"})
        method, path = "PATCH", f"/channels/{general.id}/messages/{sent['id']}"
    status, answer = await http(method, path, {"content": text(2000)})
    assert status in (200, 204), answer
    status, answer = await http(method, path, {"content": text(2001)})
    assert_refused(status, answer, "content", "BASE_TYPE_MAX_LENGTH")
    emu.refusals.clear()


@pytest.mark.parametrize("method", ["PATCH", "POST"])
async def test_channel_topic_is_1024(emu: DiscordEmulator, http, method: str) -> None:
    guild = emu.add_guild("Limits")
    general = guild.channel("general")
    path = f"/channels/{general.id}" if method == "PATCH" else f"/guilds/{guild.id}/channels"
    status, answer = await http(method, path, {"name": "topic", "topic": text(1024)})
    assert status in (200, 201), answer
    status, answer = await http(method, path, {"name": "topic", "topic": text(1025)})
    assert_refused(status, answer, "topic", "BASE_TYPE_MAX_LENGTH")
    emu.refusals.clear()


async def test_channel_name_is_1_to_100(emu: DiscordEmulator, http) -> None:
    guild = emu.add_guild("Limits")
    status, answer = await http("POST", f"/guilds/{guild.id}/channels", {"name": text(100)})
    assert status == 201, answer
    status, answer = await http("POST", f"/guilds/{guild.id}/channels", {"name": text(101)})
    assert_refused(status, answer, "name", "BASE_TYPE_BAD_LENGTH")
    assert "channel.name.length" in emu.refusals[0].errors.rules()
    emu.refusals.clear()


def test_every_rule_is_in_the_table_with_its_source() -> None:
    table = (Path(__file__).resolve().parents[2] / "docs" / "discord-limits.md").read_text()
    for name, (_limit, source) in RULES.items():
        assert f"| `{name}` |" in table and source in table, name


async def test_a_test_allows_one_named_rule_only(emu: DiscordEmulator, http) -> None:
    general = emu.add_guild("Limits").channel("general")
    emu.allow("message.content.max_length")
    status, answer = await http("POST", f"/channels/{general.id}/messages", {"content": text(2001)})
    assert status == 200 and general.messages[-1].content == text(2001)
    status, answer = await http("POST", f"/channels/{general.id}/messages", {"embeds": [{"title": text(257)}]})
    assert_refused(status, answer, "embeds.0.title", "BASE_TYPE_MAX_LENGTH")
    emu.refusals.clear()
    with pytest.raises(ValueError, match="unknown rule"):
        emu.allow("message.content.maxlength")


async def test_the_spec_is_enforced_too(emu: DiscordEmulator, http) -> None:
    """A body the OpenAPI description refuses is answered 400, not only recorded."""
    if emu.spec is None:
        pytest.skip("no OpenAPI description loaded")
    general = emu.add_guild("Limits").channel("general")
    status, answer = await http("POST", f"/channels/{general.id}/messages", {"content": "hi", "tts": "yes"})
    assert_refused(status, answer, "tts", "BASE_TYPE_INVALID")
    assert [r.errors.rules() for r in emu.refusals] == [{"openapi.request"}]
    emu.refusals.clear()


async def test_a_plain_emulator_refuses_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """``alphapy run`` without a token, ``alphapy demo`` and the benchmarks build a plain
    ``DiscordEmulator()`` outside pytest: the same rules and the shipped description apply."""
    monkeypatch.delenv("ALPHAPY_DISCORD_OPENAPI", raising=False)
    async with DiscordEmulator() as emu:
        general = emu.add_guild("Offline").channel("general")
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
            url = f"{emu.api_base}/channels/{general.id}/messages"
            async with session.post(url, json={"content": text(2001)}) as resp:
                assert_refused(resp.status, await resp.json(), "content", "BASE_TYPE_MAX_LENGTH")
            async with session.post(url, json={"content": "hi", "tts": "yes"}) as resp:
                assert_refused(resp.status, await resp.json(), "tts", "BASE_TYPE_INVALID")
    assert general.messages == []
