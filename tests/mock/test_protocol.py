"""The mock's queue protocol over loopback HTTP: auth, routing, validation, lifecycle, cancel, TTL."""

from __future__ import annotations

import itertools
import time
from typing import Any

import httpx
import pytest
from fal_queue.mock import MockConfig, MockGateway
from mockhttp import client_for, run, submit, wait_done

FOREIGN = "https://127.0.0.2:9"


def test_starts_fast_and_reports_its_origins() -> None:
    started = time.monotonic()
    with MockGateway(MockConfig()) as gw:
        assert time.monotonic() - started < 10  # no fixed sleeps: it waits for its sockets only
        assert gw.base_url.startswith("http://127.0.0.1:") and gw.media_url.startswith("http://127.0.0.1:")
        assert gw.base_url != gw.media_url
        assert gw.key == "mock-key"
        with client_for(gw) as c:
            assert c.get("/_mock/stats").status_code == 200
    assert not gw.running


# ---- auth ----


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "Key", "key"])
def test_bearer_and_fal_key_schemes_are_accepted(gateway: MockGateway, scheme: str) -> None:
    with httpx.Client(base_url=gateway.base_url, headers={"Authorization": f"{scheme} {gateway.key}"}) as c:
        assert c.post("/fal-ai/flux-1/schnell", json={"prompt": "x"}).status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong", "Key wrong", "Basic bW9jay1rZXk6", "mock-key", "Token mock-key"],
)
def test_anything_else_is_401_with_the_error_body(gateway: MockGateway, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    created = gateway.stats()["jobs_created"]
    with httpx.Client(base_url=gateway.base_url, headers=headers) as c:
        for method, path in [
            ("POST", "/fal-ai/flux-1/dev"),
            ("GET", "/fal-ai/flux-1/requests/abc/status"),
            ("GET", "/fal-ai/flux-1/requests/abc"),
            ("PUT", "/fal-ai/flux-1/requests/abc/cancel"),
            ("GET", "/fal-ai/flux-1/requests/abc/status/stream"),
            ("GET", "/_mock/stats"),
        ]:
            response = c.request(method, path, json={"prompt": "x"} if method == "POST" else None)
            assert response.status_code == 401, (method, path)
            assert response.json() == {
                "detail": "Missing or invalid Authorization header",
                "error_type": "unauthorized",
            }
            assert response.headers["x-fal-request-id"]
    assert gateway.stats()["jobs_created"] == created


def test_several_keys_and_a_custom_key(make_gateway: Any) -> None:
    gw = make_gateway(keys=("k1", "k2"))
    assert gw.key == "k1"
    for key, status in [("k1", 200), ("k2", 200), ("mock-key", 401)]:
        r = httpx.post(gw.base_url + "/a/b", json={}, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == status


# ---- routing ----


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/fal-ai/flux-1/dev", "POST"),
        ("PUT", "/fal-ai/flux-1/dev", "POST"),
        ("DELETE", "/some/model", "POST"),
        ("POST", "/fal-ai/flux-1/requests/abc/status", "GET"),
        ("DELETE", "/fal-ai/flux-1/requests/abc", "GET"),
        ("PATCH", "/fal-ai/flux-1/requests/abc/status/stream", "GET"),
        ("GET", "/fal-ai/flux-1/requests/abc/cancel", "PUT"),
        ("POST", "/fal-ai/flux-1/requests/abc/cancel", "PUT"),
        ("OPTIONS", "/fal-ai/flux-1/requests/abc", "GET"),
        ("TRACE", "/fal-ai/flux-1/requests/abc", "GET"),
        ("HEAD", "/fal-ai/flux-1/requests/abc/status", "GET"),
    ],
)
def test_unsupported_methods_get_405_with_allow(
    http: httpx.Client, method: str, path: str, allow: str
) -> None:
    response = http.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["x-fal-request-id"]


