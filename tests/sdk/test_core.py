"""The shared core: status parsing that never crashes, input checks before sending, error mapping."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from fal_queue import errors as E
from fal_queue._answers import Context, error_from_answer, parse_status
from fal_queue._inputs import prepare_input
from fal_queue._transport import Secret
from fal_queue.errors import RequestIdMismatchError
from fal_queue.polling import decode_event
from fal_queue.types import Completed, File, InProgress, Queued, Result, UnknownStatus
from fal_queue_api import models as gen
from hypothesis import given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
status_like = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["IN_QUEUE", "IN_PROGRESS", "COMPLETED", "FAILED", "", "weird"])
        | json_values,
        "queue_position": json_values,
        "logs": json_values,
        "metrics": json_values,
        "error": json_values,
        "error_type": json_values,
        "request_id": json_values,
        "status_url": json_values,
        "response_url": st.just("https://queue.fal.run/fal-ai/flux-1/requests/x"),
    },
)


@settings(max_examples=300)
@given(data=status_like | json_values)
def test_parsing_any_status_json_gives_a_typed_status(data: Any) -> None:
    named = data.get("request_id") if isinstance(data, dict) else None
    if isinstance(named, str) and named and named != "rid":
        # An answer about another job is never followed (see test_hostile_gateways).
        with pytest.raises(RequestIdMismatchError) as info:
            parse_status(data, request_id="rid", base_url="http://127.0.0.1:1")
        assert (info.value.expected, info.value.received) == ("rid", named)
        return
    status = parse_status(data, request_id="rid", base_url="http://127.0.0.1:1")
    assert isinstance(status, Queued | InProgress | Completed | UnknownStatus)
    assert isinstance(status.request_id, str)
    if isinstance(status, Queued):
        assert status.position is None or isinstance(status.position, int)
    if not isinstance(data, dict) or data.get("status") not in ("IN_QUEUE", "IN_PROGRESS", "COMPLETED"):
        assert isinstance(status, UnknownStatus) and not status.done
    if status.response_url is not None:
        assert status.response_url.startswith("http://127.0.0.1:1/")


@settings(max_examples=300)
@given(data=json_values)
def test_any_result_json_gives_files_or_nothing(data: Any) -> None:
    raw = data if isinstance(data, dict) else {"value": data}
    result = Result(request_id="r", model_id="a/b", raw=raw)
    for file in result.files:
        assert isinstance(file, File) and isinstance(file.url, str)
    assert isinstance(result.images, list)
    assert result.video is None or isinstance(result.video, File)


@given(text=st.text(max_size=50))
def test_decoding_any_sse_payload_never_raises(text: str) -> None:
    status = decode_event(text, request_id="r", base_url="http://127.0.0.1:1")
    assert status is None or status.request_id


def test_status_kinds() -> None:
    queued = parse_status({"status": "IN_QUEUE", "queue_position": 3}, request_id="r", base_url="http://h")
    assert isinstance(queued, Queued) and queued.position == 3
    done = parse_status(
        {
            "status": "COMPLETED",
            "error": "boom",
            "error_type": "runner_disconnected",
            "logs": [{"message": "x"}],
        },
        request_id="r",
        base_url="http://h",
    )
    assert isinstance(done, Completed) and done.failed and done.logs == ({"message": "x"},)
    assert not parse_status(
        {"status": "COMPLETED", "error": None}, request_id="r", base_url="http://h"
    ).failed


def test_typed_model_accepts_dict_or_generated_model() -> None:
    model, body = prepare_input("fal-ai/flux-1/schnell", {"prompt": "a cat", "num_images": 2})
    assert isinstance(model, gen.FluxSchnellTextToImageInput)
    assert body == {"prompt": "a cat", "num_images": 2}
    typed = gen.FluxSchnellTextToImageInput(prompt="x", image_size="square_hd")
    model, body = prepare_input("fal-ai/flux-1/schnell", typed)
    assert model is typed and body == {"prompt": "x", "image_size": "square_hd"}


def test_untyped_model_takes_any_json_object() -> None:
    model, body = prepare_input("fal-ai/some/video-model", {"anything": [1, {"x": None}]})
    assert model is None and body == {"anything": [1, {"x": None}]}


@pytest.mark.parametrize(
    ("model_id", "arguments", "match"),
    [
        ("fal-ai/flux-1/dev", {"num_images": 1}, "missing required field.*'prompt'"),
        ("fal-ai/flux-1/dev", ["prompt"], "must be a dict"),
        ("fal-ai/flux-1/dev", "a cat", "must be a dict"),
        ("fal-ai/x/y", {"when": object()}, "not JSON-serializable"),
        ("fal-ai/x/y", {"n": math.nan}, "JSON cannot carry"),
        ("fal-ai/x/y", {1: "x"}, "non-string key"),
        ("fal-ai/flux-1/dev", gen.KontextEditInput(prompt="x", image_url="u"), "not the input of"),
        ("nope", {"prompt": "x"}, "invalid model id"),
    ],
)
def test_bad_input_is_rejected_before_sending(model_id: str, arguments: Any, match: str) -> None:
    with pytest.raises(E.InvalidInputError, match=match):
        prepare_input(model_id, arguments)


@pytest.mark.parametrize(
    ("model_id", "arguments", "match"),
    [
        ("fal-ai/flux-1/dev", {"prompt": "x", "guidance": 3}, "unknown field.*'guidance'"),
        ("fal-ai/flux-1/dev/redux", {"prompt": "x", "image_url": "u"}, "unknown field.*'prompt'"),
        ("fal-ai/flux-1/dev", {"prompt": "x", "num_image": 2}, "did you mean num_images"),
    ],
)
def test_strict_refuses_unknown_fields_before_sending(model_id: str, arguments: Any, match: str) -> None:
    with pytest.raises(E.InvalidInputError, match=match):
        prepare_input(model_id, arguments, strict=True)


def test_unknown_fields_are_sent_with_one_warning_each() -> None:
    arguments = {"prompt": "x", "num_image": 2, "enhance_prompt_v9": True}
    with pytest.warns(E.UnknownFieldWarning) as caught:
        model, body = prepare_input("fal-ai/flux-1/dev", arguments)
    assert model is None and body == arguments  # sent as given
    messages = sorted(str(w.message) for w in caught)
    assert messages[1] == "num_image: unknown for fal-ai/flux-1/dev, did you mean num_images?"
    assert messages[0].startswith("enhance_prompt_v9: unknown for fal-ai/flux-1/dev")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prepare_input("fal-ai/flux-1/dev", arguments)  # once per field: no second warning
    # Known fields keep their checks (types, ranges), against the packaged contract.
    for bad, match in [
        ({"num_inference_steps": "many"}, 'num_inference_steps: expected a whole number, got "many"'),
        ({"num_images": 9}, "num_images: 9 is above the maximum 4"),
        ({"prompt": 5}, "prompt: expected string, got 5"),
        ({"image_size": 5}, "image_size: expected string or an object, got 5"),
        ({"image_size": {"width": 0}}, r"image_size\.width: 0 is below the minimum 1"),
    ]:
        with pytest.raises(E.InvalidInputError, match=match):
            prepare_input("fal-ai/flux-1/dev", {"prompt": "x", "zz": 1, **bad})


def test_unknown_enum_values_are_sent_with_a_warning_and_refused_when_strict() -> None:
    arguments = {"prompt": "x", "acceleration": "turbo", "image_size": "square-hd"}
    with pytest.warns(E.UnknownFieldWarning) as caught:
        model, body = prepare_input("fal-ai/flux-1/schnell", arguments)
    assert model is None and body == arguments
    text = " ".join(str(w.message) for w in caught)
    assert "acceleration: unknown value 'turbo'" in text and "did you mean 'square_hd'?" in text
    with pytest.raises(E.InvalidInputError, match="unknown value 'turbo'"):
        prepare_input("fal-ai/flux-1/schnell", {"prompt": "x", "acceleration": "turbo"}, strict=True)


def _answer(status: int, body: Any, headers: dict[str, str] | None = None) -> E.APIStatusError:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    ctx = Context("result", model_id="fal-ai/flux-1/dev", request_id="rid-1", secret=Secret("k-123"))
    return error_from_answer(status, headers or {"x-fal-request-id": "srv-9"}, content, ctx)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, E.BadRequestError),
        (401, E.AuthenticationError),
        (403, E.PermissionDeniedError),
        (404, E.NotFoundError),
        (422, E.ValidationError),
        (429, E.RateLimitError),
        (500, E.ServerError),
        (502, E.ServerError),
        (503, E.ServerError),
        (504, E.ServerError),
        (409, E.APIStatusError),
    ],
)
def test_status_codes_map_to_typed_errors_carrying_both_request_ids(
    status: int, cls: type[E.APIStatusError]
) -> None:
    err = _answer(status, {"detail": "nope", "error_type": "some_kind"})
    assert type(err) is cls
    assert err.status_code == status and err.request_id == "rid-1" and err.server_request_id == "srv-9"
    assert err.error_type == "some_kind"
    assert "rid-1" in str(err) and "srv-9" in str(err)


def test_validation_error_names_each_field() -> None:
    body = {
        "detail": [
            {
                "loc": ["body", "guidance_scale"],
                "msg": "Input should be less than or equal to 20",
                "type": "less_than_equal",
                "ctx": {"le": 20},
                "input": 21,
            },
            {"loc": ["body", "image_size", "width"], "msg": "too big", "type": "less_than_equal"},
        ]
    }
    err = _answer(422, body)
    assert isinstance(err, E.ValidationError)
    assert [e.field for e in err.errors] == ["guidance_scale", "image_size.width"]
    assert err.errors[0].ctx == {"le": 20} and err.errors[0].input == 21
    assert "guidance_scale: Input should be less than or equal to 20" in str(err)


def test_html_ingress_error_and_fal_error_type_header() -> None:
    err = _answer(
        503, b"<html><body>503 Service Temporarily Unavailable</body></html>", {"X-Fal-Error-Type": "x"}
    )
    assert isinstance(err, E.ServerError) and "HTML" in err.message and err.server_request_id is None
    assert err.error_type == "x"


def test_rate_limit_carries_retry_after() -> None:
    err = _answer(429, {"detail": "slow down"}, {"Retry-After": "7"})
    assert isinstance(err, E.RateLimitError) and err.retry_after == 7.0


def test_error_text_never_contains_the_key() -> None:
    err = _answer(401, {"detail": "key k-123 is not valid"})
    assert "k-123" not in str(err) and "k-123" not in repr(err.message)


def test_field_errors_are_read_one_way_for_api_errors_and_webhook_failures() -> None:
    """A 422 ``detail`` list gives the same FieldErrors on an API error and on a failed job's webhook."""
    from fal_queue import errors as E
    from fal_queue.webhooks import WebhookFailure

    detail = [
        {"loc": ["body", "image_urls", 1], "msg": "bad url", "type": "value_error", "input": "x"},
        {"loc": ["body", {"odd": 1}], "msg": "odd part", "type": "t"},  # kept as text, not dropped
        {"msg": "no loc"},
        "not a mapping",
    ]
    found = E.FieldError.list_from(detail)
    assert [e.field for e in found] == ["image_urls.1", "{'odd': 1}"]
    assert found[0].loc == ("body", "image_urls", 1) and found[0].input == "x"
    assert E.FieldError.list_from({"detail": detail}) == [] and E.FieldError.list_from(None) == []
    failure = WebhookFailure(
        request_id="r",
        gateway_request_id=None,
        user_id="u",
        timestamp=0,
        payload_error=None,
        raw={},
        payload={"detail": detail},
    )
    assert failure.errors == found
