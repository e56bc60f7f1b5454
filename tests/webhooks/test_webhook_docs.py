"""The framework examples of the fal_queue.webhooks docstring run as written, against mock deliveries."""

from __future__ import annotations

import asyncio
import textwrap
from typing import Any

import pytest
from fal_queue import webhooks
from fal_queue.mock import MockGateway
from hookhelpers import Receiver, submit
from starlette.requests import Request
from starlette.responses import Response
from werkzeug.test import EnvironBuilder


def _example(title: str) -> str:
    """The indented block after the docstring line that starts with ``title``."""
    doc = webhooks.__doc__ or ""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title)) + 2
    block: list[str] = []
    for line in lines[start:]:
        if line and not line.startswith("    "):
            break
        block.append(line)
    return textwrap.dedent("\n".join(block)).strip() + "\n"


@pytest.fixture
def delivery(
    hook_gateway: MockGateway, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> tuple[bytes, dict[str, str]]:
    """A genuine mock delivery, with fal's default JWKS URL pointed at the mock's."""
    monkeypatch.setattr(webhooks, "FAL_JWKS_URL", hook_gateway.webhook_jwks_url)
    submit(hook_gateway, receiver.url)
    got = receiver.next()
    return got.body, got.headers


def _starlette_request(body: bytes, headers: dict[str, str]) -> Request:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/fal/webhook",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    return Request(scope, receive)


def test_the_starlette_example(delivery: tuple[bytes, dict[str, str]]) -> None:
    body, headers = delivery
    namespace: dict[str, Any] = {"webhooks": webhooks, "Response": Response}
    exec(_example("Starlette / FastAPI"), namespace)  # noqa: S102 - our own docstring, run as documented
    hook = namespace["fal_hook"]
    assert asyncio.run(hook(_starlette_request(body, headers))).status_code == 204
    tampered = asyncio.run(hook(_starlette_request(body + b" ", headers)))
    assert tampered.status_code == 400 and b"signature" in tampered.body
    unsigned = {k: v for k, v in headers.items() if not k.startswith("x-fal-webhook-")}
    assert asyncio.run(hook(_starlette_request(body, unsigned))).status_code == 400


class _FakeFlask:
    def post(self, rule: str) -> Any:
        return lambda fn: fn


def test_the_flask_example(delivery: tuple[bytes, dict[str, str]]) -> None:
    body, headers = delivery

    def run(data: bytes, sent: dict[str, str]) -> Any:
        request = EnvironBuilder(method="POST", data=data, headers=sent).get_request()
        namespace: dict[str, Any] = {"webhooks": webhooks, "app": _FakeFlask(), "request": request}
        exec(_example("Flask"), namespace)  # noqa: S102 - our own docstring, run as documented
        return namespace["fal_hook"]()

    assert run(body, headers) == ("", 204)
    message, status = run(body.replace(b'"OK"', b'"ERROR"'), headers)
    assert status == 400 and "signature" in message
