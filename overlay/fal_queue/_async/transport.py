"""AsyncRetryTransport: sends, sleeps and resends as ``_transport.RetryPolicy`` decides, each attempt
under its wall-clock limit. The source of ``_sync/transport.py`` (``tools/unasync.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from .. import _wallclock
from .._transport import (
    STREAM_EXTENSION,
    RetryPolicy,
    attempt_limit,
    fits,
    is_submit,
    limits_of,
    log_retry,
    logger,
)
from .._wallclock import async_sleep
from .._window import SubmitPause


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]] = async_sleep,
        pause: SubmitPause | None = None,
        readmit: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._inner = inner
        self.policy = policy
        self._sleep = sleep
        #: Shared by every submit of the client: a refusal pauses them all.
        self.pause = pause or SubmitPause()
        #: A refused submit waits here for a place in the (now smaller) job window before it is sent
        #: again, so that only as many are retried as the gateway was seen to accept.
        self._readmit = readmit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        max_retries, state = limits_of(self.policy, request)
        attempt = 0
        waited = False  # this submit just slept out its own refusal
        while True:
            attempt += 1
            state.attempts = attempt
            if is_submit(request) and not waited and fits(wait := self.pause.remaining()) and wait > 0:
                await self._sleep(wait)  # another submit was refused: the gateway is at its limit
            try:
                async with _wallclock.async_limit(attempt_limit(request), request):
                    response = await self._inner.handle_async_request(request)
                    if not request.extensions.get(STREAM_EXTENSION):
                        try:  # read here so that a connection cut mid-body is retried too
                            await response.aread()
                        finally:
                            await response.aclose()
            except Exception as exc:
                retry = attempt <= max_retries and self.policy.should_retry_exception(request, exc)
                if not (retry and fits(delay := self.policy.backoff(attempt))):
                    raise
                why, refused = type(exc).__name__, False
            else:
                logger.debug("%s %s -> %d", request.method, request.url.path, response.status_code)
                refused = is_submit(request) and self.policy.is_refusal(response)
                retry = (
                    response.status_code >= 400
                    and attempt <= max_retries
                    and self.policy.should_retry_response(request, response)
                )
                delay = self.policy.delay_for(attempt, response) if refused or retry else 0.0
                if refused:  # every other submit of the client waits as long as this one will
                    self.pause.refuse(delay)
                if not (retry and fits(delay)):
                    state.last_response = response
                    return response
                await response.aclose()
                why = f"HTTP {response.status_code}"
            log_retry(request, attempt, delay, why)
            await self._sleep(delay)
            waited = refused
            if refused and self._readmit is not None:
                async with _wallclock.async_limit(None, request):  # the call's deadline
                    await self._readmit()

    async def aclose(self) -> None:
        await self._inner.aclose()
