"""Waiting for a job: the pure parts shared by the sync and async clients.

The clients follow the SSE status stream by default (one request, completion noticed the moment
the server knows it) and fall back to polling with a growing interval when the stream is
unavailable or breaks. Clock and sleep are injectable so that tests of the timing run instantly.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import attrs
import httpx

from . import _constants as C
from ._answers import parse_status
from ._checks import at_least, finite, seconds, whole_number
from ._transport import RetryPolicy, Secret
from .errors import APIStatusError, JobTimeoutError
from .types import Completed, Queued, Status

WAIT_MODES = frozenset({"stream", "poll"})


class PollHistory:
    """Recent submit-to-COMPLETED durations per (gateway, model), shared by a client's jobs.

    A duration is measured from the start of the wait (for ``subscribe``, right after the submit);
    a handle resumed later under-reports, which only makes the poller look earlier than needed.
    Failed jobs are not recorded: a refused input fails at once and would pull the window early.
    """

    def __init__(self, size: int = C.POLL_HISTORY_SIZE, minimum: int = C.POLL_HISTORY_MIN) -> None:
        self._size = whole_number(size, "PollHistory size", least=1)
        self._minimum = whole_number(minimum, "PollHistory minimum", least=1)
        at_least(size, "PollHistory size", minimum)
        self._durations: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()  # the sync client records from many threads

    def record(self, key: tuple[str, str], seconds: float) -> None:
        if finite(seconds) is None:
            return
        with self._lock:
            self._durations.setdefault(key, deque(maxlen=self._size)).append(seconds)

    def window(self, key: tuple[str, str]) -> tuple[float, float] | None:
        """(shortest, longest) recent duration, or None while too few are known."""
        with self._lock:
            recent = self._durations.get(key, ())
            return (min(recent), max(recent)) if len(recent) >= self._minimum else None


@dataclass(frozen=True)
class PollPolicy:
    """Polling intervals: ``initial`` growing by ``factor`` up to ``max_interval`` seconds.

    With ``learn`` (the default) the intervals are only the fallback: once a model's recent job
    durations are known, the poller follows them (see :class:`Poller`). The durations live in
    ``history``: a client builds its own policy, so each client (and its ``with_options``
    copies) learns for itself unless clients are given one policy to share.
    """

    initial: float = C.POLL_INITIAL_INTERVAL
    factor: float = C.POLL_FACTOR
    max_interval: float = C.POLL_MAX_INTERVAL
    learn: bool = True
    history: PollHistory = field(default_factory=lambda: PollHistory(), compare=False, repr=False)

    def __post_init__(self) -> None:
        seconds(self.initial, "PollPolicy initial")
        at_least(self.max_interval, "PollPolicy max_interval", self.initial)
        at_least(self.factor, "PollPolicy factor", 1)

    def interval(self, poll_number: int) -> float:
        """Seconds to wait after poll ``poll_number`` (0-based)."""
        return min(self.initial * self.factor**poll_number, self.max_interval)


class Deadline:
    """The caller's total timeout for a wait, on an injectable monotonic clock."""

    def __init__(self, timeout: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.timeout = None if timeout is None else seconds(timeout, "timeout", alternative=" or None")
        self.at = None if timeout is None else clock() + timeout

    def remaining(self) -> float | None:
        return None if self.at is None else max(self.at - self._clock(), 0.0)

    def expired(self) -> bool:
        return self.at is not None and self._clock() >= self.at

    def error(
        self, request_id: str, model_id: str, cancelled: bool, *, completed: bool = False
    ) -> JobTimeoutError:
        ids = f"({model_id!r}, {request_id!r})"
        if completed:
            text = f"job completed, but its result was not fetched within {self.timeout:g}s; fetch it with "
            text += f"result{ids}"
        else:
            note = "cancelled" if cancelled else f"still running; resume with get_handle{ids}"
            text = f"job did not complete within {self.timeout:g}s ({note})"
        return JobTimeoutError(text, request_id=request_id, model_id=model_id, cancelled=cancelled)

    def check(self, request_id: str, model_id: str) -> None:
        """End the wait once the deadline has passed."""
        if self.expired():
            raise self.error(request_id, model_id, False)

    def failure(
        self, exc: Exception, request_id: str, model_id: str, *, completed: bool = False
    ) -> Exception:
        """A call cut short by this deadline is a timeout of the wait; any other failure stays itself."""
        return self.error(request_id, model_id, False, completed=completed) if self.expired() else exc


def decode_event(data: str, *, request_id: str, base_url: str, secret: Secret | None = None) -> Status | None:
    """A status from one SSE ``data:`` payload; None for payloads that are not JSON objects."""
    try:
        payload = json.loads(data)
    except ValueError:
        return None
    return (
        parse_status(payload, request_id=request_id, base_url=base_url, secret=secret)
        if isinstance(payload, dict)
        else None
    )


class ResultRetry:
    """Whether to ask for a result again after COMPLETED, and when.

    fal documents a 400 from the result call only as "still in progress"; right after a COMPLETED
    status it means a gateway whose replicas have not caught up, so the result is asked for again
    with backoff, within the caller's deadline (or ``RESULT_NOT_READY_MAX_WAIT`` without one).
    """

    def __init__(self, policy: RetryPolicy, deadline: Deadline):
        self._policy = policy
        unbounded = deadline.at is None
        self._deadline = Deadline(C.RESULT_NOT_READY_MAX_WAIT, deadline._clock) if unbounded else deadline
        self._attempt = 0

    def after(self, err: APIStatusError) -> float | None:
        """Seconds to wait before asking again, or None to give up and raise ``err``."""
        if err.status_code != 400:
            return None
        self._attempt += 1
        delay = self._policy.backoff(self._attempt)
        return delay if delay < (self._deadline.remaining() or 0.0) else None


class Poller:
    """Decides, poll after poll, whether to report a status and how long to sleep next.

    The client polls once at once, then sleeps what :meth:`next_sleep` says. Without a learned
    window that is the policy's growing interval. With one (``policy.history``, per model): sleep
    until one step before the shortest recent duration, poll every step until one step after the
    longest, then grow the interval from the step as the policy does. A job fal-client would poll
    every 0.1 s for its whole run is asked a few times around when it is expected to finish.
    """

    def __init__(
        self,
        policy: PollPolicy,
        deadline: Deadline,
        *,
        key: tuple[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._policy = policy
        self._deadline = deadline
        self._polls = 0
        self._after_window = 0
        self._last: tuple[object, ...] | None = None
        self._key = key if policy.learn else None
        self._clock = clock
        self._started = clock()
        self._pending_seen = False
        self._last_pending_poll: float | None = None

    def changed(self, status: Status) -> bool:
        """Whether the status is news: its kind, queue position, log count or failure changed."""
        position = status.position if isinstance(status, Queued) else None
        failed = isinstance(status, Completed) and status.failed
        key = (type(status).__name__, position, len(status.logs), failed)
        changed = key != self._last
        self._last = key
        if isinstance(status, Completed):
            self._learn(status)
        else:
            self._pending_seen = True
        return changed

    def _learn(self, status: Completed) -> None:
        if self._key is None or status.failed or not self._pending_seen:
            return  # a job already done at the first look says nothing about its duration
        now = self._clock() - self._started
        # Streamed, the event came when the job finished. Polled, it finished between the last
        # pending poll and this one: at their midpoint when they are close. After a long sleep
        # (to a learned window's start, or a late fallback interval) the midpoint is only a guess,
        # and a low one that starts the window too early. So the guess stays within a sixth of the
        # duration (or half a step) of this poll: the window still moves down fast when the model
        # gets faster.
        last = self._last_pending_poll
        gap = 0.0 if last is None else now - last
        duration = now - min(gap, max(C.POLL_MAX_STEP, now / 3)) / 2
        self._policy.history.record(self._key, duration)
        self._key = None  # once per wait

    def next_sleep(self) -> float:
        """Seconds to sleep before the next poll, never past the deadline."""
        self._last_pending_poll = elapsed = self._clock() - self._started
        delay = self._scheduled(elapsed)
        self._polls += 1
        remaining = self._deadline.remaining()
        return delay if remaining is None else min(delay, remaining)

    def _scheduled(self, elapsed: float) -> float:
        window = self._policy.history.window(self._key) if self._key is not None else None
        if window is None:
            return self._policy.interval(self._polls)
        shortest, longest = window
        step = min(max((longest - shortest) / C.POLL_WINDOW_POLLS, C.POLL_MIN_STEP), C.POLL_MAX_STEP)
        if elapsed < shortest - 2 * step:
            return shortest - step - elapsed  # sleep until just before the shortest
        if elapsed < longest + step:
            return step
        delay = min(step * self._policy.factor**self._after_window, self._policy.max_interval)
        self._after_window += 1
        return max(delay, step)


def merge_logs(seen: list[Mapping[str, Any]], status: Status) -> Status:
    """``status`` with all log lines streamed so far (``seen``, updated), as a polled status has them.

    fal streams only the lines new since the previous event (fal-js accumulates them "to match
    previous polling behavior"); a gateway that repeats the whole list each time is recognised
    (the new list starts with what was seen) and not doubled.
    """
    new = list(status.logs)
    if seen and new[: len(seen)] == seen:
        seen[:] = new
    else:
        seen += new
    return status if seen == new else attrs.evolve(status, logs=tuple(seen))


class StreamUnavailable(Exception):
    """The SSE stream could not be used; the caller falls back to polling."""


def stream_failure(exc: Exception, deadline: Deadline, request_id: str, model_id: str) -> Exception:
    """A broken stream means "poll instead", unless it broke because the deadline passed."""
    unavailable = StreamUnavailable(type(exc).__name__)
    timed_out = isinstance(exc, httpx.TimeoutException)
    return deadline.failure(unavailable, request_id, model_id) if timed_out else unavailable


def is_job_failure(err: APIStatusError) -> bool:
    """After COMPLETED, a 422 or a typed 5xx from the result call is the job's own failure."""
    return err.status_code == 422 or (err.status_code >= 500 and err.error_type is not None)
