"""What only the async client does, kept out of the code that the sync client is generated from.

An event loop can hold thousands of pending jobs in one process, and httpcore's pool does work
proportional to (queued requests x connections) on every change, so thousands of subscribes
queued there stall the loop. The async client therefore queues its calls itself, at most
``MAX_CONCURRENT_REQUESTS`` outstanding. A thread-based sync client never has that many waiting on
one pool, so it has no gate (``_sync_only``).

A call waits for its slot before it builds anything: a submit is validated and planned, and its
request built, only once admitted, so a pending job holds its caller's arguments and a place in
the queue (a few hundred bytes), not a plan and a request. Status polls yield to every other call:
a submit that waits delays a job the gateway has not even queued yet, a poll that waits only
delays noticing a change, and results and cancels finish jobs (and free what they hold).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections import deque
from collections.abc import AsyncIterator
from types import TracebackType

import httpx

from . import _constants as C
from . import _wallclock
from ._transport import STREAM_EXTENSION
from ._window import ConcurrencyWindow, SubmitPause
from .types import Reader

#: Set while a call holds a gate slot taken before its request was built (``_AsyncOnly._admitted``).
_ADMITTED: contextvars.ContextVar[bool] = contextvars.ContextVar("fal_queue_admitted", default=False)


class _Slots:
    """Places handed out from two queues: a freed place goes to the oldest waiter of the first one
    first. ``limit`` places (the request gate); the job window's number changes (``_JobSlots``).

    Places are handed over directly (no barging), and a cancelled waiter is skipped when its turn
    comes rather than searched for, so cancelling 50,000 waiters stays linear.
    """

    __slots__ = ("_free", "_queues")

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._queues: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (deque(), deque())

    @property
    def waiting(self) -> int:
        return sum(1 for queue in self._queues for f in queue if not f.done())

    def _admits(self) -> bool:
        return self._free > 0

    def _take(self) -> None:
        self._free -= 1

    def _give(self) -> None:
        self._free += 1

    async def acquire(self, background: bool, at: float | None = None) -> None:
        """Take a place (behind the first queue with ``background``), waiting until ``at`` at the most."""
        if self._admits() and not any(self._queues[: 1 + background]):
            self._take()
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queues[background].append(waiter)
        self.wake()  # a place given back without a wake (``_JobSlots.readmit``) goes to the first in line
        try:
            if at is None:
                await waiter
            else:
                async with _wallclock.async_limit(at):
                    await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the place was ours already: pass it on
            else:
                waiter.cancel()  # skipped when its turn comes
            raise

    def release(self) -> None:
        self._give()
        self.wake()

    def wake(self) -> None:
        for queue in self._queues:
            while queue and self._admits():
                waiter = queue.popleft()
                if not waiter.done():
                    self._take()
                    waiter.set_result(None)


class _Admission:
    """``async with``: hold a gate slot for a whole call (re-entrant within one task)."""

    __slots__ = ("_at", "_background", "_gate", "_token")

    def __init__(self, gate: AsyncRequestGate, operation: str, at: float | None = None) -> None:
        self._gate = gate
        self._background = operation == "status"  # a poll waits behind every other call
        self._at = at
        self._token: contextvars.Token[bool] | None = None

    async def __aenter__(self) -> None:
        if _ADMITTED.get():
            return  # an outer admission of this call holds the slot
        await self._gate._slots().acquire(self._background, self._at)
        self._token = _ADMITTED.set(True)

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is not None:
            _ADMITTED.reset(self._token)
            self._token = None
            self._gate._slots().release()


class AsyncRequestGate(httpx.AsyncBaseTransport):
    """Lets at most ``limit`` whole calls through at once; streamed requests pass ungated.

    Streamed responses (SSE, downloads) keep their connection after the transport returns, so
    gating them would hold a slot for a whole job. A request sent outside an admitted call (a
    user's own request on the client) takes a slot for itself.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, limit: int) -> None:
        self._inner = inner
        self.limit = limit
        self._gate: tuple[asyncio.AbstractEventLoop, _Slots] | None = None

    def _slots(self) -> _Slots:
        loop = asyncio.get_running_loop()
        if self._gate is None or self._gate[0] is not loop:
            self._gate = (loop, _Slots(self.limit))
        return self._gate[1]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.extensions.get(STREAM_EXTENSION) or _ADMITTED.get():
            return await self._inner.handle_async_request(request)
        async with _Admission(self, ""):
            return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class _JobSlot:
    """One job's place in the window, from before its submit until the caller is done with it."""

    __slots__ = ("_jobs", "accepted", "token")

    def __init__(self, jobs: _JobSlots) -> None:
        self._jobs = jobs
        self.accepted = False
        self.token: contextvars.Token[_JobSlot | None] | None = None

    def accept(self) -> None:
        if not self.accepted:
            self.accepted = True
            self._jobs.window.succeeded()
            self._jobs.wake()


#: The job slot the current task holds (``subscribe``, ``job_slot``), for its submit to report to.
_SLOT: contextvars.ContextVar[_JobSlot | None] = contextvars.ContextVar("fal_queue_job_slot", default=None)


class _JobSlots(_Slots):
    """The job window of one AsyncClient (``_window.ConcurrencyWindow``): refused submits waiting to
    be sent again (the first queue) before jobs not yet submitted."""

    __slots__ = ("window",)

    def __init__(self, window: ConcurrencyWindow) -> None:
        super().__init__(0)
        self.window = window

    def _admits(self) -> bool:
        return self.window.admits()

    def _take(self) -> None:
        self.window.acquire()

    def _give(self) -> None:
        self.window.release(False)

    async def readmit(self) -> None:
        """A refused submit gives its place back and waits for one again, ahead of new jobs."""
        self._give()
        try:
            await self.acquire(background=False)
        except BaseException:
            self._take()  # the caller still holds its slot and gives it back as usual
            raise

    def finish(self, slot: _JobSlot) -> None:
        self.window.release(slot.accepted)
        self.wake()


class _AsyncOnly:
    def _gated(self, transport: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        self._gate = AsyncRequestGate(transport, C.MAX_CONCURRENT_REQUESTS)
        return self._gate

    def _job_window(self, ceiling: int | None, pause: SubmitPause) -> None:
        self._jobs = _JobSlots(ConcurrencyWindow(ceiling or C.WINDOW_CEILING))
        pause.listeners.append(self._jobs.window.refused)

    @property
    def window(self) -> ConcurrencyWindow:
        """The job window: ``size`` (jobs allowed in flight now), ``in_flight``, ``low``/``high``,
        ``refusals``. ``subscribe`` and ``job_slot`` follow it."""
        return self._jobs.window

    async def _take_slot(self) -> _JobSlot:
        await self._jobs.acquire(background=True)
        slot = _JobSlot(self._jobs)
        slot.token = _SLOT.set(slot)
        return slot

    def _give_slot(self, slot: _JobSlot) -> None:
        if slot.token is not None:
            _SLOT.reset(slot.token)
        self._jobs.finish(slot)

    async def _readmit(self) -> None:
        if _SLOT.get() is not None:
            await self._jobs.readmit()

    @contextlib.asynccontextmanager
    async def job_slot(self) -> AsyncIterator[None]:
        """Hold a place in the job window around a submit and the wait for its job (``subscribe``
        does this itself): jobs in flight follow what the gateway accepts."""
        slot = await self._take_slot()
        try:
            yield
        finally:
            self._give_slot(slot)

    def _accepted(self) -> None:
        slot = _SLOT.get()
        if slot is not None:
            slot.accept()

    def _reader(self) -> Reader | None:
        """None: a File cannot await on its own; ``await client.read(file)`` instead."""
        return None

    def _admitted(self, operation: str, at: float | None = None) -> _Admission:
        """Hold a gate slot around a whole call (see the module's docstring), waiting until ``at``."""
        return _Admission(self._gate, operation, at)
