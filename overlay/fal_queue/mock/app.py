"""The mock's two origins on Starlette: the gateway (queue API, admin, JWKS) and the media origin.

Order of work on the gateway: route (404/405), the ``echo_auth``, ``slow`` and ``ingress_503``
faults, auth (401), the ``rate_limit`` fault (429), unknown model (404 ``model_not_found``),
validation (422), the operation (with its own faults), then the ``drop`` or ``drip`` fault on the
way out. Every answer but the ingress's HTML 503 carries ``x-fal-request-id``: the job's id on
queue answers, a fresh one elsewhere.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hmac
import json
import logging
import math
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import unquote

from starlette.convertors import StringConvertor, register_url_convertor
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fal_queue.mock.config import Faults, MockConfig
from fal_queue.mock.engine import Engine, Job
from fal_queue.mock.inputs import lifecycle_ttl, read_inputs, reject_constant
from fal_queue.mock.media import MediaStore
from fal_queue.mock.spec import OperationSpec, SpecIndex, ValidationItem, problem
from fal_queue.mock.webhooks import JWKS_PATH

__all__ = ["GatewayApp", "MediaApp", "MockState"]

log = logging.getLogger("fal_queue.mock")

_INGRESS_HTML = (
    b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    b"<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_PING = b": ping\n\n"
_LOG_ENTRY = "fal_queue.mock.log_entry"  # where a request's scope holds its entry of the request log


# ---- routes: fal's URL layout, the mock's own copy ----


class _AppPath(StringConvertor):
    """An app's path segments: three under ``workflows/`` and ``comfy/``, else two (the mock's own copy
    of fal's rule, never the SDK's ``urls.py``); never the mock's own paths (``/_mock/...``, the JWKS),
    so that a wrong method there is a 405, not a submit."""

    regex = (
        rf"(?!_mock/|{re.escape(JWKS_PATH[1:])}$)"
        r"(?:(?:workflows|comfy)/[^/]+/[^/]+|(?!(?:workflows|comfy)/)[^/]+/[^/]+)"
    )


class _ModelTail(_AppPath):
    """The rest of a model id after its app (``/schnell``): never a ``requests`` segment, the word that
    starts the queue's paths under the app or under any of its model ids."""

    regex = r"(?:/(?!requests(?:/|$))[^/]+)*"


register_url_convertor("fal_app", _AppPath())
register_url_convertor("fal_model_tail", _ModelTail())

Endpoint = Callable[[Request], Awaitable[ASGIApp]]


def _route(path: str, endpoint: Endpoint, *methods: str, name: str) -> Route:
    route = Route(path, endpoint, methods=methods, name=name)
    route.methods = set(methods)  # Starlette adds HEAD to every GET route; fal's queue answers it 405
    return route


def _segments(raw: str) -> tuple[str, ...]:
    """Path segments as sent, each percent-decoded on its own (``%2F`` stays inside its segment)."""
    return tuple(unquote(segment) for segment in raw.split("/"))


# ---- answers ----


def _dumps(data: Any) -> bytes:
    """Strict JSON (no NaN/Infinity); a string that is not valid Unicode never reaches the wire."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8", "replace")


class _JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return _dumps(content)


def answer(
    status: int, data: Any, *, request_id: str | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer with its ``x-fal-request-id``: the job's when given, else a fresh one."""
    return _JSON(data, status, {**(headers or {}), "x-fal-request-id": request_id or str(uuid.uuid4())})


def error(status: int, detail: str, error_type: str, **options: Any) -> Response:
    """fal's error body; ``options`` as for `answer`."""
    return answer(status, {"detail": detail, "error_type": error_type}, **options)


def _invalid(problems: list[ValidationItem]) -> Response:
    return answer(422, {"detail": problems}, headers={"X-Fal-Retryable": "false"})


def _unauthorized() -> Response:
    realm = {"WWW-Authenticate": 'Bearer realm="fal-queue-mock"'}
    return error(401, "Missing or invalid Authorization header", "unauthorized", headers=realm)


