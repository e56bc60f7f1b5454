"""What only the async client does, kept out of the code that the sync client is generated from.

An event loop can hold thousands of pending jobs in one process, and httpcore's pool does work
proportional to (queued requests x connections) on every change, so 10,000 concurrent subscribes
queued there stall the loop. The async client therefore queues its requests itself, at most
``MAX_CONCURRENT_REQUESTS`` outstanding. A thread-based sync client never has that many waiting on
one pool, so it has no gate (``_sync_only``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator

import httpx

from . import _constants as C
from ._transport import STREAM_EXTENSION

__all__ = ["AsyncRequestGate", "_AsyncOnly"]

#: Set while a call holds a gate slot taken before its request was built (``_AsyncOnly._admitted``).
_ADMITTED: contextvars.ContextVar[bool] = contextvars.ContextVar("fal_queue_admitted", default=False)


class AsyncRequestGate(httpx.AsyncBaseTransport):
    """Lets at most ``limit`` whole requests through at once; streamed ones pass ungated.

    Streamed responses (SSE, downloads) keep their connection after the transport returns, so
    gating them would hold a slot for a whole job.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, limit: int) -> None:
        self._inner = inner
        self.limit = limit
        self._gate: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._gate is None or self._gate[0] is not loop:
            self._gate = (loop, asyncio.Semaphore(self.limit))
        return self._gate[1]

    @contextlib.asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        """Hold a slot around a whole call, so its request is built only once it may be sent.

        Pending jobs then hold only their plans, not built requests (13-15 KB each).
        """
        async with self._semaphore():
            token = _ADMITTED.set(True)
            try:
                yield
            finally:
                _ADMITTED.reset(token)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.extensions.get(STREAM_EXTENSION) or _ADMITTED.get():
            return await self._inner.handle_async_request(request)
        async with self._semaphore():
            return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class _AsyncOnly:
    """Mixed into AsyncClient only."""

    def _gated(self, transport: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        self._gate = AsyncRequestGate(transport, C.MAX_CONCURRENT_REQUESTS)
        return self._gate

    def _admitted(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Wait for a gate slot before a call builds its request (see AsyncRequestGate.admitted)."""
        return self._gate.admitted()
