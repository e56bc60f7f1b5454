"""Import time of fal_queue against fal-client, and the cost of the first call after it.

Usage: python -m bench.importtime [--runs N] [--no-first-call] [--json] [--baseline-tree DIR]

Each run starts a fresh interpreter per statement, the statements interleaved and their order
rotated every run, so that machine noise (this runs on a shared, loaded box) hits all of them
alike. Three figures per statement: the wall clock of the whole interpreter less that of
``python -c pass`` (what a user waits for), its CPU time likewise (less disturbed by other
processes on a shared machine), and the sum of the top-level cumulative times of
``-X importtime`` (what the imports alone cost). Medians with the interquartile range and the
min..max spread are printed, with the ratio of medians and the per-run (paired) ratios.

The first-call figure starts the mock gateway once and times, in fresh interpreters,
``import fal_queue`` + ``Client(...)`` + one ``submit`` (sync and async), so that a lazy import
that only moves its cost into the first call shows up there.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Sequence

from bench.common import ARGS, KEY, MODEL, median, percentile

PYTHON = sys.executable

#: name -> statement. "pass" is the interpreter's own start-up, subtracted from the wall clocks.
STATEMENTS = {
    "pass": "pass",
    "fal_client": "import fal_client",
    "fal_queue": "import fal_queue",
    "fal_queue_clients": "from fal_queue import AsyncClient, Client",
}

_FIRST_CALL = r"""
import json, sys, time
t0 = time.perf_counter()
if sys.argv[6]:
    sys.path.insert(0, sys.argv[6])  # another tree of the SDK (--baseline-tree)
import fal_queue
t1 = time.perf_counter()
base, key, model, args, kind = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5]
if kind == "sync":
    with fal_queue.Client(base, key, allow_http=True) as client:
        client.submit(model, args)
        t2 = time.perf_counter()
else:
    import asyncio
    async def main():
        async with fal_queue.AsyncClient(base, key, allow_http=True) as client:
            await client.submit(model, args)
            return time.perf_counter()
    t2 = asyncio.run(main())
ms = {"import_ms": t1 - t0, "first_submit_ms": t2 - t1, "total_ms": t2 - t0}
print(json.dumps({k: v * 1e3 for k, v in ms.items()}))
"""


def clean_env() -> dict[str, str]:
    """The environment without the SDK's settings, so a developer's shell cannot change the figures."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("FAL_", "PYTHON"))}


def top_level_import_ms(stderr: str) -> float:
    """Sum of the cumulative times of the top-level imports in ``-X importtime`` output (ms)."""
    total = 0
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m:
            total += int(m.group(1))
    return total / 1000.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one(stmt: str) -> tuple[float, float, float]:
    """(wall clock, CPU time, -X importtime sum) of one fresh interpreter, in ms."""
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", stmt],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    wall = (time.perf_counter() - started) * 1e3
    return wall, (_children_cpu() - cpu) * 1e3, top_level_import_ms(done.stderr)


def statements(baseline_tree: str | None) -> dict[str, str]:
    """The statements, with ``import fal_queue`` from another tree too (e.g. the previous commit)."""
    found = dict(STATEMENTS)
    if baseline_tree:
        found["fal_queue@baseline"] = f"import sys; sys.path.insert(0, {baseline_tree!r}); import fal_queue"
    return found


def import_times(runs: int, baseline_tree: str | None = None) -> dict[str, dict[str, list[float]]]:
    """name -> {"wall", "cpu", "importtime", "wall_net", "cpu_net"} lists; interleaved, rotated."""
    stmts = statements(baseline_tree)
    names = list(stmts)
    out: dict[str, dict[str, list[float]]] = {n: {"wall": [], "cpu": [], "importtime": []} for n in names}
    for run in range(runs):
        shift = run % len(names)
        for name in names[shift:] + names[:shift]:
            wall, cpu, imported = one(stmts[name])
            out[name]["wall"].append(wall)
            out[name]["cpu"].append(cpu)
            out[name]["importtime"].append(imported)
    for name in names:
        # Less the interpreter's start-up of the same run (both were taken close together).
        for figure in ("wall", "cpu"):
            start = out["pass"][figure]
            out[name][f"{figure}_net"] = [v - s for v, s in zip(out[name][figure], start, strict=True)]
    return out


def first_calls(runs: int, baseline_tree: str | None = None) -> dict[str, dict[str, list[float]]]:
    """kind -> {"import_ms", "first_submit_ms", "total_ms"} lists, against one mock."""
    trees = {"": ""} | ({"@baseline": baseline_tree} if baseline_tree else {})
    from bench.mock_throughput import start_mock

    process, facts = start_mock(["--queue-delay", "100000", "--workers", "1"])
    out: dict[str, dict[str, list[float]]] = {}
    try:
        for _ in range(runs):
            for kind, (suffix, tree) in itertools.product(("sync", "async"), trees.items()):
                argv = [facts["FAL_QUEUE_BASE_URL"], KEY, MODEL, json.dumps(ARGS), kind, tree]
                done = subprocess.run(
                    [PYTHON, "-c", _FIRST_CALL, *argv],
                    env=clean_env(),
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=True,
                )
                row = json.loads(done.stdout.strip().splitlines()[-1])
                for key, value in row.items():
                    out.setdefault(kind + suffix, {}).setdefault(key, []).append(value)
    finally:
        process.kill()
        process.wait()
    return out


def spread(values: Sequence[float]) -> str:
    return (
        f"{median(values):7.1f}  IQR {percentile(values, 25):6.1f}..{percentile(values, 75):6.1f}"
        f"  min..max {min(values):6.1f}..{max(values):6.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--first-call-runs", type=int, default=10)
    parser.add_argument("--no-first-call", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the raw samples as JSON too")
    parser.add_argument(
        "--baseline-tree",
        default=None,
        help="a directory holding another fal_queue package (e.g. `git archive REV overlay`) to compare",
    )
    args = parser.parse_args(argv)
    imports = import_times(args.runs, args.baseline_tree)
    print(f"import time, {args.runs} interleaved fresh interpreters each (ms; median, IQR, min..max)")
    labels = {
        "wall_net": "wall clock less `python -c pass`",
        "cpu_net": "CPU time (user+sys) less `python -c pass`",
        "importtime": "-X importtime, top-level sum",
    }
    for figure, label in labels.items():
        print(f"  {label}  [ratio of medians; median and range of the per-run ratios]:")
        base = imports["fal_client"][figure]
        for name in imports:
            if name == "pass" and figure != "importtime":
                continue
            values = imports[name][figure]
            paired = [v / b for v, b in zip(values, base, strict=True) if b > 0]
            print(
                f"    {name:18} {spread(values)}  {median(values) / median(base):5.2f}x fal_client"
                f"  [paired {median(paired):4.2f}x, {min(paired):4.2f}..{max(paired):4.2f}]"
            )
    print(f"  interpreter start-up (`python -c pass`, wall): {spread(imports['pass']['wall'])}")
    result: dict[str, object] = {"import": imports}
    if not args.no_first_call:
        calls = first_calls(args.first_call_runs, args.baseline_tree)
        print(f"first call against the mock, {args.first_call_runs} fresh interpreters each (ms)")
        for kind, figures in calls.items():
            for key, values in figures.items():
                print(f"    {kind:14} {key:16} {spread(values)}")
        result["first_call"] = calls
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
