"""What fal's own documents allow, through the public API of both clients (the ``sdk`` fixture).

Answers the mock gateway does not give (a cancel's ``{"success": true}``, a submit without its URLs,
a result whose ``images`` is not a list) come from an ``httpx.MockTransport``; ``seed: null`` goes
to the mock over loopback HTTP, which reads the same contract.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fal_queue import RetryPolicy
from fal_queue import errors as E
from fal_queue_api.models import FluxDevTextToImageInput, FluxSchnellTextToImageInput

RID = "551a32da-52b2-4be8-bf2f-bfb7cce2b324"
FLUX_DEV = "fal-ai/flux-1/dev"
KONTEXT = "fal-ai/flux-pro/kontext"
FAST = RetryPolicy(initial_delay=0.001, max_delay=0.002)
IMAGE = {"url": "https://v3.fal.media/files/a.png", "width": 8, "height": 8, "content_type": "image/png"}
RESULT = {"images": [IMAGE], "timings": {}, "seed": 7, "has_nsfw_concepts": [False], "prompt": "x"}
Handler = Callable[[httpx.Request], httpx.Response]


class _Gateway:
    base_url = "https://gw.example/v1"
    key = "fidelity-key-4c1e-77aa"


@pytest.fixture
def over(sdk: Any) -> Callable[[Handler], tuple[Any, list[httpx.Request]]]:
    """``over(handler)``: a client of either shell whose gateway is ``handler``, and the requests it saw."""

    def make(handler: Handler) -> tuple[Any, list[httpx.Request]]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        transport = httpx.MockTransport(record)
        return sdk(_Gateway(), transport=transport, max_retries=1, retry_policy=FAST), seen

    return make


# ---- cancel: fal's per-endpoint documents answer 200 {"success": bool} ----


@pytest.mark.parametrize(
    ("code", "body", "expected"),
    [
        (200, {"success": True}, "CANCELLATION_REQUESTED"),
        (202, {"success": True}, "CANCELLATION_REQUESTED"),
        (200, {"success": False}, "NOT_CANCELLED"),
        (202, {"status": "CANCELLATION_REQUESTED"}, "CANCELLATION_REQUESTED"),
        (400, {"status": "ALREADY_COMPLETED"}, "ALREADY_COMPLETED"),
        (200, {"status": "OK"}, "OK"),
        (200, {"status": "NOT_FOUND"}, "NOT_FOUND"),
        (200, {"status": "OK", "success": True}, "OK"),
    ],
)
def test_every_documented_cancel_answer_is_a_meaningful_status(
    over: Any, code: int, body: dict[str, Any], expected: str
) -> None:
    client, seen = over(lambda request: httpx.Response(code, json=body))
    assert client.cancel(FLUX_DEV, RID) == expected
    assert client.get_handle(FLUX_DEV, RID).cancel() == expected
    assert [(r.method, r.url.path) for r in seen] == [("PUT", f"/v1/fal-ai/flux-1/requests/{RID}/cancel")] * 2


@pytest.mark.parametrize("body", [{}, {"success": None}, {"status": None}, {"detail": "cancelled"}])
def test_a_cancel_answer_with_neither_status_nor_success_is_a_validation_error(
    over: Any, body: dict[str, Any]
) -> None:
    client, _ = over(lambda request: httpx.Response(200, json=body))
    with pytest.raises(E.APIResponseValidationError) as info:
        client.cancel(FLUX_DEV, RID)
    assert info.value.request_id == RID and info.value.model_id == FLUX_DEV
    assert info.value.status_code == 200 and json.loads(info.value.body) == body
    assert str(info.value) != "None" and "cancel:" in str(info.value)


def test_a_refused_cancel_with_status_400_is_still_an_error(over: Any) -> None:
    client, _ = over(lambda request: httpx.Response(400, json={"success": False}))
    with pytest.raises(E.BadRequestError) as info:
        client.cancel(FLUX_DEV, RID)
    assert info.value.request_id == RID and info.value.body == {"success": False}


# ---- submit: the three URLs are optional in fal's documents ----


def _job(submitted: dict[str, Any], result: dict[str, Any] = RESULT) -> Handler:
    """A gateway that queues with ``submitted``, says COMPLETED, and answers ``result``."""

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST":
            return httpx.Response(200, json=submitted)
        if path.endswith("/status"):
            return httpx.Response(200, json={"status": "COMPLETED", "request_id": RID})
        if path.endswith("/status/stream"):
            return httpx.Response(404, json={"detail": "no streams here"})
        if path.endswith("/cancel"):
            return httpx.Response(400, json={"status": "ALREADY_COMPLETED"})
        return httpx.Response(200, json=result)

    return answer


@pytest.mark.parametrize(
    ("model", "app"),
    [(FLUX_DEV, "fal-ai/flux-1"), ("some/model", "some/model"), ("workflows/alice/wf", "workflows/alice/wf")],
)
@pytest.mark.parametrize("extra", [{}, {"status": "IN_QUEUE", "queue_position": 3}])
def test_a_submit_answer_without_urls_gives_a_handle_that_reaches_the_job(
    over: Any, model: str, app: str, extra: dict[str, Any]
) -> None:
    client, seen = over(_job({"request_id": RID, **extra}))
    args = {"prompt": "x"}
    handle = client.submit(model, args)
    root = f"{_Gateway.base_url}/{app}/requests/{RID}"
    assert handle.request_id == RID
    assert (handle.response_url, handle.status_url, handle.cancel_url) == (
        root,
        f"{root}/status",
        f"{root}/cancel",
    )
    assert handle.raw["status_url"] == f"{root}/status"  # the handle's raw answer names them too
    assert handle.queue_position == extra.get("queue_position")
    assert handle.get(timeout=30).images[0].url == IMAGE["url"]
    assert handle.cancel() == "ALREADY_COMPLETED"
    paths = {r.url.path for r in seen if r.method != "POST"}
    assert paths <= {
        f"/v1/{app}/requests/{RID}{tail}" for tail in ("", "/status", "/status/stream", "/cancel")
    }
    assert f"/v1/{app}/requests/{RID}" in paths  # the result was fetched where the rebuilt URL says


def test_subscribe_reaches_a_job_whose_submit_answer_had_no_urls(over: Any) -> None:
    client, _ = over(_job({"request_id": RID}))
    assert client.subscribe(FLUX_DEV, {"prompt": "x"}, timeout=30).seed == 7


def test_urls_an_answer_does_give_are_kept_and_only_missing_or_unusable_ones_are_built(over: Any) -> None:
    submitted = {
        "request_id": RID,
        "status_url": f"https://queue.fal.run/fal-ai/flux-1/requests/{RID}/status",
        "response_url": None,
        "cancel_url": "",
    }
    client, _ = over(_job(submitted))
    handle = client.submit(FLUX_DEV, {"prompt": "x"})
    root = f"{_Gateway.base_url}/fal-ai/flux-1/requests/{RID}"
    assert handle.status_url == f"{root}/status"  # rewritten onto the gateway, as always
    assert (handle.response_url, handle.cancel_url) == (root, f"{root}/cancel")


def test_a_submit_answer_without_a_request_id_still_names_what_is_missing(over: Any) -> None:
    client, _ = over(lambda request: httpx.Response(200, json={"status": "IN_QUEUE"}))
    with pytest.raises(E.APIResponseValidationError) as info:
        client.submit(FLUX_DEV, {"prompt": "x"})
    assert "missing 'request_id'" in str(info.value)
    assert json.loads(info.value.body) == {"status": "IN_QUEUE"}


# ---- seed: null for the FLUX.1 models ----

FLUX1 = {
    "fal-ai/flux-1/dev": {"prompt": "a cat"},
    "fal-ai/flux-1/schnell": {"prompt": "a cat"},
    "fal-ai/flux-1/dev/image-to-image": {"prompt": "a cat", "image_url": "https://example.com/cat.png"},
    "fal-ai/flux-1/dev/redux": {"image_url": "https://example.com/cat.png"},
    "fal-ai/flux-1/schnell/redux": {"image_url": "https://example.com/cat.png"},
}


@pytest.mark.parametrize("model", sorted(FLUX1))
def test_seed_null_is_sent_for_the_flux1_models_and_the_mock_takes_it(
    sdk: Any, gateway: Any, model: str
) -> None:
    client = sdk(gateway)
    handle = client.submit(model, {**FLUX1[model], "seed": None})
    job = gateway.job(handle.request_id)
    assert job is not None and job["inputs"] == {**FLUX1[model], "seed": None}
    result = handle.get(timeout=30)
    assert isinstance(result.seed, int)  # the model picked one


@pytest.mark.parametrize("input_cls", [FluxDevTextToImageInput, FluxSchnellTextToImageInput])
def test_a_generated_flux1_input_with_seed_none_sends_null(sdk: Any, gateway: Any, input_cls: Any) -> None:
    model = FLUX_DEV if input_cls is FluxDevTextToImageInput else "fal-ai/flux-1/schnell"
    handle = sdk(gateway).submit(model, input_cls(prompt="a cat", seed=None))
    job = gateway.job(handle.request_id)
    assert job is not None and job["inputs"] == {"prompt": "a cat", "seed": None}


@pytest.mark.parametrize(
    ("model", "args"),
    [
        (KONTEXT, {"prompt": "x", "image_url": "https://example.com/cat.png"}),
        ("fal-ai/flux-pro/kontext/text-to-image", {"prompt": "x"}),
        ("fal-ai/flux-pro/kontext/multi", {"prompt": "x", "image_urls": ["https://example.com/cat.png"]}),
    ],
)
def test_seed_null_is_still_refused_where_the_contract_wants_a_whole_number(
    over: Any, model: str, args: dict[str, Any]
) -> None:
    client, seen = over(lambda request: httpx.Response(200, json={"request_id": RID}))
    with pytest.raises(E.InvalidInputError, match="seed: expected a whole number, got null"):
        client.submit(model, {**args, "seed": None})
    assert seen == [], "a refused input was sent"


@pytest.mark.parametrize("seed", [1.5, "7", True])
def test_a_flux1_seed_that_is_neither_a_whole_number_nor_null_is_refused(over: Any, seed: Any) -> None:
    client, seen = over(lambda request: httpx.Response(200, json={"request_id": RID}))
    with pytest.raises(E.InvalidInputError, match="seed: expected a whole number or null"):
        client.submit(FLUX_DEV, {"prompt": "x", "seed": seed})
    assert seen == []


# ---- a result whose images are not a list ----

BAD_IMAGES = {
    "null": (None, "images: expected a list, got null"),
    "string": ("not-a-list", 'images: expected a list, got "not-a-list"'),
    "number": (5, "images: expected a list, got 5"),
    "object": ({"url": "https://v3.fal.media/files/a.png"}, "images: expected a list, got {"),
    "null item": ([None], "images[0]: expected an object, got null"),
}


@pytest.mark.parametrize(
    "model", [FLUX_DEV, "fal-ai/flux-1/schnell", KONTEXT, "fal-ai/flux-pro/kontext/multi"]
)
@pytest.mark.parametrize("case", sorted(BAD_IMAGES))
def test_a_result_whose_images_are_not_a_list_names_the_field(over: Any, model: str, case: str) -> None:
    images, expected = BAD_IMAGES[case]
    body = json.dumps({**RESULT, "images": images}).encode()
    answer = httpx.Response(
        200, content=body, headers={"content-type": "application/json", "x-fal-request-id": "srv-1"}
    )
    client, _ = over(lambda request: answer)
    with pytest.raises(E.APIResponseValidationError) as info:
        client.result(model, RID)
    error = info.value
    assert expected in str(error) and "result:" in str(error)
    assert "NoneType" not in str(error) and "not iterable" not in str(error)
    assert error.body == body and error.status_code == 200
    assert error.request_id == RID and error.model_id == model and error.server_request_id == "srv-1"


@pytest.mark.parametrize("call", ["subscribe", "handle.get"])
def test_waiting_for_a_result_whose_images_are_null_ends_in_the_same_error(over: Any, call: str) -> None:
    client, seen = over(_job({"request_id": RID}, {**RESULT, "images": None}))
    wait = {
        "subscribe": lambda: client.subscribe(FLUX_DEV, {"prompt": "x"}, timeout=30),
        "handle.get": lambda: client.get_handle(FLUX_DEV, RID).get(timeout=30),
    }[call]
    with pytest.raises(E.APIResponseValidationError, match="images: expected a list, got null") as info:
        wait()
    assert info.value.request_id == RID
    results = [r for r in seen if r.method == "GET" and r.url.path.endswith(RID)]
    assert len(results) == 1, "a result that is not the documented shape was asked for again"
