"""The core AI client against the fake OpenAI-compatible server: real ``openai`` client,
real HTTP on loopback, no mocks."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

import pydantic
import pytest
import structlog

from alphapy.ai import (
    AIClient,
    AIError,
    AIInvalidAnswer,
    AINotConfigured,
    AITimeout,
    AIUnavailable,
    AIUnsupportedInput,
    strict_json_schema,
)
from alphapy.config import Config
from alphapy.log import configure_logging
from alphapy.testing.fake_ai import FakeAI, example_for_schema

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(40))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(40))
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(range(20))


class Address(pydantic.BaseModel):
    city: str
    postcode: str | None = None


class Ticket(pydantic.BaseModel):
    category: Literal["billing", "bug", "other"]
    urgent: bool
    summary: str
    priority: int = pydantic.Field(ge=1, le=5)
    address: Address = pydantic.Field(description="where the member lives")
    tags: list[str] = []
    note: str | None = None


GOOD_TICKET = {
    "category": "bug",
    "urgent": True,
    "summary": "Bot crashes on /remind",
    "priority": 2,
    "address": {"city": "Lyon", "postcode": None},
    "tags": ["crash"],
    "note": None,
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeAI]:
    async with FakeAI() as server:
        yield server


def make_config(fake: FakeAI | None, **overrides: Any) -> Config:
    values: dict[str, Any] = {
        "openai_api_key": fake.api_key if fake else None,
        "openai_base_url": fake.base_url if fake else None,
        "openai_model": "text-model",
        "openai_vision_model": "vision-model",
        "openai_timeout": 5.0,
        "openai_max_retries": 1,
    }
    values.update(overrides)
    return Config(_env_file=None, **values)


@pytest.fixture
async def ai(fake: FakeAI) -> AsyncIterator[AIClient]:
    async with AIClient(make_config(fake)) as client:
        yield client


# --- structured answers --------------------------------------------------------------
async def test_structured_round_trip(fake: FakeAI, ai: AIClient) -> None:
    fake.reply(GOOD_TICKET)
    ticket = await ai.structured(Ticket, system="Classify the ticket.", user="the bot crashes")

    assert ticket == Ticket.model_validate(GOOD_TICKET)
    assert fake.rejected == []
    (request,) = fake.requests
    assert request.model == "text-model"
    assert request.images == []
    # System prompt and user content are separate messages, never concatenated.
    assert [m["role"] for m in request.messages] == ["system", "user"]
    assert request.system == "Classify the ticket."
    assert request.user == "the bot crashes"
    assert "the bot crashes" not in request.system
    spec = request.response_format["json_schema"]  # type: ignore[index]
    assert request.response_format["type"] == "json_schema"  # type: ignore[index]
    assert spec["name"] == "Ticket" and spec["strict"] is True
    assert spec["schema"] == strict_json_schema(Ticket)
    assert set(spec["schema"]["required"]) == set(Ticket.model_fields)
    assert ai.status() == "ok"


async def test_default_answer_is_valid_against_the_schema(fake: FakeAI, ai: AIClient) -> None:
    ticket = await ai.structured(Ticket, system="s", user="u")
    assert ticket.category == "billing" and ticket.urgent is False and ticket.priority == 1


async def test_json_in_a_code_fence_is_accepted(fake: FakeAI, ai: AIClient) -> None:
    fake.reply("```json\n" + json.dumps(GOOD_TICKET) + "\n```")
    assert (await ai.structured(Ticket, system="s", user="u")).summary == GOOD_TICKET["summary"]


async def test_reply_with_sees_the_request(fake: FakeAI, ai: AIClient) -> None:
    fake.reply_with(lambda req: {**GOOD_TICKET, "summary": req.user.upper()}, times=None)
    assert (await ai.structured(Ticket, system="s", user="abc")).summary == "ABC"
    assert (await ai.structured(Ticket, system="s", user="xyz")).summary == "XYZ"


# --- images and models ---------------------------------------------------------------
async def test_images_reach_the_vision_model(fake: FakeAI, ai: AIClient) -> None:
    url = "https://cdn.example.com/receipt.png"
    fake.reply(GOOD_TICKET)
    await ai.structured(Ticket, system="Read the screenshot.", user="my receipt", images=[PNG, JPEG, WEBP, url])

    (request,) = fake.requests
    assert request.model == "vision-model"
    assert request.images == [PNG, JPEG, WEBP, url]
    assert request.image_types == ["image/png", "image/jpeg", "image/webp", None]
    assert request.user == "my receipt"
    assert request.system == "Read the screenshot."
    system_message = request.messages[0]
    assert system_message["role"] == "system" and isinstance(system_message["content"], str)


async def test_vision_falls_back_to_the_default_model_and_tasks_choose_models(fake: FakeAI) -> None:
    config = make_config(fake, openai_vision_model=None)
    async with AIClient(config, models={"summary": "big-model"}) as ai:
        await ai.structured(Ticket, system="s", user="u", images=[PNG])
        await ai.text(system="s", user="u", task="summary")
        await ai.text(system="s", user="u", task="unknown")
    assert [r.model for r in fake.requests] == ["text-model", "big-model", "text-model"]


async def test_unsupported_images_are_refused_before_any_request(fake: FakeAI, ai: AIClient) -> None:
    with pytest.raises(AIUnsupportedInput):
        await ai.structured(Ticket, system="s", user="u", images=[b"BM not an image we take"])
    with pytest.raises(AIUnsupportedInput):
        await ai.structured(Ticket, system="s", user="u", images=["http://insecure.example.com/a.png"])
    assert fake.requests == []


# --- failures ------------------------------------------------------------------------
async def test_not_configured_raises_without_any_request(fake: FakeAI) -> None:
    ai = AIClient(make_config(None))
    assert ai.available() is False and ai.status() == "not_configured"
    with pytest.raises(AINotConfigured):
        await ai.structured(Ticket, system="s", user="u")
    with pytest.raises(AIError):
        await ai.text(system="s", user="u")
    assert ai._client is None  # no openai client was even built
    assert fake.requests == []
    await ai.close()


async def test_timeout(fake: FakeAI, ai: AIClient) -> None:
    fake.delay(5)
    started = time.monotonic()
    with pytest.raises(AITimeout):
        await ai.structured(Ticket, system="s", user="u", timeout=0.3)
    assert time.monotonic() - started < 2.5  # the budget covers retries too
    assert ai.status() == "degraded"


async def test_config_timeout_applies_by_default(fake: FakeAI) -> None:
    fake.delay(5)
    async with AIClient(make_config(fake, openai_timeout=0.3)) as ai:
        with pytest.raises(AITimeout):
            await ai.text(system="s", user="u")


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(lambda f: f.garbage(), id="not-json"),
        pytest.param(lambda f: f.reply({"category": "nonsense", "urgent": "maybe"}), id="schema-violation"),
        pytest.param(lambda f: f.refuse(), id="refusal"),
        pytest.param(lambda f: f.reply(""), id="empty"),
    ],
)
async def test_invalid_answers(fake: FakeAI, ai: AIClient, script: Any) -> None:
    script(fake)
    with pytest.raises(AIInvalidAnswer):
        await ai.structured(Ticket, system="s", user="u")
    assert len(fake.requests) == 1  # an invalid answer is not retried


async def test_schema_violation_message_names_fields_not_values(fake: FakeAI, ai: AIClient) -> None:
    fake.reply({**GOOD_TICKET, "priority": 9, "summary": ["SECRET-MEMBER-DATA"]})
    with pytest.raises(AIInvalidAnswer) as caught:
        await ai.structured(Ticket, system="s", user="u")
    assert "priority" in str(caught.value) and "summary" in str(caught.value)
    assert "SECRET-MEMBER-DATA" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_server_error_then_success_with_retries(fake: FakeAI, ai: AIClient) -> None:
    fake.fail(500)
    fake.reply(GOOD_TICKET)
    assert (await ai.structured(Ticket, system="s", user="u")).category == "bug"
    assert len(fake.requests) == 2


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_errors_after_retries_are_unavailable(fake: FakeAI, ai: AIClient, status: int) -> None:
    fake.fail(status, times=2)
    with pytest.raises(AIUnavailable) as caught:
        await ai.structured(Ticket, system="s", user="u")
    assert caught.value.status == status
    assert len(fake.requests) == 2  # one try, one retry (OPENAI_MAX_RETRIES=1)


async def test_auth_failure_is_unavailable_and_not_retried(fake: FakeAI, ai: AIClient) -> None:
    fake.fail(401)
    with pytest.raises(AIUnavailable) as caught:
        await ai.text(system="s", user="u")
    assert caught.value.status == 401 and caught.value.code == "invalid_api_key"
    assert len(fake.requests) == 1


async def test_connection_refused_is_unavailable() -> None:
    server = FakeAI()
    await server.start()
    config = make_config(server, openai_max_retries=0)
    await server.stop()  # nothing listens there any more
    async with AIClient(config) as ai:
        with pytest.raises(AIUnavailable):
            await ai.text(system="s", user="u", timeout=3)


async def test_status_degrades_and_recovers(fake: FakeAI) -> None:
    async with AIClient(make_config(fake, openai_max_retries=0), health_window=5) as ai:
        assert ai.status() == "ok"
        await ai.text(system="s", user="u")
        fake.fail(500, times=2)
        for _ in range(2):
            with pytest.raises(AIUnavailable):
                await ai.text(system="s", user="u")
        assert ai.status() == "degraded"
        await ai.text(system="s", user="u")
        assert ai.status() == "degraded"  # two failures among the last five calls
        for _ in range(3):
            await ai.text(system="s", user="u")
        assert ai.status() == "ok"
        stats = ai.stats()
        assert stats["calls"] == 7 and stats["failures"] == 2 and stats["last_error"].startswith("server answered 500")


async def test_status_recovers_with_time(fake: FakeAI) -> None:
    async with AIClient(make_config(fake, openai_max_retries=0), health_max_age=0.2) as ai:
        fake.fail(500)
        with pytest.raises(AIUnavailable):
            await ai.text(system="s", user="u")
        assert ai.status() == "degraded"
        await asyncio.sleep(0.25)
        assert ai.status() == "ok"


# --- text ----------------------------------------------------------------------------
async def test_text_answers(fake: FakeAI, ai: AIClient) -> None:
    fake.reply("  Three members asked about billing.\n")
    summary = await ai.text(system="Summarise.", user="long thread", max_tokens=120)
    assert summary == "Three members asked about billing."
    (request,) = fake.requests
    assert request.response_format is None
    assert request.max_tokens == 120
    assert request.system == "Summarise." and request.user == "long thread"
    assert await ai.text(system="s", user="u") == "This is a fake answer."


# --- logging and secrets -------------------------------------------------------------
@pytest.fixture
def captured_logs() -> Any:
    saved_structlog = structlog.get_config()
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    configure_logging(level="debug", fmt="json", stream=stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            if handler not in saved_handlers:
                root.removeHandler(handler)
        root.setLevel(saved_level)
        structlog.configure(**saved_structlog)


async def test_secrets_and_prompts_never_reach_the_log(captured_logs: io.StringIO) -> None:
    key = f"fake-key-{uuid.uuid4().hex}"
    async with FakeAI(api_key=key) as fake:
        async with AIClient(make_config(fake)) as ai:
            fake.reply(GOOD_TICKET)
            await ai.structured(Ticket, system="SYSTEM-PROMPT-MARKER", user="MEMBER-TEXT-MARKER", images=[PNG])
            fake.fail(401, message=f"Incorrect API key provided: {key}.")
            with pytest.raises(AIUnavailable) as caught:
                await ai.text(system="SYSTEM-PROMPT-MARKER", user="MEMBER-TEXT-MARKER")
            fake.garbage()
            with pytest.raises(AIInvalidAnswer):
                await ai.structured(Ticket, system="s", user="MEMBER-TEXT-MARKER")
            fake.delay(2)
            with pytest.raises(AITimeout):
                await ai.text(system="s", user="MEMBER-TEXT-MARKER", timeout=0.2)
    assert key == fake.requests[0].authorization.removeprefix("Bearer ")  # the key was sent ...
    output = captured_logs.getvalue()
    assert key not in output and key not in str(caught.value)  # ... but never logged
    for marker in ("SYSTEM-PROMPT-MARKER", "MEMBER-TEXT-MARKER", "iVBORw0KGgo"):  # iVBOR...: base64 PNG
        assert marker not in output
    events = [json.loads(line) for line in output.splitlines() if '"ai.call"' in line]
    assert [e["outcome"] for e in events] == ["ok", "unavailable", "invalid", "timeout"]
    first = events[0]
    assert first["model"] == "vision-model" and first["task"] == "default" and first["images"] == 1
    assert first["usage"]["prompt"] > 0 and first["usage"]["completion"] > 0 and "latency_ms" in first


# --- the fake itself -----------------------------------------------------------------
async def test_fake_rejects_malformed_requests_like_openai(fake: FakeAI) -> None:
    import openai

    client = openai.AsyncOpenAI(api_key=fake.api_key, base_url=fake.base_url, max_retries=0)
    try:
        with pytest.raises(openai.BadRequestError):
            await client.chat.completions.create(model="m", messages=[])
        with pytest.raises(openai.BadRequestError):
            await client.chat.completions.create(
                model="m",
                messages=[
                    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@"}}]}
                ],
            )
        loose = Ticket.model_json_schema()  # not strict: optional fields not required
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(
                model="m",
                messages=[{"role": "user", "content": "u"}],
                response_format={"type": "json_schema", "json_schema": {"name": "T", "schema": loose, "strict": True}},
            )
        assert "additionalProperties" in caught.value.message or "required" in caught.value.message
        assert len(fake.rejected) == 3 and fake.requests == []
        models = await client.models.list()
        assert [m.id for m in models.data] == fake.models
    finally:
        await client.close()


async def test_fake_requires_an_api_key(fake: FakeAI) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake.base_url}/chat/completions", json={"model": "m", "messages": []}) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"]["type"] == "invalid_request_error"


async def test_fake_stops_promptly_with_a_delayed_request() -> None:
    fake = FakeAI()
    await fake.start()
    fake.delay(30)
    ai = AIClient(make_config(fake, openai_max_retries=0))
    call = asyncio.create_task(ai.text(system="s", user="u", timeout=10))
    while not fake.requests:
        await asyncio.sleep(0.01)
    started = time.monotonic()
    await fake.stop()
    assert time.monotonic() - started < 2
    with pytest.raises(AIError):
        await call
    await ai.close()


def test_example_for_schema() -> None:
    class Kinds(pydantic.BaseModel):
        when: str = pydantic.Field(json_schema_extra={"format": "date-time"})
        count: int = pydantic.Field(gt=2)
        ratio: float = pydantic.Field(le=-1)
        names: list[str] = pydantic.Field(min_length=2)
        code: str = pydantic.Field(min_length=3)
        kind: Literal["a", "b"]
        nested: Address

    value = example_for_schema(strict_json_schema(Kinds))
    Kinds.model_validate(value)
    assert value["count"] == 3 and value["ratio"] == -1 and value["names"] == ["", ""] and value["kind"] == "a"


def test_importing_the_module_does_not_import_openai() -> None:
    code = "import sys, alphapy.ai; assert 'openai' not in sys.modules, 'openai imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
