"""AsyncClient and AsyncHandle: fal_client's vocabulary over the generated client, made safe.

The source of ``Client`` and ``SyncHandle`` (``_sync/client.py``, by ``tools/unasync.py``). What only
the async client does lives in ``_async_only``; what needs no I/O in ``_base``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Unpack

import httpx
from httpx_sse import EventSource, SSEError

from .. import _constants as C
from .. import _wallclock
from .. import errors as E
from .._answers import Answer
from .._async_only import _AsyncOnly
from .._base import QueueUpdate, T, TimeoutArg, _Base, _HandleBase, acall, logger
from .._checks import whole_number
from .._inputs import SubmitKwargs
from .._plans import Call, Plan, cancel_plan, job_failed, result_plan, submitted
from .._settings import Resolved
from .._transport import RetryPolicy, fits, new_async_transport
from .._wallclock import async_sleep
from .._window import SubmitPause
from ..download import (
    FileSink,
    IfExists,
    ProgressCallback,
    as_download_error,
    body_deadline,
    plan_download,
    retry_delay,
    save_data_uri,
    timeout_error,
    warn_flagged,
)
from ..polling import (
    WAIT_MODES,
    Deadline,
    Poller,
    PollPolicy,
    ResultRetry,
    StreamUnavailable,
    decode_event,
    is_job_failure,
    merge_logs,
    stream_failure,
)
from ..types import Completed, File, Result, Status
from .transport import AsyncRetryTransport

__all__ = ["AsyncClient", "AsyncHandle"]


class AsyncHandle(_HandleBase["AsyncClient"]):
    """A submitted job. Rebuild one any time with ``client.get_handle(model_id, request_id)``."""

    async def status(self, *, logs: bool = False) -> Status:
        return await self.client.status(self.model_id, self.request_id, logs=logs)

    def iter_events(
        self, *, logs: bool = False, timeout: float | None = None, mode: str | None = None
    ) -> AsyncIterator[Status]:
        return self.client.iter_events(self.model_id, self.request_id, logs=logs, timeout=timeout, mode=mode)

    async def wait(
        self,
        *,
        on_queue_update: QueueUpdate | None = None,
        logs: bool = False,
        timeout: float | None = None,
        cancel_on_timeout: bool = False,
        mode: str | None = None,
    ) -> Completed:
        """Wait until the job completes; return its final status (which may carry an error)."""
        deadline = Deadline(timeout, self.client._clock)
        return await self.client._wait(
            self.model_id, self.request_id, deadline, on_queue_update, logs, cancel_on_timeout, mode
        )

    async def get(
        self,
        *,
        on_queue_update: QueueUpdate | None = None,
        logs: bool = False,
        timeout: float | None = None,
        cancel_on_timeout: bool = False,
        mode: str | None = None,
    ) -> Result:
        """Wait for the job and return its result; raise JobFailedError if it failed.

        ``timeout`` bounds the whole call: the wait and the result fetch.
        """
        return await self.client._get(
            self.model_id, self.request_id, timeout, on_queue_update, logs, cancel_on_timeout, mode
        )

    async def result(self) -> Result:
        return await self.client.result(self.model_id, self.request_id)

    async def cancel(self) -> str:
        return await self.client.cancel(self.model_id, self.request_id)


class AsyncClient(_AsyncOnly, _Base):
    """The asyncio client. Share one per event loop; ``Client`` is its synchronous twin."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        auth_scheme: str | None = None,
        timeout: TimeoutArg = None,
        max_retries: int | None = None,
        wait_mode: str | None = None,
        poll_policy: PollPolicy | None = None,
        allow_http: bool | None = None,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        strict: bool | None = None,
        max_image_bytes: int | None = None,
        max_concurrency: int | None = None,
        settings: Resolved | None = None,
    ) -> None:
        super().__init__(locals())
        self._pause = SubmitPause()
        # The job window's ceiling: the most jobs subscribe/job_slot keep in flight (async client only).
        self._job_window(max_concurrency and whole_number(max_concurrency, "max_concurrency"), self._pause)
        self._sleep: Callable[[float], Awaitable[None]] = async_sleep
        inner = transport or new_async_transport(C.POOL_LIMITS)
        self._http = httpx.AsyncClient(**self._http_kwargs(self._gated(self._retrying(inner)), gateway=True))
        self._api.set_async_httpx_client(self._http)
        self._media_inner = transport
        #: The stream and media clients, built on first use and shared with with_options copies.
        self._lazy: dict[str, httpx.AsyncClient] = {}

    async def _run(
        self,
        plan: Plan[T],
        *,
        max_retries: int | None = None,
        http_timeout: TimeoutArg = None,
        deadline: Deadline | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        at = deadline.at if deadline is not None else None
        try:
            # The gate's wait comes first, so a call waiting for its turn (thousands of polls may)
            # holds only its plan, no per-call state; it too ends by the deadline.
            async with self._admitted(plan.ctx.operation, at):
                with self._calling(plan, max_retries, http_timeout, deadline, headers):
                    return plan.complete(await self._send(plan.call))
        except _wallclock.WallClockTimeout as exc:  # only the gate's wait: _calling maps the rest
            raise self._gate_timeout(plan) from exc

    async def _send(self, call: Call) -> Answer:
        """Make one planned call: through the generated client, or raw on the same httpx client."""
        if call.operation is not None:
            r = await call.operation.asyncio_detailed(client=self._api, **call.kwargs)
            return Answer(int(r.status_code), r.headers, r.content, r.parsed)
        response = await self._http.request(call.method, call.url, **call.kwargs)
        return Answer(response.status_code, response.headers, response.content)

    # -- plumbing --------------------------------------------------------------------------

    def _retrying(self, inner: httpx.AsyncBaseTransport) -> AsyncRetryTransport:
        return AsyncRetryTransport(
            inner,
            self._retry_policy,
            sleep=lambda s: self._sleep(s),
            pause=self._pause,
            readmit=self._readmit,
        )

    def _stream_client(self) -> httpx.AsyncClient:
        """Status streams get a pool of their own (see C.STREAM_POOL_LIMITS)."""
        if "streams" not in self._lazy:
            inner = self._media_inner or new_async_transport(C.STREAM_POOL_LIMITS)
            self._lazy["streams"] = httpx.AsyncClient(
                **self._http_kwargs(self._retrying(inner), gateway=True)
            )
        return self._lazy["streams"]

    def _media_client(self) -> httpx.AsyncClient:
        if "media" not in self._lazy:
            # No retry transport: downloads retry whole files (headers and body) in _download_one.
            inner = self._media_inner or new_async_transport(C.POOL_LIMITS)
            self._lazy["media"] = httpx.AsyncClient(**self._http_kwargs(inner, gateway=False))
        return self._lazy["media"]

    # -- queue operations ------------------------------------------------------------------

    async def submit(self, model_id: str, arguments: object, **options: Unpack[SubmitKwargs]) -> AsyncHandle:
        """Queue a job. Returns as soon as the gateway has given it a request id.

        Options (``SubmitKwargs``): ``webhook_url``, ``priority``, ``hint``, ``start_timeout``,
        ``headers``, ``no_retry``, ``object_lifecycle``, ``store_io``, ``max_retries``,
        ``http_timeout``, ``strict``.
        """
        # Checked and planned once admitted: a pending submit holds only its arguments.
        async with self._admitted("submit"):
            plan, call = self._prepare_submit(model_id, arguments, options)
            data = await self._run(plan, **call)
        self._accepted()
        logger.info("submitted %s request_id=%s", model_id, data.request_id)
        return AsyncHandle(self, data)

    def get_handle(self, model_id: str, request_id: str) -> AsyncHandle:
        """A handle for a job submitted earlier (by this process or another); the ids are checked."""
        return AsyncHandle(self, submitted(self.base_url, model_id, request_id, {"request_id": request_id}))

    async def status(
        self,
        model_id: str,
        request_id: str,
        *,
        logs: bool = False,
        max_retries: int | None = None,
        http_timeout: TimeoutArg = None,
    ) -> Status:
        return await self._run(
            self._status_plan(model_id, request_id, logs), max_retries=max_retries, http_timeout=http_timeout
        )

    async def result(
        self,
        model_id: str,
        request_id: str,
        *,
        max_retries: int | None = None,
        http_timeout: TimeoutArg = None,
    ) -> Result:
        result = await self._run(
            result_plan(self._key, model_id, request_id), max_retries=max_retries, http_timeout=http_timeout
        )
        return result.with_reader(self._reader())

    async def cancel(
        self,
        model_id: str,
        request_id: str,
        *,
        max_retries: int | None = None,
        http_timeout: TimeoutArg = None,
    ) -> str:
        """Ask for cancellation: ``CANCELLATION_REQUESTED``/``OK``, ``ALREADY_COMPLETED``, ``NOT_FOUND`` or
        ``NOT_CANCELLED``."""
        return await self._run(
            cancel_plan(self._key, model_id, request_id), max_retries=max_retries, http_timeout=http_timeout
        )

    def iter_events(
        self,
        model_id: str,
        request_id: str,
        *,
        logs: bool = False,
        timeout: float | None = None,
        mode: str | None = None,
    ) -> AsyncIterator[Status]:
        """Status changes until COMPLETED (inclusive): streamed, or polled as a fallback."""
        return self._events(model_id, request_id, logs, Deadline(timeout, self._clock), mode)

    async def subscribe(
        self,
        model_id: str,
        arguments: object,
        *,
        on_enqueue: Callable[[str], Any] | None = None,
        on_queue_update: QueueUpdate | None = None,
        logs: bool = False,
        timeout: float | None = None,
        cancel_on_timeout: bool = False,
        mode: str | None = None,
        **options: Unpack[SubmitKwargs],
    ) -> Result:
        """Submit, wait and return the result. ``timeout`` bounds the wait and the result fetch."""
        Deadline(timeout)  # an unusable timeout fails here, before a job is paid for
        # Only the ids are kept while waiting, not the handle and the submit's answer: a process
        # may wait on tens of thousands of jobs.
        # A place in the job window (async client only), held without a context manager's frame.
        slot = await self._take_slot()
        try:
            request_id = (await self.submit(model_id, arguments, **options)).request_id
            if on_enqueue is not None:
                await acall(on_enqueue, request_id)
            return await self._get(
                model_id, request_id, timeout, on_queue_update, logs, cancel_on_timeout, mode
            )
        finally:
            self._give_slot(slot)

    # -- waiting ---------------------------------------------------------------------------

    async def _get(
        self,
        model_id: str,
        request_id: str,
        timeout: float | None,
        on_queue_update: QueueUpdate | None,
        logs: bool,
        cancel_on_timeout: bool,
        mode: str | None,
    ) -> Result:
        deadline = Deadline(timeout, self._clock)
        final = await self._wait(
            model_id, request_id, deadline, on_queue_update, logs, cancel_on_timeout, mode
        )
        return await self._result_after(model_id, final, deadline)

    async def _wait(
        self,
        model_id: str,
        request_id: str,
        deadline: Deadline,
        on_queue_update: QueueUpdate | None,
        logs: bool,
        cancel_on_timeout: bool,
        mode: str | None,
    ) -> Completed:
        try:
            async for status in self._events(model_id, request_id, logs, deadline, mode):
                if on_queue_update is not None:
                    await acall(on_queue_update, status)
                if isinstance(status, Completed):
                    return status
        except E.JobTimeoutError:
            if not cancel_on_timeout:
                raise
            try:
                outcome = await self.cancel(model_id, request_id)
            except E.FalQueueError as exc:
                logger.warning("cancel after timeout failed for %s: %s", request_id, exc)
                raise deadline.error(request_id, model_id, cancelled=False) from exc
            cancelled = outcome in {"CANCELLATION_REQUESTED", "OK"}
            raise deadline.error(request_id, model_id, cancelled=cancelled) from None
        raise AssertionError("unreachable: status events end with COMPLETED")  # pragma: no cover

    async def _events(
        self, model_id: str, request_id: str, logs: bool, deadline: Deadline, mode: str | None
    ) -> AsyncIterator[Status]:
        mode = mode or self.wait_mode
        if mode not in WAIT_MODES:
            raise E.InvalidInputError(f"mode must be 'stream' or 'poll', not {mode!r}")
        poller = Poller(self.poll_policy, deadline, key=(self.base_url, model_id), clock=self._clock)
        if mode == "stream" and self._stream_slots.acquire(blocking=False):
            try:
                # aclosing: give the stream's connection back now, not when the generator is collected.
                async with contextlib.aclosing(self._stream(model_id, request_id, logs, deadline)) as events:
                    async for status in events:
                        if poller.changed(status):
                            yield status
                        if status.done:
                            return
            except StreamUnavailable as exc:
                logger.info("status stream unavailable for %s (%s); polling instead", request_id, exc)
            finally:
                self._stream_slots.release()
        plan = self._status_plan(model_id, request_id, logs)  # the same call every time
        while True:
            deadline.check(request_id, model_id)
            try:
                status = await self._run(plan, deadline=deadline)
            except E.APIConnectionError as exc:
                raise deadline.failure(exc, request_id, model_id) from exc
            if poller.changed(status):
                yield status
            if status.done:
                return
            await self._sleep(poller.next_sleep())

    async def _stream(
        self, model_id: str, request_id: str, logs: bool, deadline: Deadline
    ) -> AsyncGenerator[Status, None]:
        http = self._stream_client()
        request = self._stream_request(http, model_id, request_id, logs)
        try:
            async with _wallclock.async_limit(deadline.at):
                response = await http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise stream_failure(exc, deadline, request_id, model_id) from exc
        try:
            if response.status_code != 200:
                async with _wallclock.async_limit(deadline.at):
                    await response.aread()
                raise self._stream_refusal(response, model_id, request_id)
            events = EventSource(response).aiter_sse()
            logs_so_far: list[Mapping[str, Any]] = []
            while True:
                # Every read ends by the deadline, however often the server pings.
                async with _wallclock.async_limit(deadline.at):
                    event = await anext(events, None)
                if event is None:
                    break
                status = decode_event(
                    event.data, request_id=request_id, base_url=self.base_url, secret=self._key
                )
                if status is not None:
                    yield merge_logs(logs_so_far, status)  # _events stops at the final one
                deadline.check(request_id, model_id)  # the same event again and again ends too
            raise StreamUnavailable("stream ended before COMPLETED")
        except (httpx.HTTPError, SSEError) as exc:
            raise stream_failure(exc, deadline, request_id, model_id) from exc
        finally:
            await response.aclose()

    async def _result_after(self, model_id: str, final: Completed, deadline: Deadline) -> Result:
        plan = result_plan(self._key, model_id, final.request_id)
        if final.failed:
            try:  # only for the error body: the status already says the job failed
                await self._run(plan, max_retries=0, deadline=deadline)
            except E.APIStatusError as err:
                raise job_failed(final, model_id, err) from err
            except E.FalQueueError as err:
                raise job_failed(final, model_id, None) from err
            raise job_failed(final, model_id, None)
        retry = ResultRetry(self._retry_policy, deadline)
        while True:
            try:
                return (await self._run(plan, deadline=deadline)).with_reader(self._reader())
            except E.APIStatusError as err:
                if is_job_failure(err):
                    raise job_failed(final, model_id, err) from err
                delay = retry.after(err)  # "still in progress" right after COMPLETED: ask again
                if delay is None:
                    raise
                await self._sleep(delay)
            except E.APIConnectionError as exc:
                # The job is done: a fetch cut short by the deadline leaves its result waiting.
                raise deadline.failure(exc, final.request_id, model_id, completed=True) from exc

    # -- downloads -------------------------------------------------------------------------

    async def download(
        self,
        source: Result | File | Iterable[File],
        directory: str | os.PathLike[str],
        *,
        if_exists: IfExists | None = None,
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
        prefix: str = "",
        max_retries: int | None = None,
        timeout: float | None = None,
    ) -> list[Path]:
        """Save every file of a result into ``directory``; return the paths written.

        A taken name gets a free numbered one (``if_exists="rename"``, the default), so saving never
        fails a paid job; ``"overwrite"`` (or ``overwrite=True``) replaces, ``"error"`` raises.
        ``timeout`` bounds the whole download (seconds, wall clock).
        """
        deadline = Deadline(timeout, self._clock)
        pairs, request_id, mode = plan_download(source, directory, if_exists, overwrite, prefix)
        warn_flagged(source)
        retries = self.max_retries if max_retries is None else max_retries
        with _wallclock.limit(deadline.at):  # every attempt and backoff of every file ends by it
            return [
                await self._download_one(f, t, mode, on_progress, request_id, retries, deadline)
                for f, t in pairs
            ]

    async def read(
        self, file: File, *, max_retries: int | None = None, timeout: float | None = None
    ) -> bytes:
        """A file's bytes in memory, fetched as ``download()`` fetches it (deadline, retries, checks)."""
        with tempfile.TemporaryDirectory(prefix="fal-queue-") as folder:
            (path,) = await self.download(file, folder, max_retries=max_retries, timeout=timeout)
            return path.read_bytes()

    async def _download_one(
        self,
        file: File,
        target: Path,
        mode: IfExists,
        on_progress: ProgressCallback | None,
        request_id: str | None,
        retries: int,
        deadline: Deadline,
    ) -> Path:
        if file.url.startswith("data:"):
            return save_data_uri(file, target, mode, on_progress, request_id)
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._fetch(file, target, mode, on_progress, request_id)
            except (httpx.HTTPError, OSError, E.DownloadError) as exc:
                if deadline.expired():
                    raise timeout_error(deadline.timeout, file, request_id) from exc
                error = as_download_error(exc, file.url, target, request_id)
                delay = retry_delay(error, attempt, retries, self._retry_policy.backoff)
                if not fits(delay):
                    raise timeout_error(deadline.timeout, file, request_id) from exc
                await self._sleep(delay)

    async def _fetch(
        self,
        file: File,
        target: Path,
        mode: IfExists,
        on_progress: ProgressCallback | None,
        request_id: str | None,
    ) -> Path:
        """One attempt: headers and body end by the per-call timeout plus time for the file's size."""
        started = time.monotonic()
        async with _wallclock.async_limit(body_deadline(self.timeout, started, 0, file.file_size)):
            media = self._media_client()
            response = await media.send(
                media.build_request("GET", file.url, timeout=self.timeout), stream=True
            )
        try:
            sink = FileSink(file, target, response, on_progress, request_id)
            try:
                chunks = response.aiter_bytes(C.DOWNLOAD_CHUNK)
                while True:
                    async with _wallclock.async_limit(
                        body_deadline(self.timeout, started, sink.written, sink.total)
                    ):
                        chunk = await anext(chunks, None)
                        _wallclock.check()  # also for transports the socket clip cannot reach
                    if chunk is None:
                        break
                    sink.write(chunk)
                return sink.commit(mode)
            finally:
                sink.discard()
        finally:
            await response.aclose()

    # -- lifecycle -------------------------------------------------------------------------

    async def close(self) -> None:
        await self._http.aclose()
        for lazy in self._lazy.values():
            await lazy.aclose()
        self._lazy.clear()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
