"""HTTP helpers for the mock's tests (imported as a plain module: tests/mock is on sys.path)."""

from __future__ import annotations

import time
from typing import Any

import httpx
from fal_queue.mock import MockGateway


def client_for(gw: MockGateway, **kwargs: Any) -> httpx.Client:
    kwargs.setdefault("headers", {"Authorization": f"Bearer {gw.key}"})
    kwargs.setdefault("timeout", 10.0)
    return httpx.Client(base_url=gw.base_url, trust_env=False, **kwargs)


def submit(
    c: httpx.Client, model: str = "fal-ai/flux-1/dev", body: Any = None, **kwargs: Any
) -> dict[str, Any]:
    response = c.post(f"/{model}", json={"prompt": "a cat"} if body is None else body, **kwargs)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def wait_done(c: httpx.Client, app: str, request_id: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = c.get(f"/{app}/requests/{request_id}/status")
        body: dict[str, Any] = response.json()
        if body["status"] == "COMPLETED":
            assert response.status_code == 200
            return body
        assert response.status_code == 202
        time.sleep(0.005)
    raise AssertionError(f"{request_id} did not complete in {timeout} s")


def run(
    c: httpx.Client, model: str = "fal-ai/flux-1/dev", body: Any = None, app: str | None = None
) -> httpx.Response:
    """Submit, wait for completion and return the result response."""
    job = submit(c, model, body)
    app = app or "/".join(model.split("/")[:2])
    wait_done(c, app, job["request_id"])
    return c.get(f"/{app}/requests/{job['request_id']}")
