"""Runs fal's official Python client (fal-client, unmodified) against the mock; prints one JSON report.

Run in its own process: fal-client reads ``FAL_QUEUE_RUN_HOST`` (the mock's ``host:port``) and
``FAL_KEY`` when it is imported, and httpx trusts the test CA through ``SSL_CERT_FILE``.

    python fal_client_driver.py flow MODEL...     # submit, status(with logs), iter_events, get, subscribe
    python fal_client_driver.py cancel MODEL...   # submit, cancel while queued, status, result error
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

import fal_client
from fidelity_models import INPUTS


def _status(status: fal_client.Status) -> dict[str, Any]:
    return {"kind": type(status).__name__, **asdict(status)}


def flow(client: fal_client.SyncClient, model: str) -> dict[str, Any]:
    handle = client.submit(model, INPUTS[model])
    first = _status(handle.status(with_logs=True))
    events = [_status(e) for e in handle.iter_events(with_logs=True, interval=0.01)]
    result = handle.get(interval=0.01)
    again = fal_client.SyncRequestHandle.from_request_id(client._client, model, handle.request_id)
    final = _status(again.status(with_logs=True))
    updates: list[dict[str, Any]] = []
    enqueued: list[str] = []
    subscribed = client.subscribe(
        model,
        INPUTS[model],
        with_logs=True,
        interval=0.01,
        on_enqueue=enqueued.append,
        on_queue_update=lambda s: updates.append(_status(s)),
        client_timeout=60,
    )
    return {
        "request_id": handle.request_id,
        "status_url": handle.status_url,
        "first_status": first,
        "events": events,
        "final_status": final,
        "result": result,
        "by_id_result": client.result(model, handle.request_id),
        "subscribe_result": subscribed,
        "subscribe_enqueued": enqueued,
        "subscribe_updates": updates,
    }


def cancel(client: fal_client.SyncClient, model: str) -> dict[str, Any]:
    handle = client.submit(model, INPUTS[model])
    queued = _status(handle.status())
    handle.cancel()
    completed = _status(handle.status(with_logs=True))
    try:
        handle.get(interval=0.01)
    except fal_client.client.FalClientHTTPError as exc:
        error = {"status_code": exc.status_code, "message": exc.message}
    else:
        error = {}
    return {"request_id": handle.request_id, "queued": queued, "completed": completed, "result_error": error}


def main(argv: list[str]) -> int:
    mode, models = argv[0], argv[1:]
    client = fal_client.SyncClient(default_timeout=30)  # key from FAL_KEY, like a user's setup
    run = flow if mode == "flow" else cancel
    report = {model: run(client, model) for model in models}
    json.dump(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
