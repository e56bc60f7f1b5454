"""``tools/spec_import.py``: fal's per-model documents merged into a temporary copy of the contract."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fal_queue import InvalidInputError, ValidationError
from fal_queue.mock import MockConfig
from fal_queue.mock.spec import _build
from fal_queue.testing import InProcessGateway

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from spec_import import ImportRefused, import_model  # noqa: E402
from spec_import import main as spec_import  # noqa: E402

DOCS = Path(__file__).parent / "fixtures" / "fal_docs"
LORA, VIDEO, GENERAL = (
    DOCS / "flux-lora.json",
    DOCS / "kling-video-v2-master-text-to-video.json",
    DOCS / "flux-general.json",
)
BIN = Path(sys.executable).parent
NODE_BIN = ROOT / "node_modules" / ".bin"


def _copy_repo(target: Path) -> Path:
    for name in ("openapi.yaml", ".spectral.yaml", "openapi-python-client.yaml"):
        shutil.copy(ROOT / name, target / name)
    for name in ("spec", "tools"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    return target / "openapi.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return _copy_repo(tmp_path)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repo files with the three fixture models imported."""
    spec = _copy_repo(tmp_path_factory.mktemp("repo"))
    for doc in (LORA, VIDEO, GENERAL):
        import_model(doc, spec, changelog=spec.parent / "spec" / "CHANGELOG.md")
    return spec


def _load(spec: Path) -> dict:
    return yaml.safe_load(spec.read_text())


def _bumped(minors: int) -> str:
    """The contract's version with ``minors`` minor bumps (each import is one)."""
    major, minor, _ = _load(ROOT / "openapi.yaml")["info"]["version"].split(".")
    return f"{major}.{int(minor) + minors}.0"


def test_the_models_are_merged_in_the_projects_conventions(imported: Path) -> None:
    spec = _load(imported)
    assert spec["info"]["version"] == _bumped(3)
    op = spec["paths"]["/fal-ai/flux-lora"]["post"]
    assert op["operationId"] == "submit_flux_lora"
    assert op["tags"] == ["submit"]
    assert [p["$ref"].rsplit("/", 1)[1] for p in op["parameters"]][:2] == ["FalWebhook", "RequestTimeout"]
    assert op["responses"]["200"] == {"$ref": "#/components/responses/QueuedFluxLora"}
    links = spec["components"]["responses"]["QueuedFluxLora"]["links"]
    assert links["status"]["parameters"]["app"] == "flux-lora"
    schemas = spec["components"]["schemas"]
    lora = schemas["FluxLoraInput"]
    assert lora["additionalProperties"] is True  # open like fal's inputs
    assert "default" not in lora["properties"]["num_images"]
    assert lora["properties"]["num_images"]["description"].endswith("Default: 1.")
    assert lora["properties"]["seed"]["type"] == ["integer", "null"]  # 3.0 nullable -> 3.1
    assert lora["properties"]["prompt"]["examples"]  # examples arrays kept as fal publishes them
    size = lora["properties"]["image_size"]["anyOf"]
    assert size[0] == {"$ref": "#/components/schemas/FluxLoraImageSize"}  # differs from ours: renamed
    assert "landscape_4_3" in size[1]["enum"]
    assert lora["properties"]["loras"]["items"] == {"$ref": "#/components/schemas/LoraWeight"}
    # An ImageSize identical to the contract's own is reused, not copied.
    general = schemas["FluxGeneralInput"]
    assert general["properties"]["image_size"] == {"$ref": "#/components/schemas/ImageSize"}
    assert "FluxGeneralImageSize" not in schemas
    nested = general["properties"]["easycontrols"]["items"]["items"]
    assert nested["required"] == ["image_url"]
    assert schemas["ControlNet"]["properties"]["timing"]["$ref"] == "#/components/schemas/ControlTiming"
    video = spec["paths"]["/fal-ai/kling-video/v2/master/text-to-video"]["post"]
    assert video["responses"]["200"]["$ref"].endswith("/QueuedKlingVideo")
    # The anchors of the hand-written file survive (the merge inserts text, it does not re-dump).
    assert "parameters: &submitParameters" in imported.read_text()
    changelog = (imported.parent / "spec" / "CHANGELOG.md").read_text()
    assert (
        changelog.index(f"## {_bumped(3)}")
        < changelog.index(f"## {_bumped(2)}")
        < changelog.index(f"## {_bumped(1)}")
    )
    assert "`fal-ai/flux-lora`" in changelog


def test_an_existing_model_needs_replace(repo: Path) -> None:
    import_model(LORA, repo)
    before = repo.read_text()
    with pytest.raises(ImportRefused, match=r"already in .*--replace"):
        import_model(LORA, repo)
    assert repo.read_text() == before
    result = import_model(LORA, repo, replace=True)
    assert result.replaced
    spec = _load(repo)
    assert spec["info"]["version"] == _bumped(2)
    assert repo.read_text().count("  /fal-ai/flux-lora:\n") == 1
    with pytest.raises(ImportRefused, match="already in"):
        import_model(DOCS / "flux-lora.json", repo, model_id="fal-ai/flux-lora")


