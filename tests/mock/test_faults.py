"""Every injected fault, its bookkeeping, and its determinism."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from fal_queue.mock import Faults, MockGateway
from mockhttp import client_for, submit, wait_done

SUBMIT = "/fal-ai/flux-1/schnell"


def _created(gw: MockGateway) -> int:
    created: int = gw.stats()["jobs_created"]
    return created


def test_rate_limit_is_429_with_retry_after_and_creates_nothing(make_gateway: Any) -> None:
    gw = make_gateway()
    gw.set_faults(Faults(rate_limit=1.0, retry_after=2))
    with client_for(gw) as c:
        response = c.post(SUBMIT, json={"prompt": "x"})
        assert response.status_code == 429
        assert response.headers["retry-after"] == "2"
        assert response.json() == {"detail": "Rate limit exceeded", "error_type": "rate_limited"}
        assert response.headers["x-fal-request-id"]
        assert _created(gw) == 0
        assert gw.stats()["faults_injected"] == {"rate_limit": 1}
        # Unauthenticated requests are refused before the rate limiter.
        assert httpx.post(gw.base_url + SUBMIT, json={"prompt": "x"}).status_code == 401


def test_default_retry_after_is_zero_seconds(make_gateway: Any) -> None:
    gw = make_gateway(faults=Faults(rate_limit=1.0))
    with client_for(gw) as c:
        assert c.get("/fal-ai/flux-1/requests/x/status").headers["retry-after"] == "0"


def test_ingress_503_is_html_without_request_id_and_creates_nothing(make_gateway: Any) -> None:
    gw = make_gateway(faults=Faults(ingress_503=1.0))
    with client_for(gw) as c:
        for response in (c.post(SUBMIT, json={"prompt": "x"}), httpx.post(gw.base_url + SUBMIT, json={})):
            assert response.status_code == 503
            assert response.headers["content-type"] == "text/html"
            assert "x-fal-request-id" not in response.headers
            assert response.text.lstrip().startswith("<html>")
        assert _created(gw) == 0


def test_dropped_submit_creates_nothing_by_default(make_gateway: Any) -> None:
    gw = make_gateway(faults=Faults(drop=1.0, operations=frozenset({"submit"})))
    with client_for(gw) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.post(SUBMIT, json={"prompt": "x"})
        assert _created(gw) == 0
        assert gw.stats()["faults_injected"]["drop"] == 1
        assert c.get("/_mock/stats").status_code == 200  # admin is never faulted


def test_dropped_submit_after_create_leaves_one_job(make_gateway: Any) -> None:
    gw = make_gateway(
        faults=Faults(drop=1.0, drop_submit_after_create=True, operations=frozenset({"submit"}))
    )
    with client_for(gw) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.post(SUBMIT, json={"prompt": "x"})
        assert _created(gw) == 1


def test_dropped_status_result_and_cancel_do_their_work_first(make_gateway: Any) -> None:
    gw = make_gateway(queue_delay=0.0, run_time=0.3)
    with client_for(gw) as c:
        job = submit(c)
        base = f"/fal-ai/flux-1/requests/{job['request_id']}"
        gw.set_faults(Faults(drop=1.0, operations=frozenset({"status", "result", "cancel", "stream"})))
        for path in (f"{base}/status", base, f"{base}/status/stream"):
            with pytest.raises(httpx.RemoteProtocolError):
                c.get(path)
        with pytest.raises(httpx.RemoteProtocolError):
            c.put(f"{base}/cancel")
        info = gw.job(job["request_id"])
        assert info is not None and info["cancelled"]  # the cancel took effect although its answer was lost
        gw.set_faults(Faults())
        assert c.get(f"{base}/status").json()["error_type"] == "client_cancelled"


def test_dropped_media_download(make_gateway: Any) -> None:
    gw = make_gateway()
    with client_for(gw) as c:
        job = submit(c)
        wait_done(c, "fal-ai/flux-1", job["request_id"])
        url = c.get(f"/fal-ai/flux-1/requests/{job['request_id']}").json()["images"][0]["url"]
        gw.set_faults(Faults(drop=1.0, operations=frozenset({"media"})))
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(url)
        gw.set_faults(Faults(rate_limit=1.0, operations=frozenset({"media"})))
        assert httpx.get(url).status_code == 429
        gw.set_faults(Faults())
        assert httpx.get(url).status_code == 200


def test_slow_answers(make_gateway: Any) -> None:
    gw = make_gateway(faults=Faults(slow=1.0, slow_seconds=0.3, operations=frozenset({"status"})))
    with client_for(gw) as c:
        job = submit(c)
        started = time.monotonic()
        assert c.get(f"/fal-ai/flux-1/requests/{job['request_id']}/status").status_code in (200, 202)
        assert time.monotonic() - started >= 0.3
        c.get(f"/fal-ai/flux-1/requests/{job['request_id']}")
        assert gw.stats()["faults_injected"] == {"slow": 1}  # other operations are not slowed


def test_job_failures_alternate_422_and_500_with_final_logs(make_gateway: Any) -> None:
    gw = make_gateway(faults=Faults(job_failure=1.0))
    with client_for(gw) as c:
        jobs = [submit(c) for _ in range(4)]
        outcomes = []
        for job in jobs:
            status = wait_done(c, "fal-ai/flux-1", job["request_id"])
            assert status["error"] and status["error_type"]
            with_logs = c.get(
                f"/fal-ai/flux-1/requests/{job['request_id']}/status", params={"logs": "1"}
            ).json()
            assert with_logs["logs"][-1]["level"] == "ERROR"
            result = c.get(f"/fal-ai/flux-1/requests/{job['request_id']}")
            outcomes.append(result.status_code)
            if result.status_code == 422:
                detail = result.json()["detail"]
                assert detail[0]["type"] == "content_policy_violation" and detail[0]["loc"] == [
                    "body",
                    "prompt",
                ]
                assert status["error_type"] == "content_policy_violation"
            else:
                assert result.json() == {
                    "detail": "Internal Server Error",
                    "error_type": "internal_server_error",
                }
                assert result.headers["x-fal-error-type"] == "internal_server_error"
                assert status["error_type"] == "internal_server_error"
            info = gw.job(job["request_id"])
            assert info is not None and info["failed"] and not info["cancelled"]
        assert sorted(outcomes) == [422, 422, 500, 500]
        stats = gw.stats()
        assert stats["jobs_failed"] == 4 and stats["jobs_created"] == 4 and stats["jobs_succeeded"] == 0


def test_operations_restrict_faults(make_gateway: Any) -> None:
    gw = make_gateway(faults=Faults(ingress_503=1.0, operations=frozenset({"result"})))
    with client_for(gw) as c:
        job = submit(c)
        assert c.get(f"/fal-ai/flux-1/requests/{job['request_id']}/status").status_code in (200, 202)
        assert c.get(f"/fal-ai/flux-1/requests/{job['request_id']}").status_code == 503


def test_decisions_are_deterministic_by_seed(make_gateway: Any) -> None:
    faults = Faults(seed=11, rate_limit=0.3)
    decisions = [faults.decide("rate_limit", "GET", f"/a/b/requests/{i % 3}", i) for i in range(200)]
    assert decisions == [faults.decide("rate_limit", "GET", f"/a/b/requests/{i % 3}", i) for i in range(200)]
    assert 30 < sum(decisions) < 90
    other = Faults(seed=12, rate_limit=0.3)
    assert decisions != [other.decide("rate_limit", "GET", f"/a/b/requests/{i % 3}", i) for i in range(200)]
    # Over HTTP, two gateways give the same answers per path whatever else happened before: the counter
    # restarts when faults are set, and request ids differ, so compare the pattern of one fixed path.
    a = make_gateway(faults=Faults(seed=5, rate_limit=0.5))
    b = make_gateway(faults=Faults(seed=5, rate_limit=0.5))
    with client_for(a) as ca, client_for(b) as cb:
        cb.get("/fal-ai/flux-1/requests/warmup/status")  # an unrelated path does not shift the sequence
        pattern_a = [ca.get("/_mock/stats").status_code] + [
            ca.post("/x/y", json={}).status_code for _ in range(16)
        ]
        pattern_b = [cb.get("/_mock/stats").status_code] + [
            cb.post("/x/y", json={}).status_code for _ in range(16)
        ]
    assert pattern_a == pattern_b and 429 in pattern_a and 200 in pattern_a


def test_faults_validate_their_fields() -> None:
    with pytest.raises(ValueError, match="probability"):
        Faults(drop=1.5)
    with pytest.raises(ValueError, match="operations"):
        Faults(operations=frozenset({"delete"}))
    with pytest.raises(ValueError, match="unknown fault fields"):
        Faults.from_dict({"dropp": 1})
    assert Faults.from_dict({"drop": 1, "operations": ["media"]}) == Faults(
        drop=1.0, operations=frozenset({"media"})
    )
    assert Faults(seed=3, operations=frozenset({"status"})).to_dict()["operations"] == ["status"]


# ---- the hostile-gateway kinds (FAULTS.md) ----

FLUX = "/fal-ai/flux-1"


def _done_job(c: httpx.Client, model: str = "fal-ai/flux-1/schnell", body: Any = None) -> str:
    job = submit(c, model, body)
    wait_done(c, FLUX[1:], job["request_id"])
    rid: str = job["request_id"]
    return rid


def _stream_lines(c: httpx.Client, path: str, wanted: int, **params: str) -> list[str]:
    """The first ``wanted`` non-empty SSE lines (bounded by the client's read timeout)."""
    lines: list[str] = []
    with c.stream("GET", path, params=params) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line:
                lines.append(line)
            if len(lines) >= wanted:
                break
    return lines


def test_stream_pings_only_never_sends_an_event(make_gateway: Any) -> None:
    gw = make_gateway(ping_interval=0.05)
    with client_for(gw) as c:
        rid = _done_job(c)
        gw.set_faults(Faults(stream_pings_only=1.0))
        lines = _stream_lines(c, f"{FLUX}/requests/{rid}/status/stream", 4)
        assert lines == [": ping"] * 4  # a completed job, yet no data event
        assert gw.stats()["faults_injected"]["stream_pings_only"] == 1


def test_stream_repeat_resends_a_non_final_event_forever(make_gateway: Any) -> None:
    gw = make_gateway(ping_interval=0.05)
    with client_for(gw) as c:
        rid = _done_job(c)
        gw.set_faults(Faults(stream_repeat=1.0))
        lines = _stream_lines(c, f"{FLUX}/requests/{rid}/status/stream", 4)
        assert all(line.startswith("data: ") for line in lines) and len(set(lines)) == 1
        event = json.loads(lines[0][6:])
        assert event["status"] == "IN_PROGRESS" and event["request_id"] == rid


def test_stream_silent_sends_headers_then_nothing(make_gateway: Any) -> None:
    gw = make_gateway(ping_interval=0.05)
    with client_for(gw, timeout=httpx.Timeout(5.0, read=0.6)) as c:
        rid = _done_job(c)
        gw.set_faults(Faults(stream_silent=1.0))
        with c.stream("GET", f"{FLUX}/requests/{rid}/status/stream") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            with pytest.raises(httpx.ReadTimeout):
                next(response.iter_raw())  # a normal stream would send COMPLETED at once


def test_drip_sends_one_byte_at_a_time(make_gateway: Any) -> None:
    gw = make_gateway()
    rate = 400.0
    with client_for(gw) as c:
        rid = _done_job(c)
        gw.set_faults(Faults(drip=1.0, drip_bytes_per_second=rate, operations=frozenset({"status"})))
        started = time.monotonic()
        with c.stream("GET", f"{FLUX}/requests/{rid}/status") as response:
            chunks = list(response.iter_raw())
        elapsed = time.monotonic() - started
        body = b"".join(chunks)
        assert json.loads(body)["status"] == "COMPLETED"
        assert len(chunks) > 1 and max(len(chunk) for chunk in chunks) < len(body)
        assert elapsed >= (len(body) - 1) / rate  # the rate is an upper bound the server keeps
        assert c.get(f"{FLUX}/requests/{rid}").status_code == 200  # other operations are not dripped


def test_foreign_completed_names_another_job(make_gateway: Any) -> None:
    gw = make_gateway(queue_delay=0.0, run_time=30.0)
    with client_for(gw) as c:
        other = submit(c)["request_id"]
        mine = submit(c)["request_id"]
        gw.set_faults(Faults(foreign_completed=1.0, operations=frozenset({"status", "stream"})))
        polled = c.get(f"{FLUX}/requests/{mine}/status")
        assert polled.status_code == 200
        body = polled.json()
        assert body["status"] == "COMPLETED" and body["request_id"] == other
        assert all(
            other in body[k] and mine not in body[k] for k in ("response_url", "status_url", "cancel_url")
        )
        lines = _stream_lines(c, f"{FLUX}/requests/{mine}/status/stream", 1)
        event = json.loads(lines[0][6:])
        assert event["status"] == "COMPLETED" and event["request_id"] == other
        assert gw.job(mine)["status"] != "COMPLETED"  # type: ignore[index]


def test_foreign_completed_alone_names_a_fresh_id(make_gateway: Any) -> None:
    gw = make_gateway(queue_delay=0.0, run_time=30.0)
    with client_for(gw) as c:
        mine = submit(c)["request_id"]
        gw.set_faults(Faults(foreign_completed=1.0))
        body = c.get(f"{FLUX}/requests/{mine}/status").json()
        assert body["status"] == "COMPLETED" and body["request_id"] not in (mine, "")


def test_result_not_ready_answers_400_for_the_first_n_gets(make_gateway: Any) -> None:
    gw = make_gateway(faults=Faults(result_not_ready=2))
    with client_for(gw) as c:
        rid = _done_job(c)
        answers = [c.get(f"{FLUX}/requests/{rid}") for _ in range(3)]
        assert [a.status_code for a in answers] == [400, 400, 200]
        assert answers[0].json()["detail"] == "Request is still in progress"
        assert c.get(f"{FLUX}/requests/{rid}/status").json()["status"] == "COMPLETED"


def test_bad_request_id_is_answered_but_the_job_exists(make_gateway: Any) -> None:
    gw = make_gateway(faults=Faults(bad_request_id=1.0, operations=frozenset({"submit"})))
    with client_for(gw) as c:
        response = c.post("/fal-ai/flux-1/schnell", json={"prompt": "x"})
        body = response.json()
        assert response.status_code == 200 and body["request_id"] == "../../etc"
        assert body["status_url"].endswith("/fal-ai/flux-1/requests/../../etc/status")
        assert gw.stats()["jobs_created"] == 1


def test_media_redirect_loop_points_at_itself(make_gateway: Any) -> None:
    gw = make_gateway()
    with client_for(gw) as c:
        rid = _done_job(c)
        url = c.get(f"{FLUX}/requests/{rid}").json()["images"][0]["url"]
        gw.set_faults(Faults(media_redirect_loop=1.0))
        first = httpx.get(url)
        assert first.status_code == 302 and first.headers["location"] == url
        with pytest.raises(httpx.TooManyRedirects):
            httpx.get(url, follow_redirects=True)


def test_lying_encoding_claims_gzip(make_gateway: Any) -> None:
    gw = make_gateway()
    with client_for(gw) as c:
        rid = _done_job(c)
        url = c.get(f"{FLUX}/requests/{rid}").json()["images"][0]["url"]
        gw.set_faults(Faults(lying_encoding=1.0))
        with pytest.raises(httpx.DecodingError):
            c.get(f"{FLUX}/requests/{rid}")
        with pytest.raises(httpx.DecodingError):
            httpx.get(url)
        with httpx.stream("GET", url) as raw:
            assert raw.headers["content-encoding"] == "gzip"
            assert not b"".join(raw.iter_raw()).startswith(b"\x1f\x8b")


def test_echo_auth_reflects_the_authorization_header(make_gateway: Any) -> None:
    gw = make_gateway(faults=Faults(echo_auth=1.0))
    secret = "Bearer sk-wrong-secret"
    refused = httpx.get(gw.base_url + f"{FLUX}/requests/x/status", headers={"Authorization": secret})
    assert refused.status_code == 401
    assert refused.headers["x-echo-authorization"] == secret
    assert refused.headers["www-authenticate"] == f'Bearer realm="{secret}"'
    gw.set_faults(Faults(echo_auth=1.0, rate_limit=1.0))
    with client_for(gw) as c:
        limited = c.post("/fal-ai/flux-1/schnell", json={"prompt": "x"})
        assert limited.status_code == 429 and limited.headers["x-echo-authorization"] == f"Bearer {gw.key}"


def test_drop_param_removes_a_field_before_the_job_sees_it(make_gateway: Any) -> None:
    gw = make_gateway(faults=Faults(drop_param="num_images"))
    with client_for(gw) as c:
        rid = _done_job(c, body={"prompt": "x", "num_images": 3})
        assert len(c.get(f"{FLUX}/requests/{rid}").json()["images"]) == 1
        info = gw.job(rid)
        assert info is not None and "num_images" not in info["inputs"]
        assert gw.stats()["faults_injected"]["drop_param"] == 1


def test_foreign_urls_point_at_another_layout(make_gateway: Any) -> None:
    gw = make_gateway(faults=Faults(foreign_urls=1.0, operations=frozenset({"submit"})))
    with client_for(gw) as c:
        job = submit(c)
        rid = job["request_id"]
        assert job["response_url"] == f"https://elsewhere.invalid/v2/jobs/{rid}"
        assert job["status_url"] == f"https://elsewhere.invalid/v2/jobs/{rid}/status"
        assert c.get(f"{FLUX}/requests/{rid}/status").json()["status_url"] == job["status_url"]


def test_status_200_for_unfinished_jobs(make_gateway: Any) -> None:
    gw = make_gateway(queue_delay=0.0, run_time=30.0, faults=Faults(status_200=1.0))
    with client_for(gw) as c:
        rid = submit(c)["request_id"]
        response = c.get(f"{FLUX}/requests/{rid}/status")
        assert response.status_code == 200 and response.json()["status"] in ("IN_QUEUE", "IN_PROGRESS")


def test_drop_dimensions_strips_width_and_height(make_gateway: Any) -> None:
    gw = make_gateway(faults=Faults(drop_dimensions=1.0))
    with client_for(gw) as c:
        rid = _done_job(c)
        images = c.get(f"{FLUX}/requests/{rid}").json()["images"]
        assert images and all("width" not in i and "height" not in i and i["url"] for i in images)


def test_new_kinds_are_off_by_default_and_round_trip() -> None:
    assert not Faults().active
    faults = Faults(drop_param="seed", result_not_ready=1, stream_silent=0.5, drip_bytes_per_second=2)
    assert faults.active
    assert Faults.from_dict(faults.to_dict()) == faults
    with pytest.raises(ValueError, match="drip_bytes_per_second"):
        Faults(drip_bytes_per_second=0)
    with pytest.raises(ValueError, match="result_not_ready"):
        Faults(result_not_ready=-1)
    with pytest.raises(ValueError, match="probability"):
        Faults(echo_auth=2.0)


def test_new_kinds_are_settable_through_the_admin_endpoint(make_gateway: Any) -> None:
    gw = make_gateway()
    with client_for(gw) as c:
        answer = c.put("/_mock/faults", json={"status_200": 1, "drop_param": "seed", "result_not_ready": 1})
        assert answer.status_code == 200 and answer.json()["drop_param"] == "seed"
        assert gw.faults == Faults(status_200=1.0, drop_param="seed", result_not_ready=1)
        bad = c.put("/_mock/faults", json={"drip_bytes_per_second": 0})
        assert bad.status_code == 422 and "drip_bytes_per_second" in bad.text
