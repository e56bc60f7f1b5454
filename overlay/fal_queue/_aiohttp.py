"""The AsyncClient's default network transport: httpx's API over aiohttp's connection pool.

httpx's own async stack (anyio, httpcore, h11) costs several times aiohttp's CPU per request, so
the async client sends through ``httpx_aiohttp.AiohttpTransport`` unless a ``transport=`` is given.
Three of that library's choices would break our rules, and are replaced here:

- Its exception map turns every ``aiohttp.ClientConnectionError`` into ``httpx.ConnectTimeout``,
  including ``ServerDisconnectedError`` after a request was sent. Our retry rule resends a submit
  after a connect error (the request never left the machine), so that map would queue a second
  paid job. :func:`map_aiohttp_error` maps each aiohttp error by what it means (``_ERROR_MAP``).
- It lets aiohttp's ``connect`` timeout cover both the wait for a pooled connection and the
  connect. Here the pool wait is a semaphore of ``max_connections`` bounded by the request's
  ``pool`` timeout (``PoolTimeout``); ``connect`` is aiohttp's ``sock_connect`` (TCP and TLS
  together, where httpx gives each the full value), ``read`` its ``sock_read``.
- aiohttp has no write timeout. A request whose whole body fits in a socket's send buffer
  (up to :data:`UNTIMED_WRITE_MAX` bytes, every JSON submit of ordinary size) cannot stall on
  the write, so there is nothing to time; a larger or streamed body goes through httpx's own
  transport (a second, lazily made pool of the same limits), whose write timeout is real.

aiohttp rounds timeouts of 5 s and more up to the next whole second.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

#: Smaller than a fresh TCP socket's send buffer (Linux starts at 16 KiB): see the third point above.
UNTIMED_WRITE_MAX = 16 * 1024

#: Most specific first: the first class that matches decides.
_ERROR_MAP: tuple[tuple[tuple[type[BaseException], ...], type[httpx.TransportError]], ...] = (
    ((aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError), httpx.ProxyError),
    # The connection was never established (DNS, refused, TLS handshake): nothing was sent.
    ((aiohttp.ClientConnectorError, aiohttp.ServerFingerprintMismatch), httpx.ConnectError),
    ((aiohttp.ConnectionTimeoutError,), httpx.ConnectTimeout),
    # On a connection that was made: the request may have reached the server.
    ((aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError), httpx.ReadTimeout),
    ((aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError), httpx.RemoteProtocolError),
    ((aiohttp.ClientOSError, aiohttp.ClientConnectionError), httpx.ReadError),
    ((aiohttp.NonHttpUrlClientError, aiohttp.InvalidURL), httpx.UnsupportedProtocol),
    ((aiohttp.ClientResponseError, aiohttp.ClientError), httpx.RemoteProtocolError),
)


def map_aiohttp_error(exc: BaseException, request: httpx.Request | None = None) -> BaseException:
    """The httpx error for an aiohttp one (unwrapping httpx_aiohttp's own mapping); else ``exc``.

    Anything not from aiohttp (cancellation, the wall-clock ``TimeoutError``) is returned as is.
    """
    cause = exc.__cause__ if isinstance(exc, httpx.TransportError) else exc
    if not isinstance(cause, aiohttp.ClientError):
        return exc
    for source, target in _ERROR_MAP:
        if isinstance(cause, source):
            mapped = target(_message(cause), request=request)
            mapped.__cause__ = cause
            return mapped
    return exc  # pragma: no cover - ClientError ends the table


@contextlib.contextmanager
def _mapped_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except BaseException as exc:
        mapped = map_aiohttp_error(exc, request)
        if mapped is exc:
            raise
        raise mapped from mapped.__cause__


def _message(cause: aiohttp.ClientError) -> str:
    """The words httpx would use: for a failed connect the socket's or TLS's own error.

    aiohttp's connector message names ``ssl:default`` even for a plain refused connection, and
    callers read these texts (the CLI tells a TLS problem from a refused port by them).
    """
    if isinstance(cause, aiohttp.ClientConnectorCertificateError):
        return str(cause.certificate_error)
    if isinstance(cause, aiohttp.ClientConnectorError):
        return str(cause.os_error)
    return f"{type(cause).__name__}: {cause}"


class _MappedStream(httpx.AsyncByteStream):
    """The response body, with aiohttp's errors mapped and its pool slot given back once, on close."""

    def __init__(
        self, inner: httpx.AsyncByteStream, slot: asyncio.Semaphore | None, request: httpx.Request
    ) -> None:
        self._inner = inner
        self._slot = slot
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped_errors(self._request):
            async for chunk in self._inner:
                yield chunk

    async def aclose(self) -> None:
        try:
            with _mapped_errors(self._request):
                await self._inner.aclose()
        finally:
            if self._slot is not None:
                self._slot.release()
                self._slot = None


class AiohttpBackend(httpx.AsyncBaseTransport):
    """``httpx_aiohttp.AiohttpTransport`` with faithful errors and a pool wait of its own."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._max = limits.max_connections
        # aiohttp's own limit equals ours, so it never makes a request wait a second time.
        self._inner = AiohttpTransport(limits=limits, client=self._session)
        # One event loop's, like the aiohttp session (made on first use, bound to its loop).
        self._pool = asyncio.Semaphore(self._max) if self._max is not None else None
        self._timed_writes: httpx.AsyncHTTPTransport | None = None

    def _session(self) -> aiohttp.ClientSession:
        """httpx_aiohttp's session, but cookies are httpx's alone (aiohttp's jar would keep
        and resend what the httpx client was told to forget)."""
        connector = aiohttp.TCPConnector(
            limit=self._max or 0,
            keepalive_timeout=self._limits.keepalive_expiry,
            ssl=self._inner.ssl_context,
        )
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    async def _acquire(self, request: httpx.Request, wait: float | None) -> asyncio.Semaphore | None:
        """A place in the pool, waited for at most ``wait`` seconds."""
        semaphore = self._pool
        if semaphore is None:
            return None
        try:
            async with asyncio.timeout(wait if semaphore.locked() else None):
                await semaphore.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no pooled connection became free in time", request=request) from None
        return semaphore

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            timed_write = len(request.content) > UNTIMED_WRITE_MAX
        except httpx.RequestNotRead:
            timed_write = True  # a streamed body: its size is unknown until it is sent
        if timed_write:
            if self._timed_writes is None:
                self._timed_writes = httpx.AsyncHTTPTransport(limits=self._limits)
            return await self._timed_writes.handle_async_request(request)
        timeout: dict[str, Any] = dict(request.extensions.get("timeout", {}))
        slot = await self._acquire(request, timeout.get("pool"))
        # The wait is over: aiohttp times only the connect and the reads.
        request.extensions["timeout"] = {**timeout, "pool": None}
        try:
            with _mapped_errors(request):
                response = await self._inner.handle_async_request(request)
        except BaseException:
            if slot is not None:
                slot.release()
            raise
        finally:
            request.extensions["timeout"] = timeout
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _MappedStream(response.stream, slot, request)
        return response

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if self._timed_writes is not None:
                await self._timed_writes.aclose()
