"""The async gate admits a submit before it is checked, planned or built, and lets status polls
wait behind every other call. Structure only: what is held and in which order calls go out,
observed through the transport, never timed."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest
from fal_queue import AsyncClient, InvalidInputError
from fal_queue import _base as base
from fal_queue._async_only import _Slots

MODEL = "fal-ai/flux-1/schnell"
ARGS = {"prompt": "a lighthouse at dusk"}
LIMIT = 64


def _submitted(request: httpx.Request, ids: itertools.count[int]) -> httpx.Response:
    rid = f"{next(ids):08d}-0000-4000-8000-000000000000"
    url = f"https://gw.example/fal-ai/flux-1/requests/{rid}"
    body = {
        "request_id": rid,
        "status_url": url + "/status",
        "response_url": url,
        "cancel_url": url + "/cancel",
    }
    return httpx.Response(200, json=body)


async def _until(condition: object, what: str) -> None:
    """Wait for ``condition()`` with a generous bound (a loaded machine is slow, never wrong)."""
    for _ in range(6000):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never saw {what}")


def test_pending_submits_are_neither_planned_nor_built(monkeypatch: pytest.MonkeyPatch) -> None:
    planned = 0
    original = base.submit_plan

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal planned
        planned += 1
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(base, "submit_plan", counting)
    built = 0
    request_init = httpx.Request.__init__

    def counting_init(self: httpx.Request, *args: object, **kwargs: object) -> None:
        nonlocal built
        built += 1
        request_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.Request, "__init__", counting_init)

    async def run() -> tuple[int, int, int, int]:
        inside = 0
        release = asyncio.Event()
        ids = itertools.count()

        async def handler(request: httpx.Request) -> httpx.Response:
            nonlocal inside
            inside += 1
            if request.method == "GET":
                await release.wait()
                return httpx.Response(200, json={"status": "IN_QUEUE", "queue_position": 1})
            return _submitted(request, ids)

        async with AsyncClient("https://gw.example", "k", transport=httpx.MockTransport(handler)) as client:
            blockers = [asyncio.ensure_future(client.status(MODEL, f"r{i}")) for i in range(LIMIT)]
            await _until(lambda: inside >= LIMIT, "a full gate")
            submits = [asyncio.ensure_future(client.submit(MODEL, ARGS)) for _ in range(500)]
            for _ in range(50):  # every pending submit runs up to where it waits
                await asyncio.sleep(0)
            seen = (planned, built)
            release.set()
            handles = await asyncio.gather(*submits)
            await asyncio.gather(*blockers)
        return seen[0], seen[1], len({h.request_id for h in handles}), planned

    planned_while_full, built_while_full, distinct, planned_in_all = asyncio.run(run())
    assert planned_while_full == 0, f"{planned_while_full} pending submits were planned"
    assert built_while_full == LIMIT, f"{built_while_full} requests built for {LIMIT} slots"
    assert distinct == 500
    assert planned_in_all == 500


def test_status_polls_wait_behind_submits() -> None:
    async def run() -> list[str]:
        release = asyncio.Event()
        order: list[str] = []
        ids = itertools.count()
        inside = 0

        async def handler(request: httpx.Request) -> httpx.Response:
            nonlocal inside
            inside += 1
            if request.url.path.endswith("/blocker/status"):
                await release.wait()
            order.append(request.method)
            if request.method == "GET":
                return httpx.Response(200, json={"status": "IN_QUEUE", "queue_position": 1})
            return _submitted(request, ids)

        async with AsyncClient("https://gw.example", "k", transport=httpx.MockTransport(handler)) as client:
            blockers = [
                asyncio.ensure_future(client.status("fal-ai/flux-1", "blocker")) for _ in range(LIMIT)
            ]
            await _until(lambda: inside >= LIMIT, "a full gate")
            polls = [asyncio.ensure_future(client.status(MODEL, f"p{i}")) for i in range(20)]
            for _ in range(20):
                await asyncio.sleep(0)
            submits = [asyncio.ensure_future(client.submit(MODEL, ARGS)) for _ in range(20)]
            for _ in range(20):
                await asyncio.sleep(0)
            release.set()
            await asyncio.gather(*blockers, *polls, *submits)
        return order

    order = asyncio.run(run())
    after_blockers = order[LIMIT:]
    assert after_blockers == ["POST"] * 20 + ["GET"] * 20, after_blockers


def test_an_invalid_submit_fails_before_sending_anything() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    async def run() -> None:
        async with AsyncClient("https://gw.example", "k", transport=httpx.MockTransport(handler)) as client:
            with pytest.raises(InvalidInputError, match="num_images"):
                await client.submit(MODEL, {"prompt": "x", "num_images": "four"})
            # The slot it held is free again: the gate still admits LIMIT calls at once.
            assert client._gate._slots()._free == LIMIT

    asyncio.run(run())
    assert sent == []


def test_slots_skip_cancelled_waiters_and_pass_on_a_slot_given_too_late() -> None:
    async def run() -> tuple[int, bool, int]:
        slots = _Slots(1)
        await slots.acquire(background=False)
        first = asyncio.ensure_future(slots.acquire(background=False))
        second = asyncio.ensure_future(slots.acquire(background=True))
        await asyncio.sleep(0)
        first.cancel()  # cancelled while waiting: skipped when its turn comes
        await asyncio.sleep(0)
        slots.release()
        await second
        waiting = slots.waiting
        # A waiter handed the slot but cancelled before it resumed passes the slot on.
        third = asyncio.ensure_future(slots.acquire(background=False))
        await asyncio.sleep(0)
        slots.release()  # ``second`` is done: its slot goes to ``third`` ...
        third.cancel()  # ... which is cancelled before it runs
        with pytest.raises(asyncio.CancelledError):
            await third
        return waiting, first.cancelled(), slots._free

    waiting, first_cancelled, free = asyncio.run(run())
    assert (waiting, first_cancelled, free) == (0, True, 1)
