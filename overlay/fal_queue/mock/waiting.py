"""The mock's queue of jobs waiting for a worker, and who is told when it moves.

The order is a sorted list, so placing, finding and removing a job cost O(log n) with tens of
thousands queued. A move of the queue changes the position of every job behind it; only jobs someone
follows (an open status stream) are woken for it, not all of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, Protocol, TypeVar

from sortedcontainers import SortedKeyList

__all__ = ["WaitingLine"]


class Waiter(Protocol):
    seq: int
    low_priority: bool

    def touch(self) -> None: ...


W = TypeVar("W", bound=Waiter)


def _order(job: Waiter) -> tuple[bool, int]:
    """Normal priority before low, each in arrival order (fal's ``X-Fal-Queue-Priority: low``)."""
    return (job.low_priority, job.seq)


class WaitingLine(Generic[W]):
    def __init__(self) -> None:
        self._line: SortedKeyList = SortedKeyList(key=_order)
        #: job -> how many streams follow it
        self._followed: Counter[W] = Counter()

    def __len__(self) -> int:
        return len(self._line)

    def __contains__(self, job: W) -> bool:
        return job in self._line

    def add(self, job: W) -> None:
        self._line.add(job)
        if self._line[-1] is not job:  # a normal job went ahead of low-priority ones
            self._moved()

    def discard(self, job: W) -> bool:
        """Take a job out wherever it stands; False when it was not waiting."""
        if job not in self._line:
            return False
        self._line.remove(job)
        self._moved()
        return True

    def first(self) -> W | None:
        return self._line[0] if self._line else None

    def position(self, job: W) -> int:
        """How many jobs stand ahead (0 for a job that is not waiting)."""
        index = self._line.bisect_key_left(_order(job))
        return index if index < len(self._line) and self._line[index] is job else 0

    @contextmanager
    def following(self, job: W) -> Iterator[None]:
        """While open, ``job`` is woken (``touch``) whenever the queue ahead of it may have moved."""
        self._followed[job] += 1
        try:
            yield
        finally:
            self._followed[job] -= 1
            if not self._followed[job]:
                del self._followed[job]

    def _moved(self) -> None:
        for job in list(self._followed):
            if job in self._line:
                job.touch()
