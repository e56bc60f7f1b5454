"""How many status polls per second the mock gateway serves on one core (a benchmark, not a test).

Starts ``python -m fal_queue.mock`` in its own process pinned to one CPU, keeps one job IN_PROGRESS,
and polls its status from a separate client process (pinned to another CPU when there is one) over
keep-alive loopback connections with a minimal HTTP/1.1 client, so that the client is not the
bottleneck. Then measures how fast a completion reaches an open status stream (SSE).

    .venv/bin/python bench/mock_throughput.py [--seconds 5] [--connections 16] [--streams 20]

Bounded: at most 60 s of polling and 256 connections, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

KEY = "bench-key"


def _pin(pid: int, cpu: int) -> bool:
    if not hasattr(os, "sched_setaffinity"):
        return False
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(pid, {cpus[cpu % len(cpus)]})
    return True


def start_mock(extra: list[str]) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "fal_queue.mock", "--host", "127.0.0.1", "--port", "0", "--key", KEY, *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    facts: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == "ready":
            return process, facts
        name, _, value = line.strip().partition("=")
        facts[name] = value
    raise SystemExit("the mock did not start")


def call(method: str, url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback http only
    request.add_header("Authorization", f"Bearer {KEY}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


# ---- the polling client (runs in its own process) ----


async def _poll(host: str, port: int, path: str, deadline: float, latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {KEY}\r\n\r\n").encode()
    done = 0
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            if status not in (200, 202):
                raise RuntimeError(f"unexpected status {status}")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            done += 1
    finally:
        writer.close()
    return done


def poll_process(base_url: str, path: str, seconds: float, connections: int, queue: Any) -> None:
    _pin(0, 1)
    parts = urlsplit(base_url)
    if parts.hostname not in ("127.0.0.1", "localhost") or parts.port is None:
        raise SystemExit("the benchmark targets loopback only")

    async def main() -> tuple[int, float, list[float]]:
        latencies: list[float] = []
        started = time.perf_counter()
        deadline = started + seconds
        counts = await asyncio.gather(
            *(
                _poll(parts.hostname or "", parts.port or 0, path, deadline, latencies)
                for _ in range(connections)
            )
        )
        return sum(counts), time.perf_counter() - started, latencies

    total, elapsed, latencies = asyncio.run(main())
    latencies.sort()
    queue.put((total, elapsed, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]))


# ---- completion latency over SSE ----


async def _stream_once(base_url: str) -> float:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "", parts.port or 0
    job = await asyncio.to_thread(call, "POST", f"{base_url}/fal-ai/flux-1/schnell", {"prompt": "bench"})
    rid = job["request_id"]
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET /fal-ai/flux-1/requests/{rid}/status/stream HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {KEY}\r\n\r\n".encode()
    )
    arrived = 0.0
    while True:
        line = await reader.readline()
        if not line:
            break
        if b'"status":"COMPLETED"' in line:
            arrived = time.time()
            break
    writer.close()
    info = await asyncio.to_thread(call, "GET", f"{base_url}/_mock/jobs/{rid}")
    return arrived - float(info["completed_at"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="polling duration (max 60)")
    parser.add_argument(
        "--connections", type=int, default=16, help="concurrent keep-alive connections (max 256)"
    )
    parser.add_argument(
        "--streams", type=int, default=20, help="jobs whose completion is timed over SSE (max 200)"
    )
    args = parser.parse_args(argv)
    seconds = min(max(args.seconds, 0.5), 60.0)
    connections = min(max(args.connections, 1), 256)
    streams = min(max(args.streams, 0), 200)

    process, facts = start_mock(["--workers", "64", "--queue-delay", "0", "--run-time", "3600"])
    try:
        pinned = _pin(process.pid, 0)
        base = facts["FAL_QUEUE_BASE_URL"]
        job = call("POST", f"{base}/fal-ai/flux-1/dev", {"prompt": "benchmark"})
        path = f"/fal-ai/flux-1/requests/{job['request_id']}/status"
        queue: Any = mp.get_context("spawn").Queue()
        client = mp.get_context("spawn").Process(
            target=poll_process, args=(base, path, seconds, connections, queue)
        )
        client.start()
        total, elapsed, p50, p99 = queue.get(timeout=seconds + 60)
        client.join(10)
        stats = call("GET", f"{base}/_mock/stats")
        print(
            f"server pinned to one CPU: {pinned}; "
            f"client: separate process, {connections} keep-alive connections"
        )
        print(f"status polls: {total} in {elapsed:.2f} s = {total / elapsed:,.0f} polls/s")
        print(f"poll latency: p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms")
        print(f"server counted {stats['requests_by_operation']['status']} status requests")
    finally:
        process.terminate()
        process.wait(10)

    if streams:
        process, facts = start_mock(["--workers", "8", "--queue-delay", "0.01", "--run-time", "0.05"])
        try:
            _pin(process.pid, 0)
            base = facts["FAL_QUEUE_BASE_URL"]

            async def run_streams() -> list[float]:
                return [await _stream_once(base) for _ in range(streams)]

            delays = sorted(asyncio.run(run_streams()))
            print(
                f"completion pushed over SSE: median {statistics.median(delays) * 1000:.2f} ms, "
                f"max {delays[-1] * 1000:.2f} ms over {streams} jobs"
            )
        finally:
            process.terminate()
            process.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
