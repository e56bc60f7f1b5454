"""The mock's two origins assembled once, on an event loop of their own, and what tests ask of them.

`Gateway` builds the state and both origins and runs them on a private loop (a daemon thread);
`MockGateway` serves them with uvicorn on loopback sockets, and `fal_queue.testing.InProcessGateway`
hands them to httpx transports. Inspection (counters, jobs, faults, the request log) is the same for
both: each question runs on the gateway's loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import ipaddress
import logging
import socket
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import uvicorn

from fal_queue.mock.app import GatewayApp, MediaApp, MockState
from fal_queue.mock.config import Faults, MockConfig
from fal_queue.mock.spec import SpecIndex, load_spec_index
from fal_queue.mock.webhooks import DEFAULT_OVERLAP, JWKS_PATH

if TYPE_CHECKING:
    from fal_queue.client import AsyncClient, Client

__all__ = ["Gateway", "MockGateway"]

T = TypeVar("T")
_START_TIMEOUT = 60.0  # a bound on a hang, not a speed goal: loaded machines start slowly
_CALL_TIMEOUT = 10.0


class Gateway:
    """The mock's state and its two origins on a private event loop, started once.

    ``spec``: another compiled contract than the packaged one (e.g. a checkout's openapi.yaml with a
    newly imported model).
    """

    in_process = False

    def __init__(self, config: MockConfig | None = None, *, spec: SpecIndex | None = None, **overrides: Any):
        config = config or MockConfig()
        self.config = config.replace(**overrides) if overrides else config
        self.state = MockState(self.config, spec or load_spec_index())
        self.app = GatewayApp(self.state)
        self.media_app = MediaApp(self.state)
        self.base_url = ""
        self.media_url = ""
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ---- start / stop ----

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError(f"a {type(self).__name__} starts once; create a new one")
        self._thread = threading.Thread(target=self._main, name="fal-queue-mock", daemon=True)
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT) or self._error is not None:
            self.stop()
            raise RuntimeError(f"mock gateway failed to start: {self._error!r}")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._begin_shutdown)
            thread.join(timeout=15)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _begin_shutdown(self) -> None:
        self.state.engine.begin_closing()  # open streams end at once
        if self._stop is not None:
            self._stop.set()

    def _main(self) -> None:
        try:
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                runner.run(self._serve())
        except BaseException as exc:  # reported by start()
            self._error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self._serve_until(self._stop)
        finally:
            await self.state.engine.close()

    async def _serve_until(self, stop: asyncio.Event) -> None:
        """Serve the origins until ``stop`` is set; set ``_ready`` once they answer."""
        self._ready.set()
        await stop.wait()

    # ---- inspection from other threads ----

    def _submit(self, coro: Awaitable[T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the gateway's loop, from another thread."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the mock gateway is not running")

        async def run() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(run(), loop)

    def _call(self, fn: Callable[[], T]) -> T:
        """``fn()`` on the gateway's loop (directly when not running, or when already on it)."""
        if self._loop is None or not self.running:
            return fn()
        with contextlib.suppress(RuntimeError):
            if asyncio.get_running_loop() is self._loop:
                return fn()

        async def call() -> T:
            return fn()

        return self._submit(call()).result(timeout=_CALL_TIMEOUT)

    @property
    def key(self) -> str:
        """The first accepted API key."""
        return self.config.keys[0]

    @property
    def faults(self) -> Faults:
        return self.state.faults

    def set_faults(self, faults: Faults) -> None:
        self._call(lambda: self.state.set_faults(faults))

    def stats(self) -> dict[str, Any]:
        """Counters: jobs_created, jobs_completed (any outcome), jobs_succeeded, jobs_failed, jobs_cancelled,
        jobs_timed_out, requests_by_operation, faults_injected, webhooks_delivered, webhooks_failed,
        webhooks_not_delivered (non-loopback ``fal_webhook``: accepted, never sent), ..."""
        return self._call(self.state.stats)

    def job(self, request_id: str) -> dict[str, Any] | None:
        """A job's record (created_at, started_at, completed_at, status, cancelled, failed, ...) or None."""
        engine = self.state.engine
        job = self._call(lambda: engine.jobs.get(request_id))
        return None if job is None else self._call(lambda: engine.job_info(job))

    def jobs(self) -> list[dict[str, Any]]:
        """Every job the gateway holds, oldest first (request_id, model_id, inputs, status, ...)."""
        engine = self.state.engine
        return self._call(lambda: [engine.job_info(job) for job in engine.jobs.values()])

    @property
    def request_log(self) -> list[dict[str, Any]]:
        """Requests received so far: origin ("gateway"|"media"), method, path, query, headers, time, and
        the operation the gateway routed it to."""
        return self._call(lambda: list(self.state.request_log))

    def reset_log(self) -> None:
        self._call(self.state.request_log.clear)

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

    # ---- clients ----

    def client(self, **options: Any) -> Client:
        """A `Client` bound to this gateway (options as for `Client`)."""
        from fal_queue.client import Client  # the mock's own process never loads the SDK

        return Client(self.base_url, self.key, **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """An `AsyncClient` bound to this gateway (options as for `AsyncClient`)."""
        from fal_queue.client import AsyncClient

        return AsyncClient(self.base_url, self.key, **options)


def _quiet_drops(record: logging.LogRecord) -> bool:
    """Hide uvicorn's complaint about the responses the ``drop`` fault cuts on purpose."""
    return record.getMessage() != "ASGI callable returned without completing response."


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


class MockGateway(Gateway):
    """A running mock gateway on loopback sockets. Use as a context manager, or call `start()` and `stop()`.

    >>> with MockGateway(MockConfig()) as gw:  # doctest: +SKIP
    ...     httpx.get(gw.base_url + "/_mock/stats", headers={"Authorization": f"Bearer {gw.key}"})
    """

    async def _serve_until(self, stop: asyncio.Event) -> None:
        logging.getLogger("uvicorn.error").addFilter(_quiet_drops)
        common: Any = {
            "lifespan": "off",
            "log_level": "warning",
            "access_log": False,
            "timeout_graceful_shutdown": 2,
            "timeout_keep_alive": 30,
            "backlog": 1024,
            "server_header": False,
        }
        tls = {"ssl_certfile": self.config.ssl_certfile, "ssl_keyfile": self.config.ssl_keyfile}
        servers = [
            uvicorn.Server(uvicorn.Config(self.app, **common | tls)),
            uvicorn.Server(uvicorn.Config(self.media_app, **common)),
        ]
        with contextlib.ExitStack() as sockets:
            socks = [
                sockets.enter_context(_bind(self.config.host, port))
                for port in (self.config.port, self.config.media_port)
            ]
            self.base_url = self.state.base_url = _origin("https" if self.config.tls else "http", socks[0])
            self.media_url = self.state.media_url = _origin("http", socks[1])
            tasks = [
                asyncio.create_task(server.serve([sock])) for server, sock in zip(servers, socks, strict=True)
            ]
            try:
                await _started(servers, tasks)
                self._ready.set()
                await asyncio.wait(
                    [asyncio.create_task(stop.wait()), *tasks], return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                for server in servers:
                    server.should_exit = True
                await asyncio.gather(*tasks, return_exceptions=True)


async def _started(servers: list[uvicorn.Server], tasks: list[asyncio.Task[None]]) -> None:
    """Return once every server listens; raise why one of them ended first."""
    while not all(server.started for server in servers):
        for task in tasks:
            if task.done():
                raise task.exception() or RuntimeError("uvicorn did not start")
        await asyncio.sleep(0.005)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's loop when it is installed (``uvicorn[standard]``), else asyncio's."""
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return asyncio.new_event_loop
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory
