"""What tests ask a running mock (counters, one job, faults, the request log), for both ways to run it.

`MockGateway` (loopback sockets) and `fal_queue.testing.InProcessGateway` (no port) hold the same
`MockState` on an event loop of their own; each says how to run a function on that loop (`_call`),
and this mixin asks the questions the same way for both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fal_queue.mock.app import MockState
from fal_queue.mock.config import Faults

__all__ = ["StateInspection"]

T = TypeVar("T")


class StateInspection:
    """Thread-safe questions about a running mock's state."""

    state: MockState

    def _call(self, fn: Callable[[], T]) -> T:
        raise NotImplementedError  # each gateway runs ``fn`` on its own loop

    @property
    def key(self) -> str:
        """The first accepted API key."""
        return self.state.config.keys[0]

    @property
    def faults(self) -> Faults:
        return self.state.faults

    def stats(self) -> dict[str, Any]:
        """Counters: jobs_created, jobs_completed (any outcome), jobs_succeeded, jobs_failed, jobs_cancelled,
        jobs_timed_out, requests_by_operation, faults_injected, webhooks_delivered, webhooks_failed,
        webhooks_not_delivered (non-loopback ``fal_webhook``: accepted, never sent), ..."""
        return self._call(self.state.stats)

    def job(self, request_id: str) -> dict[str, Any] | None:
        """A job's record (created_at, started_at, completed_at, status, cancelled, failed, ...) or None."""

        def get() -> dict[str, Any] | None:
            job = self.state.engine.jobs.get(request_id)
            return None if job is None else self.state.engine.job_info(job)

        return self._call(get)

    def set_faults(self, faults: Faults) -> None:
        self._call(lambda: self.state.set_faults(faults))

    @property
    def request_log(self) -> list[dict[str, Any]]:
        """Requests received so far: origin ("gateway"|"media"), method, path, query, headers, time."""
        return self._call(lambda: list(self.state.request_log))

    def reset_log(self) -> None:
        self._call(self.state.request_log.clear)
