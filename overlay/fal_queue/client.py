"""Client and AsyncClient: fal_client's vocabulary over the generated client, made safe.

Both shells execute the same plans (``_core``) and the same waiting rules (``polling``); they
differ only in ``await``. A submitted job is never lost: ``submit`` returns a handle the moment
the request id exists, every later error names that id, and ``get_handle`` rebuilds a handle
from (model id, request id) alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import os
import threading
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from pathlib import Path
from typing import Any, Generic, Self, TypeVar, Unpack

import httpx
from fal_queue_api.client import AuthenticatedClient
from httpx_sse import EventSource, SSEError

from . import _constants as C
from . import _wallclock
from . import errors as E
from ._core import (
    Context,
    Plan,
    SubmitKwargs,
    Submitted,
    cancel_plan,
    error_from_answer,
    error_from_exception,
    job_failed,
    result_plan,
    split_submit_kwargs,
    status_plan,
    submit_plan,
)
from ._logging import register_secret, setup_from_env
from ._transport import (
    NO_RETRY_EXTENSION,
    STREAM_EXTENSION,
    AsyncRetryTransport,
    CallState,
    GatewayAuth,
    RetryPolicy,
    RetryTransport,
    Secret,
    call_state,
)
from .download import (
    IF_EXISTS,
    FileSink,
    IfExists,
    ProgressCallback,
    as_download_error,
    check_target,
    files_of,
    plan_targets,
    retry_delay,
    save_data_uri,
)
from .polling import WAIT_MODES, Deadline, Poller, PollPolicy, ResultRetry, decode_event
from .types import Completed, File, Result, Status
from .urls import app_id, normalize_base_url, queue_urls, validate_model_id, validate_request_id

__all__ = ["AsyncClient", "AsyncHandle", "Client", "SyncHandle"]

logger = logging.getLogger("fal_queue")
T = TypeVar("T")
ClientT = TypeVar("ClientT", bound="_Base")
TimeoutArg = float | httpx.Timeout | None
QueueUpdate = Callable[[Status], Any]

_SCHEMES = {"bearer": "Bearer", "key": "Key"}


class _StreamUnavailable(Exception):
    """The SSE stream could not be used; the caller falls back to polling."""


def _env_float(name: str) -> float | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise E.ConfigurationError(f"{name}={value!r} is not a number") from None


def _as_timeout(value: TimeoutArg, what: str) -> httpx.Timeout | None:
    if value is None or isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise E.ConfigurationError(f"{what} must be positive seconds or an httpx.Timeout, not {value!r}")
    return httpx.Timeout(float(value), connect=min(float(value), C.DEFAULT_HTTP_TIMEOUT.connect or 5.0))


def _clip(timeout: httpx.Timeout, deadline: Deadline | None) -> httpx.Timeout:
    """Never let one HTTP call outlive the caller's total deadline."""
    remaining = deadline.remaining() if deadline is not None else None
    if remaining is None:
        return timeout
    limit = max(remaining, 0.001)

    def clip(value: float | None) -> float:
        return limit if value is None else min(value, limit)

    return httpx.Timeout(
        connect=clip(timeout.connect),
        read=clip(timeout.read),
        write=clip(timeout.write),
        pool=clip(timeout.pool),
    )


