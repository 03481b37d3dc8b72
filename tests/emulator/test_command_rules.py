"""The emulator refuses a command list Discord refuses: one definition just inside each rule
is accepted, one just outside is answered ``400`` (50035) with the ``errors`` tree naming the
field, on the global and the guild bulk overwrite alike."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from alphapy.discord_rules.commands import bulk_overwrite_errors
from alphapy.testing.emulator import DiscordEmulator
from alphapy.testing.emulator.fixtures import running_emulator
from alphapy.testing.emulator.spec import ENV_VAR

Body = list[dict[str, Any]]


@pytest.fixture
async def emu(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordEmulator]:
    """Without the OpenAPI description, so that every answer comes from the command rules:
    the description catches some of the same bodies with vaguer paths, and it types the leaf
    codes of an ``errors`` tree as integers where Discord sends strings."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    async with running_emulator(openapi_spec=False) as emulator:
        yield emulator


def slash(name: str = "ping", description: str = "Ping", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": 1, "description": description, **extra}


def option(name: str = "text", *, kind: int = 3, required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "description": "An option", "required": required, **extra}


def choices(count: int, value: Callable[[int], str] = str) -> list[dict[str, Any]]:
    return [{"name": f"choice {i}", "value": value(i)} for i in range(count)]


def subcommand(name: str, options: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"name": name, "type": 1, "description": "A subcommand", "options": options or []}


def sized(total: int) -> dict[str, Any]:
    """A command whose counted characters (names, descriptions, choice names and values) are ``total``."""
    entries = [{"name": "n" * 100, "value": "v" * 100} for _ in range(18)]
    command = slash("big", "d" * 100, options=[option("o", description="x" * 100, choices=entries)])
    counted = 3 + 100 + 1 + 100 + 18 * 200  # 3804
    entries.append({"name": "n" * (total - counted - 100), "value": "v" * 100})
    return command


# rule -> (just inside, just outside, the path of the refused field)
CASES: dict[str, tuple[Body, Body, str]] = {
    "command.name.pattern (lower-case)": ([slash("ping")], [slash("Ping")], "0.name"),
    "command.name.pattern (characters)": ([slash("ping-it_now")], [slash("ping it")], "0.name"),
    "command.name.pattern (length)": ([slash("p" * 32)], [slash("p" * 33)], "0.name"),
    "command.name.length (user command)": ([{"name": "U" * 32, "type": 2}], [{"name": "U" * 33, "type": 2}],
                                           "0.name"),
    "command.description.length (long)": ([slash(description="d" * 100)], [slash(description="d" * 101)],
                                          "0.description"),
    "command.description.length (empty)": ([slash(description="d")], [slash(description="")], "0.description"),
    "command.options.max": ([slash(options=[option(f"o{i}") for i in range(25)])],
                            [slash(options=[option(f"o{i}") for i in range(26)])], "0.options"),
    "command.options.max (subcommand)": (
        [slash(options=[subcommand("sub", [option(f"o{i}") for i in range(25)])])],
        [slash(options=[subcommand("sub", [option(f"o{i}") for i in range(26)])])], "0.options.0.options"),
    "command.options.required_first": ([slash(options=[option("a", required=True), option("b")])],
                                       [slash(options=[option("a"), option("b", required=True)])],
                                       "0.options.1.required"),
    "command.options.required_first (subcommand)": (
        [slash(options=[subcommand("sub", [option("a", required=True), option("b")])])],
        [slash(options=[subcommand("sub", [option("a"), option("b", required=True)])])],
        "0.options.0.options.1.required"),
    "command.options.no_mixing": ([slash(options=[subcommand("one"), subcommand("two")])],
                                  [slash(options=[subcommand("one"), option("two")])], "0.options"),
    "option.name.pattern": ([slash(options=[option("text")])], [slash(options=[option("Text")])],
                            "0.options.0.name"),
    "option.description.length": ([slash(options=[option(description="o" * 100)])],
                                  [slash(options=[option(description="o" * 101)])], "0.options.0.description"),
    "option.choices.max": ([slash(options=[option(choices=choices(25))])],
                           [slash(options=[option(choices=choices(26))])], "0.options.0.choices"),
    "option.choices.value.length": ([slash(options=[option(choices=choices(1, lambda i: "v" * 100))])],
                                    [slash(options=[option(choices=choices(1, lambda i: "v" * 101))])],
                                    "0.options.0.choices.0.value"),
    "option.choices.name.length": (
        [slash(options=[option(choices=[{"name": "n" * 100, "value": "v"}])])],
        [slash(options=[option(choices=[{"name": "n" * 101, "value": "v"}])])], "0.options.0.choices.0.name"),
    "option.autocomplete.choices": ([slash(options=[option(autocomplete=True)])],
                                    [slash(options=[option(autocomplete=True, choices=choices(2))])],
                                    "0.options.0.autocomplete"),
    "option.min_max (value)": ([slash(options=[option(kind=4, min_value=5, max_value=5)])],
                               [slash(options=[option(kind=4, min_value=6, max_value=5)])],
                               "0.options.0.min_value"),
    "option.min_max (length)": ([slash(options=[option(min_length=5, max_length=5)])],
                                [slash(options=[option(min_length=6, max_length=5)])], "0.options.0.min_length"),
    "command.size": ([sized(4000)], [sized(4001)], "0"),
    "commands.chat_input.max": ([slash(f"c{i}") for i in range(100)], [slash(f"c{i}") for i in range(101)], ""),
    "commands.name.unique": ([slash("ping"), {"name": "ping", "type": 2}], [slash("ping"), slash("ping")],
                             "1.name"),
}


def leaf(tree: dict[str, Any], path: str) -> list[dict[str, Any]]:
    node = tree
    for part in filter(None, path.split(".")):
        node = node[part]
    return node["_errors"]


async def put(emu: DiscordEmulator, route: str, body: Body) -> tuple[int, Any]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
        async with session.put(f"{emu.api_base}{route}", json=body) as response:
            return response.status, await response.json()


@pytest.fixture(params=["global", "guild"])
def route(request: pytest.FixtureRequest, emu: DiscordEmulator) -> str:
    app = emu.application.id
    if request.param == "global":
        return f"/applications/{app}/commands"
    return f"/applications/{app}/guilds/{emu.add_guild('Rules').id}/commands"


@pytest.mark.parametrize("rule", list(CASES))
async def test_just_inside_is_accepted_and_just_outside_refused(emu: DiscordEmulator, route: str,
                                                                rule: str) -> None:
    inside, outside, path = CASES[rule]
    status, accepted = await put(emu, route, inside)
    assert status == 200, accepted
    assert [c["name"] for c in accepted] == [c["name"] for c in inside]

    status, refused = await put(emu, route, outside)
    assert (status, refused["code"], refused["message"]) == (400, 50035, "Invalid Form Body")
    assert leaf(refused["errors"], path), refused["errors"]
    rule_name = rule.split(" ")[0]
    assert rule_name in bulk_overwrite_errors(outside).rules()
    assert [rule_name in r.errors.rules() for r in emu.refusals] == [True]
    emu.refusals.clear()
    # a refused list changes nothing: the accepted one is still registered
    status, listed = await put(emu, route, inside)
    assert status == 200 and [c["id"] for c in listed] == [c["id"] for c in accepted]


async def test_the_error_tree_names_every_broken_rule(emu: DiscordEmulator) -> None:
    body = [slash("Ping", "d" * 101, options=[option("a"), option("b", required=True)])]
    status, refused = await put(emu, f"/applications/{emu.application.id}/commands", body)
    assert status == 400
    assert refused["errors"] == {"0": {
        "name": {"_errors": [{"code": "APPLICATION_COMMAND_INVALID_NAME", "message": "Command name is invalid"}]},
        "description": {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH",
                                     "message": "Must be between 1 and 100 in length."}]},
        "options": {"1": {"required": {"_errors": [{
            "code": "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
            "message": "Required options must be placed before non-required options"}]}}},
    }}
    emu.refusals.clear()


