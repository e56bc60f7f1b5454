"""What the orchestrator (run.py) and the client processes (worker.py) agree on."""

from __future__ import annotations

import math
import os
import resource
import statistics
from collections.abc import Sequence

MODEL = "fal-ai/flux-1/schnell"
ARGS = {"prompt": "a lighthouse at dusk"}
KEY = "bench-key"

#: The clients, in table order. "fal" is the baseline every ratio refers to. fal_queue's async
#: client runs on its default transport (aiohttp) and, as ``*_httpx``, on httpx's own.
CLIENTS = ("fal", "fq_stream", "fq_stream_httpx", "fq_poll", "fq_poll_httpx", "raw")
LABELS = {
    "fal": "fal-client 1.0.3 (official)",
    "fq_stream": "fal_queue, stream mode (aiohttp)",
    "fq_stream_httpx": "fal_queue, stream mode (httpx)",
    "fq_poll": "fal_queue, poll mode (aiohttp)",
    "fq_poll_httpx": "fal_queue, poll mode (httpx)",
    "raw": "generated client, 0.1 s poll loop",
}
#: Clients that differ from another one only in the async transport: (that client, backend).
TRANSPORT_VARIANTS = {"fq_stream_httpx": ("fq_stream", "httpx"), "fq_poll_httpx": ("fq_poll", "httpx")}
#: Requests the mock counts per queue operation (admin calls of the harness are left out).
QUEUE_OPS = ("submit", "status", "stream", "result", "cancel")

#: The naive loop of the raw generated client polls at this fixed interval (fal-client's default).
RAW_POLL_INTERVAL = 0.1


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    clean = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(clean) if clean else math.nan


def rss_mb() -> float:
    """Resident set size of this process now (MiB)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """High-water mark of this process's resident set (MiB); ru_maxrss is KiB on Linux."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
