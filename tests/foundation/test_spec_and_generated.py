"""The contract foundation: the spec lists the gateway's models, and the generated client round-trips
the seed documents' examples without sending fields the caller did not set."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fal_queue_api import models as gen
from fal_queue_api.types import Unset

ROOT = Path(__file__).resolve().parents[2]
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())

SEED_MODELS = {
    "fal-ai/flux-1/dev",
    "fal-ai/flux-1/dev/image-to-image",
    "fal-ai/flux-1/dev/redux",
    "fal-ai/flux-1/schnell",
    "fal-ai/flux-1/schnell/redux",
    "fal-ai/flux-pro/kontext",
    "fal-ai/flux-pro/kontext/max",
    "fal-ai/flux-pro/kontext/max/multi",
    "fal-ai/flux-pro/kontext/max/text-to-image",
    "fal-ai/flux-pro/kontext/multi",
    "fal-ai/flux-pro/kontext/text-to-image",
}

SEED_QUEUE_RESPONSE = {
    "status": "IN_QUEUE",
    "request_id": "551a32da-52b2-4be8-bf2f-bfb7cce2b324",
    "response_url": "https://queue.fal.run/fal-ai/flux-1/requests/551a32da-52b2-4be8-bf2f-bfb7cce2b324",
    "status_url": "https://queue.fal.run/fal-ai/flux-1/requests/551a32da-52b2-4be8-bf2f-bfb7cce2b324/status",
    "cancel_url": "https://queue.fal.run/fal-ai/flux-1/requests/551a32da-52b2-4be8-bf2f-bfb7cce2b324/cancel",
    "queue_position": 0,
}
SEED_IMAGE_RESULT = {
    "images": [
        {
            "url": "https://v3.fal.media/files/rabbit/aQEmU4lEKKIIr9cDOChUB.png",
            "width": 1024,
            "height": 768,
            "content_type": "image/png",
        }
    ],
    "timings": {"inference": 1.2249955059960485},
    "seed": 920212137,
    "has_nsfw_concepts": [False],
    "prompt": "Extreme close-up of a single cat eye",
}
SEED_VIDEO_RESULT = {
    "video": {
        "url": "https://v3.fal.media/files/lion/eSsTNfWQRXfWGim1B8ZL5_output.mp4",
        "content_type": "video/mp4",
        "file_name": "output.mp4",
        "file_size": 946834,
    }
}


def submit_operations() -> dict[str, dict[str, Any]]:
    return {path.lstrip("/"): item["post"] for path, item in SPEC["paths"].items() if "post" in item}


def resolve(ref: str) -> dict[str, Any]:
    node: Any = SPEC
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return dict(node)


def test_spec_lists_exactly_the_eleven_models_of_the_seeds() -> None:
    assert set(submit_operations()) == SEED_MODELS


def test_every_submit_operation_has_a_generated_module_and_input_model() -> None:
    for model_id, op in submit_operations().items():
        module = importlib.import_module(f"fal_queue_api.api.submit.{op['operationId']}")
        assert callable(module.sync_detailed) and callable(module.asyncio_detailed), model_id
        schema_ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert hasattr(gen, schema_ref.rsplit("/", 1)[-1]), schema_ref


def _example_values(op: dict[str, Any]) -> list[dict[str, Any]]:
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    return [resolve(e["$ref"])["value"] if "$ref" in e else e["value"] for e in examples.values()]


def _full_input(schema_name: str, example: dict[str, Any]) -> dict[str, Any]:
    """The example plus a valid value for every optional field of the schema."""
    schema = SPEC["components"]["schemas"][schema_name]
    values: dict[str, Any] = {
        "image_size": {"width": 640, "height": 480},
        "num_inference_steps": 10,
        "seed": 42,
        "guidance_scale": 4.0,
        "sync_mode": False,
        "num_images": 2,
        "enable_safety_checker": False,
        "output_format": "png",
        "acceleration": "high",
        "strength": 0.5,
        "safety_tolerance": "3",
        "enhance_prompt": True,
        "aspect_ratio": "16:9",
        "prompt": "a cat",
        "image_url": "https://example.com/a.png",
        "image_urls": ["https://example.com/a.png", "https://example.com/b.png"],
    }
    full = {name: values[name] for name in schema["properties"]}
    full.update(example)
    return full


@pytest.mark.parametrize("model_id", sorted(SEED_MODELS))
def test_full_example_input_round_trips_through_the_generated_model(model_id: str) -> None:
    op = submit_operations()[model_id]
    schema_name = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    input_cls = getattr(gen, schema_name)
    for example in _example_values(op):
        for payload in (example, _full_input(schema_name, example)):
            model = input_cls.from_dict(payload)
            assert model.to_dict() == payload
            assert json.loads(json.dumps(model.to_dict())) == payload


def test_unset_optional_fields_are_not_serialized() -> None:
    body = gen.FluxDevTextToImageInput(prompt="a cat").to_dict()
    assert body == {"prompt": "a cat"}
    kontext = gen.KontextTextToImageInput(prompt="x").to_dict()
    assert kontext == {"prompt": "x"}
    assert isinstance(gen.FluxDevTextToImageInput(prompt="a").guidance_scale, Unset)


def test_spec_states_no_input_defaults_that_the_generator_would_send() -> None:
    def walk(node: Any, path: str) -> list[str]:
        found = []
        if isinstance(node, dict):
            if "default" in node:
                found.append(path)
            for key, value in node.items():
                found += walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found += walk(value, f"{path}/{index}")
        return found

    assert walk(SPEC["components"]["schemas"], "#/components/schemas") == []


def test_seed_queue_response_parses_into_the_generated_model() -> None:
    parsed = gen.QueueSubmitResponse.from_dict(SEED_QUEUE_RESPONSE)
    assert parsed.request_id == SEED_QUEUE_RESPONSE["request_id"]
    assert parsed.queue_position == 0
    assert parsed.to_dict() == SEED_QUEUE_RESPONSE


def test_seed_image_result_parses_into_image_output() -> None:
    parsed = gen.ImageOutput.from_dict(SEED_IMAGE_RESULT)
    assert parsed.images[0].width == 1024
    assert parsed.images[0].content_type == "image/png"
    assert parsed.to_dict() == SEED_IMAGE_RESULT


def test_seed_video_result_parses_into_video_output_and_not_image_output() -> None:
    parsed = gen.VideoOutput.from_dict(SEED_VIDEO_RESULT)
    assert parsed.video.file_size == 946834
    with pytest.raises(KeyError):
        gen.ImageOutput.from_dict(SEED_VIDEO_RESULT)


def test_generated_result_parser_picks_the_right_shape() -> None:
    import httpx
    from fal_queue_api.api.queue.get_result import _parse_response
    from fal_queue_api.client import Client

    client = Client(base_url="http://127.0.0.1")
    for body, expected in (
        (SEED_IMAGE_RESULT, gen.ImageOutput),
        (SEED_VIDEO_RESULT, gen.VideoOutput),
        ({"audio": {"url": "x"}}, gen.GenericOutput),
    ):
        parsed = _parse_response(client=client, response=httpx.Response(200, json=body))
        assert isinstance(parsed, expected)


def test_every_operation_declares_the_error_statuses() -> None:
    required = {"401", "403", "404", "422", "429", "500", "502", "503", "504"}
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method in {"get", "post", "put"}:
                assert required <= set(op["responses"]), (method, path)
                assert "400" in op["responses"], (method, path)


def test_rate_limit_response_declares_retry_after() -> None:
    assert "Retry-After" in SPEC["components"]["responses"]["RateLimited"]["headers"]


def test_submits_link_to_status_result_and_cancel() -> None:
    for model_id, op in submit_operations().items():
        response = op["responses"]["200"]
        links = resolve(response["$ref"])["links"]
        targets = {link["operationId"] for link in links.values()}
        assert {"get_status", "get_result", "cancel_request"} <= targets, model_id
        app = "flux-1" if model_id.startswith("fal-ai/flux-1/") else "flux-pro"
        assert all(link["parameters"]["app"] == app for link in links.values()), model_id


INPUT_SCHEMAS = sorted(
    {
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        for op in submit_operations().values()
    }
)


@pytest.mark.parametrize("schema_name", INPUT_SCHEMAS)
def test_inputs_are_open_like_fals(schema_name: str) -> None:
    """fal's apps ignore fields they do not know; the contract and the generated models keep them."""
    assert SPEC["components"]["schemas"][schema_name]["additionalProperties"] is True
    input_cls = getattr(gen, schema_name)
    required = {"prompt": "a cat", "image_url": "https://example.com/a.png", "image_urls": ["u"]}
    body = {
        k: v for k, v in required.items() if k in SPEC["components"]["schemas"][schema_name]["properties"]
    }
    payload = {**body, "field_fal_adds_next_month": {"nested": [1, 2]}}
    model = input_cls.from_dict(payload)
    assert model.additional_properties == {"field_fal_adds_next_month": {"nested": [1, 2]}}
    assert model.to_dict() == payload


