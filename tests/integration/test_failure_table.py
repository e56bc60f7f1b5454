"""Every public method of both clients, through a table of injected failures: only documented
error types come out, each naming the request id when one exists, none showing the key.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fal_queue import RetryPolicy
from fal_queue import errors as E
from fal_queue.types import File

KEY = "canary-key-5e1f-9b2c"
RID = "rid-table-1"
MODEL = "fal-ai/flux-1/schnell"
BASE = "http://127.0.0.1:1"
FAST = RetryPolicy(initial_delay=0.001, max_delay=0.002)
DOCUMENTED = {
    obj for name in E.__all__ if inspect.isclass(obj := getattr(E, name)) and issubclass(obj, Exception)
}
SUBMITTED = {
    "request_id": RID,
    "status": "IN_QUEUE",
    "response_url": f"https://queue.fal.run/fal-ai/flux-1/requests/{RID}",
    "status_url": f"https://queue.fal.run/fal-ai/flux-1/requests/{RID}/status",
    "cancel_url": f"https://queue.fal.run/fal-ai/flux-1/requests/{RID}/cancel",
}
COMPLETED = {**SUBMITTED, "status": "COMPLETED"}
Answer = Callable[[httpx.Request], httpx.Response]


def _raise(exc: type[Exception]) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        if issubclass(exc, httpx.RequestError):
            raise exc("injected", request=request)
        raise exc("injected")

    return answer


def _status(code: int, **kwargs: Any) -> Answer:
    return lambda request: httpx.Response(code, **kwargs)


FAILURES: dict[str, Answer] = {
    "400": _status(400, json={"detail": "bad"}),
    "401-echo": _status(
        401, json={"detail": f"bad key {KEY}"}, headers={"WWW-Authenticate": f"Bearer {KEY}"}
    ),
    "403": _status(403, json={"detail": "no"}),
    "404": _status(404, json={"detail": "gone"}),
    "422": _status(422, json={"detail": [{"loc": ["body", "prompt"], "msg": "bad", "type": "x"}]}),
    "429-nan": _status(429, json={"detail": "slow"}, headers={"Retry-After": "nan", "retry-after-ms": "NaN"}),
    "429-negative": _status(429, json={"detail": "slow"}, headers={"Retry-After": "-5"}),
    "500": _status(500, json={"detail": "Internal Server Error"}),
    "502-html": _status(502, text="<html>bad gateway</html>", headers={"content-type": "text/html"}),
    "200-not-json": _status(200, text="<html>ok</html>"),
    "200-array": _status(200, json=[1, 2]),
    "200-empty": _status(200, content=b""),
    "connect-error": _raise(httpx.ConnectError),
    "read-timeout": _raise(httpx.ReadTimeout),
    "protocol-error": _raise(httpx.RemoteProtocolError),
    "too-many-redirects": _raise(httpx.TooManyRedirects),
    "decoding-error": _raise(httpx.DecodingError),
}


def _gateway_answer(failure: Answer, fail_submit: bool) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and not fail_submit:
            return httpx.Response(202, json=SUBMITTED)
        return failure(request)

    return answer


class _Gateway:
    base_url = BASE
    key = KEY


CALLS: dict[str, tuple[Callable[[Any, Path], Any], bool]] = {
    # name: (call, whether a request id exists when it fails)
    "submit": (lambda c, d: c.submit(MODEL, {"prompt": "x"}), False),
    "status": (lambda c, d: c.status(MODEL, RID, logs=True), True),
    "result": (lambda c, d: c.result(MODEL, RID), True),
    "cancel": (lambda c, d: c.cancel(MODEL, RID), True),
    "iter_events": (lambda c, d: list(c.iter_events(MODEL, RID, timeout=10)), True),
    "subscribe": (lambda c, d: c.subscribe(MODEL, {"prompt": "x"}, timeout=10), True),
    "handle.get": (lambda c, d: c.get_handle(MODEL, RID).get(timeout=10), True),
    "handle.wait-poll": (lambda c, d: c.get_handle(MODEL, RID).wait(timeout=10, mode="poll"), True),
    "handle.status": (lambda c, d: c.get_handle(MODEL, RID).status(), True),
    "handle.result": (lambda c, d: c.get_handle(MODEL, RID).result(), True),
    "handle.cancel": (lambda c, d: c.get_handle(MODEL, RID).cancel(), True),
    "download": (lambda c, d: c.download(File(url="https://cdn.example/f/a.png"), d), False),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
@pytest.mark.parametrize("call", sorted(CALLS))
def test_only_documented_errors_come_out(sdk: Any, failure: str, call: str, tmp_path: Path) -> None:
    run, has_id = CALLS[call]
    transport = httpx.MockTransport(_gateway_answer(FAILURES[failure], fail_submit=call == "submit"))
    client = sdk(_Gateway(), transport=transport, max_retries=1, retry_policy=FAST)
    error: Exception | None = None
    try:
        run(client, tmp_path)
    except Exception as exc:  # the point is to look at whatever comes out
        error = exc
    assert not list(tmp_path.rglob("*.part")), "a temporary file was left behind"
    if error is None:
        # Only answers a method may legitimately accept end without an error.
        assert (call, failure) in _ACCEPTED, f"{call} accepted {failure}"
        return
    assert isinstance(error, E.FalQueueError), f"{type(error).__module__}.{type(error).__name__}: {error}"
    assert type(error) in DOCUMENTED, f"undocumented error type {type(error).__name__}"
    if has_id:
        assert error.request_id == RID, f"{type(error).__name__} lost the request id: {error}"
    assert KEY not in f"{error} {error!r} {vars(error)}", "the key leaked into the error"
    assert not [p for p in tmp_path.rglob("*") if p.is_file()], "a partial file was left behind"


#: A 400 to cancel is "ALREADY_COMPLETED" only with that status; a download of a file from a host
#: that answers 200 with any body is a saved file (the media host is not the gateway).
_ACCEPTED = {
    ("download", "200-not-json"),
    ("download", "200-array"),
    ("download", "200-empty"),
}
