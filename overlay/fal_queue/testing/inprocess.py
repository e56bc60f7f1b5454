"""The mock gateway without a socket: its ASGI apps on a private event loop, reached through httpx transports.

httpx's own ``ASGITransport`` buffers a whole response before returning it, so a status stream
would arrive only once the job is done and a stalled stream would never time out. These
transports hand the body over chunk by chunk and honour the request's read timeout, like a real
connection; a response the app leaves unfinished (the ``drop`` fault) ends in
``httpx.RemoteProtocolError`` as a cut connection does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any

import httpx
from starlette.types import ASGIApp, Message

from fal_queue.client import AsyncClient, Client
from fal_queue.mock.config import MockConfig
from fal_queue.mock.server import Gateway
from fal_queue.mock.spec import SpecIndex

DEFAULT_BASE_URL = "https://gateway.mock.invalid"
DEFAULT_MEDIA_URL = "https://media.mock.invalid"
_CUT = object()  # the app returned before the end of its answer


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


class _Exchange:
    """One request/response pair running on the gateway's loop; the client reads the app's messages."""

    def __init__(self, app: ASGIApp, scope: dict[str, Any], body: bytes) -> None:
        self._body: bytes | None = body
        self._messages: asyncio.Queue[Any] = asyncio.Queue()
        self._gone = asyncio.Event()
        self._ended = False
        self._task = asyncio.ensure_future(self._run(app, scope))

    async def _receive(self) -> Message:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self._gone.wait()
        return {"type": "http.disconnect"}

    async def _run(self, app: ASGIApp, scope: dict[str, Any]) -> None:
        try:
            await app(scope, self._receive, self._messages.put)
        except BaseException as exc:
            self._messages.put_nowait(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        self._messages.put_nowait(_CUT)  # read only if the answer had not ended

    async def _next(self, request: httpx.Request, read_timeout: float | None) -> Message:
        try:
            item = await asyncio.wait_for(self._messages.get(), read_timeout)
        except TimeoutError:
            self.close()
            raise httpx.ReadTimeout("the in-process mock sent nothing in time", request=request) from None
        if item is _CUT:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message", request=request
            )
        if isinstance(item, BaseException):
            raise httpx.RemoteProtocolError(f"the mock app failed: {item!r}", request=request) from item
        message: Message = item
        return message

    async def start(self, request: httpx.Request, read_timeout: float | None) -> tuple[int, list[Any]]:
        """The answer's status and headers."""
        message = await self._next(request, read_timeout)
        return int(message["status"]), [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]

    async def chunk(self, request: httpx.Request, read_timeout: float | None) -> bytes | None:
        """The next body chunk, or None at the end of a complete body."""
        while not self._ended:
            message = await self._next(request, read_timeout)
            self._ended = not message.get("more_body", False)
            if message.get("body"):
                return bytes(message["body"])
        return None

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


class _Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """An answer's body, read chunk by chunk from the gateway's loop (sync or async)."""

    def __init__(self, gateway: InProcessGateway, exchange: _Exchange, request: httpx.Request) -> None:
        self._gateway, self._exchange, self._request = gateway, exchange, request

    def _chunk(self) -> Awaitable[bytes | None]:
        return self._exchange.chunk(self._request, _read_timeout(self._request))

    def __iter__(self) -> Iterator[bytes]:
        while (chunk := self._gateway._submit(self._chunk()).result()) is not None:
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await asyncio.wrap_future(self._gateway._submit(self._chunk()))) is not None:
            yield chunk

    def close(self) -> None:
        loop = self._gateway._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._exchange.close)

    async def aclose(self) -> None:
        self.close()


class _Transport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A request to one of the gateway's origins, run on its loop; the body streams back."""

    def __init__(self, gateway: InProcessGateway) -> None:
        self._gateway = gateway

    async def _open(self, app: ASGIApp, request: httpx.Request, body: bytes) -> httpx.Response:
        exchange = _Exchange(app, _scope(request), body)
        status, headers = await exchange.start(request, _read_timeout(request))
        return httpx.Response(status, headers=headers, stream=_Body(self._gateway, exchange, request))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        app = self._gateway._app_for(request)
        return self._gateway._submit(self._open(app, request, request.read())).result()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        app = self._gateway._app_for(request)
        opened = self._gateway._submit(self._open(app, request, await request.aread()))
        return await asyncio.wrap_future(opened)


class InProcessGateway(Gateway):
    """The mock gateway with no port: use `transport()` / `async_transport()`, or `client()` directly.

    Its origins (``base_url``, ``media_url``) are names no one resolves; the transports route them to
    the gateway and media apps and refuse every other origin with ``httpx.ConnectError``, so a client
    that follows an un-rewritten ``*_url`` fails as it would against a real gateway. Inspection
    (`stats`, `job`, `request_log`, `set_faults`) is `MockGateway`'s.
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
        super().__init__(config, spec=spec, **overrides)
        self.base_url = self.state.base_url = base_url.rstrip("/")
        self.media_url = self.state.media_url = media_url.rstrip("/")
        self._apps: dict[tuple[str, str, int | None], ASGIApp] = {
            _origin(httpx.URL(self.base_url)): self.app,
            _origin(httpx.URL(self.media_url)): self.media_app,
        }

    # ---- plumbing used by the transports ----

    def _app_for(self, request: httpx.Request) -> ASGIApp:
        if not self.running:
            raise httpx.ConnectError("the in-process mock gateway is not running", request=request)
        app = self._apps.get(_origin(request.url))
        if app is None:
            origin = f"{request.url.scheme}://{request.url.netloc.decode('ascii', 'replace')}"
            raise httpx.ConnectError(f"in-process mock: nothing serves {origin}", request=request)
        return app

    # ---- clients ----

    def transport(self) -> httpx.BaseTransport:
        """A sync transport to pass as ``Client(transport=...)``."""
        return _Transport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An async transport to pass as ``AsyncClient(transport=...)``."""
        return _Transport(self)

    def client(self, **options: Any) -> Client:
        """A `Client` bound to this gateway (options as for `Client`)."""
        return Client(self.base_url, self.key, transport=self.transport(), **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """An `AsyncClient` bound to this gateway (options as for `AsyncClient`)."""
        return AsyncClient(self.base_url, self.key, transport=self.async_transport(), **options)