def test_enum_fields_take_known_and_unknown_values() -> None:
    """A known value comes back as the generated Literal; a value fal adds later is kept as a str."""
    from fal_queue_api.models.acceleration import ACCELERATION_VALUES, check_acceleration

    known = gen.FluxDevTextToImageInput.from_dict({"prompt": "x", "acceleration": "high"})
    assert known.acceleration == check_acceleration("high") == "high"
    assert "turbo" not in ACCELERATION_VALUES
    with pytest.raises(TypeError):
        check_acceleration("turbo")
    unknown = gen.FluxDevTextToImageInput.from_dict(
        {"prompt": "x", "acceleration": "turbo", "output_format": "webp", "image_size": "square_xl"}
    )
    assert (unknown.acceleration, unknown.output_format, unknown.image_size) == ("turbo", "webp", "square_xl")
    assert unknown.to_dict() == {
        "prompt": "x",
        "acceleration": "turbo",
        "output_format": "webp",
        "image_size": "square_xl",
    }
    kontext = gen.KontextEditInput.from_dict(
        {"prompt": "x", "image_url": "u", "safety_tolerance": "7", "aspect_ratio": "5:4"}
    )
    assert (kontext.safety_tolerance, kontext.aspect_ratio) == ("7", "5:4")
    sized = gen.FluxDevTextToImageInput.from_dict({"prompt": "x", "image_size": {"width": 64, "height": 64}})
    assert isinstance(sized.image_size, gen.ImageSize) and sized.image_size.width == 64


