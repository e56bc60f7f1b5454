"""Pending async calls wait for the request gate before their request is built, so thousands of
pending jobs hold plans, not built requests."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fal_queue import AsyncClient


def test_requests_are_built_only_once_they_pass_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    built = 0
    original = httpx.Request.__init__

    def counting(self: httpx.Request, *args: object, **kwargs: object) -> None:
        nonlocal built
        built += 1
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.Request, "__init__", counting)

    async def run() -> tuple[int, int, int]:
        inside = 0
        release = asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            nonlocal inside
            inside += 1
            await release.wait()
            return httpx.Response(202, json={"status": "IN_QUEUE", "queue_position": 1})

        async with AsyncClient("https://gw.example", "k", transport=httpx.MockTransport(handler)) as client:
            calls = [asyncio.ensure_future(client.status("fal-ai/flux-1/dev", f"r{i}")) for i in range(300)]
            for _ in range(3000):  # until the gate is full (a generous bound, not a timing)
                if inside >= 64:
                    break
                await asyncio.sleep(0.01)
            for _ in range(20):  # let any call that could get past the gate do so
                await asyncio.sleep(0)
            seen_inside, seen_built = inside, built
            release.set()
            statuses = await asyncio.gather(*calls)
        return seen_inside, seen_built, len(statuses)

    inside, built_while_full, finished = asyncio.run(run())
    assert inside == 64
    assert built_while_full == 64, f"{built_while_full} requests built for 64 slots"
    assert finished == 300
