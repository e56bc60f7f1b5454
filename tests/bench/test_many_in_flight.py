"""Regression: thousands of concurrent subscribes on one AsyncClient all get submitted.

Before the request gate, httpcore's pool did work proportional to (queued requests x connections)
on every change, so 10,000 concurrent subscribes never got a single submit out. The benchmark
measures 10,000 (bench/run.py, figure 4); this keeps a smaller version in the test suite.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from fal_queue import AsyncClient
from fal_queue.mock import MockConfig, MockGateway

JOBS = 1000


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["stream", "poll"])
def test_thousands_of_pending_subscribes_are_all_submitted(mode: str) -> None:
    # Jobs never leave the queue: every subscribe stays pending until we stop.
    config = MockConfig(queue_delay=3600.0, run_time=1.0, workers=1, request_log_size=10)
    with MockGateway(config) as gateway:

        async def main() -> dict[str, Any]:
            async with AsyncClient(gateway.base_url, gateway.key, wait_mode=mode, allow_http=True) as client:
                tasks = [
                    asyncio.ensure_future(client.subscribe("fal-ai/flux-1/schnell", {"prompt": f"p{i}"}))
                    for i in range(JOBS)
                ]
                deadline = time.monotonic() + 60
                stats = gateway.stats()
                while stats["jobs_created"] < JOBS and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                    stats = gateway.stats()
                failed = [t for t in tasks if t.done()]
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                assert not failed, [t.exception() for t in failed[:3]]
                return stats

        stats = asyncio.run(main())
    assert stats["jobs_created"] == JOBS
    if mode == "stream":
        # At most MAX_STREAMS streams; the other jobs were polled, none queued for a connection.
        assert 1 <= stats["requests_by_operation"].get("stream", 0) <= 100 + 5
