"""Many jobs in flight through one AsyncClient: submits/s and memory until all are queued.

Usage: python -m bench.inflight [--jobs N] [--limit S] [--backend aiohttp|httpx] [--mode stream|poll]
    [--profile FILE]
The mock never starts a job (its queue delay is longer than the run), so every subscribe stays
pending. A monitor thread reads the mock's job count, reports once all N are created (or at the
limit) and ends the process (cancelling thousands of pending requests is not what is measured).
Besides submits/s and memory it reports the mock's requests by operation (what the client spent
its request slots on) and the CPU seconds of both processes: when the mock's CPU is near the
wall clock, the mock (one process, one core) is what limits the rate, not the client.
``--profile`` writes a cProfile of the client process (pstats format) to FILE.
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


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=50_000)
    parser.add_argument("--limit", type=float, default=200.0)
    parser.add_argument("--backend", default="aiohttp")
    parser.add_argument("--mode", default=None, help="wait mode (default: the client's)")
    parser.add_argument("--profile", default=None, help="write a cProfile of the client here")
    args = parser.parse_args(argv)
    os.environ["FAL_QUEUE_HTTP_BACKEND"] = args.backend
    process, facts = start_mock(["--queue-delay", "100000", "--workers", "1", "--ping-interval", "30"])
    base_url = facts["FAL_QUEUE_BASE_URL"]
    import fal_queue

    rss_idle = rss_mb()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    mock_cpu0 = process_cpu_s(process.pid)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    started = threading.Event()

    def monitor() -> None:
        started.wait()
        samples: list[tuple[float, int]] = []
        created = 0
        stats: dict[str, object] = {}
        while time.perf_counter() - t0 < args.limit:
            time.sleep(1.0)
            stats = call("GET", base_url + "/_mock/stats")
            created = int(stats["jobs_created"])  # type: ignore[call-overload]
            samples.append((time.perf_counter() - t0, created))
            if created >= args.jobs:
                break
        elapsed = time.perf_counter() - t0
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        ops = stats.get("requests_by_operation") or {}
        out = {
            "backend": args.backend,
            "mode": args.mode or "default",
            "jobs": args.jobs,
            "created": created,
            "all_queued": created >= args.jobs,
            "seconds": round(elapsed, 1),
            "submits_per_s": round(created / elapsed, 1),
            "rss_idle_mb": round(rss_idle, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "client_cpu_s": round(time.process_time() - cpu0, 1),
            "mock_cpu_s": round(process_cpu_s(process.pid) - mock_cpu0, 1),
            "requests": {k: v for k, v in ops.items() if v},  # type: ignore[union-attr]
            "created_at": [(round(t, 1), n) for t, n in samples[:: max(1, len(samples) // 10)]],
        }
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
        process.kill()
        os._exit(0)

    async def run() -> None:
        client = fal_queue.AsyncClient(base_url, KEY, allow_http=True, wait_mode=args.mode)
        tasks = [asyncio.ensure_future(client.subscribe(MODEL, ARGS)) for _ in range(args.jobs)]
        started.set()
        await asyncio.sleep(args.limit + 60)
        del tasks

    threading.Thread(target=monitor, daemon=True).start()
    asyncio.run(run())
    return 1


if __name__ == "__main__":
    sys.exit(main())
