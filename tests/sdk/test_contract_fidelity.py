"""The contract says what fal's own documents allow, and the generated client reads it.

A cancel's ``{"success": bool}``, a submit answer without its three URLs, ``seed: null`` for the
FLUX.1 inputs. The SDK's behaviour on these answers is tested through both clients in
``tests/integration/test_fidelity_leftovers.py``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fal_queue._schema import contract, input_schema
from fal_queue_api.api.queue import cancel_request
from fal_queue_api.client import Client as GeneratedClient
from fal_queue_api.models import CancelResponse, QueueSubmitResponse
from fal_queue_api.types import UNSET

RID = "551a32da-52b2-4be8-bf2f-bfb7cce2b324"


def _valid(schema_name: str, value: Any) -> bool:
    return contract().validator({"$ref": f"#/components/schemas/{schema_name}"}).is_valid(value)


def _operation(operation_id: str) -> dict[str, Any]:
    for item in contract().document["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    raise AssertionError(operation_id)


@pytest.mark.parametrize(
    "body",
    [{"success": True}, {"success": False}, {"status": "CANCELLATION_REQUESTED"}, {"status": "OK"}],
)
def test_every_documented_cancel_answer_fits_the_contract(body: dict[str, Any]) -> None:
    assert _valid("CancelResponse", body)


@pytest.mark.parametrize("body", [{}, {"success": "yes"}, {"status": 1}, []])
def test_a_cancel_answer_that_says_nothing_does_not_fit(body: Any) -> None:
    assert not _valid("CancelResponse", body)


def test_cancel_declares_fals_200_answer() -> None:
    responses = _operation("cancel_request")["responses"]
    assert {"200", "202", "400"} <= set(responses)
    example = responses["200"]["content"]["application/json"]["examples"]["accepted"]["value"]
    assert example == {"success": True} and _valid("CancelResponse", example)


@pytest.mark.parametrize("code", [200, 202, 400])
def test_the_generated_client_parses_success_and_status(code: int) -> None:
    client = GeneratedClient(base_url="https://gw.example")
    for body in ({"success": True}, {"status": "ALREADY_COMPLETED"}):
        parsed = cancel_request._parse_response(client=client, response=httpx.Response(code, json=body))
        assert isinstance(parsed, CancelResponse)
        assert parsed.success == body.get("success", UNSET) and parsed.status == body.get("status", UNSET)


def test_a_submit_answer_needs_only_its_request_id() -> None:
    assert _valid("QueueSubmitResponse", {"request_id": RID})
    assert not _valid("QueueSubmitResponse", {"status": "IN_QUEUE"})
    parsed = QueueSubmitResponse.from_dict({"request_id": RID, "queue_position": 2})
    assert parsed.request_id == RID and parsed.status_url is UNSET and parsed.queue_position == 2


def test_the_submit_links_take_only_what_every_submit_answer_has() -> None:
    required = set(contract().components["QueueSubmitResponse"]["required"])
    responses = contract().document["components"]["responses"]
    links = [link for r in responses.values() for link in r.get("links", {}).values()]
    assert links, "no submit links found"
    for link in links:
        for value in link["parameters"].values():
            if isinstance(value, str) and value.startswith("$response.body#/"):
                assert value.removeprefix("$response.body#/") in required, link


FLUX1 = (
    "fal-ai/flux-1/dev",
    "fal-ai/flux-1/schnell",
    "fal-ai/flux-1/dev/image-to-image",
    "fal-ai/flux-1/dev/redux",
    "fal-ai/flux-1/schnell/redux",
)
IMAGE_URL = "https://example.com/cat.png"


def _minimal(model_id: str) -> dict[str, Any]:
    schema = input_schema(model_id)
    assert schema is not None
    values = {"prompt": "a cat", "image_url": IMAGE_URL, "image_urls": [IMAGE_URL]}
    return {name: values[name] for name in schema.required}


@pytest.mark.parametrize("model_id", FLUX1)
def test_flux1_inputs_take_seed_null(model_id: str) -> None:
    schema = input_schema(model_id)
    assert schema is not None
    assert schema.problems({**_minimal(model_id), "seed": None}) == []
    assert schema.problems({**_minimal(model_id), "seed": 42}) == []


def test_every_other_typed_model_still_wants_a_whole_number() -> None:
    others = [m for m in contract().inputs if m not in FLUX1]
    assert len(others) == 6
    for model_id in others:
        schema = input_schema(model_id)
        assert schema is not None
        assert schema.problems({**_minimal(model_id), "seed": None}) == [
            "seed: expected a whole number, got null"
        ], model_id
