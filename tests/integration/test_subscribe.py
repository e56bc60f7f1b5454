"""End to end over loopback HTTP against the mock gateway, in both sync and async mode."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fal_queue import TYPED_MODEL_IDS, Completed, InProgress, Queued
from fal_queue import errors as E
from fal_queue._inputs import TYPED_MODELS
from fal_queue.mock import Faults
from fal_queue_api import models as gen
from PIL import Image as PILImage

IMAGE = "https://v3.fal.media/files/rabbit/aQEmU4lEKKIIr9cDOChUB.png"


def arguments_for(model_id: str) -> dict[str, Any]:
    fields = {f.name for f in TYPED_MODELS[model_id][1].__attrs_attrs__}
    args: dict[str, Any] = {"output_format": "png", "num_images": 2, "seed": 7}
    if "prompt" in fields:
        args["prompt"] = f"a cat for {model_id}"
    if "image_url" in fields:
        args["image_url"] = IMAGE
    if "image_urls" in fields:
        args["image_urls"] = [IMAGE, IMAGE]
    if "image_size" in fields:
        args["image_size"] = {"width": 320, "height": 240}
    return args


@pytest.mark.parametrize("model_id", TYPED_MODEL_IDS)
def test_subscribe_and_download_every_typed_model(
    sdk: Any, gateway: Any, model_id: str, tmp_path: Path
) -> None:
    client = sdk(gateway)
    updates: list[Any] = []
    enqueued: list[str] = []
    result = client.subscribe(
        model_id,
        arguments_for(model_id),
        on_queue_update=updates.append,
        on_enqueue=enqueued.append,
        timeout=30,
    )
    assert result.request_id == enqueued[0]
    assert isinstance(updates[-1], Completed) and not updates[-1].failed
    assert len(result.images) == 2 and result.seed == 7
    paths = client.download(result, tmp_path)
    assert len(paths) == 2
    for path, image in zip(paths, result.images, strict=True):
        with PILImage.open(path) as picture:
            assert picture.format == "PNG"
            if image.width is not None:
                assert picture.size == (image.width, image.height)
        if "image_size" in arguments_for(model_id):
            assert (image.width, image.height) == (320, 240)


def test_video_model_result_and_download(sdk: Any, gateway: Any, tmp_path: Path) -> None:
    client = sdk(gateway)
    result = client.subscribe("fal-ai/some/video-model", {"prompt": "waves"}, timeout=30)
    assert result.images == [] and result.video is not None
    assert result.video.content_type == "video/mp4"
    (path,) = client.download(result, tmp_path)
    data = path.read_bytes()
    assert data[4:8] == b"ftyp" and len(data) == result.video.file_size


def test_typed_input_model_object(sdk: Any, gateway: Any) -> None:
    from fal_queue_api.models import FluxSchnellTextToImageInput

    client = sdk(gateway)
    result = client.subscribe(
        "fal-ai/flux-1/schnell", FluxSchnellTextToImageInput(prompt="x", image_size="square"), timeout=30
    )
    assert (result.images[0].width, result.images[0].height) == (512, 512)


def test_events_progress_from_queue_to_completion_with_logs(sdk: Any, make_gateway: Any) -> None:
    # The blocker holds the only worker for seconds: the stream opens while the second job waits.
    gateway = make_gateway(workers=1, queue_delay=0.02, run_time=3.0)
    client = sdk(gateway)
    blocker = client.submit("fal-ai/flux-1/schnell", {"prompt": "first"})
    handle = client.submit("fal-ai/flux-1/schnell", {"prompt": "second"})
    events = list(handle.iter_events(logs=True, timeout=30))
    kinds = [type(e) for e in events]
    assert kinds[0] is Queued and kinds[-1] is Completed and InProgress in kinds
    assert any(e.logs for e in events), "logs were asked for but none arrived"
    assert all(e.status_url is None or e.status_url.startswith(gateway.base_url) for e in events)
    blocker.get(timeout=30)


@pytest.mark.parametrize("mode", ["stream", "poll"])
def test_both_wait_modes(sdk: Any, gateway: Any, mode: str) -> None:
    client = sdk(gateway, wait_mode=mode)
    before = gateway.stats()["requests_by_operation"]
    result = client.subscribe("fal-ai/flux-1/dev", {"prompt": "x"}, timeout=30)
    after = gateway.stats()["requests_by_operation"]
    assert result.images
    used = {op: after.get(op, 0) - before.get(op, 0) for op in after}
    if mode == "stream":
        assert used.get("stream", 0) >= 1
    else:
        assert used.get("stream", 0) == 0 and used.get("status", 0) >= 1


def test_stream_unavailable_falls_back_to_polling(sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway()
    gateway.set_faults(Faults(ingress_503=1.0, operations=frozenset({"stream"})))
    client = sdk(gateway, max_retries=0)
    result = client.subscribe("fal-ai/flux-1/dev", {"prompt": "x"}, timeout=30)
    assert result.images and gateway.stats()["requests_by_operation"]["status"] >= 1


def test_stream_cut_mid_way_falls_back_to_polling(sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway(run_time=0.2)
    gateway.set_faults(Faults(drop=1.0, operations=frozenset({"stream"})))
    client = sdk(gateway, max_retries=0)
    assert client.subscribe("fal-ai/flux-1/dev", {"prompt": "x"}, timeout=30).images


def test_cancel_then_already_completed(sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway(run_time=5.0, workers=1)
    client = sdk(gateway)
    handle = client.submit("fal-ai/flux-1/dev", {"prompt": "x"})
    assert handle.cancel() == "CANCELLATION_REQUESTED"
    with pytest.raises(E.JobFailedError) as info:
        handle.get(timeout=30)
    assert info.value.error_type == "client_cancelled" and info.value.request_id == handle.request_id
    assert handle.cancel() == "ALREADY_COMPLETED"
    assert gateway.stats()["jobs_cancelled"] == 1


def test_result_later_from_a_rebuilt_handle(sdk: Any, gateway: Any) -> None:
    first = sdk(gateway)
    handle = first.submit(
        "fal-ai/flux-pro/kontext/text-to-image", {"prompt": "poster", "aspect_ratio": "16:9"}
    )
    request_id = handle.request_id
    # A different client (another process, a day later) only knows the model id and request id.
    second = sdk(gateway)
    again = second.get_handle("fal-ai/flux-pro/kontext/text-to-image", request_id)
    assert again.status_url == f"{gateway.base_url}/fal-ai/flux-pro/requests/{request_id}/status"
    result = again.get(timeout=30)
    assert result.request_id == request_id and result.images
    assert second.result("fal-ai/flux-pro/kontext/text-to-image", request_id).raw == result.raw


def test_failing_job_raises_job_failed_with_details(sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway()
    gateway.set_faults(Faults(job_failure=1.0))
    client = sdk(gateway)
    kinds = set()
    for _ in range(2):  # the mock alternates a 422 and a 500 result
        handle = client.submit("fal-ai/flux-1/dev", {"prompt": "x"})
        with pytest.raises(E.JobFailedError) as info:
            handle.get(logs=True, timeout=30)
        err = info.value
        assert err.request_id == handle.request_id and err.model_id == "fal-ai/flux-1/dev"
        assert err.error_type and err.cause is not None and err.cause.server_request_id
        kinds.add(err.cause.status_code)
        assert err.logs, "the final logs of a failed job must be surfaced"
    assert kinds == {422, 500}


def test_server_side_validation_error_names_the_field(sdk: Any, gateway: Any) -> None:
    client = sdk(gateway)
    with pytest.raises(E.InvalidInputError, match="guidance_scale: 99 is above the maximum 20"):
        client.submit("fal-ai/flux-1/dev", {"prompt": "x", "guidance_scale": 99})  # caught before sending
    # A generated model is sent as built, so the gateway's own check answers.
    typed = gen.FluxDevTextToImageInput(prompt="x", guidance_scale=99)
    with pytest.raises(E.ValidationError) as info:
        client.submit("fal-ai/flux-1/dev", typed)
    assert [e.field for e in info.value.errors] == ["guidance_scale"]
    assert info.value.request_id is None  # nothing was queued


def test_total_timeout_keeps_the_job_and_names_it(sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway(run_time=300.0)  # without the deadline the wait would last 300 s
    client = sdk(gateway)
    handle = client.submit("fal-ai/flux-1/dev", {"prompt": "x"})
    started = time.monotonic()
    with pytest.raises(E.JobTimeoutError) as info:
        handle.get(timeout=0.3)
    assert time.monotonic() - started < 0.3 + 10
    assert info.value.request_id == handle.request_id and not info.value.cancelled
    assert gateway.job(handle.request_id)["cancelled"] is False


def test_timeout_cancels_only_when_asked(sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway(run_time=3.0)
    client = sdk(gateway)
    with pytest.raises(E.JobTimeoutError) as info:
        client.subscribe("fal-ai/flux-1/dev", {"prompt": "x"}, timeout=0.3, cancel_on_timeout=True)
    assert info.value.cancelled
    assert gateway.job(info.value.request_id)["cancelled"] is True


def test_three_segment_workflow_apps(sdk: Any, gateway: Any) -> None:
    client = sdk(gateway)
    result = client.subscribe("workflows/alice/my-flow", {"prompt": "x"}, timeout=30)
    assert result.images
    assert client.status("workflows/alice/my-flow", result.request_id).done


def test_sync_mode_data_uris_are_decoded(sdk: Any, gateway: Any, tmp_path: Path) -> None:
    client = sdk(gateway)
    result = client.subscribe(
        "fal-ai/flux-1/schnell", {"prompt": "x", "sync_mode": True, "output_format": "jpeg"}, timeout=30
    )
    assert result.images[0].url.startswith("data:image/jpeg")
    (path,) = client.download(result, tmp_path)
    with PILImage.open(io.BytesIO(path.read_bytes())) as picture:
        assert picture.format == "JPEG"


def test_unknown_request_and_wrong_key(sdk: Any, gateway: Any) -> None:
    client = sdk(gateway)
    with pytest.raises(E.NotFoundError) as info:
        client.result("fal-ai/flux-1/dev", "does-not-exist")
    assert info.value.request_id == "does-not-exist"
    bad = sdk(gateway, api_key="wrong-key")
    with pytest.raises(E.AuthenticationError):
        bad.submit("fal-ai/flux-1/dev", {"prompt": "x"})
    assert (
        httpx.get(
            gateway.base_url + "/_mock/stats", headers={"Authorization": f"Bearer {gateway.key}"}
        ).status_code
        == 200
    )


def test_a_hung_status_call_ends_at_the_total_deadline(sdk: Any, make_gateway: Any) -> None:
    gateway = make_gateway(run_time=300.0)
    gateway.set_faults(Faults(slow=1.0, slow_seconds=60.0, operations=frozenset({"status"})))
    client = sdk(gateway, wait_mode="poll")
    handle = client.submit("fal-ai/flux-1/dev", {"prompt": "x"})
    started = time.monotonic()
    with pytest.raises(E.JobTimeoutError) as info:
        handle.get(timeout=0.5)
    assert time.monotonic() - started < 0.5 + 10  # the status call alone would hang for 60 s
    assert info.value.request_id == handle.request_id


def test_more_jobs_than_pooled_connections_stream_some_and_poll_the_rest(make_gateway: Any) -> None:
    import asyncio

    from fal_queue import AsyncClient

    gateway = make_gateway(run_time=0.3, workers=64)

    async def main() -> list[Any]:
        tight = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=4))
        async with AsyncClient(gateway.base_url, gateway.key, transport=tight) as client:
            jobs = [
                client.subscribe("fal-ai/flux-1/schnell", {"prompt": f"p{i}"}, timeout=30) for i in range(16)
            ]
            return await asyncio.gather(*jobs)

    results = asyncio.run(main())
    assert len({r.request_id for r in results}) == 16 and all(r.images for r in results)
    used = gateway.stats()["requests_by_operation"]
    # Every job was followed, by its stream or by polls, and none waited for a connection forever
    # (each subscribe's own 30 s timeout would have raised). How many poll depends on timing (a
    # stream that ends frees its connection within the 50 ms pool wait of the next), so the split is
    # not asserted here: all 16 streamed in one loaded CI run. The deterministic case is below.
    assert used["stream"] >= 1 and used["stream"] + used["status"] >= 16


def _until(condition: Any, what: str) -> None:
    """Wait (bounded, observed) until ``condition()`` holds."""
    give_up = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < give_up, f"never happened: {what}"
        time.sleep(0.01)


def test_a_job_whose_stream_finds_the_pool_held_full_is_polled_async(
    make_gateway: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The stream pool is held full on purpose (one connection, one open stream): the next job's
    stream waits its 50 ms for a connection, gives up, and the job is polled, never stuck."""
    import asyncio
    import logging

    from fal_queue import AsyncClient
    from fal_queue import _constants as C

    monkeypatch.setattr(C, "STREAM_POOL_LIMITS", httpx.Limits(max_connections=1, max_keepalive_connections=1))
    gateway = make_gateway(run_time=300, workers=2, ping_interval=0.2)  # both jobs stay IN_PROGRESS
    caplog.set_level(logging.INFO, logger="fal_queue")

    async def main() -> tuple[Any, dict[str, int]]:
        async with AsyncClient(gateway.base_url, gateway.key, wait_mode="stream") as client:
            first = await client.submit("fal-ai/flux-1/schnell", {"prompt": "holds the stream"})
            holding = client.iter_events("fal-ai/flux-1/schnell", first.request_id, timeout=120)
            await anext(holding)  # a status came over the stream: it holds the pool's one connection
            assert gateway.stats()["requests_by_operation"]["stream"] == 1
            second = await client.submit("fal-ai/flux-1/schnell", {"prompt": "finds the pool full"})
            events = client.iter_events("fal-ai/flux-1/schnell", second.request_id, timeout=120)
            status = await anext(events)
            used = dict(gateway.stats()["requests_by_operation"])
            await events.aclose()  # type: ignore[attr-defined]
            await holding.aclose()  # type: ignore[attr-defined]
            return status, used

    status, used = asyncio.run(main())
    assert isinstance(status, Queued | InProgress) and status.request_id
    assert used["stream"] == 1, "the second job's stream reached the gateway: the pool was not full"
    assert used["status"] >= 1, "the second job was not polled"
    assert any("polling instead" in r.getMessage() for r in caplog.records)


