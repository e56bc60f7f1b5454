"""The learned poll schedule, on simulated jobs: requests per job and detection latency are
computed on a simulated clock (no sleeping), against fal-client's fixed 0.1 s poll interval."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import httpx
import pytest
from fal_queue import Client
from fal_queue.polling import Deadline, Poller, PollHistory, PollPolicy
from fal_queue.types import Completed, InProgress, Status

FAL_INTERVAL = 0.1
KEY = ("https://gw.example", "fal-ai/flux-1/schnell")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def simulate(policy: PollPolicy, duration: float) -> tuple[int, float]:
    """(requests, detection latency) of one polled job that completes ``duration`` s after the wait starts."""
    clock = Clock()
    poller = Poller(policy, Deadline(None, clock), key=KEY, clock=clock)
    requests = 0
    while True:
        requests += 1
        status: Status = Completed(request_id="r") if clock.now >= duration else InProgress(request_id="r")
        poller.changed(status)
        if isinstance(status, Completed):
            return requests, clock.now - duration
        delay = poller.next_sleep()
        assert delay is not None and delay > 0
        clock.now += delay


def fal_client(duration: float) -> tuple[int, float]:
    """fal-client: status at once, then every 0.1 s."""
    polls = math.ceil(duration / FAL_INTERVAL - 1e-9)
    return polls + 1, polls * FAL_INTERVAL - duration


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run_jobs(durations: list[float], schedule: Callable[[float], tuple[int, float]]) -> dict[str, float]:
    outcomes = [schedule(d) for d in durations]
    requests = [float(r) for r, _ in outcomes]
    latency = [lat for _, lat in outcomes]
    return {
        "requests": sum(requests) / len(requests),
        "p50": percentile(latency, 50),
        "p95": percentile(latency, 95),
    }


def jobs(mean: float, spread: float, n: int = 200, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [mean * rng.uniform(1 - spread, 1 + spread) for _ in range(n)]


@pytest.mark.parametrize("mean", [0.5, 5.0])
def test_learned_schedule_beats_fixed_interval_on_steady_jobs(mean: float) -> None:
    policy = PollPolicy()
    durations = jobs(mean, 0.05)
    warm = run_jobs(durations[:5], lambda d: simulate(policy, d))  # the history fills up
    ours = run_jobs(durations[5:], lambda d: simulate(policy, d))
    fal = run_jobs(durations[5:], fal_client)
    print(f"{mean} s jobs: learned {ours}, fal-client {fal}, first five {warm}")
    assert ours["requests"] < fal["requests"]
    assert ours["p50"] < fal["p50"]
    assert ours["p95"] < fal["p95"]


def test_widely_spread_durations_still_take_fewer_requests_than_fal_client() -> None:
    policy = PollPolicy()
    rng = random.Random(3)
    durations = [rng.uniform(0.5, 10.0) for _ in range(300)]
    ours = run_jobs(durations, lambda d: simulate(policy, d))
    fal = run_jobs(durations, fal_client)
    print(f"0.5-10 s jobs: learned {ours}, fal-client {fal}")
    assert ours["requests"] < fal["requests"]
    # The step never exceeds fal-client's interval; only a job shorter than every recent one
    # waits for the window's start (a guessed duration stays near its poll, see Poller._learn).
    assert ours["p95"] <= 1.1 * FAL_INTERVAL


def test_without_history_the_policy_backoff_applies() -> None:
    clock = Clock()
    poller = Poller(PollPolicy(), Deadline(None, clock), key=KEY, clock=clock)
    delays = []
    for _ in range(4):
        poller.changed(InProgress(request_id="r"))
        delay = poller.next_sleep()
        assert delay is not None
        delays.append(delay)
        clock.now += delay
    assert delays == pytest.approx([0.05, 0.075, 0.1125, 0.16875])


def test_a_job_longer_than_every_recent_one_is_backed_off_from_the_step() -> None:
    policy = PollPolicy()
    for _ in range(3):
        simulate(policy, 1.0)
    requests, latency = simulate(policy, 30.0)
    unlearned, _ = simulate(PollPolicy(learn=False), 30.0)
    assert requests <= unlearned + 15  # backs off to 1 s as without a history...
    assert requests < fal_client(30.0)[0] / 5  # ...far below fal-client's 301
    assert latency <= policy.max_interval


def test_learning_can_be_turned_off() -> None:
    policy = PollPolicy(learn=False)
    for _ in range(3):
        simulate(policy, 5.0)
    assert policy.history.window(KEY) is None
    assert simulate(policy, 5.0) == simulate(PollPolicy(learn=False), 5.0)


def test_failed_jobs_and_jobs_done_at_first_look_are_not_learned() -> None:
    history = PollHistory(minimum=1)
    policy = PollPolicy(history=history)
    clock = Clock()
    poller = Poller(policy, Deadline(None, clock), key=KEY, clock=clock)
    poller.changed(Completed(request_id="r"))  # done before the first poll: duration unknown
    poller = Poller(policy, Deadline(None, clock), key=KEY, clock=clock)
    poller.changed(InProgress(request_id="r"))
    poller.next_sleep()
    clock.now += 0.2
    poller.changed(Completed(request_id="r", error="boom"))
    assert history.window(KEY) is None


def _learned(pending_at: float, done_at: float) -> float:
    history = PollHistory(minimum=1)
    clock = Clock()
    poller = Poller(PollPolicy(history=history), Deadline(None, clock), key=KEY, clock=clock)
    poller.changed(InProgress(request_id="r"))
    clock.now = pending_at
    poller.next_sleep()
    clock.now = done_at
    poller.changed(Completed(request_id="r"))
    window = history.window(KEY)
    assert window is not None and window[0] == window[1]
    return window[0]


def test_a_polled_duration_is_the_midpoint_of_two_close_polls() -> None:
    assert _learned(1.0, 1.4) == pytest.approx(1.2)
    assert _learned(0.50, 0.52) == pytest.approx(0.51)


def test_after_a_long_sleep_the_duration_is_guessed_near_the_poll_that_saw_it_done() -> None:
    """Pending at 0.003 s, done at 0.54 s (the sleep to a learned window): the midpoint, 0.27 s,
    would start later windows at half the real duration; the guess stays within a sixth of it."""
    guess = _learned(0.003, 0.54)
    assert guess == pytest.approx(0.54 - 0.54 / 6)
    assert _learned(0.0, 9.0) == pytest.approx(7.5)  # still moves down fast for a faster model


def test_the_deadline_clips_a_long_sleep_until_the_window() -> None:
    policy = PollPolicy()
    for _ in range(3):
        simulate(policy, 60.0)
    clock = Clock()
    poller = Poller(policy, Deadline(2.0, clock), key=KEY, clock=clock)
    poller.changed(InProgress(request_id="r"))
    assert poller.next_sleep() == pytest.approx(2.0)


def test_the_client_learns_through_its_public_poll_loop() -> None:
    """Client.subscribe(mode="poll") on a simulated clock: after two jobs it skips ahead."""
    clock = Clock()
    started: dict[str, float] = {}
    statuses: list[tuple[str, float]] = []
    duration = 3.0

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST":
            rid = f"req-{len(started)}"
            started[rid] = clock.now
            base = f"https://gw.example/fal-ai/flux-1/requests/{rid}"
            return httpx.Response(
                200,
                json={
                    "request_id": rid,
                    "status": "IN_QUEUE",
                    "response_url": base,
                    "status_url": base + "/status",
                    "cancel_url": base + "/cancel",
                },
            )
        rid = path.split("/requests/")[1].split("/")[0]
        if path.endswith("/status"):
            statuses.append((rid, clock.now))
            done = clock.now - started[rid] >= duration
            return httpx.Response(
                200 if done else 202,
                json={"status": "COMPLETED" if done else "IN_PROGRESS", "request_id": rid},
            )
        return httpx.Response(200, json={"images": []})

    def sleep(seconds: float) -> None:
        clock.now += seconds

    client = Client("https://gw.example", "k", transport=httpx.MockTransport(handler), wait_mode="poll")
    client._clock = clock
    client._sleep = sleep
    with client:
        for _ in range(4):
            client.subscribe("fal-ai/flux-1/schnell", {"prompt": "x"})
    polls = [sum(1 for rid, _ in statuses if rid == f"req-{i}") for i in range(4)]
    assert polls[3] <= polls[0] / 2, polls
    assert polls[3] < fal_client(duration)[0] / 4, polls


def concurrent_waves(
    policy: PollPolicy, waves: list[list[float]], rtt: float = 0.002
) -> list[tuple[float, float]]:
    """(polls per job, worst detection latency) of each wave of jobs started together, on a
    simulated clock: the situation of the bench's 10 concurrent jobs, where a whole wave shares
    one window and is found done at its start together."""
    clock = Clock()
    out = []
    for durations in waves:
        start = clock.now
        pollers = [Poller(policy, Deadline(None, clock), key=KEY, clock=clock) for _ in durations]
        due = sorted((start + rtt, i) for i in range(len(durations)))
        polls = [0] * len(durations)
        worst = 0.0
        while due:
            at, i = due.pop(0)
            clock.now = at
            polls[i] += 1
            done = at - start >= durations[i]
            pollers[i].changed(Completed(request_id="r") if done else InProgress(request_id="r"))
            if done:
                worst = max(worst, at - start - durations[i])
                continue
            delay = pollers[i].next_sleep()
            assert delay is not None
            due.append((at + delay + rtt, i))
            due.sort()
        out.append((sum(polls) / len(polls), worst))
    return out


def test_concurrent_waves_of_steady_jobs_poll_less_than_fal_client_once_learned() -> None:
    rng = random.Random(5)
    waves = [[0.5 + rng.uniform(0.0, 0.03) for _ in range(10)] for _ in range(8)]
    ours = concurrent_waves(PollPolicy(), waves)
    fal_polls = [sum(fal_client(d)[0] for d in wave) / len(wave) for wave in waves]
    print("per wave (polls, worst latency):", ours, "fal-client polls:", fal_polls)
    for (polls, worst), fal in list(zip(ours, fal_polls, strict=True))[2:]:
        assert polls < fal
        assert worst < FAL_INTERVAL