def _event(body: dict[str, Any]) -> bytes:
    return b"data: " + _dumps(body) + b"\n\n"


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The whole body; None when it is larger than ``limit`` or the client left before its end."""
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                return None
    except ClientDisconnect:
        return None
    return bytes(body)


# ---- faults of the wire: raw ASGI, applied to a finished response ----


class _Cut(Exception):
    """The answer stops here: the connection closes without the rest of the body."""


def _echoed(response: Response, request: Request) -> Response:
    """The ``echo_auth`` fault, as a careless gateway does: the ``Authorization`` header as sent, in
    ``WWW-Authenticate`` and ``X-Echo-Authorization``."""
    sent = ", ".join(request.headers.getlist("authorization")).replace('"', "'")
    response.headers["www-authenticate"] = f'Bearer realm="{sent}"'
    response.headers["x-echo-authorization"] = sent
    return response


def _on_the_wire(response: ASGIApp, drop: bool, drip: float) -> ASGIApp:
    """What a bad network does to an answer: cut the body in half after announcing its length
    (``drop``), else send it one byte at a time (``drip`` bytes per second, until the client leaves)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await response(scope, receive, _cutting(send) if drop else _dripping(send, receive, drip))
        except _Cut:
            return  # the server then closes the connection: the client sees a truncated body

    return app


def _cutting(send: Send) -> Send:
    async def cutting(message: Message) -> None:
        body = message.get("body", b"")
        if not body:
            return await send(message)
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        raise _Cut

    return cutting


def _dripping(send: Send, receive: Receive, rate: float) -> Send:
    async def dripping(message: Message) -> None:
        body = message.get("body", b"")
        if not body:
            return await send(message)
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            for i in range(len(body)):
                await send({"type": "http.response.body", "body": body[i : i + 1], "more_body": True})
                if (await asyncio.wait({gone}, timeout=1.0 / rate))[0]:
                    raise _Cut  # the client left
        finally:
            gone.cancel()
        await send({**message, "body": b""})

    return dripping


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


# ---- state shared by both origins ----


class MockState:
    """What both origins share: configuration, faults, the engine, media and the request log."""

    def __init__(self, config: MockConfig, spec: SpecIndex) -> None:
        self.config = config
        self.spec = spec
        self.faults: Faults = config.faults
        self.base_url = ""
        self.media_url = ""
        self.media = MediaStore()
        self.engine = Engine(
            config,
            self.media,
            media_base=lambda: self.media_url,
            url_base=lambda: self.config.upstream_origin if self.config.url_style == "fal" else self.base_url,
        )
        self.attempts: collections.Counter[tuple[str, str]] = collections.Counter()
        self.request_log: collections.deque[dict[str, Any]] = collections.deque(
            maxlen=config.request_log_size
        )
        self._keys = tuple(k.encode() for k in config.keys)

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self.attempts.clear()

    def stats(self) -> dict[str, Any]:
        return {**self.engine.stats(), "faults": self.faults.to_dict()}

    def record(self, origin: str, scope: Scope) -> dict[str, Any]:
        """Log a request as it arrives; `count` adds the operation it is routed to."""
        headers = Headers(scope=scope)
        entry = {
            "origin": origin,
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "headers": {name: ", ".join(headers.getlist(name)) for name in headers},
            "time": time.time(),
            "operation": "unrouted",
        }
        self.request_log.append(entry)
        self.engine.counters["requests_total"] += 1
        return entry

    def authorized(self, scope: Scope) -> bool:
        """``Authorization: Bearer <key>`` or fal's ``Key <key>``, scheme case-insensitive."""
        token = self.key_of(scope)
        return token is not None and any(hmac.compare_digest(token, key) for key in self._keys)

    @staticmethod
    def key_of(scope: Scope) -> bytes | None:
        """The key an ``Authorization`` header gives, whichever scheme (None without one)."""
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.strip().partition(b" ")
                return token.strip() if scheme.lower() in (b"bearer", b"key") else None
        return None

    def over_limit(self, key: str) -> Response | None:
        """The refusal of a submit over the key's limits, counted by limit."""
        which = self.engine.limits.refusal(key)
        if which is None:
            return None
        self.engine.counters[f"limited:{which}"] += 1
        config = self.config
        headers = {"Retry-After": str(config.limit_retry_after)} if config.limit_retry_after else {}
        if config.limit_answer == "json":
            return error(429, "Too many requests for this key", "rate_limited", headers=headers)
        status, text = (
            (429, "Too Many Requests") if config.limit_answer == "text" else (400, "Too many requests")
        )
        return Response(f"{text}: {which} limit of this key\n", status, headers, media_type="text/plain")

    def count(self, operation: str, scope: Scope) -> None:
        """Count a request by the operation it was routed to, and say so in its log entry."""
        self.engine.counters[f"req:{operation}"] += 1
        scope[_LOG_ENTRY]["operation"] = operation