def test_unconvertible_constructs_are_refused_by_name(repo: Path, tmp_path: Path) -> None:
    doc = json.loads(GENERAL.read_text())
    doc["components"]["schemas"]["ControlNet"]["discriminator"] = {"propertyName": "path"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    before = repo.read_text()
    with pytest.raises(ImportRefused, match=r"components\.schemas\.ControlNet: the keyword 'discriminator'"):
        import_model(bad, repo)
    doc = json.loads(GENERAL.read_text())
    doc["components"]["schemas"]["FluxGeneralInput"]["properties"]["x"] = {"$ref": "other.json#/Thing"}
    bad.write_text(json.dumps(doc))
    with pytest.raises(ImportRefused, match="not a local component schema"):
        import_model(bad, repo)
    assert repo.read_text() == before


def test_the_cli_imports_and_explains_refusals(repo: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(spec_import, [str(VIDEO), "--spec", str(repo)], catch_exceptions=False)
    assert ok.exit_code == 0, ok.output
    assert (
        "added fal-ai/kling-video/v2/master/text-to-video as submit_kling_video_v2_master_text_to_video"
        in ok.output
    )
    again = runner.invoke(spec_import, [str(VIDEO), "--spec", str(repo)], catch_exceptions=False)
    assert again.exit_code == 2
    assert "pass --replace" in again.output
    missing = runner.invoke(spec_import, [str(tmp_path / "nope.json"), "--spec", str(repo)])
    assert missing.exit_code == 2
    assert "cannot read" in missing.output and "Traceback" not in missing.output


def test_the_mock_serves_the_new_model_and_the_client_submits_to_it(imported: Path) -> None:
    index = _build(_load(imported))
    with (
        InProcessGateway(MockConfig(queue_delay=0.01, run_time=0.02), spec=index) as gw,
        gw.client() as client,
    ):
        result = client.subscribe(
            "fal-ai/flux-lora",
            {"prompt": "a fox", "loras": [{"path": "https://example.com/l.safetensors", "scale": 0.8}]},
            timeout=30,
        )
        assert len(result.images) == 1
        video = client.subscribe(
            "fal-ai/kling-video/v2/master/text-to-video", {"prompt": "a kite"}, timeout=30
        )
        assert video.video is not None
        assert video.video.content_type == "video/mp4"
        with pytest.raises((ValidationError, InvalidInputError)):  # the mock validates against the new schema
            client.submit("fal-ai/flux-lora", {"prompt": "a fox", "loras": [{"scale": 0.8}]})


@pytest.mark.slow
def test_the_merged_contract_passes_every_lint_and_generates(imported: Path) -> None:
    cwd = imported.parent
    env = {**os.environ, "PATH": f"{BIN}:{NODE_BIN}:{os.environ['PATH']}", "REDOCLY_TELEMETRY": "off"}

    def run(*args: str) -> str:
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{args[0]}: {done.stdout[-2000:]} {done.stderr[-2000:]}"
        return done.stdout

    run(str(BIN / "openapi-spec-validator"), "openapi.yaml")
    run(
        str(NODE_BIN / "spectral"),
        "lint",
        "openapi.yaml",
        "--ruleset",
        ".spectral.yaml",
        "--fail-severity",
        "warn",
        "--quiet",
    )
    run(str(NODE_BIN / "redocly"), "lint", "openapi.yaml", "--format=summary")
    run(str(BIN / "python"), "spec/compat.py", "--quiet")
    out = cwd / "gen" / "fal_queue_api"
    run(str(BIN / "python"), "spec/views.py", "--spec", "openapi.yaml", "--output", "view.json")  # 3.2 -> 3.1
    run(
        str(BIN / "openapi-python-client"), "generate", "--path", "view.json", "--config",
        "openapi-python-client.yaml", "--meta", "none", "--overwrite", "--fail-on-warning", "--output-path", str(out),
    )  # fmt: skip
    models = (out / "models" / "__init__.py").read_text()
    for name in ("FluxLoraInput", "LoraWeight", "KlingVideoV2MasterTextToVideoInput", "ControlNet"):
        assert name in models
    assert (out / "api" / "submit" / "submit_flux_lora.py").exists()
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from fal_queue_api.models import FluxLoraInput, LoraWeight;"
        "m = FluxLoraInput.from_dict({'prompt': 'a', 'loras': [{'path': 'p', 'scale': 1.5}]});"
        "assert isinstance(m.loras[0], LoraWeight) and m.loras[0].scale == 1.5, m; print('typed')"
    )
    assert run(str(BIN / "python"), "-c", probe, str(out.parent)).strip() == "typed"
    ts = run(str(NODE_BIN / "openapi-typescript"), "view.json", "--default-non-nullable", "false")
    assert '"/fal-ai/flux-lora": {' in ts
    assert "FluxLoraInput:" in ts
