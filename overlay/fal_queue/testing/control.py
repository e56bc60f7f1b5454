"""`MockControl`: what a test does with its mock gateway, whichever way the gateway runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fal_queue.client import Client
from fal_queue.mock import Faults, MockConfig
from fal_queue.mock.engine import REQUEST_OPERATIONS
from fal_queue.mock.server import Gateway

TEST_CONFIG = MockConfig(ping_interval=1.0)
"""The fast default timings (a job is done about 0.1 s after its submit), pings every second."""


class MockControl:
    """A running mock gateway plus the helpers tests want: faults, clients, and what it received.

    ``gateway`` is the `MockGateway` (loopback HTTP) or `InProcessGateway` (no port) underneath;
    what it answers itself (``base_url``, ``key``, ``config``, ``faults``, ``stats()``, ``jobs()``,
    ``reset_log()``, ``async_client()``, ...) is read from it, the same way for both.
    """

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self._clients: list[Client] = []

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # copy and pickle look for these before __init__ ran
            raise AttributeError(name)
        return getattr(self.gateway, name)

    def __repr__(self) -> str:
        # An attribute, not isinstance: pytester's in-process runs re-import modules (new classes).
        kind = "in-process" if self.gateway.in_process else "loopback"
        return f"MockControl({kind}, base_url={self.gateway.base_url!r})"

    def set_faults(self, faults: Faults | None = None, **fields: Any) -> Faults:
        """Replace the faults: ``set_faults(Faults(rate_limit=1.0))`` or ``set_faults(rate_limit=1.0)``."""
        if faults is not None and fields:
            raise TypeError("pass either a Faults or its fields, not both")
        chosen = faults if faults is not None else Faults(**fields)
        if not isinstance(chosen, Faults):
            raise TypeError(f"set_faults wants a fal_queue.mock.Faults, not {type(chosen).__name__}")
        self.gateway.set_faults(chosen)
        return chosen

    def clear_faults(self) -> None:
        self.gateway.set_faults(Faults())

    def client(self, **options: Any) -> Client:
        """A `Client` bound to this gateway; closed when the fixture ends (options as for `Client`)."""
        client = self.gateway.client(**options)
        self._clients.append(client)
        return client

    def close_clients(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()

    def job(self, request_id: str) -> dict[str, Any]:
        """One job's record; AssertionError when the gateway has no such job."""
        info = self.gateway.job(request_id)
        if info is None:
            raise AssertionError(f"the mock gateway has no job {request_id!r}")
        return info

    def last_job(self) -> dict[str, Any]:
        """The newest job; AssertionError when none was created."""
        jobs = self.gateway.jobs()
        if not jobs:
            raise AssertionError("the mock gateway created no job")
        return jobs[-1]

    def requests(self, operation: str | None = None) -> list[dict[str, Any]]:
        """Requests received, oldest first (origin, method, path, query, headers, time, operation).

        ``operation`` keeps one kind: submit, status, stream, result, cancel, media, admin, jwks or
        unrouted (what the gateway routed the request to).
        """
        if operation is not None and operation not in REQUEST_OPERATIONS:
            raise ValueError(f"operation must be one of {', '.join(REQUEST_OPERATIONS)}, not {operation!r}")
        return [e for e in self.gateway.request_log if operation is None or e["operation"] == operation]

    def wait_for(
        self, condition: Callable[[], Any], *, timeout: float = 10.0, message: str = "condition"
    ) -> Any:
        """Poll ``condition`` until it returns something truthy (returned), or fail after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AssertionError(f"{message} not met within {timeout} s")
            time.sleep(0.01)
