"""The benchmark cannot rot: ``bench/run.py --smoke`` runs every workload and yields every figure.

Speeds are never asserted here (the goals are reported in bench/results.md, not enforced), and
nothing is asserted that only a fast enough machine would meet (how many jobs got queued in
flight within the limit, say): only that every figure was produced from work that really ran.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import CLIENTS, TRANSPORT_VARIANTS  # noqa: E402
from bench.run import Settings  # noqa: E402

BASE_CLIENTS = tuple(c for c in CLIENTS if c not in TRANSPORT_VARIANTS)
CPU_CLIENTS = Settings().cpu_clients
#: Figure prefixes, and the clients each must have a number for.
QUEUE_FIGURES = {
    "5. import time": BASE_CLIENTS,
    "1. completion detection latency p50": BASE_CLIENTS,
    "1. completion detection latency p95": BASE_CLIENTS,
    "2. HTTP requests per job, 0.2 s": CPU_CLIENTS,
    "2. HTTP requests per job, 0.5 s": CPU_CLIENTS,
    "3. client CPU per job, 2 concurrent 0.2 s": CPU_CLIENTS,
    "3. client CPU per job, 4 concurrent 0.5 s": CPU_CLIENTS,
    "3. client CPU per job, 5 concurrent 0.2 s": CPU_CLIENTS,
    "   share of one core the client used (CPU / wall), 2 concurrent": CPU_CLIENTS,
    "3. wall time": CPU_CLIENTS,
    "4. peak RSS": BASE_CLIENTS,
    "   jobs actually queued": BASE_CLIENTS,
}
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
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(out.read_text())
    rows = {row["figure"]: row for row in data["rows"]}

    def row(prefix: str) -> dict[str, float]:
        found = [r for figure, r in rows.items() if figure.startswith(prefix)]
        assert found, f"no figure {prefix!r} in {sorted(rows)}"
        values: dict[str, float] = found[0]["values"]
        return values

    for prefix, clients in QUEUE_FIGURES.items():
        values = row(prefix)
        for client in clients:
            assert client in values and math.isfinite(values[client]), (prefix, client, values)
    for prefix in DOWNLOAD_FIGURES:
        values = row(prefix)
        for mode in ("httpx", "fq_sync", "httpx_async", "fq_async"):
            assert mode in values and math.isfinite(values[mode]), (prefix, mode, values)
    # Every job of every CPU phase really ran (the mock saw each submit and result), on the
    # transport the column names.
    for client in CPU_CLIENTS:
        for phase, reps in data["raw"]["cpu"][client].items():
            (rep,) = reps
            assert rep["requests"]["submit"] == rep["jobs"], (client, phase)
            assert rep["requests"]["result"] == rep["jobs"], (client, phase)
            expected = "httpx" if client == "fal" or client in TRANSPORT_VARIANTS else "aiohttp"
            assert rep["transport"] == expected, (client, phase)
    for client in BASE_CLIENTS:
        (inflight,) = data["raw"]["inflight"][client]
        assert inflight["seconds_to_client"] is not None
    text = results.read_text()
    assert "| figure |" in text and "Goals:" in text and "<!-- figures: " in text
    assert "moved further than their range" in text
