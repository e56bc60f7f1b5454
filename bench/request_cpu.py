"""CPU per status() call of one AsyncClient against the mock gateway (loopback http).

Usage: python -m bench.request_cpu [--calls N] [--concurrency C] [--backend httpx|aiohttp]
Prints the client process's CPU time per call (user+sys), median of ``--reps`` runs, with spread.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time

from bench.mock_throughput import KEY, start_mock


async def _one_run(base_url: str, request_id: str, calls: int, concurrency: int, backend: str) -> float:
    import fal_queue

    os.environ["FAL_QUEUE_HTTP_BACKEND"] = backend
    async with fal_queue.AsyncClient(base_url, KEY, allow_http=True, wait_mode="poll") as client:
        await client.status("fal-ai/flux-1/schnell", request_id)  # warm the pool
        left = calls

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await client.status("fal-ai/flux-1/schnell", request_id)

        started = time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return (time.process_time() - started) / calls


async def main_async(args: argparse.Namespace) -> int:
    process, facts = start_mock([])
    try:
        import fal_queue

        base_url = facts["FAL_QUEUE_BASE_URL"]
        async with fal_queue.AsyncClient(base_url, KEY, allow_http=True) as client:
            handle = await client.submit("fal-ai/flux-1/schnell", {"prompt": "x"})
            await handle.wait(timeout=30)
        per_call = [
            await _one_run(base_url, handle.request_id, args.calls, args.concurrency, args.backend)
            for _ in range(args.reps)
        ]
    finally:
        process.terminate()
        process.wait()
    us = sorted(v * 1e6 for v in per_call)
    print(
        f"backend={args.backend} calls={args.calls} concurrency={args.concurrency} reps={args.reps}: "
        f"CPU/call median {statistics.median(us):.0f} us (min {us[0]:.0f}, max {us[-1]:.0f})"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--backend", default="httpx")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
