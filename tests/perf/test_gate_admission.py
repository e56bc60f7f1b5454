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


def test_a_poll_waiting_for_a_slot_holds_no_call_state_and_reuses_one_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Thousands of jobs may wait for a poll slot: each holds its plan (built once per wait), not
    the per-call state that is set up only once the gate lets the call through."""
    states = 0
    original_state = base._Base._state

    def counting_state(self: base._Base, *args: object) -> object:
        nonlocal states
        states += 1
        return original_state(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(base._Base, "_state", counting_state)
    plans = 0
    original_plan = base.status_plan

    def counting_plan(*args: object) -> object:
        nonlocal plans
        plans += 1
        return original_plan(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(base, "status_plan", counting_plan)

    async def run() -> tuple[int, int, int]:
        release = asyncio.Event()
        inside = 0
        polls = 0

        async def handler(request: httpx.Request) -> httpx.Response:
            nonlocal inside, polls
            inside += 1
            if "blocker" in request.url.path:
                await release.wait()
                return httpx.Response(200, json={"status": "IN_QUEUE", "queue_position": 1})
            polls += 1
            done = polls >= 3
            return httpx.Response(
                200 if done else 202, json={"status": "COMPLETED" if done else "IN_PROGRESS"}
            )

        async with AsyncClient("https://gw.example", "k", transport=httpx.MockTransport(handler)) as client:
            blockers = [asyncio.ensure_future(client.status(MODEL, f"blocker{i}")) for i in range(LIMIT)]
            await _until(lambda: inside >= LIMIT, "a full gate")
            before = states
            waits = [
                asyncio.ensure_future(client.get_handle(MODEL, f"job{i}").wait(mode="poll"))
                for i in range(30)
            ]
            for _ in range(50):
                await asyncio.sleep(0)
            held_while_waiting = states - before
            release.set()
            await asyncio.gather(*blockers)
            await waits[0]
            for wait in waits[1:]:
                wait.cancel()
            await asyncio.gather(*waits[1:], return_exceptions=True)
        return held_while_waiting, plans, polls

    held_while_waiting, plans_built, polls = asyncio.run(run())
    assert held_while_waiting == 0, f"{held_while_waiting} waiting polls set up call state"
    assert polls >= 3
    assert plans_built <= 30 + LIMIT, f"{plans_built} status plans for 30 waits and {LIMIT} status calls"


def test_a_wait_whose_poll_cannot_get_a_slot_ends_at_its_deadline_without_sending() -> None:
    """The gate's wait is a wait like any other: the caller's timeout ends it (wall clock)."""
    from fal_queue import JobTimeoutError

    async def run() -> tuple[JobTimeoutError, list[str]]:
        release = asyncio.Event()
        paths: list[str] = []

        async def handler(request: httpx.Request) -> httpx.Response:
            paths.append(request.url.path)
            await release.wait()
            return httpx.Response(200, json={"status": "IN_QUEUE", "queue_position": 1})

        async with AsyncClient("https://gw.example", "k", transport=httpx.MockTransport(handler)) as client:
            blockers = [asyncio.ensure_future(client.status(MODEL, f"blocker{i}")) for i in range(LIMIT)]
            await _until(lambda: len(paths) >= LIMIT, "a full gate")
            with pytest.raises(JobTimeoutError) as caught:
                await asyncio.wait_for(client.get_handle(MODEL, "stuck").wait(timeout=0.2, mode="poll"), 120)
            release.set()
            await asyncio.gather(*blockers)
            return caught.value, paths

    error, paths = asyncio.run(run())
    assert error.request_id == "stuck" and "get_handle" in str(error)
    assert not any("stuck" in p for p in paths), "the poll was sent after all"
