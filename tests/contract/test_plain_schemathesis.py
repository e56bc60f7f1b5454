"""Plain schemathesis (no project hooks, no project config) against the published openapi.yaml.

Each run is the schemathesis 4.32.5 CLI in a subprocess, started in an empty scratch directory with
`--config-file` pointing at an empty file (so no `schemathesis.toml` and no hooks are picked up),
against a real loopback server: the mock gateway, or a small ASGI app that answers wrongly on
purpose so that the contract is shown to catch it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn
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


# ---- the result contract can fail: a server with a wrong result is caught ----
class ResultServer:
    """A loopback ASGI app that answers every GET with one fixed JSON body (status 200)."""

    def __init__(self, body: object) -> None:
        self.body = json.dumps(body).encode()
        self.hits = 0
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=0, log_level="error", lifespan="off", interface="asgi3"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        self.hits += 1
        headers = [(b"content-type", b"application/json"), (b"x-fal-request-id", b"req-1")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30  # a generous bound on a loaded machine
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.server.started, "the result server did not start"
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def result_server() -> type[ResultServer]:
    return ResultServer


RESULT_RUN = (
    "--include-operation-id",
    "get_result",
    "--checks",
    "response_schema_conformance",
    "--phases",
    "examples,fuzzing",
    "--max-examples",
    "5",
)


@pytest.mark.timeout(200)
@pytest.mark.parametrize(
    "wrong",
    [
        {"images": "not-a-list"},
        {"video": {"content_type": "video/mp4"}},
        {"images": [{"width": 1024, "height": 768}], "seed": 1},
    ],
    ids=["images-not-a-list", "video-without-url", "image-without-url"],
)
def test_plain_run_catches_a_wrong_result(result_server: Any, tmp_path: Path, wrong: object) -> None:
    server = result_server(wrong)
    with server as url:
        done = plain_schemathesis(SPEC, url, "test-key", tmp_path, *RESULT_RUN)
    output = done.stdout + done.stderr
    assert server.hits > 0, output[-3000:]
    assert done.returncode != 0, output[-4000:]
    assert "Response violates schema" in output, output[-6000:]


@pytest.mark.timeout(200)
def test_plain_run_passes_a_free_form_result_of_an_unlisted_model(result_server: Any, tmp_path: Path) -> None:
    """The control: the same run against a result the contract allows finds nothing."""
    server = result_server({"audio": {"url": "https://v3.fal.media/a.mp3"}, "images": [{"url": "u"}]})
    with server as url:
        done = plain_schemathesis(SPEC, url, "test-key", tmp_path, *RESULT_RUN)
    output = done.stdout + done.stderr
    assert server.hits > 0, output[-3000:]
    assert done.returncode == 0, output[-6000:]
    assert "Response violates schema" not in output
