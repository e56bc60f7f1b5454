"""The HTTP layer under the generated client: retries, per-call options and origin-bound auth.

Retries live in an httpx transport so that the generated operations and the SSE stream share one
policy, sync and async alike. Decisions are pure functions of the request, the response or
exception, and the attempt number; the transport (``_async/transport.py``) only sleeps and resends.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import email.utils
import functools
import json
import logging
import os
import random
import time
import urllib.parse
from collections.abc import Generator, Mapping
from dataclasses import dataclass

import httpx

from . import _constants as C
from . import _wallclock
from ._checks import finite
from .errors import ConfigurationError
from .urls import origin_of

logger = logging.getLogger("fal_queue")


class Secret:
    """A string that never shows itself in reprs, logs or tracebacks; ``redact`` scrubs it from text
    in every encoding it can travel in (``_encoded_forms``)."""

    __slots__ = ("__weakref__", "_forms", "_value")

    def __init__(self, value: str) -> None:
        self._value = value
        self._forms = _encoded_forms(value)

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def redact(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, "**********")
        return text


def _encoded_forms(value: str) -> tuple[str, ...]:
    """Every encoding of ``value`` worth scrubbing, longest first (so no form leaves a tail)."""
    if not value:
        return ()
    raw = value.encode("utf-8", "surrogatepass")
    forms = {
        value,
        repr(value)[1:-1],
        json.dumps(value)[1:-1],
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value, safe=""),
    }
    for payload in (raw, b"Bearer " + raw, b"Key " + raw, b":" + raw):
        for encoded in (base64.b64encode(payload), base64.urlsafe_b64encode(payload)):
            text = encoded.decode("ascii")
            forms.update({text, text.rstrip("=")})
    # base64 of a longer text holding the key shows the key's encoding at one of three offsets.
    for shift in (0, 1, 2):
        shifted = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        core = shifted[(4 if shift else 0) : -4]
        if len(core) >= 8:
            forms.update({core, core.replace("+", "-").replace("/", "_")})
    return tuple(sorted((f for f in forms if f), key=len, reverse=True))


class GatewayAuth(httpx.Auth):
    """Adds ``Authorization`` only to requests for the gateway's own origin.

    Any other origin (a media CDN, a URL a response handed us, a redirect target) gets no key.
    """

    def __init__(self, key: Secret, scheme: str, base_url: str) -> None:
        self._key = key
        self._scheme = scheme
        self._origin = origin_of(base_url)

    def __repr__(self) -> str:
        return f"GatewayAuth(scheme={self._scheme!r}, origin={self._origin!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if origin_of(str(request.url)) == self._origin:
            request.headers["Authorization"] = f"{self._scheme} {self._key.get()}"
        else:
            request.headers.pop("Authorization", None)
        yield request


@dataclass
class CallState:
    """Options of the SDK call in progress, read by the transport (per-call ``max_retries`` etc.).

    The call's deadline is not here: it is the wall-clock limit (``_wallclock``) the call runs under.
    """

    max_retries: int | None = None
    timeout: httpx.Timeout | None = None
    #: The last raw response the transport returned, for error reports on undocumented bodies.
    last_response: httpx.Response | None = None
    #: Extra headers for this call only (``headers=`` of submit).
    headers: dict[str, str] | None = None
    attempts: int = 0


#: Request extension marking a response the caller streams (SSE, downloads): not read eagerly.
STREAM_EXTENSION = "fal_queue_stream"
#: Request extension for calls that have a cheaper fallback than a retry (the SSE stream -> polling).
NO_RETRY_EXTENSION = "fal_queue_no_retry"

call_state: contextvars.ContextVar[CallState | None] = contextvars.ContextVar("fal_queue_call", default=None)

#: Failures before the request left this machine: a resend cannot make a second job.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: The submit POST may be retried only when the server said nothing was queued.
_SUBMIT_RETRYABLE_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before resending a request."""

    max_retries: int = C.DEFAULT_MAX_RETRIES
    initial_delay: float = C.RETRY_INITIAL_DELAY
    max_delay: float = C.RETRY_MAX_DELAY
    jitter: tuple[float, float] = C.RETRY_JITTER
    retry_after_cap: float = C.RETRY_AFTER_CAP

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Delay before retry number ``attempt`` (1-based): exponential, capped, jittered."""
        base = min(self.initial_delay * 2.0 ** (attempt - 1), self.max_delay)
        low, high = self.jitter
        factor: float = (rng or random).uniform(low, high)
        return base * factor

    def should_retry_response(self, request: httpx.Request, response: httpx.Response) -> bool:
        status = response.status_code
        if response.headers.get("x-fal-retryable", "").lower() == "false":
            return False
        if status == 504 and response.headers.get("x-fal-request-timeout-type", "").lower() == "user":
            return False  # the caller's own start timeout expired: retrying cannot help
        if is_submit(request):
            return status in _SUBMIT_RETRYABLE_STATUSES or self.is_refusal(response)
        return status in C.RETRYABLE_STATUSES

    def is_refusal(self, response: httpx.Response) -> bool:
        """The gateway's "too many requests": a 429, or another 4xx saying so in its text (nothing queued)."""
        if response.status_code == 429:
            return True
        if not 400 <= response.status_code < 500 or response.status_code in {401, 403, 404, 422}:
            return False
        try:
            text = response.content[:1024].decode("utf-8", "replace").lower()
        except httpx.ResponseNotRead:
            return False
        return "too many requests" in text or "rate limit" in text

    def should_retry_exception(self, request: httpx.Request, exc: Exception) -> bool:
        if is_submit(request):  # unless it never left, a resend could queue a second paid job
            return isinstance(exc, NEVER_SENT)
        return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)

    def retry_after(self, response: httpx.Response) -> float | None:
        """Seconds the server asked us to wait (``Retry-After`` as seconds or an HTTP date).

        A hint that is not a finite, non-negative number (``nan``, ``inf``, ``-3``) is no hint.
        """
        millis = finite(response.headers.get("retry-after-ms", ""))
        value = response.headers.get("retry-after", "")
        seconds = millis / 1000.0 if millis is not None else finite(value)
        if seconds is None and value:
            with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
                parsed = email.utils.parsedate_to_datetime(value)
                if parsed.tzinfo is not None:
                    seconds = max(parsed.timestamp() - time.time(), 0.0)
        return None if seconds is None else min(seconds, self.retry_after_cap)

    def delay_for(self, attempt: int, response: httpx.Response | None) -> float:
        hinted = self.retry_after(response) if response is not None else None
        return hinted if hinted is not None else self.backoff(attempt)


