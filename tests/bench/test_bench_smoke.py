"""The benchmark cannot rot: ``bench/run.py --smoke`` runs every workload and yields every figure.

Speeds are never asserted here (the goals are reported in bench/results.md, not enforced).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ("fal", "fq_stream", "fq_poll", "raw")
QUEUE_FIGURES = (
    "5. import time",
    "1. completion detection latency p50",
    "1. completion detection latency p95",
    "2. HTTP requests per job, 0.2 s",
    "2. HTTP requests per job, 0.5 s",
    "3. client CPU per job",
    "3. wall time",
    "4. peak RSS",
)
DOWNLOAD_FIGURES = ("6. download throughput", "6. RSS growth while downloading")


@pytest.mark.slow
def test_smoke_run_produces_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    results = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--json", str(out), "--output", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(out.read_text())
    rows = {row["figure"]: row for row in data["rows"]}

    def row(prefix: str) -> dict[str, float]:
        found = [r for figure, r in rows.items() if figure.startswith(prefix)]
        assert found, f"no figure {prefix!r} in {sorted(rows)}"
        values: dict[str, float] = found[0]["values"]
        return values

    for prefix in QUEUE_FIGURES:
        values = row(prefix)
        for client in CLIENTS:
            assert client in values and math.isfinite(values[client]), (prefix, client, values)
    for prefix in DOWNLOAD_FIGURES:
        values = row(prefix)
        for mode in ("httpx", "fq_sync", "httpx_async", "fq_async"):
            assert mode in values and math.isfinite(values[mode]), (prefix, mode, values)
    # Every job of every workload really ran: the mock saw the requests, the clients got results.
    for client in CLIENTS:
        for label in ("short", "long"):
            (rep,) = data["raw"]["requests"][label][client]
            assert rep["requests"]["submit"] == rep["jobs"]
            assert rep["requests"]["result"] == rep["jobs"]
        (inflight,) = data["raw"]["inflight"][client]
        assert inflight["created"] >= inflight["jobs"]
    text = results.read_text()
    assert "| figure |" in text and "Goals:" in text
