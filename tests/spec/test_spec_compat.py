"""spec/compat.py: breaking or unversioned changes against the published snapshot fail, compatible ones pass."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "spec" / "published"
COMPAT = ROOT / "spec" / "compat.py"
PYTHON = ROOT / ".venv" / "bin" / "python"

Doc = dict[str, Any]
Runner = Callable[[list[str]], subprocess.CompletedProcess[str]]
S = "components", "schemas"


def _schema(doc: Doc, name: str) -> Doc:
    schema: Doc = doc[S[0]][S[1]][name]
    return schema


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str = "") -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


class Workspace:
    """A published folder with the 1.0.0 snapshot, a changelog and a current spec, all in tmp_path.

    `check()` calls compat.check() in-process (fast); `cli()` runs spec/compat.py as `make` does.
    """

    def __init__(
        self, tmp: Path, fresh: Callable[[], Doc], write: Callable[[Doc, Path], Path], compat: ModuleType
    ):
        self.published = tmp / "published"
        self.published.mkdir()
        version, snapshot = compat.latest_snapshot(PUBLISHED)
        shutil.copy(snapshot, self.published / snapshot.name)
        major, minor, patch = version
        self.base = f"{major}.{minor}.{patch}"
        # Versions relative to the newest snapshot, so these tests outlive every release.
        self.patch, self.minor = f"{major}.{minor}.{patch + 1}", f"{major}.{minor + 1}.0"
        self.major, self.lower = f"{major + 1}.0.0", f"{major - 1}.9.0"
        self.changelog = tmp / "CHANGELOG.md"
        self.changelog.write_text(f"# Changelog\n\n## {self.base}\n\nFirst.\n", encoding="utf-8")
        self.spec_path = tmp / "openapi.yaml"
        self.doc = fresh()
        self._write = write
        self._compat = compat

    def entry(self, version: str) -> None:
        with self.changelog.open("a", encoding="utf-8") as fh:
            fh.write(f"\n## {version}\n\nSomething changed.\n")

    def _save(self, version: str | None) -> None:
        if version is not None:
            self.doc["info"]["version"] = version
        self._write(self.doc, self.spec_path)

    def check(self, version: str | None = None) -> Result:
        self._save(version)
        try:
            ok, lines = self._compat.check(self.spec_path, None, self.published, self.changelog)
        except self._compat.SpecError as exc:
            return Result(2, "", str(exc))
        return Result(0 if ok else 1, "\n".join(lines))

    def cli(self, run: Runner, *extra: str, version: str | None = None) -> subprocess.CompletedProcess[str]:
        self._save(version)
        args = [
            "--spec",
            str(self.spec_path),
            "--published",
            str(self.published),
            "--changelog",
            str(self.changelog),
        ]
        return run([str(PYTHON), str(COMPAT), *args, *extra])


@pytest.fixture
def ws(
    tmp_path: Path, fresh_spec: Callable[[], Doc], write_spec: Callable[[Doc, Path], Path], compat: ModuleType
) -> Workspace:
    return Workspace(tmp_path, fresh_spec, write_spec, compat)


def test_the_repository_passes(run: Runner) -> None:
    proc = run([str(PYTHON), str(COMPAT)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snapshot_is_the_current_version(spec_doc: Doc) -> None:
    assert (PUBLISHED / f"openapi-{spec_doc['info']['version']}.yaml").is_file()


def test_unchanged_copy_passes(ws: Workspace) -> None:
    proc = ws.check()
    assert proc.returncode == 0, proc.stdout
    assert "unchanged" in proc.stdout


# ---- narrowing or removing what was published fails without a major bump ----
def _enum_value_removed(doc: Doc) -> None:
    _schema(doc, "AspectRatio")["enum"].remove("21:9")


def _maximum_tightened(doc: Doc) -> None:
    _schema(doc, "FluxDevTextToImageInput")["properties"]["num_inference_steps"]["maximum"] = 40


def _minimum_raised(doc: Doc) -> None:
    _schema(doc, "KontextEditInput")["properties"]["guidance_scale"]["minimum"] = 2


def _newly_required(doc: Doc) -> None:
    _schema(doc, "FluxDevTextToImageInput")["required"].append("seed")


def _type_narrowed(doc: Doc) -> None:
    _schema(doc, "FluxDevImageToImageInput")["properties"]["strength"]["type"] = "integer"


def _property_removed(doc: Doc) -> None:
    del _schema(doc, "Image")["properties"]["width"]


def _path_removed(doc: Doc) -> None:
    del doc["paths"]["/fal-ai/flux-1/dev/redux"]


def _response_status_removed(doc: Doc) -> None:
    del doc["paths"]["/{owner}/{app}/requests/{request_id}"]["get"]["responses"]["404"]


def _operation_renamed(doc: Doc) -> None:
    doc["paths"]["/fal-ai/flux-pro/kontext"]["post"]["operationId"] = "submit_kontext_pro"


def _response_field_no_longer_required(doc: Doc) -> None:
    _schema(doc, "QueueSubmitResponse")["required"].remove("request_id")


def _response_enum_widened(doc: Doc) -> None:
    # fal sends the webhook: a receiver (and the generated client) may reject an unknown status.
    _schema(doc, "WebhookPayload")["properties"]["status"]["enum"].append("CANCELLED")


def _link_removed(doc: Doc) -> None:
    del doc["components"]["responses"]["QueuedFlux1"]["links"]["cancel"]


BREAKING = {
    "enum value removed": _enum_value_removed,
    "maximum tightened": _maximum_tightened,
    "minimum raised": _minimum_raised,
    "property newly required in a request": _newly_required,
    "type narrowed": _type_narrowed,
    "property removed": _property_removed,
    "path removed": _path_removed,
    "response status removed": _response_status_removed,
    "operationId changed": _operation_renamed,
    "response field no longer required": _response_field_no_longer_required,
    "response enum widened": _response_enum_widened,
    "link removed": _link_removed,
}


@pytest.mark.parametrize("name", list(BREAKING))
def test_breaking_change_with_minor_bump_fails(ws: Workspace, name: str) -> None:
    BREAKING[name](ws.doc)
    ws.entry(ws.minor)
    proc = ws.check(ws.minor)
    assert proc.returncode == 1, proc.stdout
    assert "major" in proc.stdout
    assert ws.major in proc.stdout  # it says which version would do


def test_breaking_change_with_major_bump_and_entry_passes(ws: Workspace) -> None:
    _maximum_tightened(ws.doc)
    ws.entry(ws.major)
    proc = ws.check(ws.major)
    assert proc.returncode == 0, proc.stdout


# ---- compatible changes need a version bump and a changelog entry, nothing more ----
def _optional_property_added(doc: Doc) -> None:
    _schema(doc, "FluxDevTextToImageInput")["properties"]["loras"] = {
        "type": "array",
        "description": "LoRA weights to apply.",
        "items": {"type": "string", "description": "URL of one LoRA."},
    }


def _model_added(doc: Doc) -> None:
    doc["paths"]["/fal-ai/flux-1/krea"] = {
        "post": {**doc["paths"]["/fal-ai/flux-1/dev"]["post"], "operationId": "submit_flux_krea"}
    }


def _request_bound_relaxed(doc: Doc) -> None:
    _schema(doc, "FluxDevTextToImageInput")["properties"]["num_images"]["maximum"] = 8


def _request_enum_widened(doc: Doc) -> None:
    _schema(doc, "OutputFormat")["enum"].append("webp")


def _output_added_next_to_catch_all(doc: Doc, pin: bool = True) -> None:
    # GenericOutput accepts any object whose `images`/`video` have their shapes: a new output that
    # pins them alike accepts nothing GenericOutput did not.
    pinned = _schema(doc, "GenericOutput")["properties"] if pin else {}
    doc["components"]["schemas"]["AudioOutput"] = {
        "type": "object",
        "description": "Output of audio models.",
        "required": ["audio"],
        "properties": {"audio": {"$ref": "#/components/schemas/File"}, **pinned},
    }
    _schema(doc, "ResultOutput")["anyOf"].insert(2, {"$ref": "#/components/schemas/AudioOutput"})


COMPATIBLE = {
    "optional property added": _optional_property_added,
    "model added": _model_added,
    "request bound relaxed": _request_bound_relaxed,
    "request enum widened": _request_enum_widened,
    "result shape added next to GenericOutput": _output_added_next_to_catch_all,
}


@pytest.mark.parametrize("name", list(COMPATIBLE))
def test_compatible_addition_with_minor_bump_passes(ws: Workspace, name: str) -> None:
    COMPATIBLE[name](ws.doc)
    ws.entry(ws.minor)
    proc = ws.check(ws.minor)
    assert proc.returncode == 0, proc.stdout
    assert "minor" in proc.stdout


def test_compatible_addition_with_patch_bump_fails(ws: Workspace) -> None:
    _optional_property_added(ws.doc)
    ws.entry(ws.patch)
    proc = ws.check(ws.patch)
    assert proc.returncode == 1, proc.stdout
    assert ws.minor in proc.stdout


def test_any_change_without_a_bump_fails(ws: Workspace) -> None:
    _schema(ws.doc, "Image")["description"] = "A generated image (reworded)."
    proc = ws.check()
    assert proc.returncode == 1, proc.stdout
    assert "frozen" in proc.stdout


def test_documentation_change_with_patch_bump_passes(ws: Workspace) -> None:
    _schema(ws.doc, "Image")["description"] = "A generated image (reworded)."
    ws.entry(ws.patch)
    proc = ws.check(ws.patch)
    assert proc.returncode == 0, proc.stdout
    assert "#/components/schemas/Image/description" in proc.stdout


def test_bump_without_changelog_entry_fails(ws: Workspace) -> None:
    _optional_property_added(ws.doc)
    proc = ws.check(ws.minor)
    assert proc.returncode == 1, proc.stdout
    assert f"## {ws.minor}" in proc.stdout


def test_version_lower_than_published_fails(ws: Workspace) -> None:
    ws.entry(ws.lower)
    _optional_property_added(ws.doc)
    proc = ws.check(ws.lower)
    assert proc.returncode == 1, proc.stdout


def test_unversioned_garbage_is_a_usage_error(ws: Workspace) -> None:
    proc = ws.check("1.1")
    assert proc.returncode == 2
    assert "MAJOR.MINOR.PATCH" in proc.stderr


# ---- direction: narrowing a response or widening a request is compatible ----
def test_direction_of_flow_decides(compat: ModuleType, spec_doc: Doc, fresh_spec: Callable[[], Doc]) -> None:
    new = fresh_spec()
    _schema(new, "Image")["properties"]["width"]["minimum"] = 1  # response: narrower is fine
    _schema(new, "FluxDevTextToImageInput")["properties"]["seed"]["minimum"] = 0  # request: breaking
    levels = {c.where: c.level for c in compat.compare(spec_doc, new)}
    assert levels["#/components/schemas/Image/properties/width"] == compat.Level.MINOR
    assert levels["#/components/schemas/FluxDevTextToImageInput/properties/seed"] == compat.Level.MAJOR


def test_cli_exit_statuses(ws: Workspace, run: Runner) -> None:
    _maximum_tightened(ws.doc)
    ws.entry(ws.minor)
    failing = ws.cli(run, version=ws.minor)
    assert failing.returncode == 1, failing.stdout
    assert "FAIL" in failing.stdout
    garbage = ws.cli(run, version="1.1")
    assert garbage.returncode == 2
    assert "MAJOR.MINOR.PATCH" in garbage.stderr


def test_publish_snapshots_once(ws: Workspace, run: Runner) -> None:
    _optional_property_added(ws.doc)
    ws.entry(ws.minor)
    first = ws.cli(run, "--publish", version=ws.minor)
    assert first.returncode == 0, first.stdout + first.stderr
    assert (ws.published / f"openapi-{ws.minor}.yaml").is_file()
    again = ws.cli(run, "--publish")
    assert again.returncode == 1
    assert "frozen" in again.stderr


def test_relaxing_oneof_to_anyof_is_a_widening(compat: ModuleType, fresh_spec: Callable[[], Doc]) -> None:
    """anyOf accepts every value oneOf did: in a request that is minor, in a response major."""
    old, new = fresh_spec(), fresh_spec()
    members = [{"$ref": "#/components/schemas/ImageSizePreset"}, {"$ref": "#/components/schemas/ImageSize"}]
    _schema(old, "ImageSizeSetting").pop("anyOf")
    _schema(old, "ImageSizeSetting")["oneOf"] = members
    _schema(new, "ImageSizeSetting")["anyOf"] = list(members)
    changes = compat.compare(old, new)
    assert [(c.level, c.what) for c in changes if c.where == "#/components/schemas/ImageSizeSetting"] == [
        (compat.Level.MINOR, "oneOf relaxed to anyOf (widened, in a request)")
    ]
    backwards = compat.compare(new, old)
    assert any(c.level is compat.Level.MAJOR and "anyOf tightened to oneOf" in c.what for c in backwards)


def test_enum_replaced_by_a_pattern(compat: ModuleType, fresh_spec: Callable[[], Doc]) -> None:
    """A pattern that matches every old enum value widens; one that drops a value narrows."""
    old = fresh_spec()
    old["components"]["parameters"]["NoRetry"]["schema"] = {"type": "string", "enum": ["0", "1", "true"]}
    wider, narrower = fresh_spec(), fresh_spec()
    wider["components"]["parameters"]["NoRetry"]["schema"] = {
        "type": "string",
        "pattern": "^(0|1|[Tt]rue|yes)$",
    }
    narrower["components"]["parameters"]["NoRetry"]["schema"] = {"type": "string", "pattern": "^(0|1)$"}

    def levels(new: Doc) -> set[Any]:
        return {c.level for c in compat.compare(old, new) if "x-fal-no-retry" in c.where}

    assert levels(wider) == {compat.Level.MINOR}
    assert compat.Level.MAJOR in levels(narrower)


def test_output_that_does_not_pin_what_generic_output_pins_is_a_widening(
    compat: ModuleType, spec_doc: Doc, fresh_spec: Callable[[], Doc]
) -> None:
    """`{"audio": ..., "images": "x"}` was no valid result; with an unpinned AudioOutput it would be."""
    new = fresh_spec()
    _output_added_next_to_catch_all(new, pin=False)
    levels = {
        c.level for c in compat.compare(spec_doc, new) if c.where == "#/components/schemas/ResultOutput"
    }
    assert levels == {compat.Level.MAJOR}