class _Base:
    """Settings, plans and everything else that does not wait on I/O."""

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        auth_scheme: str | None,
        timeout: TimeoutArg,
        max_retries: int | None,
        wait_mode: str | None,
        poll_policy: PollPolicy | None,
        allow_http: bool | None,
        retry_policy: RetryPolicy | None = None,
        strict: bool | None = None,
    ) -> None:
        setup_from_env()
        if strict is not None and not isinstance(strict, bool):
            raise E.ConfigurationError(f"strict must be True or False, not {strict!r}")
        #: Refuse input fields a typed model does not know, instead of sending them with a warning.
        self.strict = (
            strict if strict is not None else os.environ.get(C.ENV_STRICT, "") in {"1", "true", "yes"}
        )
        allow = (
            allow_http
            if allow_http is not None
            else os.environ.get(C.ENV_ALLOW_HTTP, "") in {"1", "true", "yes"}
        )
        self.base_url = normalize_base_url(
            base_url if base_url is not None else os.environ.get(C.ENV_BASE_URL, ""), allow_http=allow
        )
        key = api_key if api_key is not None else os.environ.get(C.ENV_KEY, "")
        if not isinstance(key, str) or not key.strip():
            raise E.ConfigurationError("no API key: pass api_key= or set FAL_QUEUE_KEY")
        self._key = Secret(_checked_key(key.strip()))
        register_secret(self._key)
        scheme_name = (auth_scheme or os.environ.get(C.ENV_AUTH_SCHEME) or "bearer").lower()
        if scheme_name not in _SCHEMES:
            raise E.ConfigurationError(
                f"auth_scheme must be 'bearer' (gateways) or 'key' (fal), not {scheme_name!r}"
            )
        self.auth_scheme = scheme_name
        env_timeout = _env_float(C.ENV_TIMEOUT)
        self.timeout: httpx.Timeout = (
            _as_timeout(timeout if timeout is not None else env_timeout, "timeout") or C.DEFAULT_HTTP_TIMEOUT
        )
        env_retries = _env_float(C.ENV_MAX_RETRIES)
        retries = max_retries if max_retries is not None else env_retries
        if retries is None:
            retries = retry_policy.max_retries if retry_policy is not None else C.DEFAULT_MAX_RETRIES
        self.max_retries = _checked_retries(retries)
        mode = wait_mode or os.environ.get(C.ENV_WAIT_MODE) or "stream"
        if mode not in WAIT_MODES:
            raise E.ConfigurationError(f"wait_mode must be 'stream' or 'poll', not {mode!r}")
        self.wait_mode = mode
        self.poll_policy = poll_policy or PollPolicy()
        self._retry_policy = dataclasses.replace(retry_policy or RetryPolicy(), max_retries=self.max_retries)
        self._auth = GatewayAuth(self._key, _SCHEMES[scheme_name], self.base_url)
        self._headers = {"User-Agent": f"{C.USER_AGENT_PREFIX}/{_version()}"}
        self._api = AuthenticatedClient(
            base_url=self.base_url,
            token="",  # unused: GatewayAuth sets the header, for the gateway's origin only
            raise_on_unexpected_status=False,
        )
        self._clock: Callable[[], float] = time.monotonic
        #: Streams beyond C.MAX_STREAMS poll instead (shared by with_options copies, like the pool).
        self._stream_slots = threading.BoundedSemaphore(C.MAX_STREAMS)

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(base_url={self.base_url!r}, auth_scheme={self.auth_scheme!r}, api_key=<hidden>)"

    # -- plans -----------------------------------------------------------------------------

    def _state(
        self, max_retries: int | None, http_timeout: TimeoutArg, deadline: Deadline | None
    ) -> CallState:
        if max_retries is not None and (
            isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0
        ):
            raise E.InvalidInputError(f"max_retries must be a whole number >= 0, not {max_retries!r}")
        timeout = _as_timeout(http_timeout, "http_timeout") or self.timeout
        return CallState(
            max_retries=self.max_retries if max_retries is None else max_retries,
            timeout=_clip(timeout, deadline),
            deadline=deadline.at if deadline is not None else None,
        )

    def _prepare_submit(
        self, model_id: str, arguments: object, kwargs: Mapping[str, Any]
    ) -> tuple[Plan[Submitted], dict[str, Any]]:
        """The submit plan and the keyword arguments of ``_run`` for it, validated before sending."""
        options, call = split_submit_kwargs(kwargs)
        strict = call.pop("strict", None)
        if strict is not None and not isinstance(strict, bool):
            raise E.InvalidInputError(f"strict must be True or False, not {strict!r}")
        plan = submit_plan(
            self._api,
            self.base_url,
            self._key,
            model_id,
            arguments,
            options,
            strict=self.strict if strict is None else strict,
        )
        return plan, {**call, "headers": options.headers}

    def _status_plan(self, model_id: str, request_id: str, logs: bool) -> Plan[Status]:
        return status_plan(self._api, self.base_url, self._key, model_id, request_id, logs)

    def _result_plan(self, model_id: str, request_id: str) -> Plan[Result]:
        return result_plan(self._api, self._key, model_id, request_id)

    def _cancel_plan(self, model_id: str, request_id: str) -> Plan[str]:
        return cancel_plan(self._api, self._key, model_id, request_id)

    def _stream_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        model_id: str,
        request_id: str,
        logs: bool,
        deadline: Deadline,
    ) -> httpx.Request:
        url = f"/{app_id(model_id)}/requests/{validate_request_id(request_id)}/status/stream"
        return http.build_request(
            "GET",
            url,
            params={"logs": "1" if logs else "0"},
            headers={"Accept": "text/event-stream"},
            # Streams hold a connection for the whole job: when the pool is full, poll instead of
            # queueing for a connection (many jobs in flight share a few keep-alive connections).
            timeout=_clip(
                httpx.Timeout(
                    connect=self.timeout.connect,
                    # A stream silent this long (no event, no ping) is dead: poll instead.
                    read=C.STREAM_SILENCE_LIMIT,
                    write=self.timeout.write,
                    pool=C.STREAM_POOL_WAIT,
                ),
                deadline,
            ),
            extensions={STREAM_EXTENSION: True, NO_RETRY_EXTENSION: True},
        )

    def _handle_data(self, model_id: str, request_id: str) -> Submitted:
        urls = queue_urls(self.base_url, model_id, request_id)
        return Submitted(
            model_id, request_id, queue_position=None, raw={"request_id": request_id, **urls}, **urls
        )

    def _http_kwargs(
        self, transport: httpx.BaseTransport | httpx.AsyncBaseTransport, *, gateway: bool
    ) -> dict[str, Any]:
        """Arguments of every httpx client the SDK builds, sync or async.

        Gateway clients (API calls, status streams) carry the origin-bound auth and never follow
        redirects; the media client carries no credentials at all and follows CDN redirects.
        """
        kwargs: dict[str, Any] = {"timeout": self.timeout, "headers": self._headers, "transport": transport}
        if gateway:
            return {**kwargs, "base_url": self.base_url, "auth": self._auth, "follow_redirects": False}
        return {**kwargs, "follow_redirects": True}

    @contextlib.contextmanager
    def _calling(
        self,
        plan: Plan[Any],
        max_retries: int | None,
        http_timeout: TimeoutArg,
        deadline: Deadline | None,
        headers: Mapping[str, str] | None,
    ) -> Iterator[None]:
        """Per-call options for the transport, and every escaping exception mapped to our hierarchy."""
        state = self._state(max_retries, http_timeout, deadline)
        state.headers = dict(headers) if headers else None
        token = call_state.set(state)
        try:
            with _wallclock.limit(deadline.at if deadline is not None else None):
                yield
        except E.FalQueueError:
            raise
        except Exception as exc:
            raise error_from_exception(exc, plan.ctx, state) from exc
        finally:
            call_state.reset(token)

    def _stream_refusal(self, response: httpx.Response, model_id: str, request_id: str) -> Exception:
        """What a non-200 answer to the stream means: a real auth error, or just "poll instead"."""
        if response.status_code in {401, 403}:
            ctx = Context("status stream", model_id=model_id, request_id=request_id, secret=self._key)
            return error_from_answer(response.status_code, response.headers, response.content, ctx)
        return _StreamUnavailable(f"HTTP {response.status_code}")

    def _prepare_download(
        self,
        source: Result | File | Iterable[File],
        directory: str | os.PathLike[str],
        if_exists: str | None,
        overwrite: bool,
        prefix: str,
    ) -> tuple[list[tuple[File, Path]], str | None, IfExists]:
        """Plan every target first, so that a clash or a bad folder fails before any byte is fetched."""
        mode = _if_exists(if_exists, overwrite)
        files, request_id = files_of(source)
        target_dir = Path(directory)
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise E.DownloadError(
                f"cannot create the folder {target_dir}: {exc.strerror or type(exc).__name__}",
                url=files[0].url[:64] if files else "",
                request_id=request_id,
            ) from exc
        targets = plan_targets(files, target_dir, prefix=prefix)
        for file, target in zip(files, targets, strict=True):
            check_target(target, mode, file.url, request_id)
        return list(zip(files, targets, strict=True)), request_id, mode

    def _body_limit(self, started: float, written: int, expected: int | None) -> float:
        """When a download's body must be in: the per-call timeout plus time for its size."""
        size = max(expected or 0, written + C.DOWNLOAD_CHUNK)
        return started + _total_seconds(self.timeout) + size / C.DOWNLOAD_MIN_RATE

    def _download_timeout(
        self, deadline: Deadline, file: File, request_id: str | None
    ) -> E.DownloadTimeoutError:
        return E.DownloadTimeoutError(
            f"download did not finish within {deadline.timeout:g}s", url=file.url, request_id=request_id
        )

    def with_options(self, *, max_retries: int | None = None, timeout: TimeoutArg = None) -> Self:
        """A copy with other defaults that shares this client's connections and lifecycle.

        Closing either closes the pools of both; the arguments are checked like the constructor's.
        """
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)  # the pools, the lazily built clients and the gates
        if max_retries is not None:
            clone.max_retries = _checked_retries(max_retries)
            clone._retry_policy = dataclasses.replace(self._retry_policy, max_retries=clone.max_retries)
        if timeout is not None:
            clone.timeout = _as_timeout(timeout, "timeout") or self.timeout
        return clone


