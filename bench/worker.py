"""One client process of the benchmark: runs tasks against one mock and prints JSON results.

``python -m bench.worker '<json spec>'``. The spec names the client (``fal``, ``fq_stream``,
``fq_poll``, ``raw``), the mock's base URL and a list of tasks; the last stdout line is a JSON
object with one entry per task. The orchestrator sets ``SSL_CERT_FILE`` (the throwaway CA) and,
for fal-client, ``FAL_QUEUE_RUN_HOST`` before this process starts, because fal-client reads its
queue host once, at import.

Everything a task measures is measured here, in the client process, so the mock's own CPU and
memory never count. Harness traffic (pacer jobs, stats and job look-ups) uses a separate plain
httpx client and the mock's admin endpoints, which the per-job request counts leave out.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench.common import (
    ARGS,
    KEY,
    MODEL,
    QUEUE_OPS,
    RAW_POLL_INTERVAL,
    TRANSPORT_VARIANTS,
    peak_rss_mb,
    rss_mb,
)
from bench.limits import task_limits

SyncSubscribe = Callable[[], str]
AsyncSubscribe = Callable[[], Awaitable[str]]
_OWNER, _APP = MODEL.split("/")[:2]


class Harness:
    """The benchmark's own view of the mock: stats, job records, pacer jobs."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30.0, trust_env=True
        )

    def stats(self) -> dict[str, Any]:
        response = self.http.get("/_mock/stats")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def completed_at(self, request_id: str) -> float:
        response = self.http.get(f"/_mock/jobs/{request_id}")
        response.raise_for_status()
        value = response.json()["completed_at"]
        if value is None:
            raise RuntimeError(f"job {request_id} returned by subscribe but not completed at the mock")
        return float(value)

    def submit_pacer(self) -> None:
        response = self.http.post(f"/{MODEL}", json={"prompt": "pacer"})
        response.raise_for_status()

    def close(self) -> None:
        self.http.close()


def request_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    b = before["requests_by_operation"]
    a = after["requests_by_operation"]
    return {op: int(a.get(op, 0)) - int(b.get(op, 0)) for op in QUEUE_OPS}


# ------------------------------------------------------------------------------ the clients


def sync_client(kind: str, base_url: str) -> tuple[SyncSubscribe, Callable[[], None]]:
    """(subscribe returning the request id, close) for one client kind, synchronous API."""
    if kind in ("fq_stream", "fq_poll"):
        from fal_queue import Client

        fq = Client(base_url, KEY, wait_mode="stream" if kind == "fq_stream" else "poll")

        def fq_subscribe() -> str:
            return fq.subscribe(MODEL, ARGS).request_id

        return fq_subscribe, fq.close
    if kind == "fal":
        import fal_client

        fal = fal_client.SyncClient(key=KEY)
        seen: list[str] = []

        def fal_subscribe() -> str:
            seen.clear()
            fal.subscribe(MODEL, ARGS, on_enqueue=seen.append)
            return seen[0]

        return fal_subscribe, lambda: None
    if kind == "raw":
        from fal_queue_api.api.queue import get_result, get_status
        from fal_queue_api.api.submit import submit_flux_schnell
        from fal_queue_api.client import AuthenticatedClient
        from fal_queue_api.models import FluxSchnellTextToImageInput, QueueSubmitResponse, RequestStatus

        api = AuthenticatedClient(base_url=base_url, token=KEY, timeout=httpx.Timeout(60.0))

        def raw_subscribe() -> str:
            body = FluxSchnellTextToImageInput.from_dict(ARGS)
            submitted = submit_flux_schnell.sync_detailed(client=api, body=body).parsed
            if not isinstance(submitted, QueueSubmitResponse):
                raise RuntimeError(f"submit failed: {submitted!r}")
            rid = submitted.request_id
            while True:
                status = get_status.sync_detailed(_OWNER, _APP, rid, client=api).parsed
                if not isinstance(status, RequestStatus):
                    raise RuntimeError(f"status failed: {status!r}")
                if status.status == "COMPLETED":
                    break
                time.sleep(RAW_POLL_INTERVAL)
            result = get_result.sync_detailed(_OWNER, _APP, rid, client=api)
            if result.status_code != 200:
                raise RuntimeError(f"result failed: HTTP {result.status_code}")
            return rid

        return raw_subscribe, lambda: api.get_httpx_client().close()
    raise ValueError(f"unknown client {kind!r}")


