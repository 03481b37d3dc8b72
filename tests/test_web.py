"""``alphapy.web``: plugin routes read whole bodies, within a limit, and parse JSON safely."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from alphapy.web import BodyTooLarge, NotJson, parse_json, read_body

LIMIT = 1000


async def _echo_length(request: web.Request) -> web.Response:
    try:
        body = await read_body(request, LIMIT)
    except BodyTooLarge:
        return web.json_response({"error": "too large"}, status=413)
    return web.json_response({"length": len(body)})


@pytest_asyncio.fixture
async def url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/", _echo_length)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


async def _pieces(size: int, piece: int) -> AsyncIterator[bytes]:
    for start in range(0, size, piece):
        yield b"x" * min(piece, size - start)
        await asyncio.sleep(0)


@pytest.mark.parametrize(("size", "expected"), [(0, (200, {"length": 0})), (LIMIT, (200, {"length": LIMIT})),
                                                (LIMIT + 1, (413, {"error": "too large"}))])
async def test_a_chunked_body_is_read_whole_up_to_the_limit(url: str, size: int, expected: tuple) -> None:
    async with aiohttp.ClientSession() as http, http.post(url, data=_pieces(size, 7)) as response:
        assert (response.status, await response.json()) == expected


async def test_a_declared_length_over_the_limit_is_refused_before_reading(url: str) -> None:
    async with aiohttp.ClientSession() as http, http.post(url, data=b"x" * (LIMIT + 1)) as response:
        assert response.status == 413


def test_parse_json_refuses_garbage_and_deep_nesting_as_not_json() -> None:
    assert parse_json(b'{"a": [1, 2]}') == {"a": [1, 2]}
    for body in (b"{", b"\xff", b"[" * 50_000 + b"]" * 50_000):
        with pytest.raises(NotJson):
            parse_json(body)
