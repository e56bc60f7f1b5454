"""`MockControl`: what a test does with its mock gateway, whichever way the gateway runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fal_queue.client import AsyncClient, Client
from fal_queue.mock import Faults, MockConfig
from fal_queue.mock.engine import REQUEST_OPERATIONS
from fal_queue.mock.server import Gateway

TEST_CONFIG = MockConfig(ping_interval=1.0)
"""The fast default timings (a job is done about 0.1 s after its submit), pings every second."""


class MockControl:
    """A running mock gateway plus the helpers tests want: faults, clients, and what it received.

    ``gateway`` is the `MockGateway` (loopback HTTP) or `InProcessGateway` (no port) underneath; what
    it answers itself (``stats()``, ``request_log``, ...) it answers the same way for both.
    """

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self._clients: list[Client] = []

    def __repr__(self) -> str:
        kind = "in-process" if self.in_process else "loopback"
        return f"MockControl({kind}, base_url={self.base_url!r})"

    # ---- where it is ----

    @property
    def in_process(self) -> bool:
        # An attribute, not isinstance: pytester's in-process runs re-import modules (new classes).
        return self.gateway.in_process

    @property
    def base_url(self) -> str:
        return self.gateway.base_url

    @property
    def media_url(self) -> str:
        return self.gateway.media_url

    @property
    def key(self) -> str:
        """The API key the mock accepts (the first of ``MockConfig.keys``)."""
        return self.gateway.key

    @property
    def config(self) -> MockConfig:
        return self.gateway.config

    # ---- faults ----

    @property
    def faults(self) -> Faults:
        return self.gateway.faults

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

    # ---- clients ----

    def client(self, **options: Any) -> Client:
        """A `Client` bound to this gateway; closed when the fixture ends (options as for `Client`)."""
        client = self.gateway.client(**options)
        self._clients.append(client)
        return client

    def async_client(self, **options: Any) -> AsyncClient:
        """An `AsyncClient` bound to this gateway. Use it as ``async with``: it belongs to your event loop."""
        return self.gateway.async_client(**options)

    def close_clients(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()

    # ---- what the gateway received ----

    def stats(self) -> dict[str, Any]:
        """The mock's counters (jobs_created, jobs_failed, requests_by_operation, faults_injected, ...)."""
        return self.gateway.stats()

    def jobs(self) -> list[dict[str, Any]]:
        """Every job the gateway created, oldest first (request_id, model_id, inputs, status, ...)."""
        return self.gateway.jobs()

    def job(self, request_id: str) -> dict[str, Any]:
        """One job's record; AssertionError when the gateway has no such job."""
        info = self.gateway.job(request_id)
        if info is None:
            raise AssertionError(f"the mock gateway has no job {request_id!r}")
        return info

    def last_job(self) -> dict[str, Any]:
        """The newest job; AssertionError when none was created."""
        jobs = self.jobs()
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

    def reset_log(self) -> None:
        self.gateway.reset_log()

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