def async_client(kind: str, base_url: str) -> tuple[AsyncSubscribe, Callable[[], Awaitable[None]]]:
    """(subscribe coroutine returning the request id, aclose) for one client kind, asyncio API."""
    if kind in ("fq_stream", "fq_poll"):
        from fal_queue import AsyncClient

        fq = AsyncClient(base_url, KEY, wait_mode="stream" if kind == "fq_stream" else "poll")

        async def fq_subscribe() -> str:
            return (await fq.subscribe(MODEL, ARGS)).request_id

        return fq_subscribe, fq.close
    if kind == "fal":
        import fal_client

        fal = fal_client.AsyncClient(key=KEY)

        async def fal_subscribe() -> str:
            seen: list[str] = []
            await fal.subscribe(MODEL, ARGS, on_enqueue=seen.append)
            return seen[0]

        async def fal_close() -> None:
            return None

        return fal_subscribe, fal_close
    if kind == "raw":
        from fal_queue_api.api.queue import get_result, get_status
        from fal_queue_api.api.submit import submit_flux_schnell
        from fal_queue_api.client import AuthenticatedClient
        from fal_queue_api.models import FluxSchnellTextToImageInput, QueueSubmitResponse, RequestStatus

        api = AuthenticatedClient(base_url=base_url, token=KEY, timeout=httpx.Timeout(60.0))

        async def raw_subscribe() -> str:
            body = FluxSchnellTextToImageInput.from_dict(ARGS)
            submitted = (await submit_flux_schnell.asyncio_detailed(client=api, body=body)).parsed
            if not isinstance(submitted, QueueSubmitResponse):
                raise RuntimeError(f"submit failed: {submitted!r}")
            rid = submitted.request_id
            while True:
                status = (await get_status.asyncio_detailed(_OWNER, _APP, rid, client=api)).parsed
                if not isinstance(status, RequestStatus):
                    raise RuntimeError(f"status failed: {status!r}")
                if status.status == "COMPLETED":
                    break
                await asyncio.sleep(RAW_POLL_INTERVAL)
            result = await get_result.asyncio_detailed(_OWNER, _APP, rid, client=api)
            if result.status_code != 200:
                raise RuntimeError(f"result failed: HTTP {result.status_code}")
            return rid

        async def raw_close() -> None:
            await api.get_async_httpx_client().aclose()

        return raw_subscribe, raw_close
    raise ValueError(f"unknown client {kind!r}")


# ------------------------------------------------------------------------------ the tasks


def task_latency(
    kind: str, harness: Harness, jobs: int, pacer: bool, spread: float, seed: int
) -> dict[str, Any]:
    """Sequential jobs through the sync API; completion-detection latency of each.

    With ``pacer`` the mock runs one job at a time: a pacer job is queued first and the measured
    job a random 0..``spread`` s later, so the measured job completes at a uniformly random
    phase of the client's poll schedule (otherwise fixed job timings would hit one phase only).
    """
    subscribe, close = sync_client(kind, harness.base_url)
    rng = random.Random(seed)
    returned: list[tuple[str, float]] = []
    try:
        subscribe()  # warm-up: connections, TLS, lazy imports; not measured
        for _ in range(jobs):
            if pacer:
                harness.submit_pacer()
                time.sleep(rng.uniform(0.0, spread))
            rid = subscribe()
            returned.append((rid, time.time()))
    finally:
        close()
    latencies = [(t - harness.completed_at(rid)) * 1000.0 for rid, t in returned]
    return {"latencies_ms": latencies}


async def _bounded(subscribe: AsyncSubscribe, jobs: int, concurrency: int) -> list[str]:
    semaphore = asyncio.Semaphore(concurrency)

    async def one() -> str:
        async with semaphore:
            return await subscribe()

    return await asyncio.gather(*(one() for _ in range(jobs)))


def task_requests(kind: str, harness: Harness, jobs: int) -> dict[str, Any]:
    """``jobs`` concurrent jobs through the async API; requests the mock saw for them."""

    async def run() -> tuple[dict[str, int], float]:
        subscribe, aclose = async_client(kind, harness.base_url)
        try:
            before = harness.stats()
            cpu0 = time.process_time()
            await asyncio.wait_for(_bounded(subscribe, jobs, jobs), timeout=600)
            cpu = time.process_time() - cpu0
            after = harness.stats()
        finally:
            await aclose()
        return request_delta(before, after), cpu

    counts, cpu = asyncio.run(run())
    return {
        "jobs": jobs,
        "requests": counts,
        "per_job": sum(counts.values()) / jobs,
        "cpu_per_job_ms": cpu / jobs * 1000.0,
    }