@pytest.mark.parametrize(
    "path", ["/", "/single", "/fal-ai/flux-1/requests", "/a/b/requests/x/y/z", "/_mock/nope"]
)
def test_unroutable_paths_are_404(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 404
    assert response.json()["error_type"] == "not_found"


def test_requests_live_under_the_app_and_other_apps_do_not_see_them(http: httpx.Client) -> None:
    job = submit(http, "fal-ai/flux-1/dev")
    rid = job["request_id"]
    assert job["status_url"] == f"{FOREIGN}/fal-ai/flux-1/requests/{rid}/status"
    assert http.get(f"/fal-ai/flux-1/requests/{rid}/status").status_code in (200, 202)
    for wrong in ("fal-ai/flux-pro", "fal-ai/flux-2", "other/flux-1"):
        assert http.get(f"/{wrong}/requests/{rid}/status").status_code == 404
        assert http.get(f"/{wrong}/requests/{rid}").status_code == 404
        assert http.put(f"/{wrong}/requests/{rid}/cancel").status_code == 404
    kontext = submit(http, "fal-ai/flux-pro/kontext/text-to-image", {"prompt": "x"})
    assert "/fal-ai/flux-pro/requests/" in kontext["response_url"]
    assert http.get(f"/fal-ai/flux-1/requests/{kontext['request_id']}/status").status_code == 404


def test_workflows_and_comfy_keep_three_segments(http: httpx.Client) -> None:
    for model, app in [
        ("workflows/alice/wf", "workflows/alice/wf"),
        ("comfy/bob/graph/run", "comfy/bob/graph"),
    ]:
        job = submit(http, model, {"anything": 1})
        assert job["response_url"] == f"{FOREIGN}/{app}/requests/{job['request_id']}"
        wait_done(http, app, job["request_id"])
        assert http.get(f"/{app}/requests/{job['request_id']}").status_code == 200
        # Two segments do not address it: that path is a model id (405 for GET), never the job.
        assert http.get(f"/{app.rsplit('/', 1)[0]}/requests/{job['request_id']}").status_code in (404, 405)


def test_trailing_slashes_are_tolerated(http: httpx.Client) -> None:
    response = http.post("/fal-ai/flux-1/schnell/", json={"prompt": "x"})
    assert response.status_code == 200
    rid = response.json()["request_id"]
    assert http.get(f"/fal-ai/flux-1/requests/{rid}/status/").status_code in (200, 202)
    wait_done(http, "fal-ai/flux-1", rid)
    assert http.get(f"/fal-ai/flux-1/requests/{rid}/").status_code == 200
    assert http.put(f"/fal-ai/flux-1/requests/{rid}/cancel/").status_code == 400


def test_gateway_url_style_points_at_the_mock(make_gateway: Any) -> None:
    gw = make_gateway(url_style="gateway")
    with client_for(gw) as c:
        job = submit(c)
        for key in ("response_url", "status_url", "cancel_url"):
            assert job[key].startswith(gw.base_url + "/fal-ai/flux-1/requests/")
        assert c.get(job["status_url"]).status_code in (200, 202)


def test_default_url_style_is_fal(make_gateway: Any) -> None:
    gw = make_gateway(upstream_origin="https://queue.fal.run")
    with client_for(gw) as c:
        assert submit(c)["status_url"].startswith("https://queue.fal.run/fal-ai/flux-1/requests/")


# ---- validation ----


def _detail(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"
    detail: list[dict[str, Any]] = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for item in detail:
        assert {"loc", "msg", "type"} <= set(item)
    return detail


def test_out_of_range_field_is_named_in_fal_shape(http: httpx.Client) -> None:
    detail = _detail(http.post("/fal-ai/flux-1/dev", json={"prompt": "x", "guidance_scale": 21}))
    assert detail == [
        {
            "loc": ["body", "guidance_scale"],
            "msg": "Input should be less than or equal to 20",
            "type": "less_than_equal",
            "ctx": {"le": 20},
            "input": 21,
        }
    ]


@pytest.mark.parametrize(
    "body", [{"output_format": "gif"}, {"image_size": "huge"}, {"acceleration": "turbo"}]
)
def test_enum_values_fal_may_add_are_accepted_like_fal(http: httpx.Client, body: dict[str, Any]) -> None:
    """The contract lists the known values of a setting and allows any string (fal adds values)."""
    response = http.post("/fal-ai/flux-1/dev", json={"prompt": "x", **body})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("model", "body", "loc", "type_"),
    [
        ("fal-ai/flux-1/dev", {}, ["body", "prompt"], "missing"),
        ("fal-ai/flux-1/dev", {"prompt": 3}, ["body", "prompt"], "string_type"),
        ("fal-ai/flux-1/dev", {"prompt": "x", "num_images": 5}, ["body", "num_images"], "less_than_equal"),
        (
            "fal-ai/flux-1/dev",
            {"prompt": "x", "image_size": {"width": 0}},
            ["body", "image_size", "width"],
            None,
        ),
        (
            "fal-ai/flux-1/schnell",
            {"prompt": "x", "num_inference_steps": 13},
            ["body", "num_inference_steps"],
            None,
        ),
        ("fal-ai/flux-pro/kontext", {"prompt": "x"}, ["body", "image_url"], "missing"),
        (
            "fal-ai/flux-pro/kontext/multi",
            {"prompt": "x", "image_urls": []},
            ["body", "image_urls"],
            "too_short",
        ),
        ("fal-ai/flux-pro/kontext/text-to-image", {"prompt": "x", "safety_tolerance": 2}, None, None),
        ("fal-ai/flux-1/dev", [], ["body"], "dict_type"),
        ("fal-ai/flux-1/dev", "text", ["body"], "dict_type"),
        ("fal-ai/flux-1/dev", None, ["body"], "dict_type"),
        ("some-owner/video-model", [1, 2], ["body"], "dict_type"),
    ],
)
def test_invalid_bodies_get_422_naming_the_field(
    http: httpx.Client, model: str, body: Any, loc: list[Any] | None, type_: str | None
) -> None:
    created = http.get("/_mock/stats").json()["jobs_created"]
    if body is None:
        response = http.post(f"/{model}", content=b"null", headers={"Content-Type": "application/json"})
    else:
        response = http.post(f"/{model}", json=body)
    detail = _detail(response)
    if loc is not None:
        assert any(item["loc"] == loc for item in detail), detail
    if type_ is not None:
        assert any(item["type"] == type_ for item in detail), detail
    assert http.get("/_mock/stats").json()["jobs_created"] == created


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"prompt": }', b"\xff\xfe\x00", b'{"prompt": NaN}', b'{"prompt": "x"} trailing', b"[" * 100_000],
)
def test_malformed_json_is_422_never_500(http: httpx.Client, raw: bytes) -> None:
    response = http.post("/fal-ai/flux-1/dev", content=raw, headers={"Content-Type": "application/json"})
    detail = _detail(response)
    assert detail[0]["type"] == "json_invalid" and detail[0]["loc"][0] == "body"
    assert "Traceback" not in response.text


def test_missing_body_and_foreign_content_type(http: httpx.Client) -> None:
    assert _detail(http.post("/fal-ai/flux-1/dev"))[0]["type"] == "missing"
    form = http.post(
        "/fal-ai/flux-1/dev",
        content=b"prompt=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert _detail(form)[0]["loc"] == ["body"]
    # No Content-Type at all: read as JSON, as FastAPI does.
    assert http.post("/fal-ai/flux-1/dev", content=b'{"prompt": "x"}').status_code == 200


@pytest.mark.parametrize(
    ("headers", "loc"),
    [
        ({"X-Fal-Request-Timeout": "soon"}, ["header", "X-Fal-Request-Timeout"]),
        ({"X-Fal-Request-Timeout": "0"}, ["header", "X-Fal-Request-Timeout"]),
        ({"X-Fal-Request-Timeout": "1"}, ["header", "X-Fal-Request-Timeout"]),
        ({"X-Fal-Request-Timeout": "1e-255"}, ["header", "X-Fal-Request-Timeout"]),
        ({"X-Fal-Request-Timeout": "inf"}, ["header", "X-Fal-Request-Timeout"]),
        ({"X-Fal-Request-Timeout": "1e999"}, ["header", "X-Fal-Request-Timeout"]),
        ({"X-Fal-Request-Start-Timeout": "0.5"}, ["header", "X-Fal-Request-Start-Timeout"]),
        (
            {"X-Fal-Request-Start-Timeout": "1.0", "X-Fal-Request-Timeout": "30"},
            ["header", "X-Fal-Request-Start-Timeout"],
        ),
        ({"X-Fal-No-Retry": "maybe"}, ["header", "X-Fal-No-Retry"]),
        ({"X-Fal-Store-IO": "2"}, ["header", "X-Fal-Store-IO"]),
    ],
)
def test_invalid_headers_are_422(http: httpx.Client, headers: dict[str, str], loc: list[str]) -> None:
    detail = _detail(http.post("/fal-ai/flux-1/dev", json={"prompt": "x"}, headers=headers))
    assert [item["loc"] for item in detail] == [loc]


def test_start_timeout_header_rejections_are_valid_json(http: httpx.Client) -> None:
    response = http.post("/fal-ai/flux-1/dev", json={"prompt": "x"}, headers={"X-Fal-Request-Timeout": "0.5"})
    assert response.status_code == 422
    assert "X-Fal-Request-Timeout" in response.text and "greater than 1" in response.text


@pytest.mark.parametrize("priority", ["normal", "low", "LOW", "high", "urgent", ""])
@pytest.mark.parametrize("no_retry", ["yes", "YES", "1", "true", "True", "no", "No", "0", "false", "FALSE"])
def test_fal_header_values_are_accepted_like_fal(http: httpx.Client, priority: str, no_retry: str) -> None:
    headers = {"X-Fal-Queue-Priority": priority, "X-Fal-No-Retry": no_retry}
    response = http.post("/fal-ai/flux-1/schnell", json={"prompt": "x"}, headers=headers)
    assert response.status_code == 200, response.text


def test_unknown_priority_is_normal_and_low_is_any_case(make_gateway: Any) -> None:
    gw = make_gateway(workers=1, queue_delay=0.05, run_time=0.05)
    with client_for(gw) as c:
        low = submit(c, headers={"X-Fal-Queue-Priority": "LOW"})
        high = submit(c, headers={"X-Fal-Queue-Priority": "high"})
        assert high["queue_position"] == 0  # ahead of the low one, like a normal job
        wait_done(c, "fal-ai/flux-1", low["request_id"])
        low_info, high_info = gw.job(low["request_id"]), gw.job(high["request_id"])
        assert low_info is not None and high_info is not None
        assert high_info["started_at"] < low_info["started_at"]


def test_valid_x_fal_headers_are_accepted(http: httpx.Client) -> None:
    headers = {
        "X-Fal-Request-Timeout": "30.5",
        "X-Fal-Queue-Priority": "normal",
        "X-Fal-Runner-Hint": "session-42",
        "X-Fal-No-Retry": "true",
        "X-Fal-Object-Lifecycle-Preference": '{"expiration_duration_seconds": 3600}',
        "X-Fal-Store-IO": "0",
    }
    assert http.post("/fal-ai/flux-1/dev", json={"prompt": "x"}, headers=headers).status_code == 200


def test_invalid_query_and_path_parameters_are_422(http: httpx.Client) -> None:
    job = submit(http)
    rid = job["request_id"]
    assert _detail(http.get(f"/fal-ai/flux-1/requests/{rid}/status", params={"logs": "yes"}))[0]["loc"] == [
        "query",
        "logs",
    ]
    assert _detail(http.get(f"/fal-ai/flux-1/requests/{rid}/status?logs=1&logs=0"))[0]["loc"] == [
        "query",
        "logs",
    ]
    assert _detail(http.get("/fal-ai/flux-1/requests/-bad/status"))[0]["loc"] == ["path", "request_id"]
    assert _detail(http.get("/fal-ai/fl%20ux/requests/abc"))[0]["loc"] == ["path", "app"]
    assert _detail(http.post("/fal-ai/fl%20ux/dev", json={}))[0]["loc"] == ["path", "app"]
    assert _detail(http.post("/fal-ai/flux-1/dev?fal_webhook=not%20a%20uri", json={"prompt": "x"}))[0][
        "loc"
    ] == [
        "query",
        "fal_webhook",
    ]


def test_unknown_models_take_any_json_object(http: httpx.Client) -> None:
    response = run(http, "acme/new-model/v2", {"whatever": [1, {"deep": True}], "prompt": "hello"})
    assert response.status_code == 200
    body = response.json()
    assert body["prompt"] == "hello" and len(body["images"]) == 1


# ---- lifecycle ----


def test_lifecycle_status_codes_logs_and_metrics(make_gateway: Any) -> None:
    # Seconds in each state, and the move to IN_PROGRESS is waited for: a loaded machine can be slow.
    gw = make_gateway(queue_delay=3.0, run_time=3.0)
    with client_for(gw) as c:
        job = submit(c)
        rid, base = job["request_id"], f"/fal-ai/flux-1/requests/{job['request_id']}"
        assert job["status"] == "IN_QUEUE" and job["queue_position"] == 0
        queued = c.get(f"{base}/status")
        assert queued.status_code == 202 and queued.json()["status"] == "IN_QUEUE"
        assert queued.json()["queue_position"] == 0 and queued.json()["logs"] is None
        early = c.get(base)
        assert early.status_code == 400
        assert early.json() == {"detail": "Request is still in progress", "error_type": "still_in_progress"}
        deadline = time.monotonic() + 60
        while (running := c.get(f"{base}/status", params={"logs": "1"})).json()["status"] == "IN_QUEUE":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert running.status_code == 202 and running.json()["status"] == "IN_PROGRESS"
        assert next(entry["message"] for entry in running.json()["logs"]).startswith("Starting")
        assert c.get(f"{base}/status", params={"logs": "0"}).json()["logs"] is None
        assert c.get(f"{base}/status", params={"logs": "false"}).json()["logs"] is None
        done = wait_done(c, "fal-ai/flux-1", rid)
        assert done["metrics"]["inference_time"] >= 3.0
        assert done["logs"] is None and "error" not in done
        with_logs = c.get(f"{base}/status", params={"logs": "true"}).json()
        assert {"message", "timestamp", "level", "source"} <= set(with_logs["logs"][-1])
        assert with_logs["response_url"] == f"{FOREIGN}{base}"
        info = gw.job(rid)
        assert info is not None and info["status"] == "COMPLETED"
        assert info["created_at"] < info["started_at"] < info["completed_at"]
        assert info["started_at"] - info["created_at"] >= 0.14
        assert not info["cancelled"] and not info["failed"]
        assert c.get(base).status_code == 200


def test_a_burst_really_queues_and_positions_count_down(make_gateway: Any) -> None:
    # A long queue delay keeps all four waiting while they are submitted, however loaded the machine.
    gw = make_gateway(workers=1, queue_delay=2.0, run_time=0.12)
    with client_for(gw) as c:
        jobs = [submit(c, "fal-ai/flux-1/schnell") for _ in range(4)]
        assert [j["queue_position"] for j in jobs] == [0, 1, 2, 3]
        last = f"/fal-ai/flux-1/requests/{jobs[-1]['request_id']}/status"
        seen: list[int] = []
        while (body := c.get(last).json())["status"] == "IN_QUEUE":
            if not seen or seen[-1] != body["queue_position"]:
                seen.append(body["queue_position"])
            time.sleep(0.01)
        assert seen[0] >= 2 and seen == sorted(seen, reverse=True) and seen[-1] == 0
        for job in jobs:
            wait_done(c, "fal-ai/flux-1", job["request_id"])
        infos = [gw.job(j["request_id"]) for j in jobs]
        for before, after in itertools.pairwise(infos):
            assert before is not None and after is not None
            assert after["started_at"] >= before["completed_at"] - 0.005  # one worker: strictly one at a time
        assert gw.stats()["jobs_created"] == 4 and gw.stats()["jobs_completed"] == 4


def test_low_priority_jobs_wait_behind_normal_ones(make_gateway: Any) -> None:
    # A first job holds the only worker (observed), so both others wait and the order is the queue's.
    gw = make_gateway(workers=1, queue_delay=0.05, run_time=2.0)
    with client_for(gw) as c:
        first = submit(c)
        deadline = time.monotonic() + 60
        while (gw.job(first["request_id"]) or {}).get("status") != "IN_PROGRESS":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        low = submit(c, headers={"X-Fal-Queue-Priority": "low"})
        normal = submit(c)
        assert normal["queue_position"] == 0  # ahead of the low-priority job
        wait_done(c, "fal-ai/flux-1", low["request_id"])
        low_info, normal_info = gw.job(low["request_id"]), gw.job(normal["request_id"])
        assert low_info is not None and normal_info is not None
        assert normal_info["started_at"] < low_info["started_at"]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Fal-Request-Timeout": "1.2"},
        {"X-Fal-Request-Start-Timeout": "1.2", "X-Fal-Request-Timeout": "600"},  # the newer name wins
    ],
)
def test_start_timeout_fails_the_job_with_504_user(make_gateway: Any, headers: dict[str, str]) -> None:
    gw = make_gateway(workers=1, queue_delay=0.01, run_time=30.0)
    with client_for(gw) as c:
        submit(c)  # occupies the only worker
        late = submit(c, headers=headers)
        status = wait_done(c, "fal-ai/flux-1", late["request_id"])
        assert status["error_type"] == "request_timeout"
        result = c.get(f"/fal-ai/flux-1/requests/{late['request_id']}")
        assert result.status_code == 504
        assert result.headers["x-fal-request-timeout-type"] == "user"
        assert result.json()["error_type"] == "request_timeout"
        assert gw.stats()["jobs_timed_out"] == 1


