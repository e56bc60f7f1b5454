"""Fast checks of the CLI's pieces: output hygiene, errors, config, inputs, models, journal, displays."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from clikit import FAL_QUEUE, CliResult, assert_clean, base_env
from fal_queue import errors as E
from fal_queue.cli import cli
from fal_queue.cli.context import resolve_settings
from fal_queue.cli.errors import CliError, clean, describe, exit_code_for, one_line
from fal_queue.cli.inputs import (
    BatchInputError,
    image_arguments,
    line_digest,
    parse_params,
    problems_of,
    read_batch_file,
)
from fal_queue.cli.journal import Journal
from fal_queue.cli.models import model_info, typed_models
from fal_queue.cli.output import Output
from fal_queue.cli.progress import BatchCounters, BatchDisplay, JobDisplay
from fal_queue.download import DownloadProgress
from fal_queue.mock import MockGateway
from fal_queue.types import Completed, InProgress, Queued
from rich.console import Console

Invoke = Callable[..., CliResult]


def test_clean_escapes_every_control_character_and_bidi_override() -> None:
    text = "ok \x1b[31mred\x1b[0m \x07bell \r\u202eevil\u202c \x9b"
    cleaned = clean(text)
    assert_clean(cleaned)
    assert "\\x1b[31mred" in cleaned and "\\u202eevil" in cleaned and "\\x07bell" in cleaned
    assert one_line("a\nb\r\n\tc") == "a b c"


def test_describe_is_one_line_with_the_request_id_and_exit_codes_are_stable() -> None:
    failed = E.JobFailedError(
        "job failed: boom\nsecond line", request_id="rid-1", model_id="m/x", error_type="runner_disconnected"
    )
    assert (
        describe(failed) == "job failed: boom second line (request_id=rid-1, error_type=runner_disconnected)"
    )
    validation = E.ValidationError(
        "submit: bad", status_code=422, errors=[E.FieldError(["body", "num_images"], "too many", "le")]
    )
    assert describe(validation) == "HTTP 422: input rejected: num_images: too many"
    uncertain = E.SubmitUncertainError("submit: connection broke", model_id="m/x")
    assert "do not blindly resubmit" in describe(uncertain)
    codes = {
        E.JobFailedError("x", request_id="r"): 1,
        E.InvalidInputError("x"): 2,
        E.NotFoundError("x", status_code=404): 2,
        E.ValidationError("x", status_code=422): 2,
        E.AuthenticationError("x", status_code=401): 3,
        E.RateLimitError("x", status_code=429): 3,
        E.ServerError("x", status_code=503): 3,
        E.APIConnectionError("x"): 3,
        E.SubmitUncertainError("x"): 3,
        E.ConfigurationError("x"): 3,
        E.DownloadError("x", url="u"): 3,
        E.JobTimeoutError("x", request_id="r", model_id=None, cancelled=False): 4,
        CliError("x", 130): 130,
    }
    for err, code in codes.items():
        assert exit_code_for(err) == code, err


def test_settings_precedence_flags_env_file(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('base_url = "https://file.example"\nkey = "file-key"\ntimeout = 5\nallow_http = true\n')
    config.chmod(0o600)
    env = {"FAL_QUEUE_KEY": "env-key", "FAL_QUEUE_TIMEOUT": "7.5"}
    s = resolve_settings({"base_url": "https://flag.example"}, str(config), env)
    assert (s.base_url, s.key, s.timeout, s.allow_http) == ("https://flag.example", "env-key", 7.5, True)
    assert s.sources == {
        "base_url": "flag",
        "key": "env FAL_QUEUE_KEY",
        "timeout": "env FAL_QUEUE_TIMEOUT",
        "allow_http": f"config {config}",
    }
    assert "env-key" not in repr(s)
    config.write_text("max_retries = 'three'\n")
    with pytest.raises(CliError, match="max_retries must be a whole number, not str"):
        resolve_settings({}, str(config), {})
    with pytest.raises(CliError, match="not a whole number"):
        resolve_settings({}, None, {"FAL_QUEUE_MAX_RETRIES": "x", "FAL_QUEUE_CONFIG": str(tmp_path / "none")})


def test_params_are_typed_by_the_spec() -> None:
    parsed = parse_params(
        "fal-ai/flux-pro/kontext",
        ["prompt=true", "seed=7", "safety_tolerance=3", "enhance_prompt=true", "guidance_scale=2.5"],
    )
    assert parsed == {
        "prompt": "true",
        "seed": 7,
        "safety_tolerance": "3",
        "enhance_prompt": True,
        "guidance_scale": 2.5,
    }
    assert parse_params("someone/untyped", ["a=1", "b=x y", "c=[1]", "d="]) == {
        "a": 1,
        "b": "x y",
        "c": [1],
        "d": "",
    }
    assert image_arguments("someone/untyped", ["u1"]) == {"image_url": "u1"}
    assert image_arguments("someone/untyped", ["u1", "u2"]) == {"image_urls": ["u1", "u2"]}
    assert image_arguments("fal-ai/flux-1/dev/redux", ["u1"]) == {"image_url": "u1"}
    with pytest.raises(CliError, match="takes no input image"):
        image_arguments("fal-ai/flux-1/schnell", ["u1"])


def test_problems_name_field_value_and_limit() -> None:
    schnell = "fal-ai/flux-1/schnell"
    assert problems_of(schnell, {"prompt": "x", "image_size": {"width": 0, "height": 10}}) == [
        "image_size.width: 0 is below the minimum 1"
    ]
    # Half a size is refused before sending: which default a gateway fills in is anyone's guess.
    assert problems_of(schnell, {"prompt": "x", "image_size": {"width": 10}}) == [
        "image_size: missing 'height' (give both width and height)"
    ]
    # A preset typo lists the presets and the nearest one: refused when strict, else sent with a warning.
    (preset,) = problems_of(schnell, {"prompt": "x", "image_size": "square-hd"})
    assert preset.startswith("image_size: unknown value 'square-hd' for fal-ai/flux-1/schnell")
    assert "did you mean 'square_hd'?" in preset and "square_hd, square, portrait_4_3" in preset
    warned: list[str] = []
    assert (
        problems_of(schnell, {"prompt": "x", "image_size": "square-hd2"}, strict=False, warn=warned.append)
        == []
    )
    assert len(warned) == 1 and "did you mean 'square_hd'?" in warned[0] and "--strict" in warned[0]
    # Other clients' options and typos get the name to use instead.
    assert problems_of(schnell, {"prompt": "x", "with_logs": True}) == [
        "with_logs: with_logs is fal-client's option, not a model input: pass --logs"
    ]
    assert problems_of("anyone/anything", {"with_logs": True})[0].endswith("pass --logs")
    assert problems_of(schnell, {"prompt": "x", "promt": "y"}) == [
        "promt: unknown parameter for fal-ai/flux-1/schnell; did you mean prompt?"
    ]
    assert problems_of(schnell, {"prompt": "x", "image_size": "square_hd", "num_images": 4}) == []
    assert problems_of(schnell, {"prompt": "x", "seed": 1.5}) == [
        "seed: expected a whole number or null, got 1.5"
    ]
    assert problems_of(schnell, {"prompt": "x", "sync_mode": "yes"}) == [
        'sync_mode: expected boolean, got "yes"'
    ]
    assert problems_of("fal-ai/flux-pro/kontext/multi", {"prompt": "x", "image_urls": []}) == [
        "image_urls: needs at least 1 item(s)"
    ]
    assert problems_of("anyone/anything", {"whatever": [1, {"x": None}]}) == []


def test_model_catalogue_covers_every_typed_model() -> None:
    from fal_queue import TYPED_MODEL_IDS

    assert [m.model_id for m in typed_models()] == sorted(TYPED_MODEL_IDS)
    dev = model_info("fal-ai/flux-1/dev")
    assert dev is not None and dev.required == ["prompt"]
    steps = dev.param("num_inference_steps")
    assert steps is not None and (steps.minimum, steps.maximum, steps.default) == (1, 50, "28")
    fmt = dev.param("output_format")
    assert fmt is not None and fmt.choices == ("jpeg", "png") and fmt.default == "jpeg"
    assert model_info("fal-ai/not-typed") is None


def test_models_command(invoke: Invoke) -> None:
    listing = invoke(["models"])
    assert listing.exit_code == 0 and "fal-ai/flux-pro/kontext/max/multi" in listing.stdout
    one = invoke(["models", "fal-ai/flux-1/schnell"])
    assert "num_inference_steps (integer; optional; default 4; 1..12)" in one.stdout
    assert 'example: fal-queue run fal-ai/flux-1/schnell --prompt "..."' in one.stdout
    doc = json.loads(invoke(["models", "fal-ai/flux-pro/kontext/multi", "--json"]).stdout)
    assert doc["input_schema"] == "KontextMultiInput"
    assert [p["name"] for p in doc["parameters"] if p["required"]] == ["prompt", "image_urls"]
    unknown = invoke(["models", "fal-ai/nope"])
    assert unknown.exit_code == 2 and "unknown model id fal-ai/nope" in unknown.stderr
    typo = invoke(["models", "fal-ai/flux-1/schnel"])
    assert typo.exit_code == 2 and "did you mean fal-ai/flux-1/schnell?" in typo.stderr
    no_prefix = invoke(["models", "flux-1/schnell"])
    assert "did you mean fal-ai/flux-1/schnell?" in no_prefix.stderr
    assert_clean(listing.stdout + one.stdout)


@pytest.mark.parametrize(
    "command",
    ["run", "submit", "status", "result", "download", "cancel", "batch", "models", "config", "mock"],
)
def test_every_command_has_help_with_examples(invoke: Invoke, command: str) -> None:
    result = invoke([command, "--help"])
    assert result.exit_code == 0, result.stderr
    assert "Examples:" in result.stdout
    if command == "mock":
        assert "--fault-rate-limit" in result.stdout  # the mock's own options follow


def test_top_level_help_and_version(invoke: Invoke) -> None:
    top = invoke(["--help"])
    assert top.exit_code == 0 and "Exit codes:" in top.stdout and "batch" in top.stdout
    assert invoke(["--version"]).stdout.startswith("fal-queue, version ")
    assert cli.name == "cli"


def test_read_batch_file(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('"just a prompt"\n\n# comment\n{"prompt": "b", "seed": 2}\r\n')
    lines = read_batch_file(str(path), "fal-ai/flux-1/dev", {"num_images": 2})
    assert [(ln.no, ln.arguments) for ln in lines] == [
        (1, {"num_images": 2, "prompt": "just a prompt"}),
        (4, {"num_images": 2, "prompt": "b", "seed": 2}),
    ]
    assert lines[0].digest == line_digest("fal-ai/flux-1/dev", {"prompt": "just a prompt", "num_images": 2})
    path.write_text('{"prompt": "ok"}\n42\n')
    with pytest.raises(BatchInputError) as info:
        read_batch_file(str(path), "fal-ai/flux-1/dev", {})
    assert info.value.problems == [f"{path}:2: expected a JSON object or a JSON string, got int"]
    path.write_text("\n# nothing\n")
    with pytest.raises(CliError, match="no lines to run"):
        read_batch_file(str(path), "fal-ai/flux-1/dev", {})


def test_journal_replay_states(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    journal.record("run", model="m/x")
    journal.record("intent", 1, digest="d1")
    journal.record("submitted", 1, request_id="r1")
    journal.record("done", 1, request_id="r1", paths=["line-00001-0.jpg"])
    journal.record("intent", 2, digest="d2")  # the process "dies" here: in flight
    journal.record("intent", 3, digest="d3")
    journal.record("abandon", 3)  # cancelled before the request was sent
    journal.record("intent", 4, digest="d4")
    journal.record("rejected", 4, error="HTTP 429")
    journal.record("intent", 5, digest="d5")
    journal.record("submitted", 5, request_id="r5")
    journal.record("error", 5, request_id="r5", error="connection failed")
    journal.sync_now()
    with pytest.raises(CliError, match="another fal-queue batch is using"):
        Journal.open(tmp_path)
    journal.close()
    with (tmp_path / "journal.jsonl").open("ab") as fh:
        fh.write(b'{"ev":"submitted","line":6,"requ')  # a torn write at power loss
    again = Journal.open(tmp_path)
    try:
        states = {no: (s.status, s.request_id) for no, s in again.states.items()}
        assert states == {
            1: ("done", "r1"),
            2: ("uncertain", None),
            3: ("new", None),
            4: ("rejected", None),
            5: ("error", "r5"),
        }
        assert again.skipped_records == 1 and again.runs[0]["model"] == "m/x"
        again.record("intent", 2, digest="d2")  # --resubmit-uncertain
        assert again.state(2).uncertain_before
    finally:
        again.close()
    records = [
        json.loads(line)
        for line in (tmp_path / "journal.jsonl").read_text().splitlines()
        if line.startswith("{") and line.endswith("}")
    ]
    assert records[-1]["ev"] == "intent"  # the new record starts on its own line after the torn one


def _rich_output() -> tuple[Output, io.StringIO]:
    out = Output(rich=True)
    buffer = io.StringIO()
    out.console = Console(file=buffer, force_terminal=True, width=100)
    return out, buffer


def test_terminal_displays_draw_without_errors() -> None:
    out, buffer = _rich_output()
    with JobDisplay(out, "fal-ai/flux-1/schnell", show_logs=True) as display:
        display.submitted("rid-1", 3)
        display.status(Queued(request_id="rid-1", position=2))
        display.status(InProgress(request_id="rid-1", logs=({"message": "step \x1b[2J1", "level": "INFO"},)))
        display.status(Completed(request_id="rid-1", metrics={"inference_time": 0.5}))
        display.downloading(1, Path("out"))
        display.download_progress(DownloadProgress("u", Path("out/a.jpg"), 10, 20))
        display.download_progress(DownloadProgress("u", Path("out/a.jpg"), 20, 20))
    text = buffer.getvalue()
    assert "request_id=rid-1" in text and "step \\x1b[2J1" in text
    counters = BatchCounters(total=10, done=3, failed=1, queued=2, running=4)
    with BatchDisplay(out, counters, interval=0.1) as batch:
        batch.tick()
    # The buckets add up to the total; failures are in the failure colour.
    assert counters.line().startswith("progress: 3 done, 1 failed, 4 running, 2 queued, 0 waiting, of 10")
    styles = {piece: style for piece, style in counters.parts()}
    assert styles["1 failed"] == "bold red" and styles["3 done"] == "green"
    assert counters.eta is None  # no throughput observed yet: no made-up ETA


def test_batch_counters_add_up_and_the_eta_comes_from_this_runs_own_work() -> None:
    counters = BatchCounters(total=100, done=40, earlier=30, failed=2, queued=8, running=10)
    assert counters.waiting == 100 - 40 - 2 - 8 - 10
    counters.started -= 10.0  # ten seconds in
    counters.finished_own = 12  # resumed and earlier lines do not count as throughput
    counters.finished_resumed = 500
    assert abs(counters.rate - 1.2) < 0.05
    eta = counters.eta
    assert eta is not None and abs(eta - (counters.waiting + 18) / counters.rate) < 1
    assert "(30 from earlier runs)" in counters.line() and "ETA " in counters.line()
    counters.queue_front = 3
    assert "8 queued (next at position 3)" in counters.line()


def test_plain_batch_display_prints_periodic_lines(capsys: pytest.CaptureFixture[str]) -> None:
    out = Output(rich=False)
    counters = BatchCounters(total=4, done=1)
    with BatchDisplay(out, counters, interval=1000) as display:
        display.tick()  # too early: nothing
    err = capsys.readouterr().err
    assert err.count("progress: ") == 1  # the final line only


def test_mock_command_delegates(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fal_queue.cli", "mock", "--workers", "0"],
        env=base_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0 and "workers" in result.stderr


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).parents[2] / "tools" / "demo.py"),
            "--out",
            str(tmp_path / "out"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a loaded machine; the demo itself takes seconds
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    saved = [line for line in result.stdout.splitlines() if line.strip() and not line.startswith("demo:")]
    assert any(
        line.startswith("demo: done in ") and "1 image(s) saved" for line in result.stdout.splitlines()
    )
    # What fal-queue run shows a user: the request id, the status changes, the completion line.
    assert "request_id=" in result.stderr and "status COMPLETED" in result.stderr
    assert "done request_id=" in result.stderr
    assert (
        len(saved) == 1 and Path(saved[0]).is_file() and Path(saved[0]).parent == (tmp_path / "out").resolve()
    )
    assert result.stdout.rstrip().endswith("demo: mock stopped")
    assert os.listdir(tmp_path / "out") == [Path(saved[0]).name]


def test_make_demo_needs_no_npm() -> None:
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    demo = next(line for line in makefile.splitlines() if line.startswith("demo:"))
    assert "setup" not in demo.split("##")[0] and "node_modules" not in demo


def test_mock_help_names_the_cli_command(invoke: Invoke) -> None:
    result = invoke(["mock", "--help"])
    assert result.exit_code == 0 and "usage: fal-queue mock" in result.stdout
    assert "usage: python -m fal_queue.mock" not in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_run_on_a_terminal_shows_progress_then_the_completion_line(
    make_gateway: Callable[..., MockGateway], tmp_path: Path
) -> None:
    import pty

    gw = make_gateway(queue_delay=0.3, run_time=0.3)
    master, slave = pty.openpty()
    env = base_env(tmp_path, gw, TERM="xterm-256color", COLUMNS="120")
    proc = subprocess.Popen(
        [str(FAL_QUEUE), "run", "fal-ai/flux-1/schnell", "--prompt", "x", "--out", str(tmp_path / "o")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
    )
    os.close(slave)
    stdout, _ = proc.communicate(timeout=60)
    chunks = []
    with contextlib.suppress(OSError):  # EIO once the child closed its end
        while data := os.read(master, 65536):
            chunks.append(data)
    os.close(master)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, screen
    assert "\x1b[" in screen  # drawn live (a terminal), not plain lines
    assert "status COMPLETED" in screen and "done request_id=" in screen and "total " in screen
    assert Path(stdout.strip()).is_file()


def test_a_batch_line_with_a_long_non_url_image_value_is_read_not_crashed(tmp_path: Path) -> None:
    """A string too long to be a file name is not looked up as a file (the OS would refuse the name)."""
    path = tmp_path / "p.jsonl"
    long_value = "a" * 5000
    path.write_text(json.dumps({"prompt": "x", "image_url": long_value}) + "\n")
    lines = read_batch_file(str(path), "fal-ai/flux/dev/image-to-image", {})
    assert [ln.arguments for ln in lines] == [{"prompt": "x", "image_url": long_value}]
