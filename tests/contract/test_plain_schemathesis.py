"""Plain schemathesis (no project hooks, no project config) against the published openapi.yaml.

Each run is the schemathesis 4.32.5 CLI in a subprocess, started in an empty scratch directory with
`--config-file` pointing at an empty file (so no `schemathesis.toml` and no hooks are picked up),
against a real loopback server: the mock gateway, or a small ASGI app that answers wrongly on
purpose so that the contract is shown to catch it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi.yaml"
SEED = int(os.environ.get("FAL_QUEUE_CONTRACT_SEED", "20261202"))
STREAM = "/{owner}/{app}/requests/{request_id}/status/stream"
SSE_VIOLATION = "SSE event payload violates content schema"
FUZZ_CONFIG = {"workers": 64, "queue_delay": 0.002, "run_time": 0.005}


def load_spec() -> dict[str, Any]:
    doc = yaml.load(SPEC.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    assert isinstance(doc, dict)
    return doc


def write_spec(doc: dict[str, Any], path: Path) -> Path:
    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    path.write_text(yaml.dump(doc, Dumper=NoAliases, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def plain_schemathesis(
    spec: Path, base_url: str, key: str, cwd: Path, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """schemathesis with nothing of ours: an empty config file, no hooks, no PYTHONPATH additions."""
    empty = cwd / "empty-schemathesis.toml"
    empty.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHEMATHESIS_", "PYTHONPATH"))}
    env.update(NO_COLOR="1", COLUMNS="120")
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(empty),
        "--no-color",
        "run",
        str(spec),
        "--url",
        base_url,
        "--header",
        f"Authorization: Bearer {key}",
        "--seed",
        str(SEED),
        "--generation-deterministic",
        "--workers",
        "1",
        "--continue-on-failure",
        *args,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=timeout, check=False, cwd=cwd
    )


def stream_media(doc: dict[str, Any]) -> dict[str, Any]:
    media: dict[str, Any] = doc["paths"][STREAM]["get"]["responses"]["200"]["content"]["text/event-stream"]
    return media


STREAM_RUN = (
    "--include-operation-id",
    "submit_flux_schnell",
    "--include-operation-id",
    "stream_status",
    "--phases",
    "stateful",
    "--max-examples",
    "10",
)


@pytest.mark.timeout(300)
def test_plain_run_validates_each_stream_event(make_gateway: Any, tmp_path: Path) -> None:
    """Every streamed event matches StatusEvent (data = RequestStatus JSON); the links reach the stream."""
    gateway = make_gateway(**FUZZ_CONFIG)
    done = plain_schemathesis(SPEC, gateway.base_url, gateway.key, tmp_path, *STREAM_RUN)
    output = done.stdout + done.stderr
    assert "Open API 3.2.0" in output, output[-3000:]
    assert SSE_VIOLATION not in output, output[-6000:]
    assert "Schema validation mismatch" not in output, output[-6000:]
    stats = gateway.stats()
    assert stats["requests_by_operation"]["stream"] > 0, stats


@pytest.mark.timeout(300)
def test_plain_run_catches_a_broken_event_schema(make_gateway: Any, tmp_path: Path) -> None:
    """The same run against a copy whose event data must carry a field no status has fails with ST108."""
    doc = load_spec()
    event = doc["components"]["schemas"]["StatusEvent"]
    event["properties"]["data"]["contentSchema"] = {
        "allOf": [{"$ref": "#/components/schemas/RequestStatus"}],
        "required": ["field_no_status_has"],
    }
    broken = write_spec(doc, tmp_path / "broken-events.yaml")
    gateway = make_gateway(**FUZZ_CONFIG)
    done = plain_schemathesis(broken, gateway.base_url, gateway.key, tmp_path, *STREAM_RUN)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-4000:]
    assert SSE_VIOLATION in output, output[-6000:]
    assert "'field_no_status_has' is a required property" in output.replace('"', "'"), output[-6000:]
