"""The job window against a simulated gateway with a hidden limit, on a simulated clock.

Jobs of a fixed duration; the gateway refuses a submit while ``limit`` of the client's jobs run (and
the refused submit, and every other, waits out the pause); the window must settle near the limit,
be refused rarely, and follow a limit that drops and rises. No sleeps, no threads: each step is an
event at its own time.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import pytest
from fal_queue._window import ConcurrencyWindow, SubmitPause

DURATION = 0.5
PAUSE = 0.25  # the backoff of a refused submit without Retry-After


class Gateway:
    """Submits at a time; refuses past ``limit(now)`` running jobs."""

    def __init__(self, limit: Callable[[float], int]) -> None:
        self.limit = limit
        self.running = 0


def simulate(jobs: int, limit: Callable[[float], int]) -> tuple[float, int, list[tuple[float, int]]]:
    """Run ``jobs`` through the window; return (makespan, refusals, [(time, window size)])."""
    now = 0.0

    def clock() -> float:
        return now

    window = ConcurrencyWindow(100_000, clock=clock)
    pause = SubmitPause(clock=clock)
    pause.listeners.append(window.refused)
    gateway = Gateway(limit)
    events: list[tuple[float, int, str]] = []  # (time, order, kind)
    order = 0
    waiting = jobs
    retrying = 0  # refused submits holding their slot, waiting for the pause
    sizes: list[tuple[float, int]] = []

    def push(at: float, kind: str) -> None:
        nonlocal order
        order += 1
        heapq.heappush(events, (at, order, kind))

    def try_submit() -> None:
        nonlocal retrying
        if pause.remaining() > 0:  # another submit was refused: wait with it
            retrying += 1
            push(now + pause.remaining(), "retry")
            return
        if gateway.running < gateway.limit(now):
            gateway.running += 1
            window.succeeded()
            push(now + DURATION, "done")
        else:
            pause.refuse(PAUSE)
            retrying += 1
            push(now + PAUSE, "retry")

    def admit() -> None:
        nonlocal waiting
        while waiting and window.admits():
            waiting -= 1
            window.acquire()
            try_submit()

    admit()
    finished = 0
    while finished < jobs:
        now, _, kind = heapq.heappop(events)
        if kind == "done":
            gateway.running -= 1
            finished += 1
            window.release(accepted=True)
        elif kind == "retry":
            retrying -= 1
            try_submit()
        admit()
        sizes.append((now, window.size))
    return now, window.refusals, sizes


@pytest.mark.parametrize("limit", [8, 40])
def test_the_window_settles_near_a_hidden_running_limit(limit: int) -> None:
    jobs = 1000
    makespan, refusals, sizes = simulate(jobs, lambda now: limit)
    ideal = jobs * DURATION / limit + DURATION
    assert makespan <= ideal * 1.15
    # Fewer than 5 % of the requests are refused (each job: a submit, a status stream, a result).
    assert refusals < 0.05 * 3 * jobs
    late = [size for at, size in sizes if at > makespan / 4]
    assert limit - 1 <= sorted(late)[len(late) // 2] <= limit + 1


def test_the_window_follows_a_limit_that_drops_and_rises() -> None:
    def limit(now: float) -> int:
        return 10 if 10 <= now < 25 else 40

    makespan, refusals, sizes = simulate(3000, limit)

    def median(start: float, end: float) -> int:
        found = sorted(size for at, size in sizes if start <= at < end)
        return found[len(found) // 2]

    assert 36 <= median(5, 10) <= 41
    assert 9 <= median(15, 25) <= 11  # it came down to the new limit
    assert median(32, makespan) >= 36  # and went up again
    assert refusals < 0.05 * 3 * 3000


def test_without_refusals_the_window_only_opens() -> None:
    window = ConcurrencyWindow(50, initial=4)
    for _ in range(100):
        window.acquire()
        window.succeeded()
    assert window.size == 50 and window.low == 4 and window.high == 50 and window.refusals == 0


def test_before_any_refusal_the_submits_under_way_double_every_round_trip_though_no_job_ends() -> None:
    # Long jobs or a deep queue: every accepted job keeps its slot for the whole batch.
    window = ConcurrencyWindow(100_000, initial=32)
    sent_per_round = []
    while window.in_flight < 50_000:
        sent = 0
        while window.admits():
            window.acquire()
            sent += 1
        for _ in range(sent):  # one round trip later the gateway has accepted them all
            window.succeeded()
        sent_per_round.append(sent)
    assert sent_per_round[:4] == [32, 32, 64, 128]
    assert len(sent_per_round) <= 12  # 50,000 queued in about log2(50,000 / 32) round trips


def test_a_refusal_keeps_what_the_gateway_accepted_and_never_goes_below_the_floor() -> None:
    window = ConcurrencyWindow(100, initial=32)
    for _ in range(12):
        window.acquire()
        window.succeeded()
    window.acquire()  # the thirteenth submit is refused
    window.refused()
    assert window.size == 12 and not window.slow_start
    for _ in range(12):
        window.release(accepted=True)
    window.release(accepted=False)
    window.acquire()
    window.refused()  # nothing of ours is running: the gateway is busy with others
    assert window.size == 1 and window.admits() is False


def test_a_refusal_pauses_every_submit_until_its_delay_passes() -> None:
    now = [0.0]
    pause = SubmitPause(clock=lambda: now[0])
    pause.refuse(2.0)
    now[0] = 0.5
    pause.refuse(1.0)  # a shorter pause never shortens a longer one
    assert pause.remaining() == pytest.approx(1.5) and pause.refusals == 2
    now[0] = 2.5
    assert pause.remaining() == 0.0