async def test_a_test_can_allow_one_named_command_rule(emu: DiscordEmulator) -> None:
    route = f"/applications/{emu.application.id}/commands"
    emu.allow("command.name.pattern")
    status, accepted = await put(emu, route, [slash("Ping")])
    assert status == 200 and accepted[0]["name"] == "Ping"
    status, refused = await put(emu, route, [slash("Ping", "d" * 101)])  # other rules still hold
    assert status == 400 and list(refused["errors"]["0"]) == ["description"]
    emu.refusals.clear()


async def test_a_test_can_have_a_legal_sync_refused(emu: DiscordEmulator) -> None:
    tree = {"_errors": [{"code": "APPLICATION_COMMANDS_RATE_LIMITED", "message": "Try again later"}]}
    emu.refuse_command_sync(tree)
    route = f"/applications/{emu.application.id}/commands"
    assert await put(emu, route, [slash()]) == (400, {"message": "Invalid Form Body", "code": 50035,
                                                      "errors": tree})
    emu.refuse_command_sync(None)
    status, _ = await put(emu, route, [slash()])
    assert status == 200


async def test_creating_or_editing_one_command_follows_the_same_rules(emu: DiscordEmulator) -> None:
    route = f"/applications/{emu.application.id}/commands"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as session:
        async with session.post(f"{emu.api_base}{route}", json=slash(description="d" * 100)) as response:
            created = (response.status, await response.json())
        async with session.post(f"{emu.api_base}{route}", json=slash("other", "d" * 101)) as response:
            refused_create = (response.status, await response.json())
        command_route = f"{emu.api_base}{route}/{created[1]['id']}"
        async with session.patch(command_route, json={"name": "Ping"}) as response:
            refused_edit = (response.status, await response.json())
    assert created[0] == 201
    assert refused_create[0] == 400 and leaf(refused_create[1]["errors"], "description")
    assert refused_edit[0] == 400 and leaf(refused_edit[1]["errors"], "name")
    assert [c.name for c in emu.commands()] == ["ping"]  # neither refused body changed anything
    assert len(emu.refusals) == 2
    emu.refusals.clear()
