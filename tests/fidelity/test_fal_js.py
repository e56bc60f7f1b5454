"""fal's official JS client (@fal-ai/client, pinned exactly in package.json) against the mock.

The node test (``fal_js.test.mjs``, node's built-in runner) points the unmodified client at the mock
with a ``requestMiddleware`` that rewrites fal's hosts to the gateway's origin. Plain http is
enough: the middleware changes the scheme too, so no certificate is involved.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fal_queue.mock import MockGateway
from fidelity_models import EXTRA_MODEL, INPUTS
from fidelity_support import HERE, clean_env

pytestmark = pytest.mark.slow

ROOT = HERE.parents[1]
PINNED = "1.10.1"


def _installed_version() -> str | None:
    manifest = ROOT / "node_modules" / "@fal-ai" / "client" / "package.json"
    if not manifest.exists():
        return None
    version: str = json.loads(manifest.read_text())["version"]
    return version


def test_package_json_pins_fal_js_exactly() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    assert package["devDependencies"]["@fal-ai/client"] == PINNED
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@fal-ai/client"]["version"] == PINNED


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_fal_js_runs_every_model_against_the_mock(make_gateway: Callable[..., MockGateway]) -> None:
    assert _installed_version() == PINNED, "run `make setup` (npm ci) first"
    models = (EXTRA_MODEL,)
    gw = make_gateway(queue_delay=0.05, run_time=0.2, ping_interval=1.0, extra_models=models)
    held = make_gateway(queue_delay=600.0, extra_models=models)
    env = clean_env(
        MOCK_BASE_URL=gw.base_url,
        MOCK_CANCEL_URL=held.base_url,
        FAL_KEY=gw.key,
        FIDELITY_INPUTS=json.dumps(INPUTS),
        NODE_NO_WARNINGS="1",
    )
    done = subprocess.run(
        ["node", "--test", "--test-reporter=tap", str(Path(HERE, "fal_js.test.mjs"))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, (done.stdout[-6000:], done.stderr[-3000:])
    assert f"# pass {4 * len(INPUTS)}" in done.stdout and "# fail 0" in done.stdout, done.stdout[-2000:]
    stats = gw.stats()
    assert stats["jobs_created"] == 3 * len(INPUTS) and stats["jobs_failed"] == 0
    assert held.stats()["jobs_cancelled"] == len(INPUTS)
    sent = {
        e["headers"].get("authorization")
        for e in gw.request_log + held.request_log
        if e["origin"] == "gateway"
    }
    assert sent == {f"Key {gw.key}"}