def _checked_retries(value: object) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or int(value) != value
        or value < 0
    ):
        raise E.ConfigurationError(f"max_retries must be a whole number >= 0, not {value!r}")
    return int(value)


def _checked_key(key: str) -> str:
    """The key as it may go into a header, or a ConfigurationError that never shows the key."""
    scheme = key.split(" ", 1)[0].lower()
    if scheme in {"bearer", "key"} and " " in key:
        raise E.ConfigurationError(
            f"the API key starts with {key.split(' ', 1)[0]!r}: pass the key alone "
            "(the SDK adds the scheme; choose it with auth_scheme=)"
        )
    for position, char in enumerate(key):
        if "!" <= char <= "~":
            continue
        if char in "\r\n":
            what = "a line break"
        elif char.isspace():
            what = "whitespace"
        elif char.isprintable():
            what = "a non-ASCII character"
        else:
            what = f"a control character (U+{ord(char):04X})"
        raise E.ConfigurationError(
            f"the API key contains {what} at position {position}; "
            "check FAL_QUEUE_KEY (or api_key=) for a stray character"
        )
    return key


def _total_seconds(timeout: httpx.Timeout) -> float:
    """The largest of a timeout's parts: the wall-clock bound of one whole exchange."""
    values = [v for v in (timeout.connect, timeout.read, timeout.write, timeout.pool) if v is not None]
    return max(values) if values else C.DEFAULT_HTTP_TIMEOUT.read or 60.0


def _if_exists(if_exists: str | None, overwrite: bool) -> IfExists:
    if if_exists is None:
        return "overwrite" if overwrite else "rename"
    if if_exists not in IF_EXISTS:
        raise E.InvalidInputError(f"if_exists must be 'rename', 'overwrite' or 'error', not {if_exists!r}")
    if overwrite and if_exists != "overwrite":
        raise E.InvalidInputError(f"overwrite=True contradicts if_exists={if_exists!r}")
    mode: IfExists = if_exists  # type: ignore[assignment]
    return mode


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("fal-queue")
    except Exception:  # pragma: no cover - running from a source tree without metadata
        return "0"


