"""The mock gateway without a socket: its ASGI apps on a private event loop, reached through httpx transports.

httpx's own ``ASGITransport`` buffers a whole response before returning it, so a status stream
would arrive only once the job is done and a stalled stream would never time out. These
transports hand the body over chunk by chunk and honour the request's read timeout, like a real
connection; a response the app leaves unfinished (the ``drop`` fault) ends in
``httpx.RemoteProtocolError`` as a cut connection does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from types import TracebackType
from typing import Any, TypeVar

import httpx

from fal_queue.client import AsyncClient, Client
from fal_queue.mock.app import GatewayApp, MediaApp, MockState
from fal_queue.mock.config import MockConfig
from fal_queue.mock.inspection import StateInspection
from fal_queue.mock.spec import SpecIndex, load_spec_index

__all__ = ["InProcessGateway"]

T = TypeVar("T")
ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]

DEFAULT_BASE_URL = "https://gateway.mock.invalid"
DEFAULT_MEDIA_URL = "https://media.mock.invalid"
_CALL_TIMEOUT = 10.0
_END = object()  # the app sent its last body chunk
_CUT = object()  # the app returned without finishing the body


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


class _Exchange:
    """One request/response pair running on the gateway's loop."""

    def __init__(self, app: ASGIApp, scope: dict[str, Any], body: bytes) -> None:
        self._body: bytes | None = body
        self._chunks: asyncio.Queue[Any] = asyncio.Queue()
        self._started: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] = (
            asyncio.get_running_loop().create_future()
        )
        self._gone = asyncio.Event()
        self._finished = False
        self._task = asyncio.ensure_future(self._run(app, scope))

    async def _receive(self) -> MutableMapping[str, Any]:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self._gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            if not self._started.done():
                headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
                self._started.set_result((int(message["status"]), headers))
        elif message["type"] == "http.response.body" and not self._finished:
            data = bytes(message.get("body", b""))
            if data:
                self._chunks.put_nowait(data)
            if not message.get("more_body", False):
                self._finished = True
                self._chunks.put_nowait(_END)

    async def _run(self, app: ASGIApp, scope: dict[str, Any]) -> None:
        try:
            await app(scope, self._receive, self._send)
        except BaseException as exc:
            if not self._started.done():
                self._started.set_exception(exc)
            self._chunks.put_nowait(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        if not self._started.done():
            self._started.set_exception(RuntimeError("the mock app returned without a response"))
        if not self._finished:
            self._chunks.put_nowait(_CUT)

    async def start(self, request: httpx.Request, read_timeout: float | None) -> tuple[int, list[Any]]:
        try:
            return await asyncio.wait_for(asyncio.shield(self._started), read_timeout)
        except TimeoutError:
            self.close()
            raise httpx.ReadTimeout("the in-process mock sent no response in time", request=request) from None

    async def next_chunk(self, request: httpx.Request, read_timeout: float | None) -> bytes | None:
        """The next body chunk, or None at the end of a complete body."""
        try:
            item = await asyncio.wait_for(self._chunks.get(), read_timeout)
        except TimeoutError:
            raise httpx.ReadTimeout("the in-process mock sent nothing in time", request=request) from None
        if item is _END:
            return None
        if item is _CUT:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            )
        if isinstance(item, BaseException):
            raise httpx.RemoteProtocolError(f"the mock app failed: {item!r}", request=request) from item
        assert isinstance(item, bytes)
        return item

    def close(self) -> None:
        """The client went away: the app sees ``http.disconnect``; a stuck app is cancelled soon after."""
        self._gone.set()
        if not self._task.done():
            asyncio.get_running_loop().call_later(2.0, self._task.cancel)


def _scope(request: httpx.Request) -> dict[str, Any]:
    url = request.url
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": httpx.URL(url.path).path,
        "raw_path": url.raw_path.split(b"?", 1)[0],
        "query_string": url.query,
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "client": ("127.0.0.1", 50000),
        "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
    }


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if isinstance(value, int | float) else None


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, gateway: InProcessGateway, exchange: _Exchange, request: httpx.Request) -> None:
        self._gateway, self._exchange, self._request = gateway, exchange, request
        self._timeout = _read_timeout(request)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            chunk = self._gateway._await(self._exchange.next_chunk(self._request, self._timeout))
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        self._gateway._soon(self._exchange.close)


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, gateway: InProcessGateway, exchange: _Exchange, request: httpx.Request) -> None:
        self._gateway, self._exchange, self._request = gateway, exchange, request
        self._timeout = _read_timeout(request)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            chunk = await self._gateway._await_async(self._exchange.next_chunk(self._request, self._timeout))
            if chunk is None:
                return
            yield chunk

    async def aclose(self) -> None:
        self._gateway._soon(self._exchange.close)


