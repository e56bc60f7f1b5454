"""What Client and AsyncClient share: settings, plans, limits and error rules, with no I/O.

A submitted job is never lost: ``submit`` returns a handle the moment the request id exists,
every later error names that id, and ``get_handle`` rebuilds a handle from (model id, request id).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Generic, Self, TypeVar

import httpx
from fal_queue_api.client import AuthenticatedClient

from . import _constants as C
from . import _wallclock
from . import errors as E
from ._answers import Context, error_from_answer, error_from_exception
from ._checks import whole_number
from ._inputs import split_submit_kwargs
from ._logging import register_secret, setup_from_env
from ._plans import Plan, Submitted, status_plan, submit_plan
from ._settings import AUTH_SCHEMES, SETTINGS, Origin, Resolved, SettingError, as_timeout, checked_retries
from ._settings import BY_NAME as SETTINGS_BY_NAME
from ._settings import resolve as resolve_settings
from ._transport import (
    NO_RETRY_EXTENSION,
    STREAM_EXTENSION,
    CallState,
    GatewayAuth,
    RetryPolicy,
    Secret,
    call_state,
    user_agent,
)
from .polling import Deadline, PollPolicy, StreamUnavailable
from .types import Status
from .urls import app_id, validate_request_id

logger = logging.getLogger("fal_queue")
T = TypeVar("T")
ClientT = TypeVar("ClientT", bound="_Base")
TimeoutArg = float | httpx.Timeout | None
QueueUpdate = Callable[[Status], Any]


async def acall(callback: Callable[..., Any], *args: Any) -> None:
    """Call a user callback that may be a coroutine function (async client)."""
    outcome = callback(*args)
    if isinstance(outcome, Awaitable):
        await outcome


def call(callback: Callable[..., Any], *args: Any) -> None:
    callback(*args)


class _Base:
    """Settings, plans and everything else that does not wait on I/O."""

    def __init__(self, given: Mapping[str, Any]) -> None:
        """``given``: the constructor's arguments by keyword (the settings table names them)."""
        setup_from_env()
        retry_policy: RetryPolicy | None = given["retry_policy"]
        # Settings already resolved (the CLI's one pass) are taken as they are: their warnings
        # were told where they were resolved.
        settings: Resolved | None = given["settings"]
        if settings is None:
            settings = resolve_settings(
                {s.name: given[s.keyword] for s in SETTINGS},
                defaults={"max_retries": retry_policy.max_retries} if retry_policy is not None else None,
            )
            for warning in settings.warnings:
                logger.warning("%s", warning)
        for name, what in (("base_url", "base_url"), ("key", "API key")):
            if getattr(settings, name) is None:
                row = SETTINGS_BY_NAME[name]
                where = f"pass {row.keyword}=, set {row.env}, or set {name} in {settings.config_path}"
                raise SettingError(f"no {what}: {where}", setting=name, origin=Origin("default"))
        assert settings.base_url is not None  # for mypy: the loop refused None
        assert settings.key is not None
        #: Refuse input fields a typed model does not know, instead of sending them with a warning.
        self.strict = settings.strict
        self.base_url = settings.base_url
        self._key = Secret(settings.key)
        register_secret(self._key)
        self.auth_scheme = settings.auth_scheme
        self.timeout: httpx.Timeout = as_timeout(settings.timeout, "timeout") or C.DEFAULT_HTTP_TIMEOUT
        self.max_retries = settings.max_retries
        self.wait_mode = settings.wait_mode
        #: The largest local image sent inline (bytes of data URI); larger ones are downscaled.
        self.max_image_bytes = settings.max_image_bytes
        self.poll_policy: PollPolicy = given["poll_policy"] or PollPolicy()
        self._retry_policy = dataclasses.replace(retry_policy or RetryPolicy(), max_retries=self.max_retries)
        self._auth = GatewayAuth(self._key, AUTH_SCHEMES[self.auth_scheme], self.base_url)
        self._headers = {"User-Agent": user_agent()}
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

    def _state(
        self, max_retries: int | None, http_timeout: TimeoutArg, headers: Mapping[str, str] | None
    ) -> CallState:
        return CallState(
            max_retries=self.max_retries if max_retries is None else whole_number(max_retries, "max_retries"),
            timeout=as_timeout(http_timeout, "http_timeout") or self.timeout,
            headers=dict(headers) if headers else None,
        )

    def _prepare_submit(
        self, model_id: str, arguments: object, kwargs: Mapping[str, Any]
    ) -> tuple[Plan[Submitted], dict[str, Any]]:
        """The submit plan and the keyword arguments of ``_run`` for it, validated before sending."""
        sent, call = split_submit_kwargs(kwargs)
        strict = call.pop("strict", None)
        plan = submit_plan(
            self.base_url,
            self._key,
            model_id,
            arguments,
            sent,
            strict=self.strict if strict is None else strict,
            max_image_bytes=self.max_image_bytes,
        )
        return plan, call

    def _status_plan(self, model_id: str, request_id: str, logs: bool) -> Plan[Status]:
        return status_plan(self.base_url, self._key, model_id, request_id, logs)

    def _stream_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        model_id: str,
        request_id: str,
        logs: bool,
    ) -> httpx.Request:
        url = f"/{app_id(model_id)}/requests/{validate_request_id(request_id)}/status/stream"
        return http.build_request(
            "GET",
            url,
            params={"logs": "1" if logs else "0"},
            headers={"Accept": "text/event-stream"},
            # Streams hold a connection for the whole job: when the pool is full, poll instead of
            # queueing for a connection (many jobs in flight share a few keep-alive connections).
            timeout=httpx.Timeout(
                connect=self.timeout.connect,
                # A stream silent this long (no event, no ping) is dead: poll instead.
                read=C.STREAM_SILENCE_LIMIT,
                write=self.timeout.write,
                pool=C.STREAM_POOL_WAIT,
            ),
            extensions={STREAM_EXTENSION: True, NO_RETRY_EXTENSION: True},
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
        state = self._state(max_retries, http_timeout, headers)
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

    def _gate_timeout(self, plan: Plan[Any]) -> E.APITimeoutError:
        ctx = plan.ctx
        return E.APITimeoutError(
            f"{ctx.operation}: the deadline passed while waiting for a request slot (nothing was sent)",
            request_id=ctx.request_id,
            model_id=ctx.model_id,
        )

    def _stream_refusal(self, response: httpx.Response, model_id: str, request_id: str) -> Exception:
        """What a non-200 answer to the stream means: a real auth error, or just "poll instead"."""
        if response.status_code in {401, 403}:
            ctx = Context("status stream", model_id=model_id, request_id=request_id, secret=self._key)
            return error_from_answer(response.status_code, response.headers, response.content, ctx)
        return StreamUnavailable(f"HTTP {response.status_code}")

    def with_options(self, *, max_retries: int | None = None, timeout: TimeoutArg = None) -> Self:
        """A copy with other defaults that shares this client's connections and lifecycle.

        Closing either closes the pools of both; the arguments are checked like the constructor's.
        """
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)  # the pools, the lazily built clients and the gates
        if max_retries is not None:
            clone.max_retries = checked_retries(max_retries)
            clone._retry_policy = dataclasses.replace(self._retry_policy, max_retries=clone.max_retries)
        if timeout is not None:
            clone.timeout = as_timeout(timeout, "timeout") or self.timeout
        return clone


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