# ---- cancel ----


def test_cancel_while_queued_then_already_completed(make_gateway: Any) -> None:
    gw = make_gateway(workers=1, queue_delay=0.01, run_time=0.3)
    with client_for(gw) as c:
        submit(c)
        queued = submit(c)
        base = f"/fal-ai/flux-1/requests/{queued['request_id']}"
        response = c.put(f"{base}/cancel")
        assert response.status_code == 202 and response.json() == {"status": "CANCELLATION_REQUESTED"}
        status = c.get(f"{base}/status")
        assert status.status_code == 200
        assert status.json()["status"] == "COMPLETED"
        assert status.json()["error"] == "Request cancelled"
        assert status.json()["error_type"] == "client_cancelled"
        result = c.get(base)
        assert result.status_code == 400 and result.json()["error_type"] == "client_cancelled"
        again = c.put(f"{base}/cancel")
        assert again.status_code == 400 and again.json() == {"status": "ALREADY_COMPLETED"}
        info = gw.job(queued["request_id"])
        assert info is not None and info["cancelled"] and info["started_at"] is None
        assert gw.stats()["jobs_cancelled"] == 1


def test_cancel_while_running_and_after_completion(make_gateway: Any) -> None:
    gw = make_gateway(queue_delay=0.0, run_time=0.3)
    with client_for(gw) as c:
        job = submit(c)
        base = f"/fal-ai/flux-1/requests/{job['request_id']}"
        while c.get(f"{base}/status").json()["status"] != "IN_PROGRESS":
            time.sleep(0.005)
        assert c.put(f"{base}/cancel").status_code == 202
        assert c.get(f"{base}/status").json()["error_type"] == "client_cancelled"
        finished = submit(c)
        fbase = f"/fal-ai/flux-1/requests/{finished['request_id']}"
        wait_done(c, "fal-ai/flux-1", finished["request_id"])
        assert c.put(f"{fbase}/cancel").json() == {"status": "ALREADY_COMPLETED"}
        assert c.get(fbase).status_code == 200


