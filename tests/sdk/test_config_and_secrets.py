"""Configuration precedence, refusal of unsafe settings, and the fake-key canary (unit level)."""

from __future__ import annotations

import logging

import httpx
import pytest
from fal_queue import Client, ConfigurationError
from fal_queue import errors as E

CANARY = "canary-key-7f3a9c"


def test_arguments_beat_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_QUEUE_BASE_URL", "https://env.example")
    monkeypatch.setenv("FAL_QUEUE_KEY", "env-key")
    monkeypatch.setenv("FAL_QUEUE_MAX_RETRIES", "7")
    assert Client().base_url == "https://env.example" and Client().max_retries == 7
    assert Client("https://arg.example/", max_retries=1).base_url == "https://arg.example"


@pytest.mark.parametrize(
    ("kwargs", "env", "match"),
    [
        ({}, {}, "base_url"),
        ({"base_url": "https://x.example"}, {}, "API key"),
        ({"base_url": "http://gw.example.com", "api_key": "k"}, {}, "plain http"),
        ({"base_url": "https://x.example", "api_key": "k", "auth_scheme": "basic"}, {}, "auth_scheme"),
        ({"base_url": "https://x.example", "api_key": "k", "max_retries": -1}, {}, "max_retries"),
        ({"base_url": "https://x.example", "api_key": "k", "wait_mode": "sleepy"}, {}, "wait_mode"),
        (
            {"base_url": "https://x.example", "api_key": "k"},
            {"FAL_QUEUE_TIMEOUT": "soon"},
            "FAL_QUEUE_TIMEOUT",
        ),
        ({"base_url": "https://x.example", "api_key": "a\nb"}, {}, "line break"),
    ],
)
def test_bad_configuration_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, kwargs: dict, env: dict, match: str
) -> None:
    for name in ("FAL_QUEUE_BASE_URL", "FAL_QUEUE_KEY", "FAL_QUEUE_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=match):
        Client(**kwargs)


def test_allow_http_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Client("http://gw.example.com", "k", allow_http=True).base_url == "http://gw.example.com"
    monkeypatch.setenv("FAL_QUEUE_ALLOW_HTTP", "1")
    assert Client("http://gw.example.com", "k").base_url == "http://gw.example.com"


def test_key_scheme_for_fal_itself() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(202, json={"status": "IN_QUEUE", "queue_position": 1})

    Client("https://gw.example", "k1", auth_scheme="key", transport=httpx.MockTransport(handler)).status(
        "a/b", "r"
    )
    assert seen == ["Key k1"]


def test_canary_key_is_absent_from_reprs_logs_and_errors(caplog: pytest.LogCaptureFixture) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"detail": f"bad key {CANARY}"}, headers={"x-fal-request-id": "s1"})

    caplog.set_level(logging.DEBUG, logger="fal_queue")
    client = Client("https://gw.example", CANARY, transport=httpx.MockTransport(handler), max_retries=0)
    texts = [repr(client), str(client), repr(client._auth), repr(client._key), str(vars(client))]
    with pytest.raises(E.AuthenticationError) as info:
        client.status("fal-ai/flux-1/dev", "r")
    err = info.value
    texts += [str(err), repr(err), repr(err.body), repr(err.detail), repr(err.headers)]
    logging.getLogger("fal_queue").info("debugging with key %s", CANARY)
    texts += [r.getMessage() for r in caplog.records]
    assert caplog.records, "the logger recorded nothing, so the log check proves nothing"
    for text in texts:
        assert CANARY not in text


def test_an_unusable_success_answer_keeps_no_key_in_its_error() -> None:
    """A 2xx body that is not the documented shape is kept on the error, with the key scrubbed from it."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"echo": f"Bearer {CANARY}", "images": 7})

    client = Client("https://gw.example", CANARY, transport=httpx.MockTransport(handler), max_retries=0)
    with pytest.raises(E.APIResponseValidationError) as info:
        client.result("fal-ai/flux-1/dev", "r")
    err = info.value
    assert b"echo" in err.body  # the answer is still there to read
    for text in [str(err), repr(err), repr(err.body), repr(err.headers)]:
        assert CANARY not in text


def test_a_status_about_another_job_keeps_no_key_in_its_error() -> None:
    """The refused status answer is kept on RequestIdMismatchError, with the key scrubbed from it."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "IN_QUEUE", "request_id": "other", "echo": CANARY})

    client = Client("https://gw.example", CANARY, transport=httpx.MockTransport(handler), max_retries=0)
    with pytest.raises(E.RequestIdMismatchError) as info:
        client.status("fal-ai/flux-1/dev", "r")
    err = info.value
    assert err.received == "other" and b"echo" in err.body
    for text in [str(err), repr(err), repr(err.body)]:
        assert CANARY not in text


def test_key_goes_only_to_the_gateway_origin() -> None:
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[str(request.url)] = request.headers.get("authorization")
        return httpx.Response(200, json={})

    client = Client("https://gw.example/prefix", "k9", transport=httpx.MockTransport(handler))
    http = client._http
    http.get("https://gw.example/prefix/x")
    http.get("https://gw.example:443/other")
    http.get("https://evil.example/prefix/x")
    http.get("http://gw.example/prefix/x")
    http.get("https://queue.fal.run/fal-ai/flux-1/requests/r")
    assert seen == {
        "https://gw.example/prefix/x": "Bearer k9",
        "https://gw.example/other": "Bearer k9",
        "https://evil.example/prefix/x": None,
        "http://gw.example/prefix/x": None,
        "https://queue.fal.run/fal-ai/flux-1/requests/r": None,
    }


def test_fal_queue_log_switches_on_a_redacting_handler(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from fal_queue import _logging

    logger = logging.getLogger("fal_queue")
    saved = list(logger.handlers), logger.level
    monkeypatch.setenv("FAL_QUEUE_LOG", "debug")
    try:
        script = iter([httpx.Response(503, text="busy"), httpx.Response(202, json={"status": "IN_QUEUE"})])
        client = Client("https://gw.example", CANARY, transport=httpx.MockTransport(lambda r: next(script)))
        client._sleep = lambda s: None
        client.status("fal-ai/flux-1/dev", "r1")
        logger.warning("oops %s", CANARY)
        err = capfd.readouterr().err
        assert "retrying GET /fal-ai/flux-1/requests/r1/status" in err
        assert "oops **********" in err and CANARY not in err
        assert any(getattr(h, "_fal_queue", False) for h in logger.handlers)
    finally:
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])
        assert _logging.logger is logger
