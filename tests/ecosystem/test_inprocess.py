"""The in-process transports behave like a connection: streamed bodies, read timeouts, cut bodies, no other hosts."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from fal_queue import APITimeoutError
from fal_queue.mock import Faults
from fal_queue.testing import TEST_CONFIG, InProcessGateway, MockControl

MODEL = "fal-ai/flux-1/schnell"


@pytest.fixture
def gw() -> InProcessGateway:
    with InProcessGateway(TEST_CONFIG.replace(run_time=60.0)) as gateway:
        yield gateway


def _auth(gw: InProcessGateway) -> dict[str, str]:
    return {"Authorization": f"Bearer {gw.key}"}


def test_a_stream_delivers_events_before_the_job_ends(gw: InProcessGateway) -> None:
    with httpx.Client(transport=gw.transport(), base_url=gw.base_url, headers=_auth(gw)) as http:
        rid = http.post(f"/{MODEL}", json={"prompt": "x"}).json()["request_id"]
        with http.stream("GET", f"/fal-ai/flux-1/requests/{rid}/status/stream", timeout=10) as response:
            assert response.status_code == 200
            first = next(response.iter_lines())
        assert json.loads(first.removeprefix("data: "))["status"] in {"IN_QUEUE", "IN_PROGRESS"}
    assert MockControl(gw).job(rid)["status"] != "COMPLETED"  # the job runs on; we left early


def test_a_silent_answer_ends_in_a_read_timeout(gw: InProcessGateway) -> None:
    gw.set_faults(Faults(slow=1.0, slow_seconds=30.0, operations={"status"}))
    with httpx.Client(transport=gw.transport(), base_url=gw.base_url, headers=_auth(gw)) as http:
        rid = http.post(f"/{MODEL}", json={"prompt": "x"}).json()["request_id"]
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            http.get(f"/fal-ai/flux-1/requests/{rid}/status", timeout=0.3)
        assert time.monotonic() - started < 10
    with gw.client(max_retries=0, timeout=0.3) as client, pytest.raises(APITimeoutError):
        client.status(MODEL, rid)


def test_a_dropped_body_is_a_protocol_error(gw: InProcessGateway) -> None:
    gw.set_faults(Faults(drop=1.0, operations={"status"}))
    with httpx.Client(transport=gw.transport(), base_url=gw.base_url, headers=_auth(gw)) as http:
        rid = http.post(f"/{MODEL}", json={"prompt": "x"}).json()["request_id"]
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(f"/fal-ai/flux-1/requests/{rid}/status")


def test_other_origins_are_unreachable(gw: InProcessGateway) -> None:
    with (
        httpx.Client(transport=gw.transport()) as http,
        pytest.raises(httpx.ConnectError, match="nothing serves"),
    ):
        http.get("https://queue.fal.run/fal-ai/flux-1/requests/x/status")


def test_async_transport_streams_too(gw: InProcessGateway) -> None:
    async def main() -> str:
        async with httpx.AsyncClient(
            transport=gw.async_transport(), base_url=gw.base_url, headers=_auth(gw)
        ) as http:
            rid = (await http.post(f"/{MODEL}", json={"prompt": "x"})).json()["request_id"]
            async with http.stream("GET", f"/fal-ai/flux-1/requests/{rid}/status/stream") as response:
                async for line in response.aiter_lines():
                    return line
        return ""

    assert asyncio.run(main()).startswith("data: ")