# ---- expiry ----


def test_results_and_media_expire(make_gateway: Any) -> None:
    # Media expire first, the result later: each expiry is waited for, with seconds between them.
    gw = make_gateway(result_ttl=8.0, media_ttl=2.0)
    with client_for(gw) as c:
        job = submit(c)
        base = f"/fal-ai/flux-1/requests/{job['request_id']}"
        wait_done(c, "fal-ai/flux-1", job["request_id"])
        url = c.get(base).json()["images"][0]["url"]
        assert httpx.get(url).status_code == 200
        expired_media = _until_gone(lambda: httpx.get(url))
        assert expired_media.json()["error_type"] == "not_found"
        assert c.get(base).status_code == 200
        _until_gone(lambda: c.get(base))
        for path in (base, f"{base}/status", f"{base}/status/stream"):
            gone = c.get(path)
            assert gone.status_code == 404 and gone.json() == {
                "detail": "Request not found",
                "error_type": "not_found",
            }
        assert c.put(f"{base}/cancel").status_code == 404


def _until_gone(fetch: Any, within: float = 60.0) -> httpx.Response:
    """The first 404 answer of ``fetch``, polled (bounded); other answers must be 200 meanwhile."""
    deadline = time.monotonic() + within
    while (answer := fetch()).status_code != 404:
        assert answer.status_code == 200 and time.monotonic() < deadline, answer
        time.sleep(0.05)
    return answer