class _Decider:
    """The fault decisions of one request: ``fires(kind)`` decides a kind and counts it when it fires."""

    __slots__ = ("active", "attempt", "faults", "method", "path", "state")

    def __init__(self, state: MockState, operation: str, request: Request) -> None:
        self.state, self.faults = state, state.faults
        self.method, self.path = request.method, unquote(request.scope["path"])
        self.active = self.faults.active and self.faults.applies_to(operation)
        self.attempt = 0
        if self.active:  # the n-th request to this method and path since the faults were set
            state.attempts[self.method, self.path] += 1
            self.attempt = state.attempts[self.method, self.path]

    def fires(self, kind: str) -> bool:
        if self.active and self.faults.decide(kind, self.method, self.path, self.attempt):
            self.state.engine.counters[f"fault:{kind}"] += 1
            return True
        return False

    def result_not_ready(self, job: Job) -> bool:
        """Whether this result GET is one of the first ``result_not_ready`` after completion."""
        if not self.active or job.not_ready_served >= self.faults.result_not_ready:
            return False
        job.not_ready_served += 1
        self.state.engine.counters["fault:result_not_ready"] += 1
        return True

    def without_dropped_param(self, inputs: dict[str, Any]) -> dict[str, Any]:
        name = self.faults.drop_param
        if not self.active or name is None or name not in inputs:
            return inputs
        self.state.engine.counters["fault:drop_param"] += 1
        return {k: v for k, v in inputs.items() if k != name}


Operation = Callable[[Request, _Decider, bool], Awaitable[Response]]


class _Refused(Exception):
    """An operation ends early with this answer (a 404, a 422, ...)."""

    def __init__(self, response: Response) -> None:
        self.response = response


