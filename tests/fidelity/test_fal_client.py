"""fal's official Python client (fal-client, pinned in the dev dependencies, unmodified) against the mock.

For every typed model and one model the spec does not know: submit, status with logs, iter_events,
get, result by id, subscribe (with its callbacks), and cancel. fal-client runs in its own process,
configured only through its environment: ``FAL_QUEUE_RUN_HOST`` (the mock's ``host:port``),
``FAL_KEY`` (the mock's key; fal-client sends ``Authorization: Key ...``) and ``SSL_CERT_FILE`` (the
test CA). The mock runs with ``url_style="gateway"`` so the ``*_url`` fields fal-client follows
verbatim lead back to it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from importlib import metadata
from typing import Any

import pytest
from fal_queue.mock import MockGateway
from fidelity_models import EXTRA_MODEL, INPUTS
from fidelity_support import TlsFiles, clean_env, run_python

pytestmark = pytest.mark.slow


def _env(gw: MockGateway, tls_files: TlsFiles) -> dict[str, str]:
    return clean_env(
        FAL_QUEUE_RUN_HOST=gw.base_url.removeprefix("https://"),
        FAL_KEY=gw.key,
        SSL_CERT_FILE=str(tls_files.ca),
    )


def test_the_pinned_fal_client_is_used() -> None:
    assert metadata.version("fal-client") == "1.0.3"


def test_fal_client_runs_every_model_end_to_end(
    tls_gateway: Callable[..., MockGateway], tls_files: TlsFiles
) -> None:
    gw = tls_gateway(queue_delay=0.05, run_time=0.2)
    report: dict[str, Any] = json.loads(
        run_python("fal_client_driver.py", ["flow", *INPUTS], _env(gw, tls_files))
    )
    assert set(report) == set(INPUTS) and len(report) == 12
    for model, run in report.items():
        rid = run["request_id"]
        assert run["status_url"].startswith(gw.base_url)
        info = gw.job(rid)
        assert info is not None and info["model_id"] == model and info["inputs"] == INPUTS[model], model
        assert run["first_status"]["kind"] in ("Queued", "InProgress", "Completed")
        kinds = [e["kind"] for e in run["events"]]
        assert kinds[-1] == "Completed" and kinds.count("Completed") == 1, (model, kinds)
        final = run["final_status"]
        assert final["kind"] == "Completed" and final["error"] is None
        messages = [line["message"] for line in final["logs"]]
        assert messages[0] == f"Starting {model}" and messages[-1] == "Completed", messages
        for key in ("result", "by_id_result", "subscribe_result"):
            images = run[key]["images"]
            assert images and all(i["url"].startswith(gw.media_url) for i in images), (model, key)
        assert run["result"] == run["by_id_result"]
        assert run["subscribe_enqueued"] and run["subscribe_enqueued"][0] != rid
        assert run["subscribe_updates"][-1]["kind"] == "Completed"
    assert len(report["fal-ai/flux-1/dev"]["result"]["images"]) == 2
    assert report[EXTRA_MODEL]["result"]["prompt"] == "anything"
    stats = gw.stats()
    assert stats["jobs_created"] == 24 and stats["jobs_failed"] == 0
    # fal-client authenticated with fal's "Key" scheme, and never left the mock.
    assert {
        entry["headers"].get("authorization") for entry in gw.request_log if entry["origin"] == "gateway"
    } == {f"Key {gw.key}"}


def test_fal_client_cancels_every_model(tls_gateway: Callable[..., MockGateway], tls_files: TlsFiles) -> None:
    gw = tls_gateway(queue_delay=600.0)  # every job stays queued until cancelled
    report: dict[str, Any] = json.loads(
        run_python("fal_client_driver.py", ["cancel", *INPUTS], _env(gw, tls_files))
    )
    assert set(report) == set(INPUTS)
    for model, run in report.items():
        assert run["queued"]["kind"] == "Queued", model
        completed = run["completed"]
        assert completed["kind"] == "Completed" and completed["error_type"] == "client_cancelled", model
        assert run["result_error"]["status_code"] == 400, model
        info = gw.job(run["request_id"])
        assert info is not None and info["cancelled"]
    assert gw.stats()["jobs_cancelled"] == 12


def test_unknown_model_is_a_404_for_fal_client(
    tls_gateway: Callable[..., MockGateway], tls_files: TlsFiles
) -> None:
    gw = tls_gateway()
    script = (
        "import fal_client, json\n"
        "try:\n"
        "    fal_client.SyncClient().submit('fal-ai/flux-1/schnel', {'prompt': 'x'})\n"
        "except fal_client.client.FalClientHTTPError as exc:\n"
        "    print(json.dumps({'status': exc.status_code, 'message': exc.message}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=_env(gw, tls_files), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout)
    assert answer["status"] == 404 and "fal-ai/flux-1/schnel" in answer["message"]
    assert gw.stats()["jobs_created"] == 0