def _stream_failure(exc: Exception, deadline: Deadline, request_id: str, model_id: str) -> Exception:
    """A broken stream means "poll instead", unless it broke because the deadline passed."""
    if isinstance(exc, httpx.TimeoutException) and deadline.expired():
        return deadline.error(request_id, model_id, cancelled=False)
    return _StreamUnavailable(type(exc).__name__)


def _poll_failure(exc: E.APIConnectionError, deadline: Deadline, request_id: str, model_id: str) -> Exception:
    """A status call cut short by the caller's own deadline is a timeout of the wait."""
    return deadline.error(request_id, model_id, cancelled=False) if deadline.expired() else exc


def _result_failure(
    exc: E.APIConnectionError, deadline: Deadline, final: Completed, model_id: str
) -> Exception:
    """The result fetch cut short by the caller's deadline: the job is done, its result waits."""
    if deadline.expired():
        return deadline.error(final.request_id, model_id, cancelled=False, completed=True)
    return exc


def _is_job_failure(err: E.APIStatusError) -> bool:
    """After COMPLETED, a 422 or a typed 5xx from the result call is the job's own failure."""
    return err.status_code == 422 or (err.status_code >= 500 and err.error_type is not None)


# ======================================================================================= sync


class _HandleBase(Generic[ClientT]):
    """What a handle knows: enough to find the job again from anywhere."""

    def __init__(self, client: ClientT, data: Submitted) -> None:
        self.client = client
        self.model_id = data.model_id
        self.request_id = data.request_id
        self.status_url = data.status_url
        self.response_url = data.response_url
        self.cancel_url = data.cancel_url
        self.queue_position = data.queue_position
        self.raw = data.raw

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model_id={self.model_id!r}, request_id={self.request_id!r})"