def process_cpu(pid: int | None) -> float:
    """User + system CPU seconds of another process (the mock), from /proc; 0 without a pid."""
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def task_throughput(
    kind: str, harness: Harness, jobs: int, concurrency: int, server_pid: int | None = None
) -> dict[str, Any]:
    """``jobs`` jobs at ``concurrency`` through the async API: client CPU and wall time.

    With ``server_pid``, the mock's CPU over the same interval is reported too (what the
    client's polling costs the server).
    """

    async def run() -> dict[str, Any]:
        subscribe, aclose = async_client(kind, harness.base_url)
        try:
            await _bounded(subscribe, min(concurrency, 10), min(concurrency, 10))  # warm-up
            before = harness.stats()
            server0 = process_cpu(server_pid)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.wait_for(_bounded(subscribe, jobs, concurrency), timeout=900)
            cpu1, wall1 = time.process_time(), time.perf_counter()
            server1 = process_cpu(server_pid)
            after = harness.stats()
        finally:
            await aclose()
        counts = request_delta(before, after)
        return {
            "jobs": jobs,
            "concurrency": concurrency,
            "cpu_s": cpu1 - cpu0,
            "wall_s": wall1 - wall0,
            "cpu_per_job_ms": (cpu1 - cpu0) / jobs * 1000.0,
            "requests_per_job": sum(counts.values()) / jobs,
            "server_cpu_per_job_ms": (server1 - server0) / jobs * 1000.0 if server_pid else None,
        }

    return asyncio.run(run())


def task_cpu(
    kind: str, harness: Harness, phases: list[dict[str, Any]], server_pid: int | None
) -> dict[str, Any]:
    """Phases of ``jobs`` jobs at ``concurrency`` through one async client: CPU, wall, requests.

    One client for all phases, warmed up first (imports, TLS connections, lazy set-up) with
    ``warmup`` concurrent jobs. Per phase: this process's CPU (``time.process_time``), wall time,
    the share of one core used (CPU / wall: near 1 means the client saturated its core), the
    requests the mock saw per job and, with ``server_pid``, the mock's CPU per job.
    """

    async def run() -> dict[str, Any]:
        subscribe, aclose = async_client(kind, harness.base_url)
        out: dict[str, Any] = {"transport": transport_of(kind)}
        try:
            warm = max(int(phases[0].get("warmup", 10)), 1)
            await _bounded(subscribe, warm, warm)
            for phase in phases:
                jobs, concurrency = int(phase["jobs"]), int(phase["concurrency"])
                before = harness.stats()
                server0 = process_cpu(server_pid)
                cpu0, wall0 = time.process_time(), time.perf_counter()
                await asyncio.wait_for(_bounded(subscribe, jobs, concurrency), timeout=900)
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                server = process_cpu(server_pid) - server0
                counts = request_delta(before, harness.stats())
                out[phase["key"]] = {
                    "jobs": jobs,
                    "concurrency": concurrency,
                    "cpu_s": cpu,
                    "wall_s": wall,
                    "core_share": cpu / wall if wall > 0 else None,
                    "cpu_per_job_ms": cpu / jobs * 1000.0,
                    "requests": counts,
                    "requests_per_job": sum(counts.values()) / jobs,
                    "server_cpu_per_job_ms": server / jobs * 1000.0 if server_pid else None,
                }
        finally:
            await aclose()
        return out

    return asyncio.run(run())


def transport_of(kind: str) -> str:
    """The async transport a client kind sends through (what FAL_QUEUE_HTTP_BACKEND selected)."""
    if not kind.startswith("fq_"):
        return "httpx"
    return (os.environ.get("FAL_QUEUE_HTTP_BACKEND") or "aiohttp").strip().lower()


