"""`make ts`: the committed TypeScript types match openapi.yaml, keep defaulted request fields optional,
and the typed usage example compiles with `tsc --strict --noEmit`."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TS_DIR = ROOT / "clients" / "typescript"
TYPES = TS_DIR / "fal-queue.d.ts"
FLAGS = ["--default-non-nullable", "false"]
Runner = Callable[[list[str]], subprocess.CompletedProcess[str]]


def _generate(node_bin: Callable[[str], str], run: Runner, spec: Path, out: Path, flags: list[str]) -> str:
    proc = run([node_bin("openapi-typescript"), str(spec), *flags, "--output", str(out)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out.read_text(encoding="utf-8")


def _block(dts: str, schema: str) -> str:
    """The body of one `components.schemas` entry in a generated d.ts."""
    m = re.search(rf"^ {{8}}{schema}: {{\n(.*?)^ {{8}}}};", dts, re.MULTILINE | re.DOTALL)
    assert m, f"{schema} not found"
    return m.group(1)


def test_makefile_uses_the_flags_tested_here() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "openapi-typescript $(VIEW31) --default-non-nullable false" in makefile
    assert "VIEW31 := build/openapi-3.1.json" in makefile
    assert "tsc --strict --noEmit -p $(TS_DIR)" in makefile


def test_committed_types_match_the_spec(node_bin: Callable[[str], str], run: Runner, tmp_path: Path) -> None:
    view = tmp_path / "openapi-3.1.json"
    proc = run(
        [str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "spec" / "views.py"), "--output", str(view)]
    )
    assert proc.returncode == 0, proc.stderr
    fresh = _generate(node_bin, run, view, tmp_path / "fal-queue.d.ts", FLAGS)
    assert fresh == TYPES.read_text(encoding="utf-8"), "clients/typescript drifted: run make ts"


def test_request_fields_are_optional_except_required_ones() -> None:
    flux = _block(TYPES.read_text(encoding="utf-8"), "FluxDevTextToImageInput")
    assert re.search(r"^\s+prompt: string;", flux, re.MULTILINE)
    for field in ("num_inference_steps", "guidance_scale", "num_images", "image_size", "seed"):
        assert re.search(rf"^\s+{field}\?:", flux, re.MULTILINE), field


def test_schema_defaults_stay_optional_with_the_pinned_flag(
    node_bin: Callable[[str], str],
    run: Runner,
    tmp_path: Path,
    fresh_spec: Callable[[], dict[str, Any]],
    write_spec: Callable[[dict[str, Any], Path], Path],
) -> None:
    """Were the spec to state `default: 28`, the flag keeps the field optional (it is what matters)."""
    doc = fresh_spec()
    doc["components"]["schemas"]["FluxDevTextToImageInput"]["properties"]["num_inference_steps"][
        "default"
    ] = 28
    spec = write_spec(doc, tmp_path / "with-default.yaml")
    with_flag = _block(_generate(node_bin, run, spec, tmp_path / "a.d.ts", FLAGS), "FluxDevTextToImageInput")
    without = _block(_generate(node_bin, run, spec, tmp_path / "b.d.ts", []), "FluxDevTextToImageInput")
    assert re.search(r"^\s+num_inference_steps\?: number;", with_flag, re.MULTILINE)
    assert re.search(r"^\s+num_inference_steps: number;", without, re.MULTILINE)


def test_example_compiles_strictly(node_bin: Callable[[str], str], run: Runner) -> None:
    proc = run([node_bin("tsc"), "--strict", "--noEmit", "-p", str(TS_DIR)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_type_checks_catch_a_missing_required_field(
    node_bin: Callable[[str], str], run: Runner, tmp_path: Path
) -> None:
    """The same project with one more body that leaves out `prompt` no longer compiles."""
    copy = tmp_path / "typescript"
    shutil.copytree(TS_DIR, copy)
    with (copy / "type-checks.ts").open("a", encoding="utf-8") as fh:
        fh.write(
            'export const noPrompt2: components["schemas"]["FluxDevTextToImageInput"] = { num_images: 1 };\n'
        )
    proc = run([node_bin("tsc"), "--strict", "--noEmit", "-p", str(copy)])
    assert proc.returncode != 0
    # TS2741 for a closed type; TS2322 ("prompt" is missing) once the index signature of open inputs is there.
    assert ("TS2741" in proc.stdout or "TS2322" in proc.stdout) and "prompt" in proc.stdout