def test_object_lifecycle_preference_sets_media_ttl(make_gateway: Any) -> None:
    gw = make_gateway(media_ttl=3600)
    with client_for(gw) as c:
        headers = {"X-Fal-Object-Lifecycle-Preference": '{"expiration_duration_seconds": 0.2}'}
        job = submit(c, headers=headers)
        wait_done(c, "fal-ai/flux-1", job["request_id"])
        url = c.get(f"/fal-ai/flux-1/requests/{job['request_id']}").json()["images"][0]["url"]
        time.sleep(0.25)
        assert httpx.get(url).status_code == 404


def test_unknown_ids_are_404(http: httpx.Client) -> None:
    for path in ("/fal-ai/flux-1/requests/nope", "/fal-ai/flux-1/requests/nope/status"):
        response = http.get(path)
        assert response.status_code == 404 and response.json()["error_type"] == "not_found"


# ---- bookkeeping ----


def test_every_response_carries_a_fresh_request_id(http: httpx.Client) -> None:
    ids = set()
    for response in [
        http.post("/fal-ai/flux-1/dev", json={"prompt": "x"}),
        http.post("/fal-ai/flux-1/dev", json={}),
        http.get("/fal-ai/flux-1/requests/nope"),
        http.delete("/fal-ai/flux-1/dev"),
        http.get("/"),
        httpx.get(http.base_url.join("/_mock/stats")),
    ]:
        ids.add(response.headers["x-fal-request-id"])
    assert len(ids) == 6


