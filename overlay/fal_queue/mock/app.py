"""The two ASGI applications of the mock: the gateway origin and the media origin.

Plain ASGI with starlette's request data structures: the hot paths (status polls) stay a handful of
dictionary operations. Order of work on the gateway: route (404/405), ``echo_auth``, ``slow`` and
``ingress_503`` faults, auth (401), ``rate_limit`` fault (429), unknown model (404
``model_not_found``), validation (422), the operation (with its own faults), then the ``drop`` or
``drip`` fault on the way out. Queue answers carry the job's id in ``x-fal-request-id``.
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
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from starlette.datastructures import Headers, QueryParams

from fal_queue.mock.config import Faults, MockConfig
from fal_queue.mock.engine import Engine, Job, app_length
from fal_queue.mock.media import MediaStore
from fal_queue.mock.spec import OperationSpec, SpecIndex, ValidationItem, is_uri, validate_body
from fal_queue.mock.webhooks import JWKS_PATH

__all__ = ["GatewayApp", "MediaApp", "MockState"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("fal_queue.mock")

_JSON = b"application/json"
_INGRESS_HTML = (
    b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    b"<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


_OWN_HEADERS = frozenset(
    {"x-fal-queue-priority", "x-fal-no-retry", "x-fal-request-timeout", "x-fal-request-start-timeout"}
)
"""Submit headers the mock checks itself (fal's rules), whatever the packaged spec declares."""
_NO_RETRY_VALUES = {"yes": True, "1": True, "true": True, "no": False, "0": False, "false": False}
_MIN_START_TIMEOUT = 1.0
"""fal's official clients refuse start timeouts of 1 s or less; so does the mock (422)."""
_TIMEOUT_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?")


def _dumps(data: Any) -> bytes:
    """Strict JSON (no NaN/Infinity); a string that is not valid Unicode never reaches the wire."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8", "replace")


def _rid() -> bytes:
    return str(uuid.uuid4()).encode("ascii")


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    content_type: bytes = _JSON
    headers: tuple[tuple[bytes, bytes], ...] = ()
    request_id: bool | str = True
    """True: a fresh id; a string: that id (the job's, on queue answers); False: no header."""

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        headers = [(b"content-type", self.content_type), (b"content-length", str(len(self.body)).encode())]
        if isinstance(self.request_id, str):
            headers.append((b"x-fal-request-id", self.request_id.encode("latin-1", "replace")))
        elif self.request_id:
            headers.append((b"x-fal-request-id", _rid()))
        headers.extend(self.headers)
        return headers


def json_reply(status: int, data: Any, headers: Mapping[str, str] | None = None) -> Reply:
    extra = tuple((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items())
    return Reply(status, _dumps(data), headers=extra)


def error_reply(status: int, detail: str, error_type: str, headers: Mapping[str, str] | None = None) -> Reply:
    return json_reply(status, {"detail": detail, "error_type": error_type}, headers)


def validation_reply(items: list[ValidationItem]) -> Reply:
    return json_reply(422, {"detail": items}, {"X-Fal-Retryable": "false"})


def rate_limited_reply(faults: Faults) -> Reply:
    """The injected 429: nothing was created, retry after ``faults.retry_after`` seconds."""
    return error_reply(429, "Rate limit exceeded", "rate_limited", {"Retry-After": str(faults.retry_after)})


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def send_reply(
    send: Send,
    reply: Reply,
    *,
    drop: bool = False,
    head: bool = False,
    drip: float | None = None,
    receive: Receive | None = None,
) -> None:
    """Send a whole reply; ``drop`` cuts it in half, ``drip`` sends one byte per ``1/drip`` seconds."""
    await send({"type": "http.response.start", "status": reply.status, "headers": reply.raw_headers()})
    if head:
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    if drip is not None and receive is not None and not drop:
        watch = asyncio.ensure_future(_until_disconnect(receive))
        try:
            for i in range(len(reply.body)):
                await send({"type": "http.response.body", "body": reply.body[i : i + 1], "more_body": True})
                done, _ = await asyncio.wait({watch}, timeout=1.0 / drip)
                if done:
                    return
        finally:
            watch.cancel()
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    if drop:
        # Announce the full length, deliver half, and return without finishing: the server then
        # closes the connection and the client sees a truncated body.
        await send(
            {"type": "http.response.body", "body": reply.body[: len(reply.body) // 2], "more_body": True}
        )
        return
    await send({"type": "http.response.body", "body": reply.body, "more_body": False})


async def _guarded(
    handler: Callable[[Scope, Receive, Send], Awaitable[None]],
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    log_requests: bool = False,
) -> None:
    """Run a handler; a bug in the mock answers a JSON 500 (no traceback on the wire) and is logged.

    With ``log_requests``, one line per request goes to stderr: method, path, status, milliseconds.
    """
    started = False
    status = 0
    began = time.perf_counter()

    async def tracking_send(message: Message) -> None:
        nonlocal started, status
        if message["type"] == "http.response.start":
            started = True
            status = int(message["status"])
        await send(message)

    try:
        await handler(scope, receive, tracking_send)
    except Exception:
        log.exception("mock gateway bug while serving %s %s", scope.get("method"), scope.get("path"))
        if not started:
            status = 500
            await send_reply(send, error_reply(500, "Internal Server Error", "internal_error"))
    finally:
        if log_requests:
            ms = (time.perf_counter() - began) * 1000
            path = str(scope.get("path", "")).encode("ascii", "backslashreplace").decode("ascii")
            print(f"{scope.get('method')} {path} {status or '-'} {ms:.1f}ms", file=sys.stderr, flush=True)


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """A send that adds ``extra`` to the response headers (replacing headers of the same names)."""
    names = {name for name, _ in extra}

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
            message = {**message, "headers": kept + extra}
        await send(message)

    return wrapped


def _echo_auth_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    sent = b", ".join(v for k, v in scope["headers"] if k == b"authorization")
    sent = sent.replace(b'"', b"'")
    return [(b"www-authenticate", b'Bearer realm="' + sent + b'"'), (b"x-echo-authorization", sent)]


class _Decider:
    """The fault decisions of one request: ``fires(kind)`` decides and counts it."""

    __slots__ = ("active", "attempt", "faults", "method", "path", "state")

    def __init__(self, state: MockState, faults: Faults, active: bool, method: str, path: str) -> None:
        self.state, self.faults, self.active = state, faults, active
        self.method, self.path = method, path
        self.attempt = state.next_attempt(method, path) if active else 0

    def fires(self, kind: str) -> bool:
        if self.active and self.faults.decide(kind, self.method, self.path, self.attempt):
            self.state.count_fault(kind)
            return True
        return False

    def drip(self) -> float | None:
        return self.faults.drip_bytes_per_second if self.fires("drip") else None

    async def front(self, send: Send, scope: Scope) -> Send | None:
        """Faults of whatever stands in front of either origin, before the request is read: an echo
        of the auth header, a slow answer, an ingress's HTML 503 (then None: it has answered)."""
        if self.fires("echo_auth"):
            send = _with_headers(send, _echo_auth_headers(scope))
        if self.fires("slow"):
            await asyncio.sleep(self.faults.slow_seconds)
        if self.fires("ingress_503"):
            await send_reply(send, Reply(503, _INGRESS_HTML, b"text/html", request_id=False))
            return None
        return send


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

    def record(self, origin: str, scope: Scope) -> None:
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        self.request_log.append(
            {
                "origin": origin,
                "method": scope["method"],
                "path": scope["path"],
                "query": scope.get("query_string", b"").decode("latin-1"),
                "headers": headers,
                "time": time.time(),
            }
        )
        self.engine.counters["requests_total"] += 1

    def authorized(self, scope: Scope) -> bool:
        """``Authorization: Bearer <key>`` or fal's ``Key <key>``, scheme case-insensitive."""
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.strip().partition(b" ")
                if scheme.lower() not in (b"bearer", b"key"):
                    return False
                token = token.strip()
                return any(hmac.compare_digest(token, key) for key in self._keys)
        return False

    def next_attempt(self, method: str, path: str) -> int:
        key = (method, path)
        self.attempts[key] += 1
        return self.attempts[key]

    def count_fault(self, kind: str) -> None:
        self.engine.counters[f"fault:{kind}"] += 1


@dataclass(slots=True)
class Route:
    op: str
    allow: tuple[str, ...]
    app_segments: tuple[str, ...] = ()
    request_id: str = ""
    model_id: str = ""


def _segments(raw_path: bytes) -> list[str]:
    parts = raw_path.decode("latin-1").split("/")[1:]
    while parts and parts[-1] == "":
        parts.pop()  # tolerate trailing slashes
    return [unquote(p, errors="replace") for p in parts]


def route_gateway(segments: list[str]) -> Route | None:
    if not segments:
        return None
    if "/" + "/".join(segments) == JWKS_PATH:
        return Route("jwks", ("GET", "HEAD"))
    if segments[0] == "_mock":
        rest = segments[1:]
        if rest == ["stats"]:
            return Route("admin_stats", ("GET",))
        if rest == ["faults"]:
            return Route("admin_faults", ("GET", "PUT"))
        if len(rest) == 2 and rest[0] == "jobs":
            return Route("admin_job", ("GET",), request_id=rest[1])
        return None
    n = app_length(segments[0])
    if len(segments) < n:
        return None
    app = tuple(segments[:n])
    # Queue operations live under the app (fal's URLs) or under the full model id (fal's per-endpoint
    # documents): ``/fal-ai/flux-1/schnell/requests/{id}/status`` answers like ``/fal-ai/flux-1/...``.
    for i in range(n, len(segments)):
        if segments[i] != "requests":
            continue
        tail = segments[i + 1 :]
        model_id = "/".join(segments[:i])
        if len(tail) == 1:
            return Route("result", ("GET",), app, tail[0], model_id)
        if len(tail) == 2 and tail[1] == "status":
            return Route("status", ("GET",), app, tail[0], model_id)
        if len(tail) == 3 and tail[1:] == ["status", "stream"]:
            return Route("stream", ("GET",), app, tail[0], model_id)
        if len(tail) == 2 and tail[1] == "cancel":
            return Route("cancel", ("PUT",), app, tail[0], model_id)
        if i == n:
            return None
    return Route("submit", ("POST",), app, model_id="/".join(segments))


def _with_id(reply: Reply, request_id: str) -> Reply:
    reply.request_id = request_id
    return reply


def _without_dimensions(result: dict[str, Any]) -> dict[str, Any]:
    images = result.get("images")
    if not isinstance(images, list):
        return result
    stripped = [
        {k: v for k, v in image.items() if k not in ("width", "height")} if isinstance(image, dict) else image
        for image in images
    ]
    return {**result, "images": stripped}


def _json_reject(_: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


class _Origin:
    """One of the mock's two origins: an ASGI app over the state both share."""

    def __init__(self, state: MockState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await _guarded(self._handle, scope, receive, send, log_requests=self.state.config.log_requests)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class GatewayApp(_Origin):
    """The gateway origin: queue API, admin endpoints and fault injection."""

    # Replaced per instance by the fuzzing-can-fail test; keep the indirection.
    def authorized(self, scope: Scope) -> bool:
        return self.state.authorized(scope)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        state.record("gateway", scope)
        method: str = scope["method"]
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        raw_path = raw_path.split(b"?", 1)[0]
        segments = _segments(raw_path)
        route = route_gateway(segments)
        counters = state.engine.counters
        if route is None:
            counters["req:unrouted"] += 1
            await send_reply(send, error_reply(404, "Not Found", "not_found"))
            return
        op = route.op
        counters["req:admin" if op.startswith("admin") else f"req:{op}"] += 1
        if method not in route.allow:
            await send_reply(
                send,
                error_reply(
                    405, "Method Not Allowed", "method_not_allowed", {"Allow": ", ".join(route.allow)}
                ),
            )
            return

        if op == "jwks":  # public like fal's, never faulted: receivers need it to verify webhooks
            reply = json_reply(200, state.engine.webhooks.signer.jwks(), {"Cache-Control": "max-age=300"})
            await send_reply(send, reply, head=method == "HEAD")
            return

        faults = state.faults
        drop = False
        norm_path = "/" + "/".join(segments)
        faulty = faults.active and not op.startswith("admin") and faults.applies_to(op)
        decider = _Decider(state, faults, faulty, method, norm_path)
        attempt = decider.attempt
        if faulty:
            front = await decider.front(send, scope)
            if front is None:
                return
            send = front

        if not self.authorized(scope):
            await send_reply(
                send,
                error_reply(
                    401,
                    "Missing or invalid Authorization header",
                    "unauthorized",
                    {"WWW-Authenticate": 'Bearer realm="fal-queue-mock"'},
                ),
            )
            return

        if faulty:
            if faults.decide("rate_limit", method, norm_path, attempt):
                state.count_fault("rate_limit")
                await send_reply(send, rate_limited_reply(faults))
                return
            drop = faults.decide("drop", method, norm_path, attempt)
            if drop:
                state.count_fault("drop")

        if op == "submit":
            reply = await self._submit(scope, receive, route, drop, faults, decider)
        elif op.startswith("admin"):
            reply = await self._admin(scope, receive, route)
        else:
            checked = self._queue_request(scope, route)
            if isinstance(checked, Reply):
                reply = checked
            else:
                job, with_logs = checked
                if op == "stream":
                    await self._stream(receive, send, job, with_logs, drop, decider)
                    return
                reply = self._queue_reply(op, job, with_logs, decider)
        drip = None if drop or op.startswith("admin") else decider.drip()
        await send_reply(send, reply, drop=drop, drip=drip, receive=receive)

    # ---- queue operations ----

    def _check_params(
        self,
        op: OperationSpec,
        scope: Scope,
        path_values: Mapping[str, str],
        skip: frozenset[str] = frozenset(),
    ) -> tuple[dict[str, Any], list[ValidationItem]]:
        values: dict[str, Any] = {}
        problems: list[ValidationItem] = []
        query: QueryParams | None = None
        headers: Headers | None = None
        for p in op.params:
            if p.key in skip:
                continue
            if p.location == "path":
                raw = [path_values[p.name]] if p.name in path_values else []
            elif p.location == "query":
                if query is None:
                    query = QueryParams(scope.get("query_string", b""))
                raw = query.getlist(p.name)
            else:
                if headers is None:
                    headers = Headers(scope=scope)
                raw = headers.getlist(p.name)
            value, errors = p.check(raw)
            values[p.key] = value
            problems.extend(errors)
        return values, problems

    def _queue_request(self, scope: Scope, route: Route) -> Reply | tuple[Job, bool]:
        state = self.state
        op = state.spec.queue[route.op]
        app = route.app_segments
        path_values = {"owner": app[0], "app": app[-1], "request_id": route.request_id}
        values, problems = self._check_params(op, scope, path_values)
        if len(app) == 3:
            pattern = state.spec.path_patterns.get("app")
            if pattern is not None and pattern.search(app[1]) is None:
                problems.append(
                    {
                        "loc": ["path", "app"],
                        "msg": f"String should match pattern '{pattern.pattern}'",
                        "type": "string_pattern_mismatch",
                        "input": app[1],
                    }
                )
        if problems:
            return validation_reply(problems)
        job = state.engine.get("/".join(app), route.request_id)
        if job is None:
            return error_reply(404, "Request not found", "not_found")
        return job, values.get("logs") in ("1", "true")

    def _queue_reply(self, op: str, job: Job, with_logs: bool, decider: _Decider) -> Reply:
        engine = self.state.engine
        rid = job.request_id
        if op == "status":
            if decider.fires("foreign_completed"):
                body = engine.foreign_completed_body(job, with_logs)
                return _with_id(json_reply(200, body), rid)
            code = 200 if job.done or decider.fires("status_200") else 202
            return _with_id(json_reply(code, engine.status_body(job, with_logs)), rid)
        if op == "result":
            if not job.done:
                return _with_id(error_reply(400, "Request is still in progress", "still_in_progress"), rid)
            if decider.active and job.not_ready_served < decider.faults.result_not_ready:
                job.not_ready_served += 1
                self.state.count_fault("result_not_ready")
                return _with_id(error_reply(400, "Request is still in progress", "still_in_progress"), rid)
            if job.error is not None:
                reply = json_reply(job.error.status, job.error.body, job.error.headers)
            else:
                result = job.result
                if result is not None and decider.fires("drop_dimensions"):
                    result = _without_dimensions(result)
                reply = json_reply(200, result)
            if decider.fires("lying_encoding"):
                reply.headers = (*reply.headers, (b"content-encoding", b"gzip"))
            return _with_id(reply, rid)
        # cancel
        if engine.cancel(job):
            return _with_id(json_reply(202, {"status": "CANCELLATION_REQUESTED"}), rid)
        return _with_id(json_reply(400, {"status": "ALREADY_COMPLETED"}), rid)

    async def _stream(
        self, receive: Receive, send: Send, job: Job, with_logs: bool, drop: bool, decider: _Decider
    ) -> None:
        """fal's status stream: one ``data:`` event per change, logs incremental, pings when idle."""
        engine = self.state.engine
        interval = self.state.config.ping_interval
        mode = next(
            (
                kind
                for kind in ("stream_silent", "stream_pings_only", "stream_repeat", "foreign_completed")
                if decider.fires(kind)
            ),
            None,
        )
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache"),
                    (b"x-accel-buffering", b"no"),
                    (b"x-fal-request-id", job.request_id.encode("latin-1", "replace")),
                ],
            }
        )

        async def event(body: dict[str, Any]) -> None:
            await send(
                {"type": "http.response.body", "body": b"data: " + _dumps(body) + b"\n\n", "more_body": True}
            )

        watch = asyncio.ensure_future(_until_disconnect(receive))
        closing = asyncio.ensure_future(engine.closing.wait())

        async def idle(timeout: float | None) -> bool:
            """Wait; True when the client left or the mock is closing."""
            done, _ = await asyncio.wait(
                {watch, closing}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            return bool(done)

        try:
            with engine.waiting.following(job):  # woken when the queue ahead moves
                if mode == "stream_silent":
                    await idle(None)
                    return
                if mode == "stream_pings_only":
                    while not await idle(interval):
                        await send({"type": "http.response.body", "body": b": ping\n\n", "more_body": True})
                    return
                if mode == "foreign_completed":
                    await event(engine.foreign_completed_body(job, with_logs))
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
                if mode == "stream_repeat":
                    pending: dict[str, Any] | None = None
                    while True:
                        if not job.done or pending is None:
                            body = engine.status_body(job, with_logs)
                            if job.done:  # never admit completion: show it as still running
                                body = {**body, "status": "IN_PROGRESS"}
                                body.pop("metrics", None)
                                body.pop("error", None)
                                body.pop("error_type", None)
                            pending = body
                        await event(pending)
                        if await idle(interval):
                            return
                sent_logs = 0
                last: dict[str, Any] | None = None
                while True:
                    changed = job.changed
                    body = engine.status_body(job, False)
                    fresh = job.logs[sent_logs:] if with_logs else []
                    if body != last or fresh:
                        last = dict(body)
                        if with_logs:
                            body["logs"] = list(fresh)
                            sent_logs += len(fresh)
                        chunk = b"data: " + _dumps(body) + b"\n\n"
                        if drop:
                            await send(
                                {
                                    "type": "http.response.body",
                                    "body": chunk[: len(chunk) // 2],
                                    "more_body": True,
                                }
                            )
                            return
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                        if job.done:
                            break
                    waiter = asyncio.ensure_future(changed.wait())
                    done, _ = await asyncio.wait(
                        {waiter, watch, closing},
                        timeout=interval,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    if not waiter.done():
                        waiter.cancel()
                    if watch in done:
                        return
                    if closing in done:
                        break
                    if not done:
                        await send({"type": "http.response.body", "body": b": ping\n\n", "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            watch.cancel()
            closing.cancel()

    # ---- submit ----

    async def _submit(
        self,
        scope: Scope,
        receive: Receive,
        route: Route,
        drop: bool,
        faults: Faults,
        decider: _Decider,
    ) -> Reply:
        state = self.state
        config = state.config
        model_id = route.model_id
        typed = state.spec.submits.get(model_id)
        op = typed or state.spec.generic_submit
        values, problems = self._check_params(op, scope, {}, skip=_OWN_HEADERS)
        queue_headers, header_problems = _queue_headers(Headers(scope=scope))
        problems.extend(header_problems)
        for i, segment in enumerate(route.app_segments):
            pattern = state.spec.path_patterns.get("owner" if i == 0 else "app")
            if pattern is not None and pattern.search(segment) is None:
                problems.append(
                    {
                        "loc": ["path", "owner" if i == 0 else "app"],
                        "msg": f"String should match pattern '{pattern.pattern}'",
                        "type": "string_pattern_mismatch",
                        "input": segment,
                    }
                )
        served = typed is not None or config.models == "any" or model_id in config.extra_models
        if not problems and not served:
            return error_reply(404, f"Model '{model_id}' not found", "model_not_found")

        body = await self._read_body(receive)
        if body is None:
            return error_reply(400, "Request body too large or incomplete", "bad_request")
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        inputs: Any = None
        if content_type and content_type != "application/json" and not content_type.endswith("+json"):
            problems.append(
                {
                    "loc": ["body"],
                    "msg": "Input should be a valid dictionary or object to extract fields from",
                    "type": "model_attributes_type",
                    "input": body.decode("utf-8", "replace")[:200],
                }
            )
        elif not body.strip():
            problems.append({"loc": ["body"], "msg": "Field required", "type": "missing", "input": None})
        else:
            try:
                inputs = json.loads(body, parse_constant=_json_reject)
            except (ValueError, RecursionError) as exc:
                position = getattr(exc, "pos", 0)
                problems.append(
                    {
                        "loc": ["body", position],
                        "msg": "JSON decode error",
                        "type": "json_invalid",
                        "ctx": {"error": getattr(exc, "msg", "Invalid JSON")},
                        "input": {},
                    }
                )
            else:
                unusable = _unusable_values(inputs, ["body"])
                if unusable:
                    problems.extend(unusable)
                else:
                    problems.extend(self._validate_inputs(op, inputs))

        webhook = values.get("fal_webhook")
        if isinstance(webhook, str) and not any(i["loc"] == ["query", "fal_webhook"] for i in problems):
            reason = None
            if not config.allow_webhooks:
                reason = "Webhooks are disabled on this mock"
            elif not is_uri(webhook):  # any URI, as the contract says; only loopback ones are sent
                reason = "fal_webhook must be a URI"
            if reason is not None:
                problems.append(
                    {"loc": ["query", "fal_webhook"], "msg": reason, "type": "value_error", "input": webhook}
                )
        if problems:
            return validation_reply(problems)
        assert isinstance(inputs, dict)

        engine = state.engine
        if drop and not faults.drop_submit_after_create:
            rid = str(uuid.uuid4())
            return json_reply(200, {"status": "IN_QUEUE", "request_id": rid, "queue_position": 0})
        fail = decider.fires("job_failure")
        unknown = [] if op.body_properties is None else [k for k in inputs if k not in op.body_properties]
        if decider.active and faults.drop_param is not None and faults.drop_param in inputs:
            state.count_fault("drop_param")
            inputs = {k: v for k, v in inputs.items() if k != faults.drop_param}
        media_ttl = _lifecycle_ttl(headers.get("x-fal-object-lifecycle-preference"))
        job = engine.submit(
            model_id,
            inputs,
            low_priority=queue_headers.low_priority,
            webhook=webhook if isinstance(webhook, str) else None,
            start_timeout=queue_headers.start_timeout,
            media_ttl=media_ttl,
            fail=fail,
            unknown_fields=unknown,
            foreign_urls=decider.fires("foreign_urls"),
        )
        rid, urls = job.request_id, job.urls
        if decider.fires("bad_request_id"):
            rid = "../../etc"
            urls = engine.urls_for(job.app, rid)
        reply = json_reply(
            200,
            {"status": "IN_QUEUE", "request_id": rid, **urls, "queue_position": engine.queue_position(job)},
        )
        return _with_id(reply, rid)

    def _validate_inputs(self, op: OperationSpec, inputs: Any) -> list[ValidationItem]:
        """Schema problems; unknown top-level fields are 422 only with ``strict_inputs`` (fal ignores them),
        whether or not the packaged spec closes its input objects."""
        problems = validate_body(op, inputs)
        if op.body_properties is None or not isinstance(inputs, dict):
            return problems
        unknown = [k for k in inputs if k not in op.body_properties]
        if not unknown:
            return problems
        problems = [
            p
            for p in problems
            if not (p["type"] == "extra_forbidden" and p["loc"][:1] == ["body"] and len(p["loc"]) == 2)
        ]
        if self.state.config.strict_inputs:
            problems.extend(
                {
                    "loc": ["body", k],
                    "msg": "Extra inputs are not permitted",
                    "type": "extra_forbidden",
                    "input": inputs[k],
                }
                for k in unknown
            )
            problems.sort(key=lambda item: json.dumps(item["loc"]))
        return problems

    async def _read_body(self, receive: Receive) -> bytes | None:
        limit = self.state.config.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    # ---- admin ----

    async def _admin(self, scope: Scope, receive: Receive, route: Route) -> Reply:
        state = self.state
        if route.op == "admin_stats":
            return json_reply(200, {**state.engine.stats(), "faults": state.faults.to_dict()})
        if route.op == "admin_job":
            job = state.engine.jobs.get(route.request_id)
            if job is None:
                return error_reply(404, "Request not found", "not_found")
            return json_reply(200, state.engine.job_info(job))
        if scope["method"] == "GET":
            return json_reply(200, state.faults.to_dict())
        body = await self._read_body(receive)
        try:
            data = json.loads(body or b"", parse_constant=_json_reject)
            faults = Faults.from_dict(data)
        except (ValueError, TypeError, RecursionError) as exc:
            return json_reply(
                422, {"detail": [{"loc": ["body"], "msg": str(exc), "type": "value_error", "input": None}]}
            )
        state.set_faults(faults)
        return json_reply(200, faults.to_dict())


@dataclass(frozen=True, slots=True)
class QueueHeaders:
    low_priority: bool
    start_timeout: float | None


def _queue_headers(headers: Headers) -> tuple[QueueHeaders, list[ValidationItem]]:
    """fal's submit headers by fal's rules: any priority (unknown means normal), ``X-Fal-No-Retry`` as
    yes/no/true/false/1/0 in any case, a start timeout above 1 s (``X-Fal-Request-Start-Timeout`` wins
    over the older ``X-Fal-Request-Timeout``)."""
    problems: list[ValidationItem] = []
    priority = headers.get("x-fal-queue-priority", "")
    no_retry = headers.get("x-fal-no-retry")
    if no_retry is not None and no_retry.strip().lower() not in _NO_RETRY_VALUES:
        problems.append(
            {
                "loc": ["header", "X-Fal-No-Retry"],
                "msg": "Input should be 'yes', 'no', 'true', 'false', '1' or '0' (any case)",
                "type": "literal_error",
                "ctx": {"expected": "'yes', 'no', 'true', 'false', '1' or '0'"},
                "input": no_retry,
            }
        )
    start_timeout = None
    for name in ("X-Fal-Request-Start-Timeout", "X-Fal-Request-Timeout"):
        raw = headers.get(name)
        if raw is None:
            continue
        loc: list[str | int] = ["header", name]
        text = raw.strip()
        if _TIMEOUT_RE.fullmatch(text.lstrip("+-")) is None or not math.isfinite(float(text)):
            problems.append(
                {
                    "loc": loc,
                    "msg": "Input should be a valid number of seconds",
                    "type": "float_parsing",
                    "input": raw,
                }
            )
        elif not float(text) > _MIN_START_TIMEOUT:
            problems.append(
                {
                    "loc": loc,
                    "msg": f"Input should be greater than {_MIN_START_TIMEOUT:g}",
                    "type": "greater_than",
                    "ctx": {"gt": _MIN_START_TIMEOUT},
                    "input": raw,
                }
            )
        elif start_timeout is None:  # the newer header wins; both must be valid, as the spec says
            start_timeout = float(text)
    return QueueHeaders(priority.strip().lower() == "low", start_timeout), problems


def _unusable_values(value: Any, loc: list[str | int]) -> list[ValidationItem]:
    """Strings that are not valid Unicode (lone surrogates) and numbers out of float range (``1e999``):
    refused before a job exists, so no accepted job can hold a value its answers cannot carry."""
    found: list[ValidationItem] = []
    stack: list[tuple[Any, list[str | int]]] = [(value, loc)]
    while stack and len(found) < 20:
        item, where = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                found.append(
                    {
                        "loc": where,
                        "msg": "Input should be a valid string: lone surrogates are not Unicode",
                        "type": "string_unicode",
                        "input": item.encode("utf-8", "backslashreplace").decode("utf-8"),
                    }
                )
        elif isinstance(item, float):
            if not math.isfinite(item):
                found.append(
                    {
                        "loc": where,
                        "msg": "Input should be a finite number",
                        "type": "finite_number",
                        "input": str(item),
                    }
                )
        elif isinstance(item, dict):
            for key, child in item.items():
                if not _encodable(key):
                    safe_key = key.encode("utf-8", "backslashreplace").decode("utf-8")
                    found.append(
                        {
                            "loc": [*where, safe_key],
                            "msg": "Field names should be valid strings: lone surrogates are not Unicode",
                            "type": "string_unicode",
                            "input": safe_key,
                        }
                    )
                else:
                    stack.append((child, [*where, key]))
        elif isinstance(item, list):
            stack.extend((child, [*where, i]) for i, child in enumerate(item))
    found.sort(key=lambda i: json.dumps(i["loc"]))
    return found


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _lifecycle_ttl(value: str | None) -> float | None:
    if not value:
        return None
    with contextlib.suppress(ValueError, RecursionError):
        data = json.loads(value)
        if isinstance(data, dict):
            seconds = data.get("expiration_duration_seconds")
            if isinstance(seconds, int | float) and not isinstance(seconds, bool) and 0 < seconds < 10**9:
                return float(seconds)
    return None


class MediaApp(_Origin):
    """The media origin (fal's CDN): public, no auth, files expire."""

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        state.record("media", scope)
        state.engine.counters["req:media"] += 1
        method: str = scope["method"]
        if method not in ("GET", "HEAD"):
            await send_reply(
                send, error_reply(405, "Method Not Allowed", "method_not_allowed", {"Allow": "GET, HEAD"})
            )
            return
        path: str = scope["path"]
        faults = state.faults
        drop = False
        decider = _Decider(state, faults, faults.active and faults.applies_to("media"), method, path)
        if decider.active:
            front = await decider.front(send, scope)
            if front is None:
                return
            send = front
            if decider.fires("rate_limit"):
                await send_reply(send, rate_limited_reply(faults))
                return
            drop = decider.fires("drop")
        item = state.media.lookup(path)
        if item is None:
            await send_reply(
                send, error_reply(404, "File not found or expired", "not_found"), head=method == "HEAD"
            )
            return
        if decider.fires("media_redirect_loop"):
            query = scope.get("query_string", b"")
            location = (state.media_url + path).encode("latin-1", "replace") + (
                b"?" + query if query else b""
            )
            await send_reply(
                send,
                Reply(302, _dumps({"detail": "Found"}), headers=((b"location", location),)),
                head=method == "HEAD",
            )
            return
        data = await state.media.content(item)
        headers: tuple[tuple[bytes, bytes], ...] = (
            (b"cache-control", b"public, max-age=3600"),
            (b"accept-ranges", b"none"),
        )
        if decider.fires("lying_encoding"):
            headers = (*headers, (b"content-encoding", b"gzip"))
        reply = Reply(200, data, item.content_type.encode("ascii"), headers=headers)
        drip = None if method == "HEAD" else decider.drip()
        await send_reply(send, reply, drop=drop, head=method == "HEAD", drip=drip, receive=receive)
