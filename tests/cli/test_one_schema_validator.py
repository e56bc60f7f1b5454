"""One validator of inputs (issue 14): the SDK, the CLI and the mock give the same verdict.

Each row goes through the three public doors: ``Client.submit`` (refused with InvalidInputError
before anything is sent), ``fal-queue run`` (exit 2 naming the field, nothing sent) and a raw POST
to the mock (422 whose item's ``loc`` names the field). Open contract (issue 11): unknown fields and
unknown values of known settings are sent as given unless strict.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from clikit import CliResult
from fal_queue import Client
from fal_queue import errors as E
from fal_queue._schema import contract, input_schema
from fal_queue.mock import MockGateway
from fal_queue.mock.spec import load_spec_index

Invoke = Callable[..., CliResult]
SCHNELL = "fal-ai/flux-1/schnell"
MULTI = "fal-ai/flux-pro/kontext/multi"

#: (model, input, None when accepted, else the refused field as the SDK and CLI name it, the mock's loc).
TABLE: list[tuple[str, dict[str, Any], tuple[str, list[Any]] | None]] = [
    (SCHNELL, {"prompt": "a lighthouse"}, None),
    (SCHNELL, {"prompt": "x", "image_size": "square_hd", "num_images": 4}, None),
    (SCHNELL, {"prompt": "x", "image_size": {"width": 512, "height": 384}}, None),
    (SCHNELL, {"prompt": "x", "acceleration": "turbo"}, None),  # a level fal may add: sent as given
    (SCHNELL, {"prompt": "x", "image_size": "square-hd"}, None),  # an unknown preset: sent, warned
    (SCHNELL, {"prompt": "x", "brand_new_field": 1}, None),  # an unknown field: sent, warned
    (SCHNELL, {"prompt": "x", "num_images": 9}, ("num_images: 9 is above the maximum 4", ["num_images"])),
    (
        SCHNELL,
        {"prompt": "x", "num_inference_steps": 0},
        ("num_inference_steps: 0 is below the minimum 1", ["num_inference_steps"]),
    ),
    (SCHNELL, {"prompt": "x", "seed": 1.5}, ("seed: expected a whole number or null, got 1.5", ["seed"])),
    (SCHNELL, {"prompt": "x", "sync_mode": "yes"}, ('sync_mode: expected boolean, got "yes"', ["sync_mode"])),
    (SCHNELL, {"prompt": 5}, ("prompt: expected string, got 5", ["prompt"])),
    (SCHNELL, {"seed": 1}, ("missing required field(s) 'prompt'", ["prompt"])),
    (
        SCHNELL,
        {"prompt": "x", "image_size": {"width": 0, "height": 10}},
        ("image_size.width: 0 is below the minimum 1", ["image_size", "width"]),
    ),
    (
        SCHNELL,
        {"prompt": "x", "image_size": 5},
        ("image_size: expected string or an object, got 5", ["image_size"]),
    ),
    (MULTI, {"prompt": "x", "image_urls": []}, ("image_urls: needs at least 1 item(s)", ["image_urls"])),
    (MULTI, {"prompt": "x", "image_urls": [1]}, ("image_urls[0]: expected string, got 1", ["image_urls", 0])),
]


def _ids() -> list[str]:
    return [f"{m.rsplit('/', 1)[-1]}-{json.dumps(a, sort_keys=True)}" for m, a, _ in TABLE]


def _sdk(gw: MockGateway, model: str, arguments: dict[str, Any]) -> str | None:
    """None when the SDK sent it (and the gateway took it), else the SDK's message."""
    before = gw.stats()["jobs_created"]
    with Client(gw.base_url, gw.key) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore", E.UnknownFieldWarning)  # expected for open fields; not the point
        try:
            handle = client.submit(model, arguments)
        except E.InvalidInputError as exc:
            assert gw.stats()["jobs_created"] == before, "refused, yet sent"
            return exc.message
    assert handle.request_id
    return None


def _cli(invoke: Invoke, gw: MockGateway, tmp_path: Path, model: str, arguments: dict[str, Any]) -> CliResult:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(arguments))
    return invoke(["run", model, "--input", str(path), "--no-download"], gw=gw)


def _mock(gw: MockGateway, model: str, arguments: dict[str, Any]) -> httpx.Response:
    with httpx.Client(base_url=gw.base_url, headers={"Authorization": f"Bearer {gw.key}"}, timeout=10) as c:
        return c.post(f"/{model}", json=arguments)


