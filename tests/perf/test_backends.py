"""The same bodies on both async network transports (aiohttp, the default, and httpx's own):
every timeout (connect, read, write, pool), the retry transport's decisions, streaming, downloads
and error types, against a raw TCP server whose every misbehaviour is scripted."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fal_queue import AsyncClient, File
from fal_queue import errors as E
from fal_queue._aiohttp import UNTIMED_WRITE_MAX, AiohttpBackend, map_aiohttp_error
from fal_queue._transport import new_async_transport

BACKENDS = ["aiohttp", "httpx"]
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FAL_QUEUE_HTTP_BACKEND", request.param)
    return str(request.param)


class Server:
    """A loopback HTTP/1.1 server running ``handler`` for each connection; counts requests."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[bytes] = []
        self.url = ""
        self._server: asyncio.Server | None = None

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = await reader.readexactly(length) if length else b""
        self.requests.append(head.split(b"\r\n")[0])
        return head + body

    async def __aenter__(self) -> Server:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await self.handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        self._server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()


def reply(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


async def client_for(limits: httpx.Limits | None = None) -> httpx.AsyncClient:
    transport = new_async_transport(limits or httpx.Limits(max_connections=4))
    return httpx.AsyncClient(transport=transport)


def test_the_backend_switch_picks_the_transport(backend: str) -> None:
    transport = new_async_transport(httpx.Limits())
    expected = AiohttpBackend if backend == "aiohttp" else httpx.AsyncHTTPTransport
    assert type(transport) is expected


def test_aiohttp_is_the_default_and_a_given_transport_is_used_as_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAL_QUEUE_HTTP_BACKEND", raising=False)
    assert type(new_async_transport(httpx.Limits())) is AiohttpBackend
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(202, json={"status": "IN_PROGRESS", "request_id": "r1", "logs": []})

    async def run() -> None:
        async with AsyncClient("https://gw.test", "k", transport=httpx.MockTransport(handler)) as client:
            status = await client.status("fal-ai/flux-1/schnell", "r1")
        assert type(status).__name__ == "InProgress"

    asyncio.run(run())
    assert seen == ["/fal-ai/flux-1/requests/r1/status"]


def test_an_unknown_backend_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_QUEUE_HTTP_BACKEND", "curl")
    with pytest.raises(E.ConfigurationError, match="FAL_QUEUE_HTTP_BACKEND"):
        new_async_transport(httpx.Limits())


def test_connect_refused_is_a_connect_error(backend: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens

    async def run() -> None:
        async with await client_for() as http:
            with pytest.raises(httpx.ConnectError) as caught:
                await http.get(f"http://127.0.0.1:{port}/")
        # Callers tell a refused port from a TLS problem by these words (the CLI's setup check).
        assert not any(word in str(caught.value).lower() for word in ("ssl", "tls", "certificate"))

    asyncio.run(run())


def test_tls_to_a_plain_http_port_says_so(backend: str) -> None:
    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    server = Server(plain)

    async def run() -> None:
        async with server, await client_for() as http:
            with pytest.raises(httpx.ConnectError) as caught:
                await http.get(server.url.replace("http://", "https://") + "/")
        assert "ssl" in str(caught.value).lower()

    asyncio.run(run())


def test_a_silent_server_is_a_read_timeout(backend: str) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        await reader.read()  # until the client gives up

    server = Server(silent)

    async def run() -> None:
        async with server, await client_for() as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.get(server.url + "/", timeout=httpx.Timeout(5.0, read=0.3))

    asyncio.run(run())


def test_waiting_for_a_pooled_connection_is_a_pool_timeout(backend: str) -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345")  # half the body
        await writer.drain()
        await reader.read()

    server = Server(slow)

    async def run() -> None:
        async with server, await client_for(httpx.Limits(max_connections=1)) as http:
            async with http.stream("GET", server.url + "/held"):  # keeps the only connection
                with pytest.raises(httpx.PoolTimeout):
                    await http.get(server.url + "/second", timeout=httpx.Timeout(5.0, pool=0.2))
            assert server.requests == [b"GET /held HTTP/1.1"]

    asyncio.run(run())


def test_a_disconnect_after_sending_is_never_a_connect_error(backend: str) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)  # the request arrived; the answer never comes

    server = Server(hang_up)

    async def run() -> None:
        async with server, await client_for() as http:
            with pytest.raises(httpx.TransportError) as caught:
                await http.post(server.url + "/fal-ai/flux-1/schnell", json={"prompt": "x"})
        assert isinstance(caught.value, httpx.RemoteProtocolError | httpx.ReadError)
        assert not isinstance(caught.value, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)

    asyncio.run(run())


def test_a_submit_dropped_after_sending_is_uncertain_and_never_resent(backend: str) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)

    server = Server(hang_up)

    async def run() -> None:
        async with server, AsyncClient(server.url, "k", allow_http=True, max_retries=3) as client:
            client._sleep = lambda s: asyncio.sleep(0)
            with pytest.raises(E.SubmitUncertainError):
                await client.submit("fal-ai/flux-1/schnell", {"prompt": "x"})
        assert len(server.requests) == 1

    asyncio.run(run())


