"""The status stream (SSE) and completion webhooks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fal_queue.mock import Faults
from mockhttp import client_for, submit, wait_done


def read_stream(
    c: httpx.Client, path: str, **params: str
) -> tuple[list[dict[str, Any]], list[str], list[float]]:
    """Events, comments and the arrival time of each event, until the server closes the stream."""
    events: list[dict[str, Any]] = []
    comments: list[str] = []
    arrivals: list[float] = []
    with c.stream("GET", path, params=params) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-fal-request-id"]
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                arrivals.append(time.time())
            elif line.startswith(":"):
                comments.append(line)
            else:
                assert line == "", line
    return events, comments, arrivals


def test_stream_sends_every_change_and_closes_after_completed(make_gateway: Any) -> None:
    # One worker: the first job holds it, so the second waits ahead of the third. Pings are rare, so
    # an event that arrives soon after a change was pushed, not found at the next ping.
    gw = make_gateway(workers=1, queue_delay=0.02, run_time=2.0, ping_interval=60.0)
    with client_for(gw) as c:
        first = submit(c)
        _wait_for_status(gw, first["request_id"], "IN_PROGRESS")
        second = submit(c)
        third = submit(c)
        events, _, arrivals = read_stream(c, f"/fal-ai/flux-1/requests/{third['request_id']}/status/stream")
        statuses = [e["status"] for e in events]
        assert statuses[0] == "IN_QUEUE" and statuses[-1] == "COMPLETED"
        assert statuses.count("COMPLETED") == 1
        assert "IN_PROGRESS" in statuses
        positions = [e["queue_position"] for e in events if e["status"] == "IN_QUEUE"]
        assert positions == sorted(positions, reverse=True) and positions[-1] == 0  # counts down
        first_info = gw.job(first["request_id"])
        assert first_info is not None and first_info["status"] == "COMPLETED"
        if arrivals[0] < first_info["completed_at"]:  # the stream opened while the first job ran
            assert positions[0] == 1 and 0 in positions  # one job ahead, then none
        assert all(e["request_id"] == third["request_id"] for e in events)
        assert events[-1]["metrics"]["inference_time"] > 0 and events[-1]["logs"] is None
        # Pushed at once: without the push the completion would wait for the next ping, 60 s away.
        info = gw.job(third["request_id"])
        assert info is not None
        assert arrivals[-1] - info["completed_at"] < 30
        assert gw.job(second["request_id"])["status"] == "COMPLETED"


def _wait_for_status(gw: Any, request_id: str, status: str) -> None:
    """Wait (bounded) until the gateway reports the job in ``status``, observed, never assumed."""
    deadline = time.monotonic() + 30
    while (info := gw.job(request_id)) is None or info["status"] != status:
        assert time.monotonic() < deadline, f"{request_id} never reached {status}: {info}"
        time.sleep(0.01)


def test_stream_with_logs_and_pings(make_gateway: Any) -> None:
    gw = make_gateway(queue_delay=0.0, run_time=0.5, ping_interval=0.1)
    with client_for(gw) as c:
        job = submit(c)
        events, comments, _ = read_stream(
            c, f"/fal-ai/flux-1/requests/{job['request_id']}/status/stream", logs="1"
        )
        assert ": ping" in comments and len(comments) >= 2
        running = [e for e in events if e["status"] == "IN_PROGRESS"]
        assert running and all(isinstance(e["logs"], list) for e in events)
        # Incremental like fal: each event carries only the lines new since the previous event, so
        # the events together hold every line exactly once, in order; polling returns them all.
        streamed = [line for e in events for line in e["logs"]]
        polled = c.get(f"/fal-ai/flux-1/requests/{job['request_id']}/status", params={"logs": "1"}).json()
        assert streamed == polled["logs"] and len(streamed) >= 3
        assert all(len(e["logs"]) <= 2 for e in events)  # never the whole list again
        assert sum(1 for e in events if e["logs"]) >= 2


def test_stream_of_a_completed_job_is_one_event(http: httpx.Client) -> None:
    job = submit(http)
    wait_done(http, "fal-ai/flux-1", job["request_id"])
    events, _, _ = read_stream(http, f"/fal-ai/flux-1/requests/{job['request_id']}/status/stream")
    assert [e["status"] for e in events] == ["COMPLETED"]


def test_stream_errors_are_plain_json(http: httpx.Client) -> None:
    missing = http.get("/fal-ai/flux-1/requests/nope/status/stream")
    assert missing.status_code == 404 and missing.json()["error_type"] == "not_found"
    invalid = http.get("/fal-ai/flux-1/requests/nope/status/stream", params={"logs": "maybe"})
    assert invalid.status_code == 422


def test_stream_learns_of_a_cancel_at_once(make_gateway: Any) -> None:
    gw = make_gateway(queue_delay=0.0, run_time=300.0, ping_interval=60.0)  # a ping would come too late
    with client_for(gw) as c, client_for(gw) as other:
        job = submit(c)
        path = f"/fal-ai/flux-1/requests/{job['request_id']}"
        timer = threading.Timer(0.2, lambda: other.put(f"{path}/cancel"))
        timer.start()
        started = time.monotonic()
        events, _, _ = read_stream(c, f"{path}/status/stream")
        timer.join()
        assert time.monotonic() - started < 30
        assert events[-1]["status"] == "COMPLETED" and events[-1]["error_type"] == "client_cancelled"


def test_stopping_the_gateway_ends_open_streams(make_gateway: Any) -> None:
    gw = make_gateway(queue_delay=0.0, run_time=300.0)
    c = client_for(gw)
    job = submit(c)
    result: list[Any] = []

    def follow() -> None:
        try:
            result.append(read_stream(c, f"/fal-ai/flux-1/requests/{job['request_id']}/status/stream"))
        except httpx.HTTPError as exc:
            result.append(exc)

    reader = threading.Thread(target=follow)
    reader.start()
    time.sleep(0.2)
    started = time.monotonic()
    gw.stop()
    reader.join(60)
    assert not reader.is_alive() and time.monotonic() - started < 60
    c.close()


# ---- webhooks ----


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], Any]] = []
        self.arrived = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.received.append((dict(self.headers), json.loads(body)))
                outer.arrived.set()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.received) >= count, self.received


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_webhook_delivers_the_result(http: httpx.Client, receiver: Receiver) -> None:
    job = submit(http, body={"prompt": "hook", "image_size": "square"}, params={"fal_webhook": receiver.url})
    receiver.wait(1)
    headers, payload = receiver.received[0]
    assert payload["request_id"] == payload["gateway_request_id"] == job["request_id"]
    assert payload["status"] == "OK" and payload["error"] is None and payload["payload_error"] is None
    assert payload["payload"] == http.get(f"/fal-ai/flux-1/requests/{job['request_id']}").json()
    assert headers["X-Fal-Webhook-Request-Id"] == job["request_id"]
    assert "Authorization" not in headers  # the key never goes to the webhook


def test_webhook_reports_failures(make_gateway: Any, receiver: Receiver) -> None:
    gw = make_gateway()
    gw.set_faults(Faults(job_failure=1.0))
    with client_for(gw) as c:
        submit(c, params={"fal_webhook": receiver.url})
        receiver.wait(1)
        payload = receiver.received[0][1]
        assert payload["status"] == "ERROR" and payload["error"]
        assert payload["payload"]["detail"]
        # The mock counts a delivery once the receiver's answer is in: wait for that, not for time.
        deadline = time.monotonic() + 30
        while gw.stats()["webhooks_delivered"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gw.stats()["webhooks_delivered"] == 1


@pytest.mark.parametrize("url", ["http://localhost:9/h", "http://127.0.0.5:9/h", "http://[::1]:9/h"])
def test_loopback_webhooks_are_accepted(http: httpx.Client, url: str) -> None:
    assert http.post("/a/b", json={}, params={"fal_webhook": url}).status_code == 200


def test_webhooks_can_be_disabled(make_gateway: Any) -> None:
    gw = make_gateway(allow_webhooks=False)
    with client_for(gw) as c:
        response = c.post("/a/b", json={}, params={"fal_webhook": "http://127.0.0.1:9/h"})
        assert response.status_code == 422
