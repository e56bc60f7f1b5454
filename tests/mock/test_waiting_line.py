"""The mock's waiting line: fal's order (normal before low priority, each by arrival), positions,
removal from anywhere, and who is woken when the queue moves."""

from __future__ import annotations

import random
from dataclasses import dataclass

from fal_queue.mock.waiting import WaitingLine


@dataclass(eq=False)
class FakeJob:
    seq: int
    low_priority: bool = False
    touched: int = 0

    def touch(self) -> None:
        self.touched += 1


def test_positions_follow_priority_then_arrival() -> None:
    line: WaitingLine[FakeJob] = WaitingLine()
    a, low, b = FakeJob(1), FakeJob(2, low_priority=True), FakeJob(3)
    for job in (a, low, b):
        line.add(job)
    assert [line.position(j) for j in (a, b, low)] == [0, 1, 2]
    assert line.first() is a and len(line) == 3


def test_removal_from_anywhere_moves_those_behind_and_absent_jobs_are_at_zero() -> None:
    line: WaitingLine[FakeJob] = WaitingLine()
    jobs = [FakeJob(i) for i in range(5)]
    for job in jobs:
        line.add(job)
    assert line.discard(jobs[2]) and not line.discard(jobs[2])
    assert [line.position(j) for j in jobs] == [0, 1, 0, 2, 3]
    assert jobs[2] not in line and jobs[3] in line


def test_positions_match_a_plain_list_model_under_random_operations() -> None:
    """The sorted line answers what the old list scan answered, for any mix of operations."""
    rng = random.Random(7)
    line: WaitingLine[FakeJob] = WaitingLine()
    model: list[FakeJob] = []
    for seq in range(600):
        if model and rng.random() < 0.35:
            victim = rng.choice(model)
            model.remove(victim)
            assert line.discard(victim)
        else:
            job = FakeJob(seq, low_priority=rng.random() < 0.3)
            line.add(job)
            index = next((i for i, j in enumerate(model) if j.low_priority), len(model))
            model.insert(len(model) if job.low_priority else index, job)
        assert [line.position(j) for j in model] == list(range(len(model)))
        assert line.first() is (model[0] if model else None)


def test_only_followed_waiting_jobs_are_woken_when_the_queue_moves() -> None:
    line: WaitingLine[FakeJob] = WaitingLine()
    head, low, quiet = FakeJob(1), FakeJob(2, low_priority=True), FakeJob(3, low_priority=True)
    for job in (head, low, quiet):
        line.add(job)
    with line.following(low), line.following(low):  # two streams on one job
        line.add(FakeJob(4))  # a normal job goes ahead of the low-priority ones
        assert (low.touched, quiet.touched) == (1, 0)
        line.discard(head)
        assert (low.touched, quiet.touched) == (2, 0)
    line.discard(low)
    line.add(FakeJob(5))
    assert low.touched == 2  # no longer followed


def test_a_job_added_at_the_end_wakes_nobody() -> None:
    line: WaitingLine[FakeJob] = WaitingLine()
    first = FakeJob(1)
    line.add(first)
    with line.following(first):
        line.add(FakeJob(2))
        assert first.touched == 0