class _SyncTransport(httpx.BaseTransport):
    def __init__(self, gateway: InProcessGateway) -> None:
        self._gateway = gateway

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        gw = self._gateway
        app = gw._app_for(request)
        body = request.read()

        async def open_exchange() -> tuple[_Exchange, tuple[int, list[Any]]]:
            exchange = _Exchange(app, _scope(request), body)
            return exchange, await exchange.start(request, _read_timeout(request))

        exchange, (status, headers) = gw._await(open_exchange())
        return httpx.Response(status, headers=headers, stream=_SyncBody(gw, exchange, request))


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, gateway: InProcessGateway) -> None:
        self._gateway = gateway

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        gw = self._gateway
        app = gw._app_for(request)
        body = await request.aread()

        async def open_exchange() -> tuple[_Exchange, tuple[int, list[Any]]]:
            exchange = _Exchange(app, _scope(request), body)
            return exchange, await exchange.start(request, _read_timeout(request))

        exchange, (status, headers) = await gw._await_async(open_exchange())
        return httpx.Response(status, headers=headers, stream=_AsyncBody(gw, exchange, request))


class InProcessGateway(StateInspection):
    """The mock gateway with no port: use `transport()` / `async_transport()`, or `client()` directly.

    Its origins (``base_url``, ``media_url``) are names no one resolves; the transports route them to
    the gateway and media apps and refuse every other origin with ``httpx.ConnectError``, so a client
    that follows an un-rewritten ``*_url`` fails as it would against a real gateway. Inspection
    (`stats`, `job`, `request_log`, `set_faults`) matches `MockGateway`.
    """

    in_process = True

    def __init__(
        self,
        config: MockConfig | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        media_url: str = DEFAULT_MEDIA_URL,
        spec: SpecIndex | None = None,
        **overrides: Any,
    ) -> None:
        config = config or MockConfig()
        if overrides:
            config = config.replace(**overrides)
        self.config = config
        self.base_url = base_url.rstrip("/")
        self.media_url = media_url.rstrip("/")
        # ``spec``: another compiled contract (e.g. a checkout's openapi.yaml with a newly imported model).
        self.state = MockState(config, spec or load_spec_index())
        self.state.base_url = self.base_url
        self.state.media_url = self.media_url
        self._apps: dict[tuple[str, str, int | None], ASGIApp] = {
            _origin(httpx.URL(self.base_url)): GatewayApp(self.state),
            _origin(httpx.URL(self.media_url)): MediaApp(self.state),
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ---- lifecycle ----

    def start(self) -> InProcessGateway:
        if self._thread is not None:
            raise RuntimeError("an InProcessGateway starts once; create a new one")
        self._thread = threading.Thread(target=self._main, name="fal-queue-mock-inprocess", daemon=True)
        self._thread.start()
        if not self._ready.wait(_CALL_TIMEOUT) or self._loop is None:
            raise RuntimeError("the in-process mock gateway did not start")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        stop = self._stop
        if stop is not None:
            loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=15)

    def __enter__(self) -> InProcessGateway:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _main(self) -> None:
        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self.state.engine.start()
            self._ready.set()
            try:
                await self._stop.wait()
            finally:
                await self.state.engine.close()

        asyncio.run(serve())

    # ---- plumbing used by the transports ----

    def _app_for(self, request: httpx.Request) -> ASGIApp:
        if not self.running:
            raise httpx.ConnectError("the in-process mock gateway is not running", request=request)
        app = self._apps.get(_origin(request.url))
        if app is None:
            origin = f"{request.url.scheme}://{request.url.netloc.decode('ascii', 'replace')}"
            raise httpx.ConnectError(f"in-process mock: nothing serves {origin}", request=request)
        return app

    def _submit(self, coro: Awaitable[T]) -> concurrent.futures.Future[T]:
        loop = self._loop
        if loop is None:
            raise RuntimeError("the in-process mock gateway is not running")

        async def run() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(run(), loop)

    def _await(self, coro: Awaitable[T]) -> T:
        return self._submit(coro).result()

    async def _await_async(self, coro: Awaitable[T]) -> T:
        return await asyncio.wrap_future(self._submit(coro))

    def _soon(self, fn: Callable[[], object]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn)

    def _call(self, fn: Callable[[], T]) -> T:
        if not self.running:
            return fn()

        async def run() -> T:
            return fn()

        return self._submit(run()).result(timeout=_CALL_TIMEOUT)

    # ---- clients ----

    def transport(self) -> httpx.BaseTransport:
        """A sync transport to pass as ``Client(transport=...)``."""
        return _SyncTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An async transport to pass as ``AsyncClient(transport=...)``."""
        return _AsyncTransport(self)

    def client(self, **options: Any) -> Client:
        """A `Client` bound to this gateway (options as for `Client`)."""
        return Client(self.base_url, self.key, transport=self.transport(), **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """An `AsyncClient` bound to this gateway (options as for `AsyncClient`)."""
        return AsyncClient(self.base_url, self.key, transport=self.async_transport(), **options)

    # Inspection (stats, job, set_faults, request_log, reset_log): `StateInspection`, as on MockGateway.
