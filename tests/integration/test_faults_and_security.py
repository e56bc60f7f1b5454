"""Reliability under every fault the mock injects, and the key canary over real HTTP."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fal_queue import RetryPolicy
from fal_queue import errors as E
from fal_queue.mock import Faults

JOBS = 12
#: Fast retries: the policy's maths is unit-tested; here only the outcome matters.
FAST = RetryPolicy(initial_delay=0.005, max_delay=0.05)
#: Enough retries that no request of a run fails by chance: in the mixed case a request meets a
#: failing fault with p ~ 0.35, so all 17 tries fail with p ~ 2e-8 (with 8 retries, ~8e-5 per
#: request, about once in 200 runs; fault draws hash the random request id, so every run draws anew).
RECOVERABLE_RETRIES = 16


def run_jobs(client: Any, count: int, tmp_path: Path) -> tuple[list[Any], list[E.FalQueueError]]:
    """Submit ``count`` jobs, wait for each and download its files; collect outcomes."""
    results, errors = [], []
    for index in range(count):
        try:
            handle = client.submit("fal-ai/flux-1/schnell", {"prompt": f"job {index}"})
        except E.FalQueueError as exc:
            errors.append(exc)
            continue
        try:
            result = handle.get(timeout=60)
            client.download(result, tmp_path / handle.request_id)
            results.append(result)
        except E.FalQueueError as exc:
            errors.append(exc)
    return results, errors


@pytest.mark.parametrize(
    "faults",
    [
        Faults(seed=1, rate_limit=0.3),
        Faults(seed=2, ingress_503=0.3),
        Faults(seed=3, drop=0.25, operations=frozenset({"status", "stream", "result", "media"})),
        Faults(seed=4, slow=0.3, slow_seconds=0.05),
        Faults(seed=5, rate_limit=0.15, ingress_503=0.15, drop=0.1, slow=0.1, slow_seconds=0.02),
    ],
    ids=["rate-limit", "ingress-503", "drops", "slow", "mixed"],
)
def test_recoverable_faults_lose_nothing_and_duplicate_nothing(
    sdk: Any, make_gateway: Any, faults: Faults, tmp_path: Path
) -> None:
    gateway = make_gateway()
    gateway.set_faults(faults)
    client = sdk(gateway, max_retries=RECOVERABLE_RETRIES, retry_policy=FAST)
    results, errors = run_jobs(client, JOBS, tmp_path)
    stats = gateway.stats()
    uncertain = [e for e in errors if isinstance(e, E.SubmitUncertainError)]
    assert not [e for e in errors if not isinstance(e, E.SubmitUncertainError)], errors
    # A dropped submit creates nothing by default, so every created job was fetched, exactly once.
    assert stats["jobs_created"] == len(results) == JOBS - len(uncertain)
    assert sum(stats["faults_injected"].values()) > 0, "no fault was injected: the test proved nothing"
    assert len({r.request_id for r in results}) == len(results)
    for result in results:
        assert list((tmp_path / result.request_id).iterdir())


def test_dropped_submit_answer_is_reported_never_resubmitted(sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway()
    gateway.set_faults(Faults(drop=1.0, drop_submit_after_create=True, operations=frozenset({"submit"})))
    client = sdk(gateway, max_retries=8, retry_policy=FAST)
    with pytest.raises(E.SubmitUncertainError, match="not resubmitted"):
        client.submit("fal-ai/flux-1/dev", {"prompt": "x"})
    assert gateway.stats()["jobs_created"] == 1  # the job exists once; the SDK did not create a second


def test_job_failures_under_faults_name_their_request_ids(
    sdk: Any, make_gateway: Any, tmp_path: Path
) -> None:
    gateway = make_gateway()
    gateway.set_faults(Faults(seed=9, job_failure=0.5, rate_limit=0.1))
    client = sdk(gateway, max_retries=8, retry_policy=FAST)
    results, errors = run_jobs(client, JOBS, tmp_path)
    failed = [e for e in errors if isinstance(e, E.JobFailedError)]
    assert failed and len(failed) + len(results) == JOBS
    assert all(e.request_id for e in failed)
    assert gateway.stats()["jobs_created"] == JOBS


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []  # noqa: RUF012

    def do_GET(self) -> None:
        type(self).seen.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "COMPLETED"}')

    do_PUT = do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def foreign_origin() -> Iterator[tuple[str, list[dict[str, str]]]]:
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    server.shutdown()


CANARY = "fake-key-canary-0d9f1e"


def test_key_canary_never_leaves_the_gateway_origin(
    sdk: Any,
    make_gateway: Any,
    foreign_origin: tuple[str, list[dict[str, str]]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    foreign_url, foreign_seen = foreign_origin
    gateway = make_gateway(keys=(CANARY,), upstream_origin=foreign_url)  # *_url fields name a foreign origin
    caplog.set_level(logging.DEBUG)
    client = sdk(gateway, api_key=CANARY)
    texts: list[str] = [repr(client)]
    result = client.subscribe("fal-ai/flux-1/dev", {"prompt": "x"}, logs=True, timeout=30)
    handle = client.submit("fal-ai/flux-1/dev", {"prompt": "y"})
    texts += [repr(handle), handle.status_url, repr(result), str(result.raw)]
    assert handle.status_url.startswith(gateway.base_url)  # rewritten away from the foreign origin
    client.download(result, tmp_path)
    gateway.set_faults(Faults(job_failure=1.0))
    with pytest.raises(E.JobFailedError) as info:
        client.subscribe("fal-ai/flux-1/dev", {"prompt": "z"}, timeout=30)
    texts += [
        str(info.value),
        repr(info.value),
        str(info.value.cause),
        repr(getattr(info.value.cause, "body", None)),
    ]
    with pytest.raises(E.NotFoundError) as missing:
        client.result("fal-ai/flux-1/dev", "missing-id")
    texts += [str(missing.value), repr(missing.value.headers)]
    texts += [record.getMessage() for record in caplog.records]
    for text in texts:
        assert CANARY not in text
    media_requests = [r for r in gateway.request_log if r["origin"] == "media"]
    assert media_requests, "nothing was downloaded from the media origin"
    for request in media_requests:
        assert CANARY not in str(request["headers"]) and "authorization" not in {
            k.lower() for k in request["headers"]
        }
    assert foreign_seen == []  # nothing was ever sent to the origin the responses named
    gateway_requests = [r for r in gateway.request_log if r["origin"] == "gateway"]
    assert all(
        r["headers"].get("authorization", r["headers"].get("Authorization")) == f"Bearer {CANARY}"
        for r in gateway_requests
    )


def test_failed_job_stays_a_job_failure_when_its_error_body_cannot_be_fetched(
    sdk: Any, make_gateway: Any
) -> None:
    gateway = make_gateway()
    gateway.set_faults(Faults(job_failure=1.0))
    client = sdk(gateway, retry_policy=FAST)
    handle = client.submit("fal-ai/flux-1/dev", {"prompt": "x"})
    assert handle.wait(timeout=30).failed
    gateway.set_faults(Faults(drop=1.0, operations=frozenset({"result"})))  # the error body never arrives
    with pytest.raises(E.JobFailedError) as info:
        handle.get(timeout=30)
    assert info.value.request_id == handle.request_id and info.value.error_type and info.value.cause is None
