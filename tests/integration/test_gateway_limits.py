"""The async client's job window against the mock's own limits per key, over loopback HTTP.

The mock refuses a key's submit while that key has ``max_running_per_key`` jobs not completed (the
limit may change as jobs complete, ``limit_schedule``), or past ``rate_limit`` submits per second.
The client must find the limit by itself, follow it when it changes, pause every submit for a
``Retry-After``, and never lose or duplicate a job. The bounds are loose on purpose: they tell a
window that follows the limit from one that does not (a fixed 32, or one stuck at the floor), not
how fast this machine is; the figures are in bench/results.md. Jobs last long enough (0.5 s) that
even a loaded machine submits faster than the limit lets them complete, so the limit is always met.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fal_queue import AsyncClient
from fal_queue.mock import MockGateway

SCHNELL = "fal-ai/flux-1/schnell"
pytestmark = pytest.mark.timeout(300)


async def _run(client: AsyncClient, jobs: int, seen: Callable[[int], None] | None = None) -> list[Any]:
    done = 0

    async def one(i: int) -> Any:
        nonlocal done
        result = await client.subscribe(SCHNELL, {"prompt": f"job {i}", "seed": i, "num_images": 1})
        done += 1
        if seen is not None:
            seen(done)
        return result

    return await asyncio.gather(*(one(i) for i in range(jobs)))


def _each_job_once(gw: MockGateway, results: list[Any], jobs: int) -> None:
    """Every job was submitted exactly once (a refused submit creates none) and came back."""
    assert len({r.request_id for r in results}) == jobs
    assert gw.stats()["jobs_created"] == jobs
    seeds = sorted(job["inputs"]["seed"] for job in gw.jobs())
    assert seeds == list(range(jobs))


@pytest.mark.parametrize(("limit", "jobs"), [(8, 160), (40, 400)])
def test_the_window_settles_near_the_gateways_running_limit(
    make_gateway: Callable[..., MockGateway], limit: int, jobs: int
) -> None:
    gw = make_gateway(max_running_per_key=limit, workers=64, queue_delay=0.0, run_time=0.5)

    async def main() -> tuple[list[Any], int]:
        async with gw.async_client() as client:
            results = await _run(client, jobs)
            return results, client.window.size

    results, size = asyncio.run(main())
    _each_job_once(gw, results, jobs)
    refused = gw.stats()["submits_limited"].get("running", 0)
    assert refused > 0  # it did meet the limit
    # A window that keeps 32 (the start) or more in flight is refused on most submits past the
    # limit; one that follows it is refused now and then while it probes.
    assert refused < jobs / 4, refused
    assert limit / 2 <= size <= 2 * limit, size


def test_the_window_follows_a_limit_that_drops_and_rises(make_gateway: Callable[..., MockGateway]) -> None:
    # 40 running, 10 once 150 jobs have completed, 40 again after 300; 750 jobs in all.
    gw = make_gateway(
        max_running_per_key=40,
        limit_schedule="150:10,300:40",
        workers=64,
        queue_delay=0.0,
        run_time=0.5,
    )
    jobs = 750
    sizes: list[tuple[int, int]] = []  # (jobs done as the client saw them, window size then)

    async def main() -> list[Any]:
        async with gw.async_client() as client:
            return await _run(client, jobs, lambda done: sizes.append((done, client.window.size)))

    results = asyncio.run(main())
    _each_job_once(gw, results, jobs)

    def largest(first: int, last: int) -> int:
        return max(size for done, size in sizes if first <= done <= last)

    assert largest(100, 150) >= 30  # at the first limit
    assert largest(250, 300) <= 20  # came down to the lower one
    assert largest(650, 750) >= 30  # and found the higher one again


def test_a_rate_limit_is_followed_without_losing_jobs(make_gateway: Callable[..., MockGateway]) -> None:
    # 10 submits per second with jobs of 0.5 s: about 5 can be in flight; the window starts above that.
    gw = make_gateway(rate_limit=10.0, workers=64, queue_delay=0.0, run_time=0.5)
    jobs = 120

    async def main() -> list[Any]:
        async with gw.async_client() as client:
            return await _run(client, jobs)

    results = asyncio.run(main())
    _each_job_once(gw, results, jobs)
    refused = gw.stats()["submits_limited"].get("rate", 0)
    assert 0 < refused < jobs / 2, refused


class _Recorder(httpx.AsyncBaseTransport):
    """When each submit left the client and when each refusal came back (the client's clock)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[float] = []
        self.refused: list[float] = []
        self.results: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        submit = request.method == "POST"
        if submit:
            self.sent.append(time.monotonic())
        elif "/requests/" in request.url.path and not request.url.path.endswith(("/status", "/stream")):
            self.results.append(time.monotonic())
        response = await self.inner.handle_async_request(request)
        if submit and response.status_code in (400, 429):
            self.refused.append(time.monotonic())
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize("answer", ["json", "text", "text-400"])
def test_a_retry_after_pauses_every_submit_while_paid_results_are_fetched(
    make_gateway: Callable[..., MockGateway], answer: str
) -> None:
    gw = make_gateway(
        max_running_per_key=4,
        limit_retry_after=2,
        limit_answer=answer,
        workers=64,
        queue_delay=0.0,
        run_time=1.5,  # the 12 submits go out while the first 4 jobs still run, on a loaded machine too
    )
    jobs = 12
    wire = _Recorder()

    async def main() -> list[Any]:
        async with gw.async_client(transport=wire) as client:
            return await _run(client, jobs)

    results = asyncio.run(main())
    _each_job_once(gw, results, jobs)
    assert gw.stats()["submits_limited"]["running"] == len(wire.refused) >= 1
    first = wire.refused[0]
    # Once the first refusal came back, no submit left for the 2 s the gateway asked...
    later = [t for t in wire.sent if t > first]
    assert later and min(later) - first >= 1.9
    # ...though jobs completed meanwhile, and their results (paid for) were fetched.
    assert any(first < t < first + 1.9 for t in wire.results)