@pytest.mark.parametrize(("model", "arguments", "refused"), TABLE, ids=_ids())
def test_sdk_cli_and_mock_give_the_same_verdict(
    gateway: MockGateway,
    invoke: Invoke,
    tmp_path: Path,
    model: str,
    arguments: dict[str, Any],
    refused: tuple[str, list[Any]] | None,
) -> None:
    sdk = _sdk(gateway, model, arguments)
    before = gateway.stats()["jobs_created"]
    cli = _cli(invoke, gateway, tmp_path, model, arguments)
    after_cli = gateway.stats()["jobs_created"]
    mock = _mock(gateway, model, arguments)
    if refused is None:
        assert sdk is None
        assert cli.exit_code == 0, cli.stderr
        assert after_cli == before + 1
        assert mock.status_code == 200, mock.text
        return
    message, loc = refused
    assert sdk is not None and message in sdk, sdk
    assert cli.exit_code == 2 and message in cli.stderr and "nothing was sent" in cli.stderr, cli.stderr
    assert after_cli == before
    assert mock.status_code == 422, mock.text
    assert ["body", *loc] in [item["loc"] for item in mock.json()["detail"]], mock.json()


def test_strict_refuses_unknown_names_everywhere_and_unknown_values_in_the_clients(
    make_gateway: Callable[..., MockGateway], invoke: Invoke, tmp_path: Path
) -> None:
    gw = make_gateway(strict_inputs=True)
    name = {"prompt": "x", "promt": "y"}
    with Client(gw.base_url, gw.key) as client:
        with pytest.raises(E.InvalidInputError, match="promt"):
            client.submit(SCHNELL, name, strict=True)
        with pytest.raises(E.InvalidInputError, match="unknown value 'turbo'"):
            client.submit(SCHNELL, {"prompt": "x", "acceleration": "turbo"}, strict=True)
    path = tmp_path / "in.json"
    path.write_text(json.dumps(name))
    cli = invoke(["--strict", "run", SCHNELL, "--input", str(path), "--no-download"], gw=gw)
    assert (
        cli.exit_code == 2
        and "promt: unknown parameter for" in cli.stderr
        and "did you mean prompt?" in cli.stderr
    )
    path.write_text(json.dumps({"prompt": "x", "acceleration": "turbo"}))
    cli = invoke(["--strict", "run", SCHNELL, "--input", str(path), "--no-download"], gw=gw)
    assert cli.exit_code == 2 and "acceleration: unknown value 'turbo'" in cli.stderr
    assert gw.stats()["jobs_created"] == 0
    raw = _mock(gw, SCHNELL, name)
    assert raw.status_code == 422 and ["body", "promt"] in [i["loc"] for i in raw.json()["detail"]]
    # The contract leaves settings open (any string): fal may add levels, so the gateway takes them.
    assert _mock(gw, SCHNELL, {"prompt": "x", "acceleration": "turbo"}).status_code == 200


def test_half_a_size_is_a_cli_hint_not_a_schema_rule(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path
) -> None:
    half = {"prompt": "x", "image_size": {"width": 10}}
    assert _sdk(gateway, SCHNELL, half) is None
    assert _mock(gateway, SCHNELL, half).status_code == 200
    cli = _cli(invoke, gateway, tmp_path, SCHNELL, half)
    assert cli.exit_code == 2 and "image_size: missing 'height' (give both width and height)" in cli.stderr


def test_the_mock_validates_with_the_sdks_compiled_schemas() -> None:
    index = load_spec_index()
    assert index.raw is contract().document  # one parse of the packaged openapi.yaml
    for model_id, op in index.submits.items():
        assert op.body is input_schema(model_id), model_id  # one compilation per model


def test_the_validator_loads_lazily_and_without_the_cli_or_mock_extras() -> None:
    code = """
import sys
blocked = ("click", "rich", "starlette", "uvicorn", "PIL")
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ImportError(f"{name} is blocked")
sys.meta_path.insert(0, Block())
import fal_queue
assert not {"jsonschema", "yaml", "referencing"} & set(sys.modules), sorted(sys.modules)
from fal_queue._schema import input_schema
schema = input_schema("fal-ai/flux-1/schnell")
print(schema.problems({"prompt": "x", "num_images": 9}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "num_images: 9 is above the maximum 4" in done.stdout