def is_submit(request: httpx.Request) -> bool:
    return request.method.upper() == "POST"


def limits_of(policy: RetryPolicy, request: httpx.Request) -> tuple[int, CallState]:
    """The retries allowed for ``request``, with the call's own options (if any) applied to it."""
    state = call_state.get() or CallState()
    max_retries = 0 if request.extensions.get(NO_RETRY_EXTENSION) else policy.max_retries
    if state.max_retries is not None:
        max_retries = state.max_retries
    if state.timeout is not None:
        request.extensions["timeout"] = state.timeout.as_dict()
    if state.headers:
        request.headers.update(state.headers)
    return max_retries, state


def longest(timeout: Mapping[str, float | None]) -> float | None:
    """The largest of a timeout's parts (``Timeout.as_dict()``): httpx applies each to one socket
    operation; the largest bounds a whole exchange, as a wall-clock limit."""
    return max((float(v) for v in timeout.values() if v is not None), default=None)


def attempt_limit(request: httpx.Request) -> float | None:
    """When one attempt must be over (the headers of a streamed response, the whole body of any
    other); the call's deadline, the wall-clock limit already in force, caps it."""
    seconds = longest(request.extensions.get("timeout") or {})
    return None if seconds is None else time.monotonic() + seconds


def fits(delay: float) -> bool:
    """Whether sleeping ``delay`` and trying again can end before the call's deadline."""
    left = _wallclock.remaining()
    return left is None or delay < left


def log_retry(request: httpx.Request, attempt: int, delay: float, why: str) -> None:
    logger.info(
        "retrying %s %s in %.2fs (retry %d): %s", request.method, request.url.path, delay, attempt, why
    )


@functools.cache
def user_agent() -> str:
    """``fal-queue-python/<version>`` for every request the SDK sends (metadata read on first use)."""
    from importlib import metadata

    with contextlib.suppress(metadata.PackageNotFoundError):
        return f"{C.USER_AGENT_PREFIX}/{metadata.version('fal-queue')}"
    return f"{C.USER_AGENT_PREFIX}/0"  # pragma: no cover - a source tree without metadata


def new_async_transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    """The default network transport of an AsyncClient: aiohttp's pool (``_aiohttp`` says why), or
    httpx's own with ``FAL_QUEUE_HTTP_BACKEND=httpx``. aiohttp is imported only here."""
    backend = (os.environ.get(C.ENV_HTTP_BACKEND) or "aiohttp").strip().lower()
    if backend == "httpx":
        return httpx.AsyncHTTPTransport(limits=limits)
    if backend != "aiohttp":
        raise ConfigurationError(f"{C.ENV_HTTP_BACKEND}={backend!r}: use 'aiohttp' or 'httpx'")
    from ._aiohttp import AiohttpBackend

    return AiohttpBackend(limits)


def new_sync_transport(limits: httpx.Limits) -> httpx.BaseTransport:
    """The default network transport of a Client, its sockets clipped to the wall-clock limit."""
    return _wallclock.install(httpx.HTTPTransport(limits=limits))
