"""schemathesis against the running mock: all checks, all phases (stateful links included).

The run uses the schemathesis CLI engine in a subprocess against a real loopback server, with
``--continue-on-failure`` (set in schemathesis.toml) so one failure never hides another, a fixed
seed, and one worker so the run is reproducible. Seed and case count are printed and reported.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fal_queue.mock.spec import load_spec_index

pytestmark = pytest.mark.contract

HERE = Path(__file__).parent
SPEC = HERE.parents[1] / "openapi.yaml"
CONFIG = HERE / "schemathesis.toml"
SEED = int(os.environ.get("FAL_QUEUE_CONTRACT_SEED", "20261122"))
MAX_EXAMPLES = int(os.environ.get("FAL_QUEUE_CONTRACT_MAX_EXAMPLES", "30"))
MIN_CASES = 1000
FUZZ_CONFIG = {"workers": 64, "queue_delay": 0.002, "run_time": 0.005}


class WebhookReceiver:
    """A loopback endpoint that records every webhook POSTed to it."""

    def __init__(self) -> None:
        received: list[Any] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                try:
                    received.append(json.loads(body))
                except ValueError:
                    received.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/fal-hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def run_schemathesis(
    base_url: str, key: str, webhook_url: str, cwd: Path, *args: str, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "FAL_QUEUE_CONTRACT_WEBHOOK_URL": webhook_url,
        "NO_COLOR": "1",
        "COLUMNS": "120",
    }
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        str(SPEC),
        "--url",
        base_url,
        "--header",
        f"Authorization: Bearer {key}",
        "--seed",
        str(SEED),
        "--workers",
        "1",
        *args,
    ]
    # Run in a scratch directory: whatever schemathesis writes stays out of the repository.
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=timeout, check=False, cwd=cwd
    )


def case_counts(output: str) -> tuple[int, int]:
    match = re.search(r"Test cases:\s*\n\s*(\d+) generated(?:, (\d+) passed)?", output)
    assert match, f"no case count in schemathesis output:\n{output[-3000:]}"
    return int(match.group(1)), int(match.group(2) or 0)


@pytest.mark.timeout(400)
def test_schemathesis_finds_no_failure(
    make_gateway: Any,
    webhook_receiver: WebhookReceiver,
    request: pytest.FixtureRequest,
    contract_runs: list[str],
    tmp_path: Path,
) -> None:
    gateway = make_gateway(**FUZZ_CONFIG)
    done = run_schemathesis(
        gateway.base_url, gateway.key, webhook_receiver.url, tmp_path, "--max-examples", str(MAX_EXAMPLES)
    )
    output = done.stdout + done.stderr
    generated, passed = case_counts(output)
    seconds = re.search(r"in ([\d.]+)s ={3,}", output)
    line = (
        f"schemathesis: seed {SEED}, {generated} cases generated, {passed} passed, "
        f"max-examples {MAX_EXAMPLES}, {seconds.group(1) if seconds else '?'} s, exit {done.returncode}"
    )
    contract_runs.append(line)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")
        reporter.write_line(line)
    assert done.returncode == 0, output[-12000:]
    assert "No issues found" in output, output[-6000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅ {phase}\b", output), f"phase {phase} did not pass:\n{output[-4000:]}"
    assert generated >= MIN_CASES and passed == generated
    stats = gateway.stats()
    assert stats["jobs_created"] > 0 and stats["requests_by_operation"]["stream"] > 0
    # Webhooks went out, and each matches the spec's WebhookPayload.
    assert stats["webhooks_failed"] == 0
    assert stats["webhooks_delivered"] > 0 and webhook_receiver.received
    index = load_spec_index()
    schema = {**index.raw["components"]["schemas"]["WebhookPayload"], "components": index.raw["components"]}
    validator = jsonschema.Draft202012Validator(schema)
    for payload in webhook_receiver.received:
        validator.validate(payload)


@pytest.mark.timeout(200)
def test_schemathesis_catches_a_broken_auth_check(
    make_gateway: Any, webhook_receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The same machinery fails when the mock stops enforcing its key: the fuzzing has teeth."""
    gateway = make_gateway(**FUZZ_CONFIG)
    monkeypatch.setattr(gateway.app, "authorized", lambda scope: True)
    done = run_schemathesis(
        gateway.base_url,
        gateway.key,
        webhook_receiver.url,
        tmp_path,
        "--include-operation-id",
        "submit_flux_schnell",
        "--include-operation-id",
        "get_status",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        "5",
        timeout=150,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-4000:]
    assert "API accepts requests without authentication" in output, output[-4000:]
    assert "No issues found" not in output
