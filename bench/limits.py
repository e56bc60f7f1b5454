"""Workload 7: a batch against a gateway's hidden limits per key (issue 22).

The mock refuses a key's submits past a running-jobs limit (8, then 40) or a rate limit (20
submits/s), with a 429 and no Retry-After. Each client runs the same 1,000 jobs of 0.5 s: fal-client
at a fixed concurrency of 8 and 64 (its own retries: ten attempts, exponential backoff), fal_queue
at a fixed 8 and 64 (submit + get under a semaphore, as ``batch --concurrency N``) and fal_queue's
job window (``subscribe`` for every job at once, as ``batch --concurrency auto``).

The ideal makespan is what the limit allows: jobs x duration / limit (or, past the bucket's first
second, jobs / rate) plus one job's duration. A job whose submit is refused more often than its
client retries fails unpaid; the table counts them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

#: (key, mock flags, what the row says, jobs in flight the limit allows or None, submits/s or None)
SCENARIOS = (
    ("running8", ["--max-running-per-key=8"], "running limit 8", 8, None),
    ("running40", ["--max-running-per-key=40"], "running limit 40", 40, None),
    ("rate20", ["--rate-limit=20"], "rate limit 20 submits/s", None, 20.0),
)
#: (column, worker client, concurrency: None for fal_queue's job window)
CLIENTS = (
    ("fal_c8", "fal", 8),
    ("fal_c64", "fal", 64),
    ("fq_8", "fq", 8),
    ("fq_64", "fq", 64),
    ("fq_auto", "fq", None),
)
LABELS = {
    "ideal": "ideal (the limit's makespan)",
    "fal_c8": "fal-client, concurrency 8",
    "fal_c64": "fal-client, concurrency 64",
    "fq_8": "fal_queue, fixed 8",
    "fq_64": "fal_queue, fixed 64",
    "fq_auto": "fal_queue, auto (job window)",
}


def ideal_seconds(jobs: int, duration: float, running: int | None, rate: float | None) -> float:
    if running:
        return jobs * duration / running + duration
    assert rate
    return max(0.0, jobs - rate) / rate + duration  # the bucket starts with one second's worth


# ------------------------------------------------------------------------------ in the worker


async def _limited_jobs(
    kind: str, base_url: str, key: str, model: str, args: dict[str, Any], jobs: int, concurrency: int | None
) -> dict[str, Any]:
    """Run every job; a job that fails (its submit refused past the client's retries) is counted."""
    failures: list[str] = []
    window: dict[str, int] = {}
    if kind == "fal":
        import fal_client

        fal = fal_client.AsyncClient(key=key)

        async def one() -> None:
            await fal.subscribe(model, args)

        close = None
    else:
        from fal_queue import AsyncClient

        fq = AsyncClient(base_url, key)
        close = fq.close

        async def one() -> None:
            if concurrency is None:
                await fq.subscribe(model, args)
            else:
                await (await fq.submit(model, args)).get()

    semaphore = asyncio.Semaphore(concurrency or jobs)

    async def guarded() -> None:
        async with semaphore:
            try:
                await one()
            except Exception as exc:
                failures.append(type(exc).__name__)

    started = time.monotonic()
    try:
        await asyncio.wait_for(asyncio.gather(*(guarded() for _ in range(jobs))), timeout=1500)
    finally:
        wall = time.monotonic() - started
        if kind == "fq":
            w = fq.window
            window = {"low": w.low, "high": w.high, "last": w.size, "refusals": w.refusals}
        if close is not None:
            await close()
    return {"wall_s": wall, "failed": len(failures), "failures": sorted(set(failures)), "window": window}


def task_limits(
    kind: str, harness: Any, model: str, args: dict[str, Any], key: str, jobs: int, concurrency: int | None
) -> dict[str, Any]:
    before = harness.stats()
    out = asyncio.run(_limited_jobs(kind, harness.base_url, key, model, args, jobs, concurrency))
    after = harness.stats()
    requests = sum(after["requests_by_operation"].values()) - sum(before["requests_by_operation"].values())
    refused = sum(after["submits_limited"].values()) - sum(before["submits_limited"].values())
    return {**out, "jobs": jobs, "requests": requests, "refused": refused}


# ------------------------------------------------------------------------------ in the orchestrator


def run(bench: Any, jobs: int, duration: float, reps: int) -> dict[str, Any]:
    """Every client on every scenario, one mock per scenario, clients rotated by one per repetition."""
    results: dict[str, Any] = {"jobs": jobs, "duration": duration}
    for key, flags, _, _, _ in SCENARIOS:
        mock = bench.start_mock(f"limits-{key}", run_time=duration, workers=100_000, extra=flags)
        got: dict[str, list[Any]] = {column: [] for column, _, _ in CLIENTS}
        try:
            for rep in range(reps):
                shift = rep % len(CLIENTS)
                for column, client, concurrency in CLIENTS[shift:] + CLIENTS[:shift]:
                    task = {"task": "limits", "jobs": jobs, "concurrency": concurrency}
                    out = bench.worker(client, mock, [task], 1800)["limits"]
                    got[column].append(out)
                    bench.log(
                        f"  limits {key} rep {rep + 1}/{reps} {column}: {out['wall_s']:.1f} s, "
                        f"{out['refused']} of {out['requests']} requests refused, {out['failed']} failed"
                    )
        finally:
            bench.procs.stop(mock.service)
        results[key] = got
    return results


def rows(raw: dict[str, Any], row: Any, median: Any) -> list[Any]:
    """The table's rows (``row`` is run.Row; ``median`` common.median). Makespans carry their ratio
    to the ideal; the 429 share is of every request the client sent."""
    jobs, duration = raw["jobs"], raw["duration"]
    out = []
    for key, _, what, running, rate in SCENARIOS:
        got = raw.get(key)
        if not got:
            continue

        def per(fn: Any, got: dict[str, list[Any]] = got) -> dict[str, list[float]]:
            return {c: [fn(r) for r in runs] for c, runs in got.items() if runs}

        def made(
            figure: str,
            unit: str,
            values: dict[str, list[float]],
            digits: int,
            goal: str = "",
            extra: dict[str, float] | None = None,
        ) -> Any:
            spreads = {c: (min(v), max(v)) for c, v in values.items() if len(v) > 1}
            cells = {**(extra or {}), **{c: median(v) for c, v in values.items()}}
            return row(figure, unit, cells, baseline="ideal", goal=goal, digits=digits, spreads=spreads)

        ideal = ideal_seconds(jobs, duration, running, rate)
        out.append(
            made(
                f"7. makespan, {jobs:,} jobs of {duration:g} s, {what}",
                "s",
                per(lambda r: r["wall_s"]),
                1,
                "auto ≤ 1.15× ideal",
                {"ideal": ideal},
            )
        )
        out.append(
            made(
                f"   requests answered 429 (share of all the client sent), {what}",
                "%",
                per(lambda r: 100.0 * r["refused"] / max(1, r["requests"])),
                1,
                "auto < 5 %",
            )
        )
        out.append(
            made(
                f"   jobs failed (refused past the client's retries), {what}",
                "jobs",
                per(lambda r: r["failed"]),
                0,
            )
        )
        out.append(
            made(
                f"   job window at the end (auto), {what}",
                "jobs",
                {
                    c: [r["window"]["last"] for r in runs]
                    for c, runs in got.items()
                    if c == "fq_auto" and runs
                },
                0,
            )
        )
    return out


def goals(rows: list[Any]) -> list[str]:
    out = []
    for i, r in enumerate(rows):
        if not r.figure.startswith("7. makespan") or "fq_auto" not in r.values:
            continue
        ratio = r.values["fq_auto"] / r.values["ideal"]
        share = rows[i + 1].values.get("fq_auto", float("nan"))
        fixed = rows[i + 1].values.get("fq_64", float("nan"))
        what = r.figure.split(", ", 2)[-1]  # the scenario, as every row of it ends
        out.append(
            f"- {what}: makespan within 15 % of ideal (auto): {'met' if ratio <= 1.15 else 'MISSED'} "
            f"({ratio:.2f}×); < 5 % of requests refused: {'met' if share < 5 else 'MISSED'} "
            f"({share:.1f} %, fixed 64: {fixed:.1f} %)"
        )
    return out
