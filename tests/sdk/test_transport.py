"""Retry rules, checked at the transport with scripted answers (no network, no real sleeping)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fal_queue import AsyncClient, Client
from fal_queue import errors as E
from fal_queue._transport import RetryPolicy

SUBMITTED = {
    "request_id": "rid-1",
    "response_url": "https://queue.fal.run/fal-ai/flux-1/requests/rid-1",
    "status_url": "https://queue.fal.run/fal-ai/flux-1/requests/rid-1/status",
    "cancel_url": "https://queue.fal.run/fal-ai/flux-1/requests/rid-1/cancel",
}
Script = list[Callable[[httpx.Request], httpx.Response]]


def _raise(exc: type[Exception]) -> Callable[[httpx.Request], httpx.Response]:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc("scripted", request=request)  # type: ignore[call-arg]

    return fail


def _status(
    code: int, body: Any = None, headers: dict[str, str] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(
        code, json=body if body is not None else {"detail": "x"}, headers=headers
    )


class Recorder:
    def __init__(self, script: Script) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        return step(request)


def run(mode: str, script: Script, call: str, *args: Any, **kwargs: Any) -> tuple[Any, Recorder, list[float]]:
    """Run one client method in sync or async mode against a scripted transport."""
    recorder = Recorder(script)
    sleeps: list[float] = []
    if mode == "sync":
        client = Client("http://127.0.0.1:1", "k", transport=httpx.MockTransport(recorder), max_retries=3)
        client._sleep = sleeps.append
        try:
            return getattr(client, call)(*args, **kwargs), recorder, sleeps
        finally:
            client.close()

    async def go() -> Any:
        async def fake_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        aclient = AsyncClient(
            "http://127.0.0.1:1", "k", transport=httpx.MockTransport(recorder), max_retries=3
        )
        aclient._sleep = fake_sleep
        async with aclient:
            return await getattr(aclient, call)(*args, **kwargs)

    return asyncio.run(go()), recorder, sleeps


MODES = pytest.mark.parametrize("mode", ["sync", "async"])


@MODES
@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError]
)
def test_submit_is_never_resent_once_it_may_have_reached_the_server(mode: str, exc: type[Exception]) -> None:
    with pytest.raises(E.APIConnectionError) as info:
        run(mode, [_raise(exc), _status(200, SUBMITTED)], "submit", "fal-ai/flux-1/dev", {"prompt": "x"})
    assert isinstance(info.value, E.SubmitUncertainError)
    assert "not resubmitted" in str(info.value)


@MODES
@pytest.mark.parametrize("exc", [httpx.ConnectError, httpx.ConnectTimeout])
def test_submit_is_resent_when_it_never_left(mode: str, exc: type[Exception]) -> None:
    handle, rec, sleeps = run(
        mode, [_raise(exc), _status(200, SUBMITTED)], "submit", "fal-ai/flux-1/dev", {"prompt": "x"}
    )
    assert handle.request_id == "rid-1" and len(rec.requests) == 2 and len(sleeps) == 1


@MODES
@pytest.mark.parametrize("code", [429, 503])
def test_submit_is_resent_when_the_server_queued_nothing(mode: str, code: int) -> None:
    script = [_status(code, headers={"Retry-After": "2"}), _status(200, SUBMITTED)]
    handle, rec, sleeps = run(mode, script, "submit", "fal-ai/flux-1/dev", {"prompt": "x"})
    assert handle.request_id == "rid-1" and len(rec.requests) == 2
    assert sleeps == [2.0]  # Retry-After honoured


@MODES
@pytest.mark.parametrize("code", [500, 502, 504, 408])
def test_submit_is_not_resent_on_ambiguous_errors(mode: str, code: int) -> None:
    with pytest.raises(E.APIStatusError) as info:
        run(mode, [_status(code), _status(200, SUBMITTED)], "submit", "fal-ai/flux-1/dev", {"prompt": "x"})
    assert info.value.status_code == code


@MODES
@pytest.mark.parametrize(
    "first",
    [
        _raise(httpx.ReadTimeout),
        _raise(httpx.RemoteProtocolError),
        _raise(httpx.ConnectError),
        _status(500),
        _status(502),
        _status(503),
        _status(429),
        _status(408),
    ],
)
def test_status_is_retried_on_transient_failures(
    mode: str, first: Callable[[httpx.Request], httpx.Response]
) -> None:
    ok = _status(202, {"status": "IN_PROGRESS"})
    status, rec, sleeps = run(mode, [first, first, ok], "status", "fal-ai/flux-1/dev", "rid-1")
    assert status.raw["status"] == "IN_PROGRESS" and len(rec.requests) == 3 and len(sleeps) == 2


@MODES
def test_retries_stop_after_max_retries_and_raise_typed(mode: str) -> None:
    with pytest.raises(E.ServerError) as info:
        run(mode, [_status(503)], "result", "fal-ai/flux-1/dev", "rid-1")
    assert info.value.request_id == "rid-1"


@MODES
def test_per_call_max_retries(mode: str) -> None:
    with pytest.raises(E.ServerError):
        _, rec, _ = run(mode, [_status(503)], "status", "fal-ai/flux-1/dev", "rid-1", max_retries=0)
    recorder = Recorder([_status(503)])
    client = Client("http://127.0.0.1:1", "k", transport=httpx.MockTransport(recorder), max_retries=5)
    client._sleep = lambda s: None
    with pytest.raises(E.ServerError):
        client.status("fal-ai/flux-1/dev", "rid-1", max_retries=1)
    assert len(recorder.requests) == 2
    with pytest.raises(E.ServerError):
        client.with_options(max_retries=0).status("fal-ai/flux-1/dev", "rid-1")
    assert len(recorder.requests) == 3


@MODES
def test_user_start_timeout_is_never_retried(mode: str) -> None:
    script = [
        _status(
            504,
            {"detail": "timeout", "error_type": "request_timeout"},
            {"X-Fal-Request-Timeout-Type": "user"},
        )
    ]
    with pytest.raises(E.ServerError) as info:
        run(mode, script, "result", "fal-ai/flux-1/dev", "rid-1")
    assert info.value.error_type == "request_timeout"


@MODES
def test_retryable_false_header_stops_retries(mode: str) -> None:
    with pytest.raises(E.ServerError):
        _, rec, _ = run(
            mode, [_status(500, headers={"X-Fal-Retryable": "false"})], "result", "fal-ai/flux-1/dev", "r"
        )


def test_backoff_grows_and_is_capped_with_jitter() -> None:
    import random

    policy = RetryPolicy(initial_delay=0.5, max_delay=4.0, jitter=(0.75, 1.0))
    rng = random.Random(1)
    delays = [policy.backoff(n, rng) for n in range(1, 8)]
    assert 0.375 <= delays[0] <= 0.5
    assert all(d <= 4.0 for d in delays) and delays[-1] >= 3.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "9999"}, 60.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_parsing(headers: dict[str, str], expected: float | None) -> None:
    assert RetryPolicy().retry_after(httpx.Response(429, headers=headers)) == expected


def test_retry_after_http_date() -> None:
    import email.utils
    import time

    date = email.utils.formatdate(time.time() + 10, usegmt=True)
    value = RetryPolicy().retry_after(httpx.Response(429, headers={"retry-after": date}))
    assert value is not None and 5 <= value <= 10


@MODES
def test_undocumented_body_gives_a_typed_error_not_a_traceback(mode: str) -> None:
    page = {"content-type": "text/html", "set-cookie": "s=1", "x-echo": "k"}
    script: Script = [lambda r: httpx.Response(200, text="<html>hello</html>", headers=page)]
    with pytest.raises(E.APIResponseValidationError) as info:
        run(mode, script, "status", "fal-ai/flux-1/dev", "rid-1")
    assert info.value.status_code == 200 and info.value.request_id == "rid-1"
    # The headers say what answered (a web page), with the key redacted and no cookies kept.
    assert info.value.headers["content-type"] == "text/html"
    assert "set-cookie" not in info.value.headers and info.value.headers["x-echo"] != "k"


@MODES
def test_unknown_status_code_maps_to_status_error(mode: str) -> None:
    with pytest.raises(E.APIStatusError) as info:
        run(mode, [_status(499, {"detail": "client closed"})], "cancel", "fal-ai/flux-1/dev", "rid-1")
    assert info.value.status_code == 499


@MODES
def test_extra_headers_and_platform_options_are_sent(mode: str) -> None:
    handle, rec, _ = run(
        mode,
        [_status(200, SUBMITTED)],
        "submit",
        "fal-ai/flux-1/dev",
        {"prompt": "x"},
        headers={"X-Trace": "t1"},
        priority="low",
        hint="h",
        start_timeout=12,
        no_retry=True,
        object_lifecycle=3600,
        store_io=False,
        webhook_url="https://hooks.example/x",
    )
    sent = rec.requests[0]
    assert sent.headers["X-Trace"] == "t1"
    assert sent.headers["X-Fal-Queue-Priority"] == "low"
    assert sent.headers["X-Fal-Runner-Hint"] == "h"
    assert float(sent.headers["X-Fal-Request-Timeout"]) == 12
    assert sent.headers["X-Fal-No-Retry"] == "1"
    assert sent.headers["X-Fal-Object-Lifecycle-Preference"] == '{"expiration_duration_seconds": 3600}'
    assert sent.headers["X-Fal-Store-IO"] == "0"
    assert sent.url.params["fal_webhook"] == "https://hooks.example/x"
    assert sent.headers["Authorization"] == "Bearer k"
    assert handle.status_url == "http://127.0.0.1:1/fal-ai/flux-1/requests/rid-1/status"


@MODES
def test_untyped_model_submit_sends_the_same_options(mode: str) -> None:
    _, rec, _ = run(
        mode,
        [_status(200, SUBMITTED)],
        "submit",
        "fal-ai/wan/video",
        {"x": 1},
        priority="low",
        webhook_url="https://h/x",
    )
    sent = rec.requests[0]
    assert sent.url.path == "/fal-ai/wan/video" and sent.headers["X-Fal-Queue-Priority"] == "low"
    assert sent.url.params["fal_webhook"] == "https://h/x"


@MODES
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"priority": "urgent"}, "priority"),
        ({"start_timeout": -1}, "start_timeout"),
        ({"headers": {"Authorization": "x"}}, "cannot be overridden"),
        ({"webhook_url": "ftp://x"}, "webhook_url"),
        ({"priorty": "low"}, "unknown submit option"),
    ],
)
def test_bad_options_fail_before_sending(mode: str, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(E.InvalidInputError, match=match):
        _, rec, _ = run(
            mode, [_status(200, SUBMITTED)], "submit", "fal-ai/flux-1/dev", {"prompt": "x"}, **kwargs
        )


def _html(code: int) -> Callable[[httpx.Request], httpx.Response]:
    page = b"<!DOCTYPE html><html><body><h1>Error</h1></body></html>"
    return lambda request: httpx.Response(code, content=page, headers={"content-type": "text/html"})


@MODES
def test_an_html_page_is_described_and_called_transient_only_from_an_ingress(mode: str) -> None:
    # 502 from an ingress in front of the gateway: transient (and retried until the retries run out).
    with pytest.raises(E.ServerError) as ingress:
        run(mode, [_html(502)], "result", "fal-ai/flux-1/dev", "r")
    assert "HTTP 502 with an HTML page (text/html)" in ingress.value.message
    assert "usually transient" in ingress.value.message
    # 404 from a web server that is not a gateway (a wrong base URL): not transient, says what to check.
    with pytest.raises(E.NotFoundError) as wrong:
        run(mode, [_html(404)], "result", "fal-ai/flux-1/dev", "r")
    assert "HTTP 404 with an HTML page (text/html)" in wrong.value.message
    assert "transient" not in wrong.value.message and "base URL" in wrong.value.message


def test_a_refused_submit_pauses_the_next_submits_of_the_client_across_threads() -> None:
    """The sync client has no window, but a 429's Retry-After holds every submit of the client."""
    import threading

    queued = {"status": "IN_QUEUE", "request_id": "rid-1", "queue_position": 0}
    refused = _status(429, headers={"Retry-After": "2"})
    recorder = Recorder([refused, _status(200, SUBMITTED), _status(200, SUBMITTED), _status(200, queued)])
    sleeps: list[float] = []
    client = Client("http://127.0.0.1:1", "k", transport=httpx.MockTransport(recorder), max_retries=3)
    client._sleep = sleeps.append
    client.submit("fal-ai/flux-1/dev", {"prompt": "refused once"})
    assert sleeps == [2.0]  # its own Retry-After
    other = threading.Thread(target=client.submit, args=("fal-ai/flux-1/dev", {"prompt": "another"}))
    other.start()
    other.join(timeout=60)
    assert len(sleeps) == 2 and 1.0 < sleeps[1] <= 2.0  # the rest of the pause, in another thread
    assert len(recorder.requests) == 3
    status = client.status("fal-ai/flux-1/dev", "rid-1")  # status polls are never paused
    assert status is not None and len(sleeps) == 2
    client.close()


@pytest.mark.parametrize(
    ("code", "body", "refused"),
    [
        (429, "{}", True),
        (400, "Too Many Requests", True),
        (420, "rate limit exceeded", True),
        (403, "rate limit", False),
    ],
)
def test_too_many_requests_in_other_words_is_a_refusal(code: int, body: str, refused: bool) -> None:
    request = httpx.Request("POST", "https://gw.example/fal-ai/flux-1/dev")
    response = httpx.Response(code, text=body, request=request)
    assert RetryPolicy().is_refusal(response) is refused
    assert RetryPolicy().should_retry_response(request, response) is refused
