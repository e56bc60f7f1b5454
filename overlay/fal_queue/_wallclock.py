"""Wall-clock limits that a server cannot stretch.

httpx's timeouts are per socket operation: a server that sends one byte every few seconds, or
pings a status stream forever, keeps each of them from ever firing. So the SDK keeps a wall-clock
limit (``time.monotonic()``) for the work in progress, in a context variable:

* sync: the sockets of the SDK's own transports clip every connect, read and write to it
  (:class:`WallClockBackend`), so a blocked read ends at the limit, not after it;
* async: :func:`async_limit` runs the awaited work under ``asyncio.timeout``;
* both: loops over chunks and events call :func:`check` between items, which also covers
  user-supplied transports that the backend cannot reach.

Expiry surfaces as :class:`WallClockTimeout`, an ``httpx.ReadTimeout``, so it flows through the
same retry and error mapping as any other timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ssl
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import httpcore
import httpx

#: Sleeps of the two shells (the rewriter maps one name to the other; tests replace ``_sleep``).
async_sleep = asyncio.sleep
sync_sleep = time.sleep

_limit_at: contextvars.ContextVar[float | None] = contextvars.ContextVar("fal_queue_wall", default=None)
_PASSED = "the wall-clock limit passed"


class WallClockTimeout(httpx.ReadTimeout):
    """A wall-clock limit passed (an exchange's own timeout, or the caller's total deadline)."""


def remaining() -> float | None:
    """Seconds left before the current limit, or None without one (never negative)."""
    at = _limit_at.get()
    return None if at is None else max(at - time.monotonic(), 0.0)


def check(request: httpx.Request | None = None) -> None:
    if remaining() == 0.0:
        raise WallClockTimeout(_PASSED, request=request)


@contextlib.contextmanager
def limit(at: float | None, request: httpx.Request | None = None) -> Iterator[None]:
    """Run the block under the earlier of the current limit and ``at`` (monotonic seconds).

    ``request`` is unused here; it keeps the signature that of ``async_limit``.
    """
    current = _limit_at.get()
    effective = at if current is None else (current if at is None else min(current, at))
    token = _limit_at.set(effective)
    try:
        yield
    finally:
        _limit_at.reset(token)


@contextlib.asynccontextmanager
async def async_limit(at: float | None, request: httpx.Request | None = None) -> AsyncIterator[None]:
    """``limit`` plus ``asyncio.timeout``: the awaited work is cancelled at the limit."""
    with limit(at):
        left = remaining()
        if left is None:
            yield
            return
        check(request)
        try:
            async with asyncio.timeout(left):
                yield
        except TimeoutError as exc:
            raise WallClockTimeout(_PASSED, request=request) from exc


def _clip(timeout: float | None, error: type[Exception]) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise error(_PASSED)
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A socket whose every operation ends by the wall-clock limit."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clip(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # Send in slices so that a peer that reads slowly cannot hold one send past the limit.
        view = memoryview(buffer)
        step = 64 * 1024
        for start in range(0, max(len(view), 1), step):
            self._inner.write(bytes(view[start : start + step]), _clip(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        clipped = _clip(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, clipped))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class WallClockBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, with every socket operation clipped to the wall-clock limit.

    Only TCP: the SDK's transports use no Unix socket, and no httpcore connect retries (its ``sleep``).
    """

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        clipped = _clip(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, clipped, local_address, socket_options))


def install(transport: httpx.HTTPTransport) -> httpx.HTTPTransport:
    """Give an httpx transport built by the SDK the wall-clock backend (before it connects)."""
    pool = getattr(transport, "_pool", None)
    if not isinstance(pool, httpcore.ConnectionPool):  # pragma: no cover - httpx changed its layout
        raise RuntimeError("httpx.HTTPTransport no longer wraps an httpcore.ConnectionPool")
    pool._network_backend = WallClockBackend(pool._network_backend)
    return transport