def test_every_enum_valued_input_field_is_open() -> None:
    """No input property refers to a closed enum: each goes through an `anyOf` with a plain string."""
    schemas = SPEC["components"]["schemas"]

    def target(node: dict[str, Any]) -> dict[str, Any]:
        return schemas[node["$ref"].rsplit("/", 1)[-1]] if "$ref" in node else node

    for name in INPUT_SCHEMAS:
        for field_name, prop in schemas[name]["properties"].items():
            resolved = target(prop)
            assert "enum" not in resolved, (name, field_name)
            members = [target(m) for m in resolved.get("anyOf", [])]
            if any("enum" in m for m in members):
                assert {"type": "string"} in [
                    {k: v for k, v in m.items() if k != "description"} for m in members
                ], (name, field_name)


def _header_validator(name: str) -> Any:
    import jsonschema

    param = SPEC["components"]["parameters"][name]
    schema = {**param["schema"], "components": SPEC["components"]}
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    ("parameter", "accepted", "refused"),
    [
        ("QueuePriority", ["normal", "low", "high", "urgent", ""], []),
        (
            "NoRetry",
            ["yes", "YES", "Yes", "1", "true", "True", "no", "NO", "0", "false", "FALSE"],
            ["maybe", "2", " 1"],
        ),
        ("RequestTimeout", [1.5, 30, 86400.0, 1e9], [1, 1.0, 0.5, 0.1, 0, -3, 1e-255]),
        ("RequestStartTimeout", [1.001, 30], [1, 0.9]),
    ],
)
def test_request_header_schemas_say_what_fal_accepts(
    parameter: str, accepted: list[Any], refused: list[Any]
) -> None:
    validator = _header_validator(parameter)
    assert [v for v in accepted if not validator.is_valid(v)] == []
    assert [v for v in refused if validator.is_valid(v)] == []


