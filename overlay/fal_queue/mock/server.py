"""`MockGateway`: the two origins served by uvicorn on a background thread with its own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import uvicorn

from fal_queue.mock.app import GatewayApp, MediaApp, MockState
from fal_queue.mock.config import MockConfig
from fal_queue.mock.inspection import StateInspection
from fal_queue.mock.spec import load_spec_index
from fal_queue.mock.webhooks import DEFAULT_OVERLAP, JWKS_PATH

__all__ = ["MockGateway"]

T = TypeVar("T")
_START_TIMEOUT = 60.0  # a bound on a hang, not a speed goal: loaded machines start slowly


class _QuietDrops(logging.Filter):
    """Hide uvicorn's complaint about the responses the ``drop`` fault cuts on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing response."


_FILTER = _QuietDrops()


def _bind(host: str, port: int) -> socket.socket:
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        family = socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so (else 40 ms stalls).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _origin(scheme: str, sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


class MockGateway(StateInspection):
    """A running mock gateway. Use as a context manager, or call `start()` and `stop()`.

    >>> with MockGateway(MockConfig()) as gw:  # doctest: +SKIP
    ...     httpx.get(gw.base_url + "/_mock/stats", headers={"Authorization": f"Bearer {gw.key}"})
    """

    def __init__(self, config: MockConfig | None = None, **overrides: Any) -> None:
        config = config or MockConfig()
        if overrides:
            config = config.replace(**overrides)
        self.config = config
        self.state = MockState(config, load_spec_index())
        self.app = GatewayApp(self.state)
        self.media_app = MediaApp(self.state)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._servers: list[uvicorn.Server] = []
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stopped = False
        self.base_url = ""
        self.media_url = ""

    # ---- properties ----

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ---- start / stop ----

    def start(self) -> MockGateway:
        if self._thread is not None or self._stopped:
            raise RuntimeError("a MockGateway starts once; create a new one")
        logging.getLogger("uvicorn.error").addFilter(_FILTER)
        gateway_sock = _bind(self.config.host, self.config.port)
        media_sock = _bind(self.config.host, self.config.media_port)
        self.base_url = _origin("https" if self.config.tls else "http", gateway_sock)
        self.media_url = _origin("http", media_sock)
        self.state.base_url = self.base_url
        self.state.media_url = self.media_url
        self._thread = threading.Thread(
            target=self._thread_main, args=(gateway_sock, media_sock), name="fal-queue-mock", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT) or self._error is not None:
            self.stop()
            raise RuntimeError(f"mock gateway failed to start: {self._error!r}")
        return self

    def stop(self) -> None:
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        if loop is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._begin_shutdown)
        thread.join(timeout=15)
        self._thread = None
        self._stopped = True

    def __enter__(self) -> MockGateway:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _begin_shutdown(self) -> None:
        self.state.engine.closing.set()
        for server in self._servers:
            server.should_exit = True

    def _thread_main(self, gateway_sock: socket.socket, media_sock: socket.socket) -> None:
        try:
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                runner.run(self._serve(gateway_sock, media_sock))
        except BaseException as exc:  # pragma: no cover - reported by start()
            self._error = exc
            self._ready.set()
        finally:
            gateway_sock.close()
            media_sock.close()

    async def _serve(self, gateway_sock: socket.socket, media_sock: socket.socket) -> None:
        self._loop = asyncio.get_running_loop()
        common: dict[str, Any] = {
            "lifespan": "off",
            "log_level": "warning",
            "access_log": False,
            "timeout_graceful_shutdown": 2,
            "timeout_keep_alive": 30,
            "backlog": 1024,
            "server_header": False,
        }
        tls: dict[str, Any] = {}
        if self.config.tls:
            tls = {"ssl_certfile": self.config.ssl_certfile, "ssl_keyfile": self.config.ssl_keyfile}
        self._servers = [
            uvicorn.Server(uvicorn.Config(self.app, **common, **tls)),
            uvicorn.Server(uvicorn.Config(self.media_app, **common)),
        ]
        self.state.engine.start()
        tasks = [
            asyncio.create_task(self._servers[0].serve(sockets=[gateway_sock])),
            asyncio.create_task(self._servers[1].serve(sockets=[media_sock])),
        ]
        while not all(s.started for s in self._servers):
            if any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.005)
        for t in tasks:
            if t.done() and t.exception() is not None:
                self._error = t.exception()
        if self._error is None and not all(s.started for s in self._servers):
            self._error = RuntimeError("uvicorn did not start")
        self._ready.set()
        try:
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await self.state.engine.close()

    # ---- inspection from other threads ----

    def _call(self, fn: Callable[[], T]) -> T:
        loop = self._loop
        if loop is None or not self.running:
            return fn()
        try:
            if asyncio.get_running_loop() is loop:
                return fn()
        except RuntimeError:
            pass

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout=10)

    @property
    def webhook_jwks_url(self) -> str:
        """The JWKS (public, no auth) that verifies this mock's webhook signatures."""
        return self.base_url + JWKS_PATH

    def webhook_jwks(self) -> dict[str, Any]:
        return self._call(self.state.engine.webhooks.signer.jwks)

    def rotate_webhook_key(self, private_key: str | None = None, *, overlap: float = DEFAULT_OVERLAP) -> str:
        """Sign new webhooks with a new key (PEM, or generated); the JWKS keeps the old one ``overlap`` s.

        Returns the new key's ``kid``.
        """
        return self._call(lambda: self.state.engine.webhooks.signer.rotate(private_key, overlap=overlap))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's loop when it is installed (``uvicorn[standard]``), else asyncio's."""
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return asyncio.new_event_loop
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory
