"""Helpers of the webhook tests: a receiver written as the fal_queue.webhooks docstring tells users to.

The receiver (starlette served by uvicorn on a thread) verifies each delivery with the SDK against the
JWKS it is given and puts what it received and how it answered on a queue; tests wait on that queue.
"""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import uvicorn
from fal_queue import webhooks
from fal_queue.mock import MockGateway
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

WAIT = 20.0
"""Generous bound of every wait (a loaded 2-core machine)."""


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    outcome: webhooks.WebhookSuccess | webhooks.WebhookFailure | webhooks.WebhookError
    status_code: int


class Receiver:
    def __init__(self, verifier: webhooks.WebhookVerifier) -> None:
        self.verifier = verifier
        self.received: queue.Queue[Received] = queue.Queue()

        async def fal_hook(request: Request) -> Response:
            body = await request.body()
            headers = dict(request.headers)
            try:
                delivery = await self.verifier.verify_async(body, request.headers)
            except webhooks.WebhookError as exc:
                code = 503 if isinstance(exc, webhooks.JWKSFetchError) else 400
                self.received.put(Received(body, headers, exc, code))
                return Response(str(exc), status_code=code)
            self.received.put(Received(body, headers, delivery, 204))
            return Response(status_code=204)

        app = Starlette(routes=[Route("/fal/webhook", fal_hook, methods=["POST"])])
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/fal/webhook"
        self.server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        )
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._sock]}, name="webhook-receiver", daemon=True
        )
        self._thread.start()
        wait_for(lambda: self.server.started, "the receiver to start")

    def next(self, timeout: float = WAIT) -> Received:
        try:
            return self.received.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no webhook arrived within {timeout} s") from None

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(10)
        self._sock.close()


def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll a condition with a generous bound (never sleep-then-assert)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def socketless_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def submit(gw: MockGateway, webhook: str, model: str = "fal-ai/flux-1/schnell", **body: Any) -> str:
    with httpx.Client(base_url=gw.base_url, headers={"Authorization": f"Bearer {gw.key}"}) as c:
        response = c.post(f"/{model}", params={"fal_webhook": webhook}, json={"prompt": "a cat", **body})
    assert response.status_code == 200, response.text
    request_id: str = response.json()["request_id"]
    return request_id


class JWKSServer:
    """A loopback HTTP server answering GETs from a table ``path -> (status, headers, body)``."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[tuple[str, dict[str, str]]] = []
        self.silent = threading.Event()  # set: accept and never answer
        self.unavailable: dict[str, int] = {}  # path -> how many more GETs answer 503 before its route
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                if outer.silent.is_set():
                    outer.release.wait(WAIT)
                    return
                status, headers, body = outer.routes.get(self.path, (404, {}, b"{}"))
                if outer.unavailable.get(self.path, 0) > 0:
                    outer.unavailable[self.path] -= 1
                    status, headers, body = 503, {}, b"busy"
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve_json(self, path: str, data: Any, status: int = 200) -> str:
        self.routes[path] = (status, {"Content-Type": "application/json"}, json.dumps(data).encode())
        return self.origin + path

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.hits if p == path)

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