def test_request_log_and_admin_endpoints(make_gateway: Any) -> None:
    gw = make_gateway()
    with client_for(gw) as c:
        job = submit(c, headers={"X-Custom": "yes"})
        log = gw.request_log
        assert log[-1]["origin"] == "gateway" and log[-1]["method"] == "POST"
        assert log[-1]["path"] == "/fal-ai/flux-1/dev" and log[-1]["headers"]["x-custom"] == "yes"
        assert log[-1]["headers"]["authorization"] == f"Bearer {gw.key}"
        gw.reset_log()
        assert gw.request_log == []
        wait_done(c, "fal-ai/flux-1", job["request_id"])
        stats = c.get("/_mock/stats").json()
        assert stats["jobs_created"] == 1 and stats["jobs_succeeded"] == 1
        assert set(stats["requests_by_operation"]) >= {
            "submit",
            "status",
            "stream",
            "result",
            "cancel",
            "media",
        }
        info = c.get(f"/_mock/jobs/{job['request_id']}").json()
        assert info["model_id"] == "fal-ai/flux-1/dev" and info["status"] == "COMPLETED"
        assert c.get("/_mock/jobs/nope").status_code == 404
        assert gw.job("nope") is None
        put = c.put("/_mock/faults", json={"seed": 3, "rate_limit": 0.5, "operations": ["status"]})
        assert put.status_code == 200 and put.json()["rate_limit"] == 0.5
        assert gw.faults.operations == frozenset({"status"})
        assert c.get("/_mock/faults").json()["seed"] == 3
        bad = c.put("/_mock/faults", json={"rate_limit": 2})
        assert bad.status_code == 422
        assert c.put("/_mock/faults", json={"nope": 1}).status_code == 422
        assert c.put("/_mock/faults", content=b"{").status_code == 422
        assert httpx.get(gw.base_url + "/_mock/stats").status_code == 401


def test_a_bug_in_the_mock_is_a_json_500_without_traceback(
    make_gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = make_gateway()
    with client_for(gw) as c:
        job = submit(c)

        def broken(*args: Any) -> Any:
            raise RuntimeError("simulated bug")

        monkeypatch.setattr(gw.state.engine, "status_body", broken)
        response = c.get(f"/fal-ai/flux-1/requests/{job['request_id']}/status")
        assert response.status_code == 500
        assert response.json() == {"detail": "Internal Server Error", "error_type": "internal_error"}
        assert "Traceback" not in response.text and "simulated" not in response.text
        assert c.get(f"/fal-ai/flux-1/requests/{job['request_id']}").status_code in (
            200,
            400,
        )  # still serving
