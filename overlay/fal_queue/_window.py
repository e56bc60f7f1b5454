"""How many jobs to keep in flight against a gateway whose limits are not published.

Gateways resell fal with limits per key (jobs running at once, submits per second) and answer 429
past them. A fixed concurrency either leaves paid capacity unused or spends a batch in backoff.
This is TCP's answer, applied to jobs: the window opens fast while submits succeed (slow start),
and on a refusal it drops to what the gateway was seen to accept (its jobs of this client still
running then). While every slot is in use it then creeps up by one per window-squared
successes, and after a quiet spell at the top it opens fast again, so a limit that rises is found
and a steady one is probed only now and then. A rate limit works out the same way: jobs of a
given duration at R submits/s are R x duration jobs in flight.

``SubmitPause`` is the other half: a 429 to any submit pauses every submit of the client until
its Retry-After (or the backoff), not only the one that got it. It is shared by threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from . import _constants as C


class SubmitPause:
    """The earliest time any submit of one client may be sent again, and how many were refused."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until = 0.0
        self._lock = threading.Lock()
        self.refusals = 0
        #: Called on every refusal (the async client's window shrinks).
        self.listeners: list[Callable[[], None]] = []

    def refuse(self, delay: float) -> None:
        with self._lock:
            self.refusals += 1
            self._until = max(self._until, self._clock() + delay)
        for listener in self.listeners:
            listener()

    def remaining(self) -> float:
        return max(0.0, self._until - self._clock())


class ConcurrencyWindow:
    """The number of jobs allowed in flight (``limit``), between ``floor`` and ``ceiling``."""

    def __init__(
        self,
        ceiling: int,
        *,
        floor: int = 1,
        initial: int = C.WINDOW_INITIAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.floor, self.ceiling = floor, max(floor, ceiling)
        self.limit = float(min(max(initial, floor), self.ceiling))
        #: Slots taken (jobs submitting or running), and of them the jobs the gateway accepted.
        self.in_flight = 0
        self.accepted = 0
        self.slow_start = True
        self._clock = clock
        self._last_refusal = clock()
        #: The smallest and largest whole window used, for reports.
        self.low = self.high = int(self.limit)
        self.refusals = 0

    @property
    def size(self) -> int:
        return max(self.floor, int(self.limit))

    def admits(self) -> bool:
        return self.in_flight < self.size

    def acquire(self) -> None:
        self.in_flight += 1

    def release(self, accepted: bool) -> None:
        self.in_flight -= 1
        self.accepted -= accepted

    def succeeded(self) -> None:
        """A submit was accepted: open up (fast in slow start, by 1/limit² while the window is full)."""
        self.accepted += 1
        full = self.in_flight >= self.size
        if full and not self.slow_start and self._clock() - self._last_refusal >= C.WINDOW_PROBE_AFTER:
            self.slow_start = True  # a quiet spell at the top: the limit may have risen
        if self.slow_start and not self.refusals:
            # At least twice what the gateway holds, so the submits under way double every round
            # trip even while no job finishes (long jobs, a deep queue): +1 alone would let the
            # first window's worth through per round trip, however many the gateway accepts.
            self._set(max(self.limit + 1, 2 * self.accepted))
        elif self.slow_start:  # probing again after a quiet spell: gently, it is at a known limit
            self._set(self.limit + 1)
        elif full:
            self._set(self.limit + 1 / (self.limit * self.limit))

    def refused(self) -> None:
        """A submit was refused (429): keep what the gateway was seen to accept, leave slow start."""
        self.refusals += 1
        self.slow_start = False
        self._last_refusal = self._clock()
        self._set(min(self.limit, self.accepted))

    def _set(self, value: float) -> None:
        self.limit = min(float(self.ceiling), max(float(self.floor), value))
        self.low, self.high = min(self.low, self.size), max(self.high, self.size)
