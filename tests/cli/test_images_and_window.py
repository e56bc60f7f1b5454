"""Local images in, the safety verdict and billing out, batch's submit options and its job window.

Through the CLI against the mock gateway over loopback: ``--image`` for run/submit/batch, batch
lines naming images relative to their JSONL, the SDK's image warnings as one line each, flagged
images and billable units, the options run and batch share, and ``--concurrency auto`` following
the client's job window under 429s.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clikit import (
    FAL_QUEUE,
    CliResult,
    JournalView,
    assert_clean,
    base_env,
    read_journal,
    run_subprocess,
    write_prompts,
)
from fal_queue.cli.batch import batch_command
from fal_queue.cli.run import run_command, submit_command
from fal_queue.mock import Faults, MockGateway
from PIL import Image
from test_batch_crash import _kill_when, _settle

Invoke = Callable[..., CliResult]
EDIT = "fal-ai/flux-pro/kontext"
MULTI = "fal-ai/flux-pro/kontext/multi"
SCHNELL = "fal-ai/flux-1/schnell"


@pytest.fixture(autouse=True)
def _fresh_log(gateway: MockGateway) -> None:
    """The session's mock logs only this test's requests (``_submits``)."""
    gateway.reset_log()


def _png(path: Path, size: tuple[int, int] = (16, 12), *, noise: bool = False) -> Path:
    """A PNG on disk; ``noise`` makes it incompressible (a 700x700 one is about 1.5 MB)."""
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, "teal")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path


def _sent_image(uri: object) -> bytes:
    assert isinstance(uri, str) and uri.startswith("data:image/"), str(uri)[:60]
    header, _, payload = uri.partition(",")
    assert header.endswith(";base64")
    return base64.b64decode(payload)


def _inputs(gw: MockGateway, request_id: str) -> dict[str, Any]:
    job = gw.job(request_id)
    assert job is not None, request_id
    inputs: dict[str, Any] = job["inputs"]
    return inputs


def _submits(gw: MockGateway) -> list[dict[str, Any]]:
    return [e for e in gw.request_log if e["origin"] == "gateway" and e["method"] == "POST"]


def _error(result: CliResult) -> str:
    (line,) = result.error_lines
    assert "Traceback" not in result.stderr
    return line


def _warnings(result: CliResult) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning:")]


# ---- --image for run and submit ----


def test_run_edits_a_png_on_disk_and_sends_it_inline(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path
) -> None:
    photo = _png(tmp_path / "in" / "photo.png")
    out = tmp_path / "out"
    result = invoke(
        ["run", EDIT, "--prompt", "make it snow", "--image", str(photo), "--out", str(out), "--json"], gateway
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [Path(p).parent for p in data["files"]] == [out]
    sent = _inputs(gateway, data["request_id"])
    assert _sent_image(sent["image_url"]) == photo.read_bytes()
    assert sent["prompt"] == "make it snow"
    assert "encoding" not in result.stderr  # a small file needs no progress step


def test_several_images_fill_image_urls_and_a_url_stays_a_url(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path
) -> None:
    a = _png(tmp_path / "a.png")
    url = "https://example.com/b.png"
    result = invoke(
        ["submit", MULTI, "--prompt", "combine", "--image", str(a), "--image", url, "--json"], gateway
    )
    assert result.exit_code == 0, result.stderr
    sent = _inputs(gateway, json.loads(result.stdout)["request_id"])["image_urls"]
    assert _sent_image(sent[0]) == a.read_bytes() and sent[1] == url
    # A URL given to --image-url beside a local --image: both go into image_urls.
    mixed = invoke(["submit", MULTI, "--prompt", "c", "--image-url", url, "--image", str(a), "-q"], gateway)
    assert mixed.exit_code == 0, mixed.stderr
    urls = _inputs(gateway, mixed.stdout.strip())["image_urls"]
    assert urls[0] == url and _sent_image(urls[1]) == a.read_bytes()


def test_several_images_for_a_one_image_model_is_a_usage_error_naming_it(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path
) -> None:
    a = _png(tmp_path / "a.png")
    result = invoke(["run", EDIT, "--prompt", "e", "--image", str(a), "--image", str(a)], gateway)
    assert result.exit_code == 2
    line = _error(result)
    assert EDIT in line and "takes one --image, got 2" in line
    assert _submits(gateway) == []


@pytest.mark.parametrize("case", ["not an image", "missing", "a folder"])
def test_an_image_that_cannot_be_sent_is_refused_with_one_line_and_nothing_sent(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path, case: str
) -> None:
    target = tmp_path / "notes.png"
    if case == "not an image":
        target.write_text("these are my notes, not a picture\n")
    elif case == "a folder":
        target.mkdir()
    for command in ("run", "submit"):
        result = invoke([command, EDIT, "--prompt", "e", "--image", str(target)], gateway)
        assert result.exit_code == 2, result.stderr
        line = _error(result)
        assert str(target) in line and "image_url" in line and "nothing was sent" in line
        expected = "is not an image" if case == "not an image" else "cannot read the image"
        assert expected in line
    assert _submits(gateway) == []


def test_too_big_without_pillow_is_refused_before_sending(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = _png(tmp_path / "photo.png", (64, 64), noise=True)
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL fails, as where Pillow is not installed
    result = invoke(
        ["run", EDIT, "--prompt", "e", "--image", str(photo), "--out", str(tmp_path)],
        gateway,
        env={"FAL_QUEUE_MAX_IMAGE_BYTES": "2000"},
    )
    assert result.exit_code == 2
    line = _error(result)
    assert str(photo) in line and "2000-byte image limit" in line and "install Pillow" in line
    assert "FAL_QUEUE_MAX_IMAGE_BYTES" in line and "max_image_bytes=" not in line
    assert _submits(gateway) == []


def test_an_image_over_the_limit_is_downscaled_with_one_warning(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path
) -> None:
    photo = _png(tmp_path / "big.png", (200, 150), noise=True)
    result = invoke(
        ["submit", EDIT, "--prompt", "e", "--image", str(photo), "-q"],
        gateway,
        env={"FAL_QUEUE_MAX_IMAGE_BYTES": "30000"},
    )
    assert result.exit_code == 0, result.stderr
    (warning,) = _warnings(result)
    assert str(photo) in warning and "downscaled from 200x150" in warning and "30000-byte" in warning
    sent = _sent_image(_inputs(gateway, result.stdout.strip())["image_url"])
    small = Image.open(io.BytesIO(sent))
    assert small.width < 200 and abs(small.width / small.height - 200 / 150) < 0.05
    assert len(sent) < 30000


def test_a_large_file_shows_an_encoding_step_before_the_submit(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path
) -> None:
    photo = _png(tmp_path / "large.png", (700, 700), noise=True)
    assert photo.stat().st_size > 1_000_000
    result = invoke(
        ["run", EDIT, "--prompt", "e", "--image", str(photo), "--out", str(tmp_path / "o")], gateway
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    step = next(i for i, line in enumerate(lines) if line.startswith(f"encoding {photo} ("))
    assert lines[step].endswith(" MB)")
    assert step < next(i for i, line in enumerate(lines) if line.startswith("request_id="))
    assert_clean(result.stderr)
    # A batch checks each local image once, before its first submit, with the same step.
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('"snow"\n"rain"\n')
    batch = invoke(
        ["batch", str(prompts), "-m", EDIT, "-o", str(tmp_path / "b"), "--image", str(photo)], gateway
    )
    assert batch.exit_code == 0, batch.stderr
    steps = [i for i, line in enumerate(batch.stderr.splitlines()) if line.startswith(f"encoding {photo} (")]
    assert len(steps) == 1


def test_image_url_keeps_sending_strings_and_says_how_to_send_a_local_file(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _png(tmp_path / "here.png")
    result = invoke(["submit", EDIT, "--prompt", "e", "--image-url", "here.png"], gateway)
    assert result.exit_code == 2
    line = _error(result)
    assert "is a local file" in line and "pass it with --image 'here.png'" in line
    assert "pathlib" not in line
    assert _submits(gateway) == []


# ---- batch: images relative to the JSONL file ----


def _batch(invoke: Invoke, gw: MockGateway, prompts: Path, out: Path, *extra: str) -> CliResult:
    return invoke(["batch", str(prompts), "--out", str(out), "--progress-interval", "60", *extra], gw)


def test_batch_lines_name_local_images_relative_to_the_jsonl_file(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = tmp_path / "jobs"
    cabin = _png(jobs / "photos" / "cabin.png", (20, 10))
    url = "https://example.com/remote.png"
    prompts = jobs / "edits.jsonl"
    prompts.write_text(
        json.dumps({"prompt": "make it snow", "image_url": "photos/cabin.png"})
        + "\n"
        + json.dumps({"prompt": "at night", "image_url": url})
        + "\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # relative to the JSONL, not to where the command runs
    out = tmp_path / "out"
    result = _batch(invoke, gateway, prompts, out, "-m", EDIT, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["done"] == 2
    records = read_journal(out / "journal.jsonl")
    rid = {r["line"]: r["request_id"] for r in records if r.get("ev") == "submitted"}
    assert _sent_image(_inputs(gateway, rid[1])["image_url"]) == cabin.read_bytes()
    assert _inputs(gateway, rid[2])["image_url"] == url
    # Re-run: the digests of the lines (local images by their names) match; nothing is sent again.
    gateway.reset_log()
    again = _batch(invoke, gateway, prompts, out, "-m", EDIT, "--json")
    assert again.exit_code == 0, again.stderr
    assert _submits(gateway) == []


def test_a_batch_line_naming_a_file_that_is_not_an_image_stops_the_batch_before_sending(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path
) -> None:
    _png(tmp_path / "ok.png")
    (tmp_path / "notes.png").write_text("not a picture")
    prompts = tmp_path / "edits.jsonl"
    prompts.write_text(
        "".join(
            json.dumps({"prompt": f"p{i}", "image_url": name}) + "\n"
            for i, name in enumerate(["ok.png", "notes.png", "ok.png"])
        )
    )
    result = _batch(invoke, gateway, prompts, tmp_path / "out", "-m", EDIT)
    assert result.exit_code == 2
    errors = result.error_lines
    assert any(f"{prompts}:2: image_url:" in e and "is not an image" in e for e in errors), errors
    assert not any(f"{prompts}:1:" in e or f"{prompts}:3:" in e for e in errors)
    assert _submits(gateway) == []


def test_batch_image_for_every_line_and_one_resize_warning(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path
) -> None:
    photo = _png(tmp_path / "big.png", (200, 150), noise=True)
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('"snow"\n"rain"\n"fog"\n')
    result = invoke(
        ["batch", str(prompts), "-m", EDIT, "-o", str(tmp_path / "out"), "--image", str(photo), "--json"],
        gateway,
        env={"FAL_QUEUE_MAX_IMAGE_BYTES": "30000"},
    )
    assert result.exit_code == 0, result.stderr
    # Checked once before the batch and encoded at each of three submits: told once.
    (warning,) = _warnings(result)
    assert "downscaled from 200x150" in warning
    images = [
        _inputs(gateway, rid)["image_url"]
        for rid in JournalView.of(read_journal(tmp_path / "out" / "journal.jsonl")).request_ids
    ]
    assert len(images) == 3 and all(len(_sent_image(i)) < 30000 for i in images)


# ---- the safety verdict and billing (the mock flags by seed and bills per megapixel) ----


def test_run_warns_once_per_flagged_image(
    make_gateway: Callable[..., MockGateway], invoke: Invoke, tmp_path: Path
) -> None:
    gw = make_gateway(nsfw_every=10)  # seed 9: images 1..3 are (9, 10, 11): the second is flagged
    args = ["run", SCHNELL, "--prompt", "x", "-p", "seed=9", "-p", "num_images=3", "--out", str(tmp_path)]
    result = invoke([*args, "--json"], gw)
    assert result.exit_code == 0, result.stderr
    rid = json.loads(result.stdout)["request_id"]
    assert _warnings(result) == [
        f"warning: image 2 of {rid} was flagged by the safety checker; it is probably blank"
    ]
    assert len(json.loads(result.stdout)["files"]) == 3  # flagged images are still saved


def test_batch_warns_once_per_flagged_image_counts_them_and_totals_billable_units(
    make_gateway: Callable[..., MockGateway], invoke: Invoke, tmp_path: Path
) -> None:
    gw = make_gateway(nsfw_every=10)
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f"p{s}", "seed": s}) + "\n" for s in (9, 19, 29)))
    out = tmp_path / "out"
    # Two 1024x768 images a line: the mock bills a unit per started megapixel of each, 2 a line.
    args = ["batch", str(prompts), "-m", SCHNELL, "-o", str(out), "-p", "num_images=2"]
    first = invoke(args, gw)
    assert first.exit_code == 0, first.stderr
    assert sorted(_warnings(first)) == [
        f"warning: line {n}: image 2 was flagged by the safety checker; it is probably blank"
        for n in (1, 2, 3)
    ]
    assert "3 image(s) flagged by the safety checker" in first.stdout
    assert "billable units: 6" in first.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["flagged_images"] == 3 and summary["billable_units"] == 6
    # A re-run counts the lines done earlier from their saved results, and warns no more.
    again = invoke([*args, "--json"], gw)
    assert again.exit_code == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["flagged_images"] == 3 and summary["billable_units"] == 6
    assert _warnings(again) == []


# ---- the options run and batch share ----

SUBMIT_FLAGS = {
    "--priority": "low",
    "--start-timeout": "30",
    "--hint": "warm-runner-7",
    "--no-retry": None,
    "--no-store-io": None,
    "--object-lifecycle": "3600",
}
SENT_HEADERS = {
    "x-fal-queue-priority": "low",
    "x-fal-request-timeout": "30.0",
    "x-fal-runner-hint": "warm-runner-7",
    "x-fal-no-retry": "1",
    "x-fal-store-io": "0",
    "x-fal-object-lifecycle-preference": '{"expiration_duration_seconds": 3600}',
}


def _flags() -> list[str]:
    return [part for flag, value in SUBMIT_FLAGS.items() for part in (flag, value) if part is not None]


def test_run_submit_and_batch_share_one_definition_of_the_submit_options() -> None:
    def options(command: Any) -> dict[str, Any]:
        return {p.name: p for p in command.params if p.name not in {"model"}}

    run, submit, batch = options(run_command), options(submit_command), options(batch_command)
    for name in (
        "priority",
        "start_timeout",
        "hint",
        "webhook_url",
        "no_retry",
        "store_io",
        "object_lifecycle",
    ):
        for other in (submit, batch):
            assert other[name].opts == run[name].opts and other[name].help == run[name].help, name
    for name in ("images", "image_urls", "params", "input_path"):
        assert batch[name].opts == run[name].opts


def test_batch_sends_the_submit_options_run_sends(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path
) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('"one"\n"two"\n')
    run = invoke(["submit", SCHNELL, "--prompt", "x", *_flags()], gateway)
    assert run.exit_code == 0, run.stderr
    batch = invoke(["batch", str(prompts), "-m", SCHNELL, "-o", str(tmp_path / "out"), *_flags()], gateway)
    assert batch.exit_code == 0, batch.stderr
    submits = _submits(gateway)
    assert len(submits) == 3
    for entry in submits:
        assert {k: entry["headers"].get(k) for k in SENT_HEADERS} == SENT_HEADERS


def test_a_bad_submit_option_fails_the_batch_before_anything_is_sent(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path
) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('"one"\n')
    result = invoke(
        ["batch", str(prompts), "-m", SCHNELL, "-o", str(tmp_path / "out"), "--start-timeout", "0.5"], gateway
    )
    assert result.exit_code == 2
    assert "start_timeout" in _error(result) and "nothing was sent" in _error(result)
    assert _submits(gateway) == [] and not (tmp_path / "out").exists()


# ---- --concurrency auto: the client's job window ----


def test_auto_concurrency_follows_the_window_through_429s_and_reports_it(
    make_gateway: Callable[..., MockGateway], invoke: Invoke, tmp_path: Path
) -> None:
    gw = make_gateway(faults=Faults(seed=3, rate_limit=0.25, retry_after=0, operations=frozenset({"submit"})))
    n = 60
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f"p{i}", "seed": i}) + "\n" for i in range(n)))
    out = tmp_path / "out"
    result = invoke(["batch", str(prompts), "-m", SCHNELL, "-o", str(out), "--json"], gw)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    run = summary["this_run"]
    refused = gw.stats()["faults_injected"].get("rate_limit", 0)
    assert refused > 0
    assert summary["done"] == n and run["concurrency"] == "auto"
    assert run["refused_429"] == refused
    window = run["window"]
    assert 1 <= window["low"] <= window["high"] <= 1024
    # Every line was submitted exactly once (a 429 creates no job; the retry is the one submit).
    view = JournalView.of(read_journal(out / "journal.jsonl"))
    assert sorted(view.submitted) == list(range(1, n + 1))
    assert all(len(rids) == 1 for rids in view.submitted.values())
    assert gw.stats()["jobs_created"] == n
    # The plain progress line shows the window and the 429s seen.
    (last,) = [line for line in result.stderr.splitlines() if line.startswith("progress:")][-1:]
    assert re.search(r", window \d+, ", last) and f"{refused} refused with 429" in last
    record = next(r for r in read_journal(out / "journal.jsonl") if r.get("ev") == "run")
    assert record["concurrency"] == "auto"


def test_a_number_keeps_a_fixed_concurrency(gateway: MockGateway, invoke: Invoke, tmp_path: Path) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('"one"\n"two"\n"three"\n')
    result = invoke(["batch", str(prompts), "-m", SCHNELL, "-o", str(tmp_path / "out"), "-c", "2"], gateway)
    assert result.exit_code == 0, result.stderr
    assert "concurrency 2 jobs in flight; 0 submit(s) refused with 429" in result.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["this_run"]["concurrency"] == 2 and summary["this_run"]["window"] is None
    progress = [line for line in result.stderr.splitlines() if line.startswith("progress:")]
    assert progress and "window" not in progress[-1]
    bad = invoke(["batch", str(prompts), "-m", SCHNELL, "-o", str(tmp_path / "o2"), "-c", "many"], gateway)
    assert bad.exit_code == 2 and "expected auto or a whole number" in _error(bad)


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs POSIX signals")
@pytest.mark.timeout(600)
def test_auto_concurrency_keeps_the_journal_crash_safe(
    make_gateway: Callable[..., MockGateway], tmp_path: Path
) -> None:
    n = 80
    gw = make_gateway(workers=8, queue_delay=0.02, run_time=0.15)
    prompts = write_prompts(tmp_path / "p.jsonl", n)
    out = tmp_path / "out"
    env = base_env(tmp_path, gw)
    args = ["batch", str(prompts), "--model", SCHNELL, "--out", str(out)]
    proc = subprocess.Popen(
        [str(FAL_QUEUE), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    at_kill = _kill_when(proc, out, ready=10, want_open_submit=False)
    # Lines waiting for a place in the window wrote nothing: every job the mock made is journaled.
    assert _settle(gw) == len(at_kill.request_ids) == len(set(at_kill.request_ids))
    rerun = run_subprocess([*args, "--json"], env)
    assert rerun.exit_code == 0, rerun.stderr[-2000:]
    final = JournalView.of(read_journal(out / "journal.jsonl"))
    assert final.done == set(range(1, n + 1))
    assert all(len(rids) == 1 for rids in final.submitted.values())
    assert gw.stats()["jobs_created"] == n