def test_both_start_timeout_headers_are_submit_parameters_and_sent() -> None:
    from fal_queue_api.api.submit import submit_flux_dev

    for op in submit_operations().values():
        refs = {p["$ref"].rsplit("/", 1)[-1] for p in op["parameters"]}
        assert {"RequestTimeout", "RequestStartTimeout", "QueuePriority", "NoRetry"} <= refs
    kwargs = submit_flux_dev._get_kwargs(
        body=gen.FluxDevTextToImageInput(prompt="x"),
        x_fal_request_timeout=30.0,
        x_fal_request_start_timeout=20.0,
        x_fal_queue_priority="high",
        x_fal_no_retry="YES",
    )
    headers = kwargs["headers"]
    assert headers["X-Fal-Request-Timeout"] == "30.0"
    assert headers["X-Fal-Request-Start-Timeout"] == "20.0"
    assert (headers["X-Fal-Queue-Priority"], headers["X-Fal-No-Retry"]) == ("high", "YES")


def _result_validator() -> Any:
    import jsonschema

    schema = {"$ref": "#/components/schemas/ResultOutput", "components": SPEC["components"]}
    return jsonschema.Draft202012Validator(schema)


KONTEXT_EDIT_RESULT = {
    "images": [{"url": "https://v3.fal.media/files/x.jpg", "content_type": "image/jpeg"}],
    "timings": {},
    "seed": 1,
    "has_nsfw_concepts": [False],
    "prompt": "make it green",
}


@pytest.mark.parametrize(
    "result",
    [
        SEED_IMAGE_RESULT,
        SEED_VIDEO_RESULT,
        KONTEXT_EDIT_RESULT,
        {"audio": {"url": "https://v3.fal.media/a.mp3"}},  # a model this document does not list
        {"images": [{"url": "https://v3.fal.media/u.png"}], "upscale_factor": 4},  # ditto, with images
        {},
    ],
)
def test_valid_results_pass(result: dict[str, Any]) -> None:
    assert list(_result_validator().iter_errors(result)) == []


@pytest.mark.parametrize(
    "result",
    [
        {"images": "not-a-list"},
        {"images": [{"width": 1024, "height": 768}]},  # an image without url
        {"images": ["https://v3.fal.media/u.png"]},
        {"video": "https://v3.fal.media/v.mp4"},
        {"video": {"content_type": "video/mp4"}},
        {**SEED_IMAGE_RESULT, "images": {"url": "u"}},
        [SEED_IMAGE_RESULT],
    ],
)
def test_wrong_result_shapes_fail(result: Any) -> None:
    assert not _result_validator().is_valid(result)


def test_nine_models_images_carry_their_size() -> None:
    image = SPEC["components"]["schemas"]["Image"]
    assert {"url", "width", "height"} <= set(image["required"])
    with pytest.raises(KeyError):
        gen.Image.from_dict({"url": "u"})


def test_generated_result_parser_takes_sizeless_kontext_images_and_refuses_wrong_shapes() -> None:
    import httpx
    from fal_queue_api.api.queue.get_result import _parse_response
    from fal_queue_api.client import Client

    client = Client(base_url="http://127.0.0.1")
    parsed = _parse_response(client=client, response=httpx.Response(200, json=KONTEXT_EDIT_RESULT))
    assert isinstance(parsed, gen.KontextEditOutput)
    assert isinstance(parsed.images[0].width, Unset)
    with pytest.raises((TypeError, ValueError, KeyError, AttributeError)):
        _parse_response(client=client, response=httpx.Response(200, json={"images": "not-a-list"}))


def test_no_schema_keyword_is_a_stray_null() -> None:
    """A comma inside an unquoted flow-mapping description (`{ description: a, b }`) makes `b` a key
    with a null value; no schema keyword is ever null."""

    def strays(node: Any, path: str) -> list[str]:
        found: list[str] = []
        if isinstance(node, dict):
            for key, value in node.items():
                if value is None and key not in ("default", "const", "example"):
                    found.append(f"{path}/{key}")
                found += strays(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found += strays(value, f"{path}/{index}")
        return found

    roots = {"schemas": SPEC["components"]["schemas"], "parameters": SPEC["components"]["parameters"]}
    assert strays(roots, "#/components") == []
