"""The SDK's table of typed models must follow the spec: a new submit operation fails this test
until the overlay knows it, and a renamed input schema fails it too."""

from __future__ import annotations

from pathlib import Path

import yaml
from fal_queue import TYPED_MODEL_IDS
from fal_queue._inputs import TYPED_MODELS

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text())


def test_typed_models_are_exactly_the_spec_submit_operations() -> None:
    spec_ops = {path.lstrip("/"): item["post"] for path, item in SPEC["paths"].items() if "post" in item}
    assert set(TYPED_MODELS) == set(spec_ops) == set(TYPED_MODEL_IDS)
    for model_id, (module, input_cls) in TYPED_MODELS.items():
        op = spec_ops[model_id]
        assert module.__name__.rsplit(".", 1)[-1] == op["operationId"], model_id
        schema = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert input_cls.__name__ == schema, model_id


def test_each_generated_submit_posts_to_its_model_path() -> None:
    import attrs

    for model_id, (module, input_cls) in TYPED_MODELS.items():
        required = {
            f.name: (["u"] if f.name == "image_urls" else "x")
            for f in attrs.fields(input_cls)
            if f.default is attrs.NOTHING
        }
        kwargs = module._get_kwargs(body=input_cls.from_dict(required))
        assert (kwargs["method"], kwargs["url"]) == ("post", f"/{model_id}")