def task_inflight(kind: str, harness: Harness, jobs: int, hold: float, limit: float) -> dict[str, Any]:
    """Start ``jobs`` subscribes on a mock that never starts them; RSS once all are queued.

    The mock's queue delay is longer than the run, so every job stays IN_QUEUE and every
    subscribe stays pending. A monitor thread waits until the mock has created all ``jobs``
    (or ``limit`` seconds pass), holds ``hold`` seconds of steady waiting, reports the process's
    RSS high-water mark and ends the process at once. It is a thread because a client can
    saturate its event loop here (httpcore's pool does work proportional to the number of
    queued requests on every change), and because cancelling thousands of pending requests can
    take minutes while the mock is thrown away anyway. So this task must be the last one.

    The clock starts before the client is imported and made: on a loaded machine that part can
    take most of the limit (the smoke run once queued 0 of 40 jobs in 10 s with fal-client and
    fal_queue alike), so ``seconds_to_client`` and ``seconds_to_first_queued`` say where the time went.
    """
    tasks: list[asyncio.Future[str]] = []
    marks: dict[str, float] = {}
    rss_idle = rss_mb()
    started = threading.Event()
    t0 = time.perf_counter()

    base = harness.stats()["jobs_created"]

    def monitor() -> None:
        started.wait(limit)
        created = 0
        deadline = t0 + limit
        while time.perf_counter() < deadline:
            time.sleep(0.25)
            created = harness.stats()["jobs_created"] - base
            if created and "first" not in marks:
                marks["first"] = time.perf_counter() - t0
            if created >= jobs or any(t.done() for t in list(tasks)):
                break
        all_queued = time.perf_counter() - t0
        time.sleep(hold)
        created = harness.stats()["jobs_created"] - base
        done = [t for t in list(tasks) if t.done()]
        errors = sorted(
            {type(t.exception()).__name__ for t in done if not t.cancelled() and t.exception() is not None}
        )
        out = {
            "jobs": jobs,
            "created": created,
            "finished_early": len(done),
            "errors": errors,
            "seconds_to_queue_all": all_queued,
            "seconds_to_client": marks.get("client"),
            "seconds_to_first_queued": marks.get("first"),
            "all_queued": created >= jobs,
            "rss_before_client_mb": rss_idle,
            "rss_mb": rss_mb(),
            "peak_rss_mb": peak_rss_mb(),
            "task_seconds": time.perf_counter() - t0,
        }
        sys.stdout.write(json.dumps({"inflight": out}) + "\n")
        sys.stdout.flush()
        os._exit(0)

    async def run() -> None:
        subscribe, _aclose = async_client(kind, harness.base_url)
        marks["client"] = time.perf_counter() - t0
        tasks.extend(asyncio.ensure_future(subscribe()) for _ in range(jobs))
        started.set()
        await asyncio.sleep(limit + hold + 600)

    threading.Thread(target=monitor, name="inflight-monitor", daemon=True).start()
    asyncio.run(run())
    raise RuntimeError("the in-flight monitor did not end the process")


def task_download(mode: str, url: str, size: int, reps: int) -> dict[str, Any]:
    """Fetch one file ``reps`` times to a temporary directory: MB/s and RSS growth while doing it.

    Clients are created before the clock starts; each rep writes a new file and deletes it.
    """
    import fal_queue

    rss_before = rss_mb()
    seconds: list[float] = []

    def check(written: int) -> None:
        if written != size:
            raise RuntimeError(f"{mode}: wrote {written} bytes, expected {size}")

    with tempfile.TemporaryDirectory(prefix="fq-bench-") as tmp:
        # One untimed warm-up download first (lazy imports, first connection), then ``reps`` timed.
        files = [fal_queue.File(url=url, file_size=size, file_name=f"out-{i}.bin") for i in range(reps + 1)]
        if mode == "fq_sync":
            with fal_queue.Client("https://gateway.invalid", KEY) as client:
                for file in files:
                    t0 = time.perf_counter()
                    path = client.download(file, tmp)[0]
                    seconds.append(time.perf_counter() - t0)
                    check(path.stat().st_size)
                    path.unlink()
        elif mode == "fq_async":

            async def run() -> None:
                async with fal_queue.AsyncClient("https://gateway.invalid", KEY) as client:
                    for file in files:
                        t0 = time.perf_counter()
                        path = (await client.download(file, tmp))[0]
                        seconds.append(time.perf_counter() - t0)
                        check(path.stat().st_size)
                        path.unlink()

            asyncio.run(run())
        elif mode == "httpx":
            with httpx.Client(timeout=60.0) as plain:
                for i in range(reps + 1):
                    target = os.path.join(tmp, f"out-{i}.bin")
                    t0 = time.perf_counter()
                    written = 0
                    with plain.stream("GET", url) as response, open(target, "wb") as out:
                        response.raise_for_status()
                        for chunk in response.iter_bytes():
                            out.write(chunk)
                            written += len(chunk)
                    seconds.append(time.perf_counter() - t0)
                    check(written)
                    os.unlink(target)
        elif mode == "httpx_async":

            async def run_plain() -> None:
                async with httpx.AsyncClient(timeout=60.0) as plain:
                    for i in range(reps + 1):
                        target = os.path.join(tmp, f"out-{i}.bin")
                        t0 = time.perf_counter()
                        written = 0
                        async with plain.stream("GET", url) as response:
                            response.raise_for_status()
                            with open(target, "wb") as out:
                                async for chunk in response.aiter_bytes():
                                    out.write(chunk)
                                    written += len(chunk)
                        seconds.append(time.perf_counter() - t0)
                        check(written)
                        os.unlink(target)

            asyncio.run(run_plain())
        else:
            raise ValueError(f"unknown download mode {mode!r}")
    peak = peak_rss_mb()
    seconds = seconds[1:]
    return {
        "seconds": seconds,
        "mb_per_s": [size / 2**20 / s for s in seconds],
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak,
        "peak_growth_mb": max(peak - rss_before, 0.0),
    }


