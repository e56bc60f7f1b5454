"""Every promise of the SDK holds when the gateway misbehaves: no hang, no mix-up, no leak.

Each test drives the public API of both clients (the ``sdk`` fixture) over real loopback HTTP
against the mock gateway with one of its hostile fault kinds switched on. Wall-clock bounds are
asserted with a wide margin: what they catch is "runs for ever", not "a little slow".
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fal_queue import RetryPolicy
from fal_queue import _constants as C
from fal_queue import errors as E
from fal_queue.mock import Faults
from fal_queue.types import File

FAST = RetryPolicy(initial_delay=0.01, max_delay=0.05)
#: Slack for a loaded 2-core machine on top of each bound under test.
SLACK = 6.0
MODEL = "fal-ai/flux-1/schnell"
FOREVER = 100_000.0


def _elapsed(start: float) -> float:
    return time.monotonic() - start


#: The total timeout under test: long enough for a loaded machine to submit and open the stream
#: (else the fault never fires), and 1,000 times the ping interval.
WAIT = 3.0


@pytest.mark.parametrize("fault", ["stream_pings_only", "stream_repeat"])
@pytest.mark.parametrize("call", ["subscribe", "get", "wait", "iter_events"])
def test_total_timeout_fires_while_the_stream_pings_or_repeats(
    sdk: Any, make_gateway: Any, fault: str, call: str
) -> None:
    gateway = make_gateway(run_time=FOREVER, ping_interval=0.05)
    gateway.set_faults(Faults(**{fault: 1.0}))
    client = sdk(gateway, timeout=2.0, retry_policy=FAST)

    def act() -> None:
        if call == "subscribe":
            client.subscribe(MODEL, {"prompt": "x"}, timeout=WAIT)
            return
        handle = client.submit(MODEL, {"prompt": "x"})
        if call == "iter_events":
            list(handle.iter_events(timeout=WAIT))
        else:
            getattr(handle, call)(timeout=WAIT)

    start = time.monotonic()
    with pytest.raises(E.JobTimeoutError) as info:
        act()
    assert _elapsed(start) < WAIT + 2.0 + SLACK
    assert info.value.request_id and not info.value.cancelled
    assert gateway.stats()["faults_injected"].get(fault), "the fault never fired: the test proved nothing"


def test_a_silent_stream_falls_back_to_polling(
    sdk: Any, make_gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(C, "STREAM_SILENCE_LIMIT", 0.3)
    gateway = make_gateway()
    gateway.set_faults(Faults(stream_silent=1.0))
    client = sdk(gateway, retry_policy=FAST)
    result = client.subscribe(MODEL, {"prompt": "x"}, timeout=30)
    assert result.images
    paths = [entry["path"] for entry in gateway.request_log]
    assert any(p.endswith("/status/stream") for p in paths)
    assert any(p.endswith("/status") for p in paths), "the job was never polled after the silent stream"


def test_per_call_timeout_bounds_a_dripping_body(sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway()
    client = sdk(gateway, timeout=1.0, max_retries=1, retry_policy=FAST)
    handle = client.submit(MODEL, {"prompt": "x"})
    handle.wait(timeout=30)
    gateway.set_faults(Faults(drip=1.0, drip_bytes_per_second=5.0, operations=frozenset({"result"})))
    start = time.monotonic()
    with pytest.raises(E.APITimeoutError) as info:
        handle.result()
    assert _elapsed(start) < 2 * 1.0 + SLACK  # two attempts of one second each, plus a backoff
    assert info.value.request_id == handle.request_id


def test_total_timeout_covers_the_result_fetch(sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway()
    gateway.set_faults(Faults(drip=1.0, drip_bytes_per_second=5.0, operations=frozenset({"result"})))
    client = sdk(gateway, timeout=30.0, retry_policy=FAST)
    start = time.monotonic()
    with pytest.raises(E.JobTimeoutError, match="completed") as info:
        client.subscribe(MODEL, {"prompt": "x"}, timeout=1.5)
    assert _elapsed(start) < 1.5 + SLACK
    assert info.value.request_id


def test_download_limits_hold_against_a_dripping_media_host(
    sdk: Any, make_gateway: Any, tmp_path: Path
) -> None:
    gateway = make_gateway()  # a few bytes need no time for their size: 1 s per attempt

    client = sdk(gateway, timeout=1.0, max_retries=1, retry_policy=FAST)
    result = client.subscribe(MODEL, {"prompt": "x"}, timeout=30)
    gateway.set_faults(Faults(drip=1.0, drip_bytes_per_second=5.0, operations=frozenset({"media"})))
    start = time.monotonic()
    with pytest.raises(E.DownloadTimeoutError) as info:
        client.download(result, tmp_path / "a", timeout=1.0)
    assert _elapsed(start) < 1.0 + SLACK
    assert info.value.request_id == result.request_id
    start = time.monotonic()
    with pytest.raises(E.DownloadError) as failed:  # no total timeout: the per-call clock still holds
        client.download(result, tmp_path / "b")
    assert failed.value.request_id == result.request_id
    assert _elapsed(start) < 2 * 1.0 + SLACK  # two attempts of the per-call timeout each
    assert not [p for p in tmp_path.rglob("*") if p.is_file()], "a partial file was left behind"


def test_a_dripped_small_file_costs_one_bounded_attempt_per_retry(
    sdk: Any, make_gateway: Any, tmp_path: Path
) -> None:
    """One retry layer for downloads: ``max_retries=1`` is two requests to the media host, each ended
    by the per-call timeout plus time for the file's size (a few bytes: no more than the timeout)."""
    gateway = make_gateway()
    client = sdk(gateway, timeout=1.0, max_retries=1, retry_policy=FAST)
    result = client.subscribe(MODEL, {"prompt": "x"}, timeout=30)
    gateway.set_faults(Faults(drip=1.0, drip_bytes_per_second=5.0, operations=frozenset({"media"})))
    gateway.reset_log()
    with pytest.raises(E.DownloadError) as failed:
        client.download(result.images[0], tmp_path)
    assert not isinstance(failed.value, E.DownloadTimeoutError)  # no total timeout was given
    assert len([e for e in gateway.request_log if e["origin"] == "media"]) == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", ["stream", "poll"])
