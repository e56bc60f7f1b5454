"""Many jobs in flight through one AsyncClient: submits/s and memory until all are queued.

Usage: python -m bench.inflight [--jobs N] [--limit S] [--backend aiohttp|httpx]
The mock never starts a job (its queue delay is longer than the run), so every subscribe stays
pending. A monitor thread reads the mock's job count, reports once all N are created (or at the
limit) and ends the process (cancelling thousands of pending requests is not what is measured).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time

from bench.common import ARGS, MODEL, peak_rss_mb, rss_mb
from bench.mock_throughput import KEY, call, start_mock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=50_000)
    parser.add_argument("--limit", type=float, default=200.0)
    parser.add_argument("--backend", default="aiohttp")
    args = parser.parse_args(argv)
    os.environ["FAL_QUEUE_HTTP_BACKEND"] = args.backend
    process, facts = start_mock(["--queue-delay", "100000", "--workers", "1", "--ping-interval", "30"])
    base_url = facts["FAL_QUEUE_BASE_URL"]
    import fal_queue

    rss_idle = rss_mb()
    t0 = time.perf_counter()
    started = threading.Event()

    def monitor() -> None:
        started.wait()
        samples: list[tuple[float, int]] = []
        created = 0
        while time.perf_counter() - t0 < args.limit:
            time.sleep(1.0)
            created = call("GET", base_url + "/_mock/stats")["jobs_created"]
            samples.append((time.perf_counter() - t0, created))
            if created >= args.jobs:
                break
        elapsed = time.perf_counter() - t0
        out = {
            "backend": args.backend,
            "jobs": args.jobs,
            "created": created,
            "all_queued": created >= args.jobs,
            "seconds": round(elapsed, 1),
            "submits_per_s": round(created / elapsed, 1),
            "rss_idle_mb": round(rss_idle, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "cpu_s": round(time.process_time(), 1),
        }
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
        process.kill()
        os._exit(0)

    async def run() -> None:
        client = fal_queue.AsyncClient(base_url, KEY, allow_http=True)
        tasks = [asyncio.ensure_future(client.subscribe(MODEL, ARGS)) for _ in range(args.jobs)]
        started.set()
        await asyncio.sleep(args.limit + 60)
        del tasks

    threading.Thread(target=monitor, daemon=True).start()
    asyncio.run(run())
    return 1


if __name__ == "__main__":
    sys.exit(main())
