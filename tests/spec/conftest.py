"""Shared fixtures for the tests of the contract tooling (Spectral rules, docs, TS types, compat checker)."""

from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi.yaml"
NODE_BIN = ROOT / "node_modules" / ".bin"
NODE_ENV_EXTRA = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}


class _NoAliasDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Write shared objects out in full: anchors would hide where Spectral's findings are."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dump_spec(doc: dict[str, Any], path: Path) -> Path:
    path.write_text(
        yaml.dump(doc, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return path


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **NODE_ENV_EXTRA}
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False)


@pytest.fixture(scope="session")
def write_spec() -> Callable[[dict[str, Any], Path], Path]:
    """Write a (broken) copy of the spec as YAML without anchors; returns the path."""
    return _dump_spec


@pytest.fixture(scope="session")
def run() -> Callable[[list[str]], subprocess.CompletedProcess[str]]:
    """Run a command from the repository root, capturing text output, never raising on failure."""
    return _run


@pytest.fixture(scope="session")
def spec_doc() -> dict[str, Any]:
    """A fresh parse of openapi.yaml for each test to copy and break."""
    data = yaml.load(SPEC.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def fresh_spec(spec_doc: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    return lambda: copy.deepcopy(spec_doc)


@pytest.fixture(scope="session")
def node_bin() -> Callable[[str], str]:
    """Path of a pinned Node tool; skips when `make setup` has not installed node_modules."""
    if not NODE_BIN.is_dir():
        pytest.skip("node_modules is absent: run `make setup` (npm ci) to test the Node tooling")

    def find(name: str) -> str:
        tool = NODE_BIN / name
        if not tool.exists():
            pytest.fail(f"{tool} is missing: package.json/package-lock.json no longer install it")
        return str(tool)

    if shutil.which("node") is None:
        pytest.skip("node is not on PATH")
    return find


@pytest.fixture(scope="session")
def compat() -> ModuleType:
    """spec/compat.py, loaded by path (spec/ is not a package)."""
    spec = importlib.util.spec_from_file_location("fal_spec_compat", ROOT / "spec" / "compat.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module