def test_a_completed_status_naming_another_job_is_never_followed(
    sdk: Any, make_gateway: Any, mode: str
) -> None:
    gateway = make_gateway()
    client = sdk(gateway, wait_mode=mode, retry_policy=FAST)
    other = client.submit(MODEL, {"prompt": "the other job"})
    other.wait(timeout=30)
    gateway.set_faults(Faults(foreign_completed=1.0, operations=frozenset({"status", "stream"})))
    handle = client.submit(MODEL, {"prompt": "mine"})
    gateway.reset_log()
    with pytest.raises(E.RequestIdMismatchError) as info:
        handle.get(timeout=30)
    assert info.value.expected == handle.request_id
    assert info.value.received != handle.request_id
    assert handle.request_id in str(info.value) and info.value.received in str(info.value)
    fetched = [e["path"] for e in gateway.request_log if e["method"] == "GET"]
    assert not [p for p in fetched if p.endswith(f"/requests/{other.request_id}")], "fetched another result"


def test_a_result_that_is_not_ready_after_completed_is_asked_again(sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway()
    gateway.set_faults(Faults(result_not_ready=2))
    client = sdk(gateway, retry_policy=FAST)
    result = client.subscribe(MODEL, {"prompt": "x"}, timeout=30)
    assert result.images
    results = [
        e for e in gateway.request_log if e["method"] == "GET" and e["path"].endswith(result.request_id)
    ]
    assert len(results) == 3


def test_an_unusable_request_id_is_a_response_error_that_keeps_the_answer(
    sdk: Any, make_gateway: Any
) -> None:
    gateway = make_gateway()
    gateway.set_faults(Faults(bad_request_id=1.0))
    client = sdk(gateway, retry_policy=FAST)
    with pytest.raises(E.APIResponseValidationError) as info:
        client.submit(MODEL, {"prompt": "x"})
    assert not isinstance(info.value, E.InvalidInputError)
    assert b"../../etc" in info.value.body and info.value.status_code in (200, 202)
    assert info.value.headers["content-type"].startswith("application/json")
    assert gateway.stats()["jobs_created"] == 1


@pytest.mark.parametrize("fault", ["media_redirect_loop", "lying_encoding"])
def test_broken_media_hosts_give_a_download_error(
    sdk: Any, make_gateway: Any, fault: str, tmp_path: Path
) -> None:
    gateway = make_gateway()
    client = sdk(gateway, retry_policy=FAST, max_retries=1)
    result = client.subscribe(MODEL, {"prompt": "x"}, timeout=30)
    gateway.set_faults(Faults(**{fault: 1.0}, operations=frozenset({"media"})))
    with pytest.raises(E.DownloadError) as info:
        client.download(result, tmp_path)
    assert info.value.request_id == result.request_id and not info.value.transient
    assert not list(tmp_path.iterdir())


def test_a_lying_encoding_on_the_result_is_a_typed_error(sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway()
    client = sdk(gateway, retry_policy=FAST, max_retries=1)
    handle = client.submit(MODEL, {"prompt": "x"})
    handle.wait(timeout=30)
    gateway.set_faults(Faults(lying_encoding=1.0, operations=frozenset({"result"})))
    with pytest.raises(E.FalQueueError) as info:
        handle.result()
    assert info.value.request_id == handle.request_id


def test_headers_that_echo_the_key_are_redacted(sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway()
    gateway.set_faults(Faults(echo_auth=1.0))
    wrong = "wrong-key-4c0ffee-9a7b"
    client = sdk(gateway, api_key=wrong, retry_policy=FAST)
    with pytest.raises(E.AuthenticationError) as info:
        client.submit(MODEL, {"prompt": "x"})
    err = info.value
    assert {k.lower() for k in err.headers} >= {"www-authenticate", "x-echo-authorization"}
    dumped = f"{err} {err!r} {err.headers} {err.body} {err.detail}"
    assert wrong not in dumped
    good = sdk(gateway, retry_policy=FAST)
    handle = good.submit(MODEL, {"prompt": "x"})
    gateway.set_faults(Faults(echo_auth=1.0, rate_limit=1.0, operations=frozenset({"status"})))
    with pytest.raises(E.RateLimitError) as limited:
        good.status(MODEL, handle.request_id, max_retries=0)
    assert gateway.key not in f"{limited.value} {limited.value.headers} {limited.value.body}"


def test_files_with_windows_device_names_are_renamed(tmp_path: Path, sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway()
    client = sdk(gateway)
    names = ["CON.png", "NUL.txt", "COM1.png", "lpt9.png", "PRN.tar.gz", "aux"]
    files = [File(url="data:image/png;base64,iVBORw0KGgo=", file_name=n) for n in names]
    written = client.download(files, tmp_path)
    stems = [p.name.split(".")[0].upper() for p in written]
    assert not set(stems) & {"CON", "NUL", "COM1", "LPT9", "PRN", "AUX"}, written
    assert all(p.parent == tmp_path and p.exists() for p in written)
