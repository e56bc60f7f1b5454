"""fal's rules the mock follows (issues 10-12): ids, routes, open inputs, unknown models, strict JSON."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from fal_queue.mock import MockGateway
from mockhttp import client_for, submit, wait_done


def _strict_json(response: httpx.Response) -> Any:
    """Parse as strict JSON: NaN/Infinity and lone surrogates fail."""

    def reject(name: str) -> Any:
        raise AssertionError(f"{name} is not JSON: {response.text[:200]}")

    text = response.content.decode("utf-8")  # strict: invalid UTF-8 raises
    return json.loads(text, parse_constant=reject)


def test_request_id_header_is_the_jobs_id_on_every_queue_answer(http: httpx.Client) -> None:
    response = http.post("/fal-ai/flux-1/schnell", json={"prompt": "x"})
    rid = response.json()["request_id"]
    assert response.headers["x-fal-request-id"] == rid
    base = f"/fal-ai/flux-1/requests/{rid}"
    assert http.get(f"{base}").headers["x-fal-request-id"] == rid  # 400 still in progress, or 200
    wait_done(http, "fal-ai/flux-1", rid)
    for response in (
        http.get(f"{base}/status"),
        http.get(f"{base}/status/stream"),
        http.get(base),
        http.put(f"{base}/cancel"),
    ):
        assert response.headers["x-fal-request-id"] == rid, response.request.url


def test_queue_operations_answer_under_the_full_model_id(http: httpx.Client) -> None:
    job = submit(http, "fal-ai/flux-1/schnell")
    rid = job["request_id"]
    full = f"/fal-ai/flux-1/schnell/requests/{rid}"
    wait_done(http, "fal-ai/flux-1", rid)
    status = http.get(f"{full}/status", params={"logs": "1"})
    assert status.status_code == 200 and status.json()["request_id"] == rid and status.json()["logs"]
    stream = http.get(f"{full}/status/stream")
    assert stream.status_code == 200 and '"COMPLETED"' in stream.text
    result = http.get(full)
    assert result.status_code == 200 and result.json()["images"]
    assert http.put(f"{full}/cancel").json() == {"status": "ALREADY_COMPLETED"}
    # Deeper model ids too, and a job of another app stays invisible.
    kontext = submit(http, "fal-ai/flux-pro/kontext/max/text-to-image", {"prompt": "x"})
    deep = f"/fal-ai/flux-pro/kontext/max/text-to-image/requests/{kontext['request_id']}/status"
    assert http.get(deep).status_code in (200, 202)
    assert http.get(f"/fal-ai/flux-1/schnell/requests/{kontext['request_id']}/status").status_code == 404
    assert http.post(f"{full}/status", json={}).status_code == 405


def test_unknown_models_are_404_by_default(make_gateway: Any) -> None:
    gw = make_gateway(extra_models=())
    with client_for(gw) as c:
        for model in ("fal-ai/flux-1/schnel", "fal-ai/flux1/schnell", "acme/new-model"):
            response = c.post(f"/{model}", json={"prompt": "x"})
            assert response.status_code == 404
            assert response.json() == {
                "detail": f"Model '{model}' not found",
                "error_type": "model_not_found",
            }
        assert gw.stats()["jobs_created"] == 0


def test_extra_models_and_any_model(make_gateway: Any) -> None:
    extra = make_gateway(extra_models=("acme/new-model", "workflows/alice/flow"))
    with client_for(extra) as c:
        assert c.post("/acme/new-model", json={"anything": [1]}).status_code == 200
        assert c.post("/workflows/alice/flow", json={}).status_code == 200
        assert c.post("/acme/other", json={}).status_code == 404
    anything = make_gateway(models="any", extra_models=())
    with client_for(anything) as c:
        assert c.post("/whoever/whatever/v9", json={}).status_code == 200


def test_unknown_input_fields_are_ignored_and_recorded(gateway: MockGateway, http: httpx.Client) -> None:
    body = {"prompt": "x", "num_image": 2, "acceleration": "regular", "zzz": {"deep": 1}}
    job = submit(http, "fal-ai/flux-1/dev", body)
    info = gateway.job(job["request_id"])
    assert info is not None and info["unknown_fields"] == ["num_image", "zzz"]
    assert info["inputs"] == body
    known = submit(http, "fal-ai/flux-1/dev", {"prompt": "x"})
    info = gateway.job(known["request_id"])
    assert info is not None and info["unknown_fields"] == []
    # Known fields stay checked.
    assert (
        http.post("/fal-ai/flux-1/dev", json={"prompt": "x", "nope": 1, "num_images": 9}).status_code == 422
    )


def test_strict_inputs_restores_422_for_unknown_fields(make_gateway: Any) -> None:
    gw = make_gateway(strict_inputs=True)
    with client_for(gw) as c:
        for model, body, field in [
            ("fal-ai/flux-1/dev", {"prompt": "x", "nope": 1}, "nope"),
            ("fal-ai/flux-1/dev/redux", {"prompt": "x", "image_url": "u"}, "prompt"),
            ("fal-ai/flux-1/schnell/redux", {"image_url": "u", "guidance_scale": 2}, "guidance_scale"),
        ]:
            response = c.post(f"/{model}", json=body)
            assert response.status_code == 422, response.text
            detail = response.json()["detail"]
            assert [(d["loc"], d["type"]) for d in detail] == [(["body", field], "extra_forbidden")]
        assert c.post("/a/b", json={"free": "form"}).status_code == 200  # untyped models stay free-form
        assert gw.stats()["jobs_created"] == 1


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        (b'{"prompt": "a \\ud800 cat"}', ["body", "prompt"]),
        (b'{"prompt": "x", "extra": ["ok", "\\udfff"]}', ["body", "extra", 1]),
        (b'{"prompt": "x", "\\ud83d": 1}', ["body", "\\ud83d"]),
        (b'{"prompt": "x", "guidance_scale": 1e999}', ["body", "guidance_scale"]),
        (b'{"prompt": "x", "image_size": {"width": -1e999, "height": 512}}', ["body", "image_size", "width"]),
    ],
)
def test_values_no_answer_could_carry_are_422_before_a_job_exists(
    make_gateway: Any, raw: bytes, loc: list[Any]
) -> None:
    gw = make_gateway()
    with client_for(gw) as c:
        response = c.post("/fal-ai/flux-1/dev", content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 422
        detail = _strict_json(response)["detail"]
        assert [d["loc"] for d in detail] == [loc]
        assert gw.stats()["jobs_created"] == 0


def test_a_valid_surrogate_pair_is_accepted_and_stays_fetchable(http: httpx.Client) -> None:
    raw = b'{"prompt": "a \\ud83d\\ude00 cat"}'
    response = http.post("/fal-ai/flux-1/dev", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    rid = response.json()["request_id"]
    wait_done(http, "fal-ai/flux-1", rid)
    result = http.get(f"/fal-ai/flux-1/requests/{rid}")
    assert result.status_code == 200 and _strict_json(result)["prompt"] == "a \U0001f600 cat"


def test_every_body_is_strict_json(http: httpx.Client) -> None:
    answers = [
        http.post("/fal-ai/flux-1/dev", json={"prompt": "x", "guidance_scale": 21}),
        http.post(
            "/fal-ai/flux-1/dev", content=b'{"prompt": NaN}', headers={"Content-Type": "application/json"}
        ),
        http.post("/fal-ai/flux-1/dev", content=b"\xff\xfe", headers={"Content-Type": "application/json"}),
        http.get("/fal-ai/flux-1/requests/nope/status"),
        http.get("/nothing"),
    ]
    for response in answers:
        assert response.headers["content-type"] == "application/json"
        data = _strict_json(response)
        assert not any(isinstance(v, float) and not math.isfinite(v) for v in data.values())
