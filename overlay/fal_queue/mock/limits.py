"""A reselling gateway's limits per key: jobs not yet completed, and submits per second.

Gateways resell fal with such limits and answer 429 past them, with or without ``Retry-After``, or
with a plain text body. Here they are off by default and deterministic: the only input besides the
requests is the clock of the token bucket, and a changing limit follows the key's completed jobs,
not time, so a run under other load changes at the same point of a batch.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from fal_queue.mock.config import MockConfig

__all__ = ["KeyLimits"]


class KeyLimits:
    """Admits or refuses a key's submits; the engine reports each job's start and end."""

    def __init__(self, config: MockConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self.unfinished: Counter[str] = Counter()
        self.finished: Counter[str] = Counter()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def running_limit(self, key: str) -> int:
        """``max_running_per_key``, or the last ``limit_schedule`` step the key's completions reached."""
        limit = self._config.max_running_per_key
        for after, later in self._config.limit_schedule:
            if self.finished[key] >= after:
                limit = later
        return limit

    def refusal(self, key: str) -> str | None:
        """``"running"`` or ``"rate"`` when this submit is over a limit (a refused submit takes no
        token), else None."""
        limit = self.running_limit(key)
        if limit and self.unfinished[key] >= limit:
            return "running"
        rate = self._config.rate_limit
        if rate:
            now, burst = self._clock(), max(1.0, rate)
            tokens, at = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - at) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return "rate"
            self._buckets[key] = (tokens - 1.0, now)
        return None

    def started(self, key: str) -> None:
        self.unfinished[key] += 1

    def ended(self, key: str) -> None:
        self.unfinished[key] -= 1
        self.finished[key] += 1