def test_a_status_call_cut_mid_body_is_retried(backend: str) -> None:
    body = b'{"status": "IN_PROGRESS", "request_id": "r1", "logs": []}'

    async def flaky(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await server.read_request(reader)
            if len(server.requests) == 1:
                writer.write(reply(body, "202 Accepted")[:-10])  # the body is cut short
                await writer.drain()
                return
            writer.write(reply(body, "202 Accepted"))
            await writer.drain()

    server = Server(flaky)

    async def run() -> None:
        async with server, AsyncClient(server.url, "k", allow_http=True, max_retries=3) as client:
            client._sleep = lambda s: asyncio.sleep(0)
            status = await client.status("fal-ai/flux-1/schnell", "r1")
        assert type(status).__name__ == "InProgress"
        assert len(server.requests) == 2

    asyncio.run(run())


def test_a_streamed_body_arrives_while_the_server_is_still_sending(backend: str) -> None:
    first_seen = asyncio.Event()

    async def sse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        for n, wait in ((1, False), (2, True)):
            if wait:
                await asyncio.wait_for(first_seen.wait(), 30)  # only after the client saw event 1
            event = f"data: {n}\n\n".encode()
            writer.write(b"%x\r\n%s\r\n" % (len(event), event))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    server = Server(sse)

    async def run() -> list[str]:
        seen: list[str] = []
        async with server, await client_for() as http, http.stream("GET", server.url + "/s") as response:
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    seen.append(line)
                    first_seen.set()
        return seen

    assert asyncio.run(run()) == ["data: 1", "data: 2"]


def test_every_aiohttp_error_maps_to_a_faithful_httpx_error() -> None:
    import aiohttp
    from aiohttp.client_reqrep import ConnectionKey

    key = ConnectionKey("h", 443, True, True, None, None, None)
    never_sent = [
        aiohttp.ClientConnectorError(key, OSError(111, "refused")),
        aiohttp.ConnectionTimeoutError("connect"),
    ]
    maybe_sent = [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientOSError(104, "reset"),
        aiohttp.ClientPayloadError("cut"),
        aiohttp.SocketTimeoutError("read"),
        aiohttp.ClientConnectionError("other"),
    ]
    safe = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
    for exc in never_sent:
        assert isinstance(map_aiohttp_error(exc), safe), exc
    for exc in maybe_sent:
        mapped = map_aiohttp_error(exc)
        assert isinstance(mapped, httpx.TransportError) and not isinstance(mapped, safe), exc
    assert isinstance(map_aiohttp_error(aiohttp.SocketTimeoutError()), httpx.ReadTimeout)
    # httpx_aiohttp's own mapping (ConnectTimeout for a disconnect) is undone from its cause.
    wrapped = httpx.ConnectTimeout("x")
    wrapped.__cause__ = aiohttp.ServerDisconnectedError()
    assert isinstance(map_aiohttp_error(wrapped), httpx.RemoteProtocolError)
    cancelled = asyncio.CancelledError()
    assert map_aiohttp_error(cancelled) is cancelled


def test_a_tls_handshake_that_never_ends_is_a_connect_timeout(backend: str) -> None:
    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # takes the ClientHello, never answers it

    server = Server(mute)

    async def run() -> None:
        async with server, await client_for() as http:
            url = server.url.replace("http://", "https://") + "/"
            with pytest.raises(httpx.ConnectTimeout):
                await http.get(url, timeout=httpx.Timeout(30.0, connect=0.3))
        assert server.requests == []

    asyncio.run(run())


def test_a_body_the_server_never_reads_is_a_write_timeout(backend: str) -> None:
    async def deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(60)  # never reads the body; ended when the client closes

    server = Server(deaf)
    body = b"x" * (64 * 2**20)  # more than loopback's send and receive buffers together

    async def run() -> None:
        async with server, await client_for() as http:
            with pytest.raises(httpx.WriteTimeout):
                await http.post(server.url + "/upload", content=body, timeout=httpx.Timeout(30.0, write=0.3))

    asyncio.run(run())


def test_small_bodies_take_aiohttp_and_larger_ones_the_timed_writer() -> None:
    seen: list[int] = []

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            seen.append(len((await server.read_request(reader)).split(b"\r\n\r\n", 1)[1]))
            writer.write(reply(b"{}"))
            await writer.drain()

    server = Server(echo)
    transport = AiohttpBackend(httpx.Limits(max_connections=4))

    async def run() -> None:
        async with server, httpx.AsyncClient(transport=transport) as http:
            assert (await http.post(server.url + "/a", content=b"x" * UNTIMED_WRITE_MAX)).status_code == 200
            assert transport._timed_writes is None
            assert (
                await http.post(server.url + "/b", content=b"x" * (UNTIMED_WRITE_MAX + 1))
            ).status_code == 200
            assert transport._timed_writes is not None

    asyncio.run(run())
    assert seen == [UNTIMED_WRITE_MAX, UNTIMED_WRITE_MAX + 1]


def test_a_download_arrives_whole_and_a_cut_one_is_an_error(backend: str, tmp_path: Path) -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB

    async def files(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await server.read_request(reader)
            data = payload if b"/whole" in head else payload[: len(payload) // 2]
            writer.write(
                f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + data
            )
            await writer.drain()
            if b"/whole" not in head:
                return  # hangs up halfway through the body

    server = Server(files)

    async def run() -> None:
        async with server, AsyncClient("https://gw.test", "k", max_retries=0) as client:
            whole = File(url=server.url + "/whole.bin", file_name="whole.bin")
            (path,) = await client.download(whole, tmp_path)
            assert path.read_bytes() == payload
            with pytest.raises(E.DownloadError):
                await client.download(File(url=server.url + "/cut.bin", file_name="cut.bin"), tmp_path)
        assert not (tmp_path / "cut.bin").exists()

    asyncio.run(run())


def test_cookies_are_httpx_s_alone(backend: str) -> None:
    cookies: list[list[bytes]] = []

    async def setter(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await server.read_request(reader)
            cookies.append([line for line in head.split(b"\r\n") if line.lower().startswith(b"cookie:")])
            writer.write(reply(b"{}", extra="Set-Cookie: a=1; Path=/\r\n"))
            await writer.drain()

    server = Server(setter)

    async def run() -> None:
        async with server, await client_for() as http:
            url = server.url.replace("127.0.0.1", "localhost")  # aiohttp's jar ignores IP hosts
            await http.get(url + "/1")
            await http.get(url + "/2")
            http.cookies.clear()
            await http.get(url + "/3")

    asyncio.run(run())
    assert [[c.lower() for c in got] for got in cookies] == [[], [b"cookie: a=1"], []]