class _Origin:
    """One of the mock's origins: Starlette's router over the state both origins share. A path no
    route serves is a JSON 404, a method no route takes a JSON 405, a bug in the mock a JSON 500."""

    name = ""

    def __init__(self, state: MockState) -> None:
        self.state = state
        self.router = Router(self._routes(), redirect_slashes=False, default=self._unrouted)

    def _routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def authorized(self, scope: Scope) -> bool:
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        routed = _routed(scope, self)
        routed[_LOG_ENTRY] = self.state.record(self.name, scope)
        began, status = time.perf_counter(), 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.router(routed, receive, sending)
        except HTTPException:  # a route serves the path, not the method
            self.state.count(routed["route"].name, routed)
            allow = {"Allow": ", ".join(sorted(routed["route"].methods))}
            await error(405, "Method Not Allowed", "method_not_allowed", headers=allow)(
                scope, receive, sending
            )
        except Exception:
            log.exception("mock gateway bug while serving %s %s", scope["method"], scope["path"])
            if not status:
                await error(500, "Internal Server Error", "internal_error")(scope, receive, sending)
        finally:
            if self.state.config.log_requests:
                ms = (time.perf_counter() - began) * 1000
                path = str(scope["path"]).encode("ascii", "backslashreplace").decode("ascii")
                print(f"{scope['method']} {path} {status or '-'} {ms:.1f}ms", file=sys.stderr, flush=True)

    async def _unrouted(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.state.count("unrouted", scope)
        await error(404, "Not Found", "not_found")(scope, receive, send)

    def _faulted(self, operation: str, handler: Operation) -> Endpoint:
        """``handler`` behind the faults in front of an origin, its key check and the faults of the wire."""

        async def endpoint(request: Request) -> ASGIApp:
            self.state.count(operation, request.scope)
            decider = _Decider(self.state, operation, request)
            echo = decider.fires("echo_auth")
            if decider.fires("slow"):
                await asyncio.sleep(decider.faults.slow_seconds)
            wire: ASGIApp | None = None
            if decider.fires("ingress_503"):
                response = Response(_INGRESS_HTML, 503, {"Content-Type": "text/html"})
            elif not self.authorized(request.scope):
                response = _unauthorized()
            elif decider.fires("rate_limit"):
                retry = {"Retry-After": str(decider.faults.retry_after)}
                response = error(429, "Rate limit exceeded", "rate_limited", headers=retry)
            else:
                drop = decider.fires("drop")
                try:
                    response = await handler(request, decider, drop)
                except _Refused as refusal:
                    response = refusal.response
                rate = decider.faults.drip_bytes_per_second
                if drop or (operation != "stream" and request.method != "HEAD" and decider.fires("drip")):
                    wire = _on_the_wire(response, drop, rate)
            if echo:
                _echoed(response, request)
            return wire or response

        return endpoint


def _routed(scope: Scope, app: _Origin) -> Scope:
    """The scope Starlette routes: the path as sent, without trailing slashes (tolerated like fal);
    ``app`` set, so that a wrong method raises a 405 for the origin to answer in its own shape."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    path = raw.split(b"?", 1)[0].decode("latin-1").rstrip("/") or "/"
    return {**scope, "path": path, "root_path": "", "app": app}


# ---- the gateway ----


class GatewayApp(_Origin):
    """The gateway origin: queue API, admin endpoints and fault injection."""

    name = "gateway"

    def _routes(self) -> list[BaseRoute]:
        queue = "/{app:fal_app}{tail:fal_model_tail}/requests/{request_id}"
        return [
            _route(queue + "/status/stream", self._faulted("stream", self._stream), "GET", name="stream"),
            _route(queue + "/status", self._faulted("status", self._status), "GET", name="status"),
            _route(queue + "/cancel", self._faulted("cancel", self._cancel), "PUT", name="cancel"),
            _route(queue, self._faulted("result", self._result), "GET", name="result"),
            _route(
                "/{app:fal_app}{tail:fal_model_tail}",
                self._faulted("submit", self._submit),
                "POST",
                name="submit",
            ),
            _route(JWKS_PATH, self._jwks, "GET", "HEAD", name="jwks"),
            _route("/_mock/stats", self._admin(self._stats), "GET", name="admin"),
            _route("/_mock/faults", self._admin(self._faults), "GET", "PUT", name="admin"),
            _route("/_mock/jobs/{request_id}", self._admin(self._job_info), "GET", name="admin"),
        ]

    # Replaced per instance by the fuzzing-can-fail test; keep the indirection.
    def authorized(self, scope: Scope) -> bool:
        return self.state.authorized(scope)

    # ---- queue operations ----

    def _job(self, operation: str, request: Request) -> tuple[Job, bool]:
        """The job a queue request names and whether it asks for logs (else a 422 or 404 answer)."""
        app, request_id = _segments(request.path_params["app"]), unquote(request.path_params["request_id"])
        path = {"owner": app[0], "app": app[-1], "request_id": request_id}
        values, problems = _parameters(self.state.spec.queue[operation], request, path)
        problems += self._segment_problems([("app", segment) for segment in app[1:-1]])
        if problems:
            raise _Refused(_invalid(problems))
        job = self.state.engine.get("/".join(app), request_id)
        if job is None:
            raise _Refused(error(404, "Request not found", "not_found"))
        return job, values.get("logs") in ("1", "true")

    def _segment_problems(self, segments: list[tuple[str, str]]) -> list[ValidationItem]:
        """App path segments by the contract's ``owner`` / ``app`` path parameters."""
        params = self.state.spec.path_params
        return [item for name, segment in segments for item in params[name].check([segment])[1]]

    async def _status(self, request: Request, decider: _Decider, drop: bool) -> Response:
        job, with_logs = self._job("status", request)
        engine = self.state.engine
        if decider.fires("foreign_completed"):
            return answer(200, engine.foreign_completed_body(job, with_logs), request_id=job.request_id)
        code = 200 if job.done or decider.fires("status_200") else 202
        return answer(code, engine.status_body(job, with_logs), request_id=job.request_id)

    async def _result(self, request: Request, decider: _Decider, drop: bool) -> Response:
        job, _ = self._job("result", request)
        if not job.done or decider.result_not_ready(job):
            return error(400, "Request is still in progress", "still_in_progress", request_id=job.request_id)
        if job.error is not None:
            response = answer(
                job.error.status, job.error.body, request_id=job.request_id, headers=job.error.headers
            )
        else:
            result = job.result
            if result is not None and decider.fires("drop_dimensions"):
                result = _without_dimensions(result)
            response = answer(200, result, request_id=job.request_id, headers=_billing(result))
        if decider.fires("lying_encoding"):
            response.headers["content-encoding"] = "gzip"
        return response

    async def _cancel(self, request: Request, decider: _Decider, drop: bool) -> Response:
        job, _ = self._job("cancel", request)
        if self.state.engine.cancel(job):
            return answer(202, {"status": "CANCELLATION_REQUESTED"}, request_id=job.request_id)
        return answer(400, {"status": "ALREADY_COMPLETED"}, request_id=job.request_id)

    # ---- the status stream ----

    async def _stream(self, request: Request, decider: _Decider, drop: bool) -> Response:
        """fal's status stream, or one of the broken streams the ``stream_*`` faults make."""
        job, with_logs = self._job("stream", request)
        broken = {  # decided in this order
            "stream_silent": self._silence,
            "stream_pings_only": self._pings,
            "stream_repeat": self._repeats,
            "foreign_completed": self._foreign_completion,
        }
        stream = next((broken[kind] for kind in broken if decider.fires(kind)), self._changes)
        events = stream(job, with_logs)
        headers = {"cache-control": "no-cache", "x-accel-buffering": "no", "x-fal-request-id": job.request_id}
        return StreamingResponse(events, headers=headers, media_type="text/event-stream")

    async def _idle(self, event: asyncio.Event) -> bool:
        """Wait for ``event``, one ping interval at most; True when the mock is closing (which sets
        every job's ``changed`` and ``closing``)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), self.state.config.ping_interval)
        return self.state.engine.closing.is_set()

    async def _changes(self, job: Job, with_logs: bool) -> AsyncIterator[bytes]:
        """An event per change (logs incremental), a ping when idle, the end after COMPLETED."""
        engine = self.state.engine
        sent_logs, last = 0, None
        with engine.waiting.following(job):  # woken when the queue ahead moves
            while True:
                changed = job.changed
                body = engine.status_body(job, False)
                fresh = job.logs[sent_logs:] if with_logs else []
                if body != last or fresh:
                    last = dict(body)
                    if with_logs:
                        body["logs"] = fresh
                        sent_logs += len(fresh)
                    yield _event(body)
                    if job.done:
                        return
                if await self._idle(changed):
                    return
                if not changed.is_set():
                    yield _PING

    # ---- the broken streams of the ``stream_*`` and ``foreign_completed`` faults (see `Faults`) ----

    async def _silence(self, job: Job, with_logs: bool) -> AsyncIterator[bytes]:
        await self.state.engine.closing.wait()
        yield b""

    async def _pings(self, job: Job, with_logs: bool) -> AsyncIterator[bytes]:
        while not await self._idle(self.state.engine.closing):
            yield _PING

    async def _repeats(self, job: Job, with_logs: bool) -> AsyncIterator[bytes]:
        pending: dict[str, Any] | None = None
        while True:
            if not job.done or pending is None:
                pending = self.state.engine.status_body(job, with_logs)
                if job.done:  # shown as still running
                    hidden = ("metrics", "error", "error_type")
                    pending = {k: v for k, v in pending.items() if k not in hidden} | {
                        "status": "IN_PROGRESS"
                    }
            yield _event(pending)
            if await self._idle(self.state.engine.closing):
                return

    async def _foreign_completion(self, job: Job, with_logs: bool) -> AsyncIterator[bytes]:
        yield _event(self.state.engine.foreign_completed_body(job, with_logs))

    # ---- submit ----

    async def _submit(self, request: Request, decider: _Decider, drop: bool) -> Response:
        app = _segments(request.path_params["app"])
        model_id = "/".join(app + _segments(request.path_params["tail"])[1:])
        typed = self.state.spec.submits.get(model_id)
        op = typed or self.state.spec.generic_submit
        values, problems = _parameters(op, request, {})
        problems += self._segment_problems([("owner", app[0]), *(("app", segment) for segment in app[1:])])
        config = self.state.config
        if not problems and not (typed or config.models == "any" or model_id in config.extra_models):
            return error(404, f"Model '{model_id}' not found", "model_not_found")
        body = await _read_body(request, config.max_body_bytes)
        if body is None:
            return error(400, "Request body too large or incomplete", "bad_request")
        content_type = request.headers.get("content-type", "")
        inputs, body_problems = read_inputs(op, body, content_type, strict=config.strict_inputs)
        problems += body_problems + self._webhook_problems(values.get("fal_webhook"), problems)
        if problems:
            return _invalid(problems)
        # Checked here, with no await until the job exists: concurrent submits cannot all pass it.
        key = (self.state.key_of(request.scope) or b"").decode("latin-1")
        if limited := self.state.over_limit(key):
            return limited
        if drop and not decider.faults.drop_submit_after_create:
            return answer(200, {"status": "IN_QUEUE", "request_id": str(uuid.uuid4()), "queue_position": 0})
        return self._queue(request, "/".join(app), model_id, op, inputs, values, decider, key)

    def _webhook_problems(self, webhook: Any, problems: list[ValidationItem]) -> list[ValidationItem]:
        """Any URI the contract accepts (only loopback ones are sent), unless webhooks are off."""
        loc: list[str | int] = ["query", "fal_webhook"]
        if webhook is None or self.state.config.allow_webhooks or any(p["loc"] == loc for p in problems):
            return []
        return [problem(loc, "value_error", "Webhooks are disabled on this mock", webhook)]

    def _queue(
        self,
        request: Request,
        app: str,
        model_id: str,
        op: OperationSpec,
        inputs: dict[str, Any],
        values: dict[str, Any],
        decider: _Decider,
        key: str,
    ) -> Response:
        """Create the job (with the job-level faults) and answer its place in the queue. Any priority
        but ``low`` (any case) is normal; the newer start timeout header wins over the older."""
        engine, headers = self.state.engine, request.headers
        job = engine.submit(
            app,
            model_id,
            decider.without_dropped_param(inputs),
            fail=decider.fires("job_failure"),
            foreign_urls=decider.fires("foreign_urls"),
            low_priority=headers.get("x-fal-queue-priority", "").strip().lower() == "low",
            webhook=values.get("fal_webhook"),
            start_timeout=values.get("x-fal-request-start-timeout") or values.get("x-fal-request-timeout"),
            media_ttl=lifecycle_ttl(headers.get("x-fal-object-lifecycle-preference"))
            or self.state.config.media_ttl,
            unknown_fields=sorted(k for k in inputs if k not in (op.body_properties or inputs)),
            key=key,
        )
        request_id, urls = job.request_id, job.urls
        if decider.fires("bad_request_id"):
            request_id = "../../etc"
            urls = engine.urls_for(job.app, request_id)
        body = {
            "status": "IN_QUEUE",
            "request_id": request_id,
            **urls,
            "queue_position": engine.waiting.position(job),
        }
        return answer(200, body, request_id=request_id)

    # ---- JWKS and admin: never faulted ----

    async def _jwks(self, request: Request) -> Response:
        """Public like fal's: receivers need it to verify webhooks."""
        self.state.count("jwks", request.scope)
        jwks = self.state.engine.webhooks.signer.jwks()
        return answer(200, jwks, headers={"Cache-Control": "max-age=300"})

    def _admin(self, handler: Callable[[Request], Awaitable[Response]]) -> Endpoint:
        async def endpoint(request: Request) -> ASGIApp:
            self.state.count("admin", request.scope)
            return await handler(request) if self.authorized(request.scope) else _unauthorized()

        return endpoint

    async def _stats(self, request: Request) -> Response:
        return answer(200, self.state.stats())

    async def _job_info(self, request: Request) -> Response:
        job = self.state.engine.jobs.get(unquote(request.path_params["request_id"]))
        if job is None:
            return error(404, "Request not found", "not_found")
        return answer(200, self.state.engine.job_info(job))

    async def _faults(self, request: Request) -> Response:
        if request.method == "GET":
            return answer(200, self.state.faults.to_dict())
        body = await _read_body(request, self.state.config.max_body_bytes)
        try:
            faults = Faults.from_dict(json.loads(body or b"", parse_constant=reject_constant))
        except (ValueError, TypeError, RecursionError) as exc:
            return answer(422, {"detail": [problem(["body"], "value_error", str(exc), None)]})
        self.state.set_faults(faults)
        return answer(200, faults.to_dict())


def _parameters(
    op: OperationSpec, request: Request, path: Mapping[str, str]
) -> tuple[dict[str, Any], list[ValidationItem]]:
    """The operation's path, query and header parameters, converted and checked against the spec."""
    values: dict[str, Any] = {}
    problems: list[ValidationItem] = []
    for param in op.params:
        if param.location == "path":
            raw = [path[param.name]] if param.name in path else []
        else:
            raw = (request.query_params if param.location == "query" else request.headers).getlist(param.name)
        values[param.key], found = param.check(raw)
        problems.extend(found)
    return values, problems


def _billing(result: Mapping[str, Any] | None) -> dict[str, str]:
    """fal's ``x-fal-billable-units``: here one unit per started megapixel of each image (1 without)."""
    images = (result or {}).get("images")
    sizes = [
        (i.get("width") or 1024, i.get("height") or 1024) for i in images or [] if isinstance(i, Mapping)
    ]
    units = sum(math.ceil(w * h / 1_000_000) for w, h in sizes) or 1
    return {"x-fal-billable-units": str(units)}


def _without_dimensions(result: dict[str, Any]) -> dict[str, Any]:
    images = result.get("images")
    if not isinstance(images, list):
        return result
    hidden = ("width", "height")
    shown = [{k: v for k, v in i.items() if k not in hidden} if isinstance(i, dict) else i for i in images]
    return {**result, "images": shown}


# ---- the media origin ----


class MediaApp(_Origin):
    """The media origin (fal's CDN): public, no key, files expire."""

    name = "media"

    def _routes(self) -> list[BaseRoute]:
        return [_route("/{path:path}", self._faulted("media", self._file), "GET", "HEAD", name="media")]

    async def _file(self, request: Request, decider: _Decider, drop: bool) -> Response:
        path = unquote(request.scope["path"])
        item = self.state.media.get(path)
        if item is None:
            return error(404, "File not found or expired", "not_found")
        if decider.fires("media_redirect_loop"):
            query = request.scope["query_string"].decode("latin-1")
            location = self.state.media_url + path + (f"?{query}" if query else "")
            return answer(302, {"detail": "Found"}, headers={"Location": location})
        headers = {
            "Cache-Control": "public, max-age=3600",
            "Accept-Ranges": "none",
            "x-fal-request-id": str(uuid.uuid4()),
        }
        if decider.fires("lying_encoding"):
            headers["Content-Encoding"] = "gzip"
        return Response(await item.content(), headers=headers, media_type=item.content_type)