def self_time_by_package(profiler: Any) -> str:
    """Sampled self time grouped by top-level package (where the CPU actually goes)."""
    session = profiler.last_session
    root = session.root_frame() if session else None
    totals: dict[str, float] = {}
    stack = [root] if root is not None else []
    while stack:
        frame = stack.pop()
        stack.extend(frame.children)
        if frame.is_synthetic:
            continue
        self_time = frame.total_self_time
        path = (frame.file_path or "").replace("\\", "/")
        if "site-packages/" in path:
            package = path.split("site-packages/", 1)[1].split("/", 1)[0]
        elif "/overlay/" in path or "/generated/" in path:
            package = path.rsplit("/overlay/", 1)[-1].rsplit("/generated/", 1)[-1].split("/", 1)[0]
        elif "/bench/" in path:
            package = "bench"
        elif path.startswith("<"):
            package = path
        else:
            package = "stdlib:" + path.rsplit("/", 1)[-1]
        totals[package] = totals.get(package, 0.0) + self_time
    total = sum(totals.values()) or 1.0
    lines = ["self time by package (sampled):"]
    for package, seconds in sorted(totals.items(), key=lambda kv: -kv[1])[:25]:
        lines.append(f"  {seconds:8.3f} s  {seconds / total * 100:5.1f} %  {package}")
    return "\n".join(lines) + "\n\n"


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    kind = spec.get("client", "")
    if kind in TRANSPORT_VARIANTS:
        kind, backend = TRANSPORT_VARIANTS[kind]
        os.environ["FAL_QUEUE_HTTP_BACKEND"] = backend
    results: dict[str, Any] = {}
    harness = Harness(spec["base_url"]) if spec.get("base_url") else None
    profiler = None
    if spec.get("profile"):
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
    try:
        for task in spec["tasks"]:
            name = task["task"]
            t0 = time.perf_counter()
            if name == "latency":
                assert harness is not None
                out = task_latency(
                    kind, harness, task["jobs"], task["pacer"], task["spread"], task.get("seed", 0)
                )
            elif name == "requests":
                assert harness is not None
                out = task_requests(kind, harness, task["jobs"])
            elif name == "throughput":
                assert harness is not None
                out = task_throughput(
                    kind, harness, task["jobs"], task["concurrency"], task.get("server_pid")
                )
            elif name == "cpu":
                assert harness is not None
                out = task_cpu(kind, harness, task["phases"], task.get("server_pid"))
            elif name == "inflight":
                assert harness is not None
                if task is not spec["tasks"][-1]:
                    raise ValueError("the inflight task ends its process: put it last")
                out = task_inflight(kind, harness, task["jobs"], task["hold"], task["limit"])
            elif name == "limits":
                assert harness is not None
                out = task_limits(kind, harness, MODEL, ARGS, KEY, task["jobs"], task["concurrency"])
            elif name == "download":
                out = task_download(task["mode"], task["url"], task["size"], task["reps"])
            else:
                raise ValueError(f"unknown task {name!r}")
            out["task_seconds"] = time.perf_counter() - t0
            results[task.get("key", name)] = out
    finally:
        if harness is not None:
            harness.close()
        if profiler is not None:
            profiler.stop()
            with open(spec["profile"], "w") as out:
                out.write(self_time_by_package(profiler))
                out.write(profiler.output_text(unicode=True, color=False, show_all=True))
    sys.stdout.write(json.dumps(results) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    # Skip interpreter teardown: thousands of cancelled tasks and sockets make it slow, and
    # nothing is left to flush.
    os._exit(code)