class SyncHandle(_HandleBase["Client"]):
    """A submitted job. Rebuild one any time with ``client.get_handle(model_id, request_id)``."""

    def status(self, *, logs: bool = False) -> Status:
        return self.client.status(self.model_id, self.request_id, logs=logs)

    def iter_events(
        self, *, logs: bool = False, timeout: float | None = None, mode: str | None = None
    ) -> Iterator[Status]:
        return self.client.iter_events(self.model_id, self.request_id, logs=logs, timeout=timeout, mode=mode)

    def wait(
        self,
        *,
        on_queue_update: QueueUpdate | None = None,
        logs: bool = False,
        timeout: float | None = None,
        cancel_on_timeout: bool = False,
        mode: str | None = None,
    ) -> Completed:
        """Block until the job completes; return its final status (which may carry an error)."""
        deadline = Deadline(timeout, self.client._clock)
        return self._wait(deadline, on_queue_update, logs, cancel_on_timeout, mode)

    def _wait(
        self,
        deadline: Deadline,
        on_queue_update: QueueUpdate | None,
        logs: bool,
        cancel_on_timeout: bool,
        mode: str | None,
    ) -> Completed:
        try:
            for status in self.client._events(self.model_id, self.request_id, logs, deadline, mode):
                if on_queue_update is not None:
                    on_queue_update(status)
                if isinstance(status, Completed):
                    return status
        except E.JobTimeoutError:
            if not cancel_on_timeout:
                raise
            try:
                self.cancel()
            except E.FalQueueError as exc:
                logger.warning("cancel after timeout failed for %s: %s", self.request_id, exc)
                raise deadline.error(self.request_id, self.model_id, cancelled=False) from exc
            raise deadline.error(self.request_id, self.model_id, cancelled=True) from None
        raise AssertionError("unreachable: status events end with COMPLETED")  # pragma: no cover

    def get(
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
        deadline = Deadline(timeout, self.client._clock)
        final = self._wait(deadline, on_queue_update, logs, cancel_on_timeout, mode)
        return self.client._result_after(self.model_id, final, deadline)

    def result(self) -> Result:
        return self.client.result(self.model_id, self.request_id)

    def cancel(self) -> str:
        return self.client.cancel(self.model_id, self.request_id)


class Client(_Base):
    """The synchronous client. Thread-safe; share one per process."""

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
        transport: httpx.BaseTransport | None = None,
        strict: bool | None = None,
    ) -> None:
        super().__init__(
            strict=strict,
            base_url=base_url,
            api_key=api_key,
            auth_scheme=auth_scheme,
            timeout=timeout,
            max_retries=max_retries,
            wait_mode=wait_mode,
            poll_policy=poll_policy,
            allow_http=allow_http,
            retry_policy=retry_policy,
        )
        self._sleep: Callable[[float], None] = time.sleep
        inner = transport or _wallclock.install(httpx.HTTPTransport(limits=C.POOL_LIMITS))
        self._http = httpx.Client(**self._http_kwargs(self._retrying(inner), gateway=True))
        self._api.set_httpx_client(self._http)
        self._media_inner = transport
        #: The stream and media clients, built on first use and shared with with_options copies.
        self._lazy: dict[str, httpx.Client] = {}

    # -- plumbing --------------------------------------------------------------------------

    def _run(
        self,
        plan: Plan[T],
        *,
        max_retries: int | None = None,
        http_timeout: TimeoutArg = None,
        deadline: Deadline | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        with self._calling(plan, max_retries, http_timeout, deadline, headers):
            return plan.complete(plan.sync())

    def _retrying(self, inner: httpx.BaseTransport) -> RetryTransport:
        return RetryTransport(inner, self._retry_policy, sleep=lambda s: self._sleep(s))

    def _stream_client(self) -> httpx.Client:
        """Status streams get a pool of their own (see C.STREAM_POOL_LIMITS)."""
        if "streams" not in self._lazy:
            inner = self._media_inner or _wallclock.install(httpx.HTTPTransport(limits=C.STREAM_POOL_LIMITS))
            self._lazy["streams"] = httpx.Client(**self._http_kwargs(self._retrying(inner), gateway=True))
        return self._lazy["streams"]

    def _media_client(self) -> httpx.Client:
        if "media" not in self._lazy:
            inner = self._media_inner or _wallclock.install(httpx.HTTPTransport(limits=C.POOL_LIMITS))
            self._lazy["media"] = httpx.Client(**self._http_kwargs(self._retrying(inner), gateway=False))
        return self._lazy["media"]

    # -- queue operations ------------------------------------------------------------------

    def submit(
        self,
        model_id: str,
        arguments: object,
        **options: Unpack[SubmitKwargs],
    ) -> SyncHandle:
        """Queue a job. Returns as soon as the gateway has given it a request id.

        Options (``SubmitKwargs``): ``webhook_url``, ``priority``, ``hint``, ``start_timeout``,
        ``headers``, ``no_retry``, ``object_lifecycle``, ``store_io``, ``max_retries``, ``http_timeout``.
        """
        plan, call = self._prepare_submit(model_id, arguments, options)
        data = self._run(plan, **call)
        logger.info("submitted %s request_id=%s", model_id, data.request_id)
        return SyncHandle(self, data)

    def get_handle(self, model_id: str, request_id: str) -> SyncHandle:
        """A handle for a job submitted earlier (by this process or another)."""
        return SyncHandle(self, self._handle_data(validate_model_id(model_id), request_id))

    def status(
        self,
        model_id: str,
        request_id: str,
        *,
        logs: bool = False,
        max_retries: int | None = None,
        http_timeout: TimeoutArg = None,
    ) -> Status:
        return self._run(
            self._status_plan(model_id, request_id, logs), max_retries=max_retries, http_timeout=http_timeout
        )

    def result(
        self,
        model_id: str,
        request_id: str,
        *,
        max_retries: int | None = None,
        http_timeout: TimeoutArg = None,
    ) -> Result:
        return self._run(
            self._result_plan(model_id, request_id), max_retries=max_retries, http_timeout=http_timeout
        )

    def cancel(
        self,
        model_id: str,
        request_id: str,
        *,
        max_retries: int | None = None,
        http_timeout: TimeoutArg = None,
    ) -> str:
        """Ask for cancellation. Returns ``CANCELLATION_REQUESTED`` or ``ALREADY_COMPLETED``."""
        return self._run(
            self._cancel_plan(model_id, request_id), max_retries=max_retries, http_timeout=http_timeout
        )

    def iter_events(
        self,
        model_id: str,
        request_id: str,
        *,
        logs: bool = False,
        timeout: float | None = None,
        mode: str | None = None,
    ) -> Iterator[Status]:
        """Status changes until COMPLETED (inclusive): streamed, or polled as a fallback."""
        return self._events(model_id, request_id, logs, Deadline(timeout, self._clock), mode)

    def subscribe(
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
        handle = self.submit(
            model_id,
            arguments,
            **options,
        )
        if on_enqueue is not None:
            on_enqueue(handle.request_id)
        return handle.get(
            on_queue_update=on_queue_update,
            logs=logs,
            timeout=timeout,
            cancel_on_timeout=cancel_on_timeout,
            mode=mode,
        )

    # -- waiting ---------------------------------------------------------------------------

    def _events(
        self, model_id: str, request_id: str, logs: bool, deadline: Deadline, mode: str | None
    ) -> Iterator[Status]:
        validate_model_id(model_id)
        validate_request_id(request_id)
        mode = mode or self.wait_mode
        if mode not in WAIT_MODES:
            raise E.InvalidInputError(f"mode must be 'stream' or 'poll', not {mode!r}")
        poller = Poller(self.poll_policy, deadline)
        if mode == "stream" and self._stream_slots.acquire(blocking=False):
            try:
                with contextlib.closing(self._stream(model_id, request_id, logs, deadline)) as events:
                    for status in events:
                        if poller.changed(status):
                            yield status
                        if status.done:
                            return
            except _StreamUnavailable as exc:
                logger.info("status stream unavailable for %s (%s); polling instead", request_id, exc)
            finally:
                self._stream_slots.release()
        while True:
            if deadline.expired():
                raise deadline.error(request_id, model_id, cancelled=False)
            try:
                status = self._run(self._status_plan(model_id, request_id, logs), deadline=deadline)
            except E.APIConnectionError as exc:
                raise _poll_failure(exc, deadline, request_id, model_id) from exc
            if poller.changed(status):
                yield status
            if status.done:
                return
            delay = poller.next_sleep()
            if delay is None:
                raise deadline.error(request_id, model_id, cancelled=False)
            self._sleep(delay)

    def _stream(
        self, model_id: str, request_id: str, logs: bool, deadline: Deadline
    ) -> Generator[Status, None, None]:
        http = self._stream_client()
        request = self._stream_request(http, model_id, request_id, logs, deadline)
        try:
            with _wallclock.limit(deadline.at):
                response = http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise _stream_failure(exc, deadline, request_id, model_id) from exc
        try:
            if response.status_code != 200:
                with _wallclock.limit(deadline.at):
                    response.read()
                raise self._stream_refusal(response, model_id, request_id)
            events = EventSource(response).iter_sse()
            while True:
                # Every socket read ends by the deadline, however often the server pings.
                with _wallclock.limit(deadline.at):
                    event = next(events, None)
                if event is None:
                    break
                status = decode_event(event.data, request_id=request_id, base_url=self.base_url)
                if status is not None:
                    yield status
                    if status.done:
                        return
                if deadline.expired():  # the same event again and again ends too
                    raise deadline.error(request_id, model_id, cancelled=False)
            raise _StreamUnavailable("stream ended before COMPLETED")
        except (httpx.HTTPError, SSEError) as exc:
            raise _stream_failure(exc, deadline, request_id, model_id) from exc
        finally:
            response.close()

    def _result_after(self, model_id: str, final: Completed, deadline: Deadline) -> Result:
        plan = self._result_plan(model_id, final.request_id)
        if final.failed:
            try:  # only for the error body: the status already says the job failed
                self._run(plan, max_retries=0, deadline=deadline)
            except E.APIStatusError as err:
                raise job_failed(final, model_id, err) from err
            except E.FalQueueError as err:
                raise job_failed(final, model_id, None) from err
            raise job_failed(final, model_id, None)
        retry = ResultRetry(self._retry_policy, deadline)
        while True:
            try:
                return self._run(plan, deadline=deadline)
            except E.APIStatusError as err:
                if _is_job_failure(err):
                    raise job_failed(final, model_id, err) from err
                delay = retry.after(err)  # "still in progress" right after COMPLETED: ask again
                if delay is None:
                    raise
                self._sleep(delay)
            except E.APIConnectionError as exc:
                raise _result_failure(exc, deadline, final, model_id) from exc

    # -- downloads -------------------------------------------------------------------------

    def download(
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
        pairs, request_id, mode = self._prepare_download(source, directory, if_exists, overwrite, prefix)
        retries = self.max_retries if max_retries is None else max_retries
        return [self._download_one(f, t, mode, on_progress, request_id, retries, deadline) for f, t in pairs]

    def _download_one(
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
            try:
                return self._fetch(file, target, mode, on_progress, request_id, deadline)
            except (httpx.HTTPError, OSError, E.DownloadError) as exc:
                if deadline.expired():
                    raise self._download_timeout(deadline, file, request_id) from exc
                attempt += 1
                error = as_download_error(exc, file.url, target, request_id)
                delay = retry_delay(error, attempt, retries, self._retry_policy.backoff)
                remaining = deadline.remaining()
                if remaining is not None and delay >= remaining:
                    raise self._download_timeout(deadline, file, request_id) from exc
                self._sleep(delay)

    def _fetch(
        self,
        file: File,
        target: Path,
        mode: IfExists,
        on_progress: ProgressCallback | None,
        request_id: str | None,
        deadline: Deadline,
    ) -> Path:
        with (
            _wallclock.limit(deadline.at),
            self._media_client().stream(
                "GET", file.url, timeout=self.timeout, extensions={STREAM_EXTENSION: True}
            ) as response,
        ):
            sink = FileSink(file, target, response, on_progress, request_id)
            started = time.monotonic()
            try:
                chunks = response.iter_bytes(C.DOWNLOAD_CHUNK)
                while True:
                    with _wallclock.limit(self._body_limit(started, sink.written, sink.total)):
                        chunk = next(chunks, None)
                        _wallclock.check()  # also for transports the socket clip cannot reach
                    if chunk is None:
                        break
                    sink.write(chunk)
                return sink.commit(mode)
            finally:
                sink.discard()

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()
        for lazy in self._lazy.values():
            lazy.close()
        self._lazy.clear()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ====================================================================================== async


class AsyncHandle(_HandleBase["AsyncClient"]):
    """A submitted job (async). Rebuild one with ``client.get_handle(model_id, request_id)``."""

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
        deadline = Deadline(timeout, self.client._clock)
        return await self._wait(deadline, on_queue_update, logs, cancel_on_timeout, mode)

    async def _wait(
        self,
        deadline: Deadline,
        on_queue_update: QueueUpdate | None,
        logs: bool,
        cancel_on_timeout: bool,
        mode: str | None,
    ) -> Completed:
        try:
            async for status in self.client._events(self.model_id, self.request_id, logs, deadline, mode):
                if on_queue_update is not None:
                    outcome = on_queue_update(status)
                    if isinstance(outcome, Awaitable):
                        await outcome
                if isinstance(status, Completed):
                    return status
        except E.JobTimeoutError:
            if not cancel_on_timeout:
                raise
            try:
                await self.cancel()
            except E.FalQueueError as exc:
                logger.warning("cancel after timeout failed for %s: %s", self.request_id, exc)
                raise deadline.error(self.request_id, self.model_id, cancelled=False) from exc
            raise deadline.error(self.request_id, self.model_id, cancelled=True) from None
        raise AssertionError("unreachable: status events end with COMPLETED")  # pragma: no cover

    async def get(
        self,
        *,
        on_queue_update: QueueUpdate | None = None,
        logs: bool = False,
        timeout: float | None = None,
        cancel_on_timeout: bool = False,
        mode: str | None = None,
    ) -> Result:
        deadline = Deadline(timeout, self.client._clock)
        final = await self._wait(deadline, on_queue_update, logs, cancel_on_timeout, mode)
        return await self.client._result_after(self.model_id, final, deadline)

    async def result(self) -> Result:
        return await self.client.result(self.model_id, self.request_id)

    async def cancel(self) -> str:
        return await self.client.cancel(self.model_id, self.request_id)


class AsyncClient(_Base):
    """The asyncio client; the same methods as :class:`Client`, as coroutines."""

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
    ) -> None:
        super().__init__(
            strict=strict,
            base_url=base_url,
            api_key=api_key,
            auth_scheme=auth_scheme,
            timeout=timeout,
            max_retries=max_retries,
            wait_mode=wait_mode,
            poll_policy=poll_policy,
            allow_http=allow_http,
            retry_policy=retry_policy,
        )
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        inner = transport or httpx.AsyncHTTPTransport(limits=C.POOL_LIMITS)
        self._http = httpx.AsyncClient(
            **self._http_kwargs(self._retrying(inner, C.MAX_CONCURRENT_REQUESTS), gateway=True)
        )
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
        with self._calling(plan, max_retries, http_timeout, deadline, headers):
            # The request gate, every attempt and every backoff sleep end by the deadline.
            async with _wallclock.async_limit(deadline.at if deadline is not None else None):
                answer = await plan.asyncio()
            return plan.complete(answer)

    def _retrying(
        self, inner: httpx.AsyncBaseTransport, max_concurrent: int | None = None
    ) -> AsyncRetryTransport:
        return AsyncRetryTransport(
            inner, self._retry_policy, sleep=lambda s: self._sleep(s), max_concurrent=max_concurrent
        )

    def _stream_client(self) -> httpx.AsyncClient:
        """Status streams get a pool of their own (see C.STREAM_POOL_LIMITS)."""
        if "streams" not in self._lazy:
            inner = self._media_inner or httpx.AsyncHTTPTransport(limits=C.STREAM_POOL_LIMITS)
            self._lazy["streams"] = httpx.AsyncClient(
                **self._http_kwargs(self._retrying(inner), gateway=True)
            )
        return self._lazy["streams"]

    def _media_client(self) -> httpx.AsyncClient:
        if "media" not in self._lazy:
            inner = self._media_inner or httpx.AsyncHTTPTransport(limits=C.POOL_LIMITS)
            self._lazy["media"] = httpx.AsyncClient(**self._http_kwargs(self._retrying(inner), gateway=False))
        return self._lazy["media"]

    async def submit(
        self,
        model_id: str,
        arguments: object,
        **options: Unpack[SubmitKwargs],
    ) -> AsyncHandle:
        plan, call = self._prepare_submit(model_id, arguments, options)
        data = await self._run(plan, **call)
        logger.info("submitted %s request_id=%s", model_id, data.request_id)
        return AsyncHandle(self, data)

    def get_handle(self, model_id: str, request_id: str) -> AsyncHandle:
        return AsyncHandle(self, self._handle_data(validate_model_id(model_id), request_id))

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
        return await self._run(
            self._result_plan(model_id, request_id), max_retries=max_retries, http_timeout=http_timeout
        )

    async def cancel(
        self,
        model_id: str,
        request_id: str,
        *,
        max_retries: int | None = None,
        http_timeout: TimeoutArg = None,
    ) -> str:
        return await self._run(
            self._cancel_plan(model_id, request_id), max_retries=max_retries, http_timeout=http_timeout
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
        Deadline(timeout)  # an unusable timeout fails here, before a job is paid for
        handle = await self.submit(
            model_id,
            arguments,
            **options,
        )
        if on_enqueue is not None:
            outcome = on_enqueue(handle.request_id)
            if isinstance(outcome, Awaitable):
                await outcome
        return await handle.get(
            on_queue_update=on_queue_update,
            logs=logs,
            timeout=timeout,
            cancel_on_timeout=cancel_on_timeout,
            mode=mode,
        )

    async def _events(
        self, model_id: str, request_id: str, logs: bool, deadline: Deadline, mode: str | None
    ) -> AsyncIterator[Status]:
        validate_model_id(model_id)
        validate_request_id(request_id)
        mode = mode or self.wait_mode
        if mode not in WAIT_MODES:
            raise E.InvalidInputError(f"mode must be 'stream' or 'poll', not {mode!r}")
        poller = Poller(self.poll_policy, deadline)
        if mode == "stream" and self._stream_slots.acquire(blocking=False):
            try:
                # aclosing: give the stream's connection back now, not when the generator is collected.
                async with contextlib.aclosing(self._stream(model_id, request_id, logs, deadline)) as events:
                    async for status in events:
                        if poller.changed(status):
                            yield status
                        if status.done:
                            return
            except _StreamUnavailable as exc:
                logger.info("status stream unavailable for %s (%s); polling instead", request_id, exc)
            finally:
                self._stream_slots.release()
        while True:
            if deadline.expired():
                raise deadline.error(request_id, model_id, cancelled=False)
            try:
                status = await self._run(self._status_plan(model_id, request_id, logs), deadline=deadline)
            except E.APIConnectionError as exc:
                raise _poll_failure(exc, deadline, request_id, model_id) from exc
            if poller.changed(status):
                yield status
            if status.done:
                return
            delay = poller.next_sleep()
            if delay is None:
                raise deadline.error(request_id, model_id, cancelled=False)
            await self._sleep(delay)

    async def _stream(
        self, model_id: str, request_id: str, logs: bool, deadline: Deadline
    ) -> AsyncGenerator[Status, None]:
        http = self._stream_client()
        request = self._stream_request(http, model_id, request_id, logs, deadline)
        try:
            async with _wallclock.async_limit(deadline.at):
                response = await http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise _stream_failure(exc, deadline, request_id, model_id) from exc
        try:
            if response.status_code != 200:
                async with _wallclock.async_limit(deadline.at):
                    await response.aread()
                raise self._stream_refusal(response, model_id, request_id)
            events = EventSource(response).aiter_sse()
            while True:
                # Every read ends by the deadline, however often the server pings.
                async with _wallclock.async_limit(deadline.at):
                    event = await anext(events, None)
                if event is None:
                    break
                status = decode_event(event.data, request_id=request_id, base_url=self.base_url)
                if status is not None:
                    yield status
                    if status.done:
                        return
                if deadline.expired():  # the same event again and again ends too
                    raise deadline.error(request_id, model_id, cancelled=False)
            raise _StreamUnavailable("stream ended before COMPLETED")
        except (httpx.HTTPError, SSEError) as exc:
            raise _stream_failure(exc, deadline, request_id, model_id) from exc
        finally:
            await response.aclose()

    async def _result_after(self, model_id: str, final: Completed, deadline: Deadline) -> Result:
        plan = self._result_plan(model_id, final.request_id)
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
                return await self._run(plan, deadline=deadline)
            except E.APIStatusError as err:
                if _is_job_failure(err):
                    raise job_failed(final, model_id, err) from err
                delay = retry.after(err)  # "still in progress" right after COMPLETED: ask again
                if delay is None:
                    raise
                await self._sleep(delay)
            except E.APIConnectionError as exc:
                raise _result_failure(exc, deadline, final, model_id) from exc

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
        """Save every file of a result into ``directory``; return the paths written (see Client)."""
        deadline = Deadline(timeout, self._clock)
        pairs, request_id, mode = self._prepare_download(source, directory, if_exists, overwrite, prefix)
        retries = self.max_retries if max_retries is None else max_retries
        return [
            await self._download_one(f, t, mode, on_progress, request_id, retries, deadline) for f, t in pairs
        ]

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
            try:
                return await self._fetch(file, target, mode, on_progress, request_id, deadline)
            except (httpx.HTTPError, OSError, E.DownloadError) as exc:
                if deadline.expired():
                    raise self._download_timeout(deadline, file, request_id) from exc
                attempt += 1
                error = as_download_error(exc, file.url, target, request_id)
                delay = retry_delay(error, attempt, retries, self._retry_policy.backoff)
                remaining = deadline.remaining()
                if remaining is not None and delay >= remaining:
                    raise self._download_timeout(deadline, file, request_id) from exc
                await self._sleep(delay)

    async def _fetch(
        self,
        file: File,
        target: Path,
        mode: IfExists,
        on_progress: ProgressCallback | None,
        request_id: str | None,
        deadline: Deadline,
    ) -> Path:
        async with (
            _wallclock.async_limit(deadline.at),
            self._media_client().stream(
                "GET", file.url, timeout=self.timeout, extensions={STREAM_EXTENSION: True}
            ) as response,
        ):
            sink = FileSink(file, target, response, on_progress, request_id)
            started = time.monotonic()
            try:
                chunks = response.aiter_bytes(C.DOWNLOAD_CHUNK)
                while True:
                    async with _wallclock.async_limit(self._body_limit(started, sink.written, sink.total)):
                        chunk = await anext(chunks, None)
                    if chunk is None:
                        break
                    sink.write(chunk)
                return sink.commit(mode)
            finally:
                sink.discard()

    async def close(self) -> None:
        await self._http.aclose()
        for lazy in self._lazy.values():
            await lazy.aclose()
        self._lazy.clear()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