def test_a_job_whose_stream_finds_the_pool_held_full_is_polled_sync(
    make_gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same with the sync client: one thread holds the only pooled stream open."""
    import threading

    from fal_queue import Client
    from fal_queue import _constants as C

    monkeypatch.setattr(C, "STREAM_POOL_LIMITS", httpx.Limits(max_connections=1, max_keepalive_connections=1))
    gateway = make_gateway(run_time=300, workers=2, ping_interval=0.2)
    stop = threading.Event()
    holding_seen = threading.Event()

    with Client(gateway.base_url, gateway.key, wait_mode="stream") as client:
        first = client.submit("fal-ai/flux-1/schnell", {"prompt": "holds the stream"})

        def hold() -> None:
            events = client.iter_events("fal-ai/flux-1/schnell", first.request_id, timeout=120)
            try:
                for _ in events:
                    holding_seen.set()
                    if stop.is_set():
                        break
            except E.JobTimeoutError:
                pass
            finally:
                events.close()  # type: ignore[attr-defined]

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        _until(holding_seen.is_set, "the first job's stream sent a status")
        _until(lambda: gateway.stats()["requests_by_operation"].get("stream") == 1, "one stream open")
        second = client.submit("fal-ai/flux-1/schnell", {"prompt": "finds the pool full"})
        events = client.iter_events("fal-ai/flux-1/schnell", second.request_id, timeout=120)
        status = next(events)
        used = dict(gateway.stats()["requests_by_operation"])
        events.close()  # type: ignore[attr-defined]
        stop.set()
        assert isinstance(status, Queued | InProgress)
        assert used["stream"] == 1 and used["status"] >= 1
        client.cancel("fal-ai/flux-1/schnell", first.request_id)  # ends the held stream
        holder.join(60)
        assert not holder.is_alive()


@pytest.mark.parametrize("mode", ["stream", "poll"])
def test_every_log_line_arrives_once_in_order_in_both_wait_modes(
    sdk: Any, make_gateway: Any, mode: str
) -> None:
    gateway = make_gateway(run_time=0.4, queue_delay=0.02)
    client = sdk(gateway, wait_mode=mode)
    handle = client.submit("fal-ai/flux-1/schnell", {"prompt": "logs"})
    seen: list[Any] = []
    for status in handle.iter_events(logs=True, timeout=30):
        assert list(status.logs[: len(seen)]) == seen, "a status lost or reordered earlier lines"
        seen = list(status.logs)
    final = client.status("fal-ai/flux-1/schnell", handle.request_id, logs=True)  # polled: all lines
    assert seen == list(final.logs) and len(seen) >= 2
    messages = [line.get("message") for line in seen]
    assert len(messages) == len(set(map(str, seen))), "a line arrived twice"
