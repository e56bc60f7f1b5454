"""``fal-queue run`` and the queue operations against the mock gateway."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clikit import (
    INTERRUPTIBLE_FAL_QUEUE,
    CliResult,
    assert_clean,
    base_env,
    run_subprocess,
    serving,
)
from fal_queue.mock import Faults, MockGateway

Invoke = Callable[..., CliResult]
SCHNELL = "fal-ai/flux-1/schnell"


def _inputs(gw: MockGateway, request_id: str) -> dict[str, Any]:
    job = gw.job(request_id)
    assert job is not None, request_id
    inputs: dict[str, Any] = job["inputs"]
    return inputs


def _one_error_line(result: CliResult) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = result.error_lines
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return errors[0] if lines[-1] == errors[0] else pytest.fail(f"the error is not the last line: {lines}")


def test_run_typed_model_saves_the_image_and_prints_its_path(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = invoke(
        ["run", SCHNELL, "--prompt", "a lighthouse", "-p", "seed=7", "--out", str(out)], gw=gateway
    )
    assert result.exit_code == 0, result.stderr
    paths = [Path(p) for p in result.stdout.splitlines()]
    assert len(paths) == 1 and paths[0].parent == out.resolve() and paths[0].suffix == ".jpg"
    assert paths[0].read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    rid = next(
        line.split("=", 1)[1].split()[0]
        for line in result.stderr.splitlines()
        if line.startswith("request_id=")
    )
    job = gateway.job(rid)
    assert job is not None and job["inputs"] == {"prompt": "a lighthouse", "seed": 7}
    assert "status COMPLETED" in result.stderr


def test_run_untyped_video_model_saves_an_mp4(
    make_gateway: Callable[..., MockGateway], invoke: Invoke, tmp_path: Path
) -> None:
    gateway = make_gateway(**serving("fal-ai/some-video-model"))
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"prompt": "waves", "duration": 5, "anything": {"goes": True}}))
    result = invoke(
        ["run", "fal-ai/some-video-model", "--input", str(args_file), "--out", str(tmp_path), "--json"],
        gw=gateway,
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["model"] == "fal-ai/some-video-model" and doc["status"] == "COMPLETED"
    (video,) = doc["files"]
    assert video.endswith(".mp4") and Path(video).stat().st_size == doc["result"]["video"]["file_size"]
    assert _inputs(gateway, doc["request_id"]) == {
        "prompt": "waves",
        "duration": 5,
        "anything": {"goes": True},
    }


def test_image_urls_map_to_the_field_each_model_takes(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path
) -> None:
    img = "data:image/png;base64,iVBORw0KGgo="
    multi = invoke(
        [
            "submit",
            "fal-ai/flux-pro/kontext/multi",
            "--prompt",
            "mix",
            "--image-url",
            img,
            "--image-url",
            img,
            "--json",
        ],
        gw=gateway,
    )
    assert multi.exit_code == 0, multi.stderr
    assert _inputs(gateway, json.loads(multi.stdout)["request_id"])["image_urls"] == [img, img]
    single = invoke(["submit", "fal-ai/flux-pro/kontext", "--prompt", "edit", "--image-url", img], gw=gateway)
    assert single.exit_code == 0, single.stderr
    assert _inputs(gateway, single.stdout.strip()) == {"prompt": "edit", "image_url": img}
    two = invoke(
        ["submit", "fal-ai/flux-pro/kontext", "--prompt", "e", "--image-url", img, "--image-url", img],
        gw=gateway,
    )
    assert two.exit_code == 2 and "takes one --image-url" in _one_error_line(two)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--strict", "run", SCHNELL, "--prompt", "x", "-p", "colour=red"],
            "colour: unknown parameter for fal-ai/flux-1/schnell; known: prompt,",
        ),
        (["run", SCHNELL, "-p", "seed=1"], "missing required field(s) 'prompt'"),
        (
            ["run", SCHNELL, "--prompt", "x", "-p", "num_inference_steps=50"],
            "num_inference_steps: 50 is above the maximum 12",
        ),
        (
            ["--strict", "run", SCHNELL, "--prompt", "x", "-p", "output_format=gif"],
            "output_format: unknown value 'gif' for fal-ai/flux-1/schnell (known: jpeg, png)",
        ),
        (["--strict", "run", SCHNELL, "--prompt", "x", "-p", "image_size=huge"], "unknown value 'huge'"),
        (
            ["--strict", "run", "fal-ai/flux-1/dev/redux", "--prompt", "x", "--image-url", "u"],
            "prompt: unknown parameter for fal-ai/flux-1/dev/redux",
        ),
        (
            ["run", SCHNELL, "--prompt", "x", "-p", "with_logs=true"],
            "-p with_logs: with_logs is fal-client's option, not a model input: pass --logs",
        ),
        (
            ["--strict", "run", SCHNELL, "--prompt", "x", "-p", "image_size=square-hd"],
            "did you mean 'square_hd'?",
        ),
        (["run", SCHNELL, "--prompt", "x", "-p", 'image_size={"width": 10}'], "missing 'height'"),
        (["run", SCHNELL, "--prompt", "x", "-p", "novalue"], "expected key=value"),
        (["run", "not a model", "--prompt", "x"], "invalid model id"),
        (["run", SCHNELL, "--prompt", "x", "--bogus"], "No such option '--bogus'"),
        (["run", SCHNELL, "--prompt", "x", "--concurrency", "3"], "No such option"),
        (["run"], "Missing argument 'MODEL'"),
        (["batch", "p.jsonl", "--out", "o"], "Missing option '-m' / '--model'"),
        (["run", "fal-ai/other", "--prompt", "x", "-p", "seed=1", "-p", "seed=2"], "given twice"),
        (["run", "fal-ai/other"], "no input"),
    ],
)
def test_usage_errors_exit_2_with_one_line_and_send_nothing(
    gateway: MockGateway, invoke: Invoke, args: list[str], expected: str
) -> None:
    before = gateway.stats()["jobs_created"]
    result = invoke(args, gw=gateway)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert expected in _one_error_line(result)
    assert result.stdout == ""
    assert gateway.stats()["jobs_created"] == before


def test_bad_json_input_file_is_a_usage_error(gateway: MockGateway, invoke: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "in.json"
    bad.write_text("{'prompt': 'single quotes'}")
    result = invoke(["run", SCHNELL, "--input", str(bad)], gw=gateway)
    assert result.exit_code == 2
    assert f"--input {bad}: invalid JSON" in _one_error_line(result)


def test_prompt_values_stay_text_and_other_values_are_json(gateway: MockGateway, invoke: Invoke) -> None:
    result = invoke(
        [
            "submit",
            SCHNELL,
            "-p",
            "prompt=42",
            "-p",
            "seed=42",
            "-p",
            'image_size={"width": 64, "height": 32}',
            "--json",
        ],
        gw=gateway,
    )
    assert result.exit_code == 0, result.stderr
    inputs = _inputs(gateway, json.loads(result.stdout)["request_id"])
    assert inputs == {"prompt": "42", "seed": 42, "image_size": {"width": 64, "height": 32}}


def test_auth_error_exits_3_without_echoing_the_key(gateway: MockGateway, invoke: Invoke) -> None:
    canary = "sk-canary-0123456789abcdef"
    result = invoke(["run", SCHNELL, "--prompt", "x"], gw=gateway, env={"FAL_QUEUE_KEY": canary})
    assert result.exit_code == 3
    line = _one_error_line(result)
    assert "HTTP 401" in line and "FAL_QUEUE_KEY" in line
    assert canary not in result.stdout + result.stderr
    flag = invoke(["run", SCHNELL, "--prompt", "x", "--key", canary, "--json"], gw=gateway)
    assert flag.exit_code == 3
    assert canary not in flag.stdout + flag.stderr
    assert "--key is visible" in flag.stderr
    assert json.loads(flag.stdout)["error"]["status_code"] == 401


def test_network_and_config_errors_exit_3(invoke: Invoke, tmp_path: Path) -> None:
    nothing = invoke(["run", SCHNELL, "--prompt", "x"])
    assert nothing.exit_code == 3 and "no gateway URL" in _one_error_line(nothing)
    refused = invoke(
        ["run", SCHNELL, "--prompt", "x"],
        env={"FAL_QUEUE_BASE_URL": "http://127.0.0.1:9", "FAL_QUEUE_KEY": "k", "FAL_QUEUE_MAX_RETRIES": "0"},
    )
    assert refused.exit_code == 3 and "connection failed" in _one_error_line(refused)
    plain_http = invoke(
        ["status", SCHNELL, "rid"], env={"FAL_QUEUE_BASE_URL": "http://example.com", "FAL_QUEUE_KEY": "k"}
    )
    assert plain_http.exit_code == 3 and "plain http" in _one_error_line(plain_http)


def test_failing_job_exits_1_naming_the_request_id(
    make_gateway: Callable[..., MockGateway], invoke: Invoke, tmp_path: Path
) -> None:
    gw = make_gateway(faults=Faults(job_failure=1.0))
    result = invoke(["run", SCHNELL, "--prompt", "x", "--out", str(tmp_path), "--logs"], gw=gw)
    assert result.exit_code == 1
    line = _one_error_line(result)
    rid = next(
        line.split("=", 1)[1].split()[0]
        for line in result.stderr.splitlines()
        if line.startswith("request_id=")
    )
    assert line.startswith("error: job failed") and f"request_id={rid}" in line and "error_type=" in line
    assert "log [" in result.stderr
    assert list(tmp_path.iterdir()) == []
    status = invoke(["status", SCHNELL, rid], gw=gw)
    assert status.exit_code == 1 and status.stdout.startswith("COMPLETED (failed:")


def test_submit_status_result_download_cancel(
    make_gateway: Callable[..., MockGateway], invoke: Invoke, tmp_path: Path
) -> None:
    # Seconds per job on one worker: the second job is still waiting while it is asked about.
    gw = make_gateway(workers=1, run_time=3.0, queue_delay=0.0)
    first = invoke(["submit", SCHNELL, "--prompt", "one"], gw=gw)
    second = invoke(["submit", SCHNELL, "--prompt", "two"], gw=gw)
    assert first.exit_code == second.exit_code == 0
    rid1, rid2 = first.stdout.strip(), second.stdout.strip()

    queued = invoke(["status", SCHNELL, rid2, "--json"], gw=gw)
    assert queued.exit_code == 0 and json.loads(queued.stdout)["status"] in {"IN_QUEUE", "IN_PROGRESS"}
    early = invoke(["result", SCHNELL, rid2], gw=gw)
    assert early.exit_code == 4
    assert f"fal-queue download {SCHNELL} {rid2} --out ." in _one_error_line(early)

    cancelled = invoke(["cancel", SCHNELL, rid2], gw=gw)
    assert cancelled.exit_code == 0 and cancelled.stdout.strip() in {
        "CANCELLATION_REQUESTED",
        "ALREADY_COMPLETED",
    }

    saved = invoke(["download", SCHNELL, rid1, "--out", str(tmp_path / "d")], gw=gw)
    assert saved.exit_code == 0, saved.stderr
    (path,) = saved.stdout.split()
    assert Path(path).stat().st_size > 0
    fetched = invoke(["result", SCHNELL, rid1], gw=gw)
    assert fetched.exit_code == 0 and json.loads(fetched.stdout)["images"][0]["url"]
    # A taken name never fails a paid job: the second copy gets a free numbered name.
    again = invoke(["result", SCHNELL, rid1, "--out", str(tmp_path / "d")], gw=gw)
    assert again.exit_code == 0, again.stderr
    (second,) = again.stdout.split()
    assert second != path and Path(second).stem == Path(path).stem + "-1"
    assert Path(second).read_bytes() == Path(path).read_bytes()
    done = invoke(["cancel", SCHNELL, rid1, "--json"], gw=gw)
    assert json.loads(done.stdout) == {"model": SCHNELL, "request_id": rid1, "status": "ALREADY_COMPLETED"}
    watch = invoke(["status", SCHNELL, rid1, "--watch", "--logs"], gw=gw)
    assert watch.exit_code == 0 and watch.stdout.startswith("COMPLETED")
    unknown = invoke(["status", SCHNELL, "0123-not-a-job"], gw=gw)
    assert unknown.exit_code == 2 and "HTTP 404" in _one_error_line(unknown)


def test_piped_output_has_progress_lines_and_no_control_characters(
    gateway: MockGateway, tmp_path: Path
) -> None:
    env = base_env(tmp_path, gateway, TERM="xterm-256color")
    result = run_subprocess(
        ["run", SCHNELL, "--prompt", "\x1b[31mred\x07", "--logs", "--out", str(tmp_path)], env
    )
    assert result.exit_code == 0, result.stderr
    assert_clean(result.stdout + result.stderr)
    assert any(line.startswith("status COMPLETED") for line in result.stderr.splitlines())
    assert any(line.startswith("log [") for line in result.stderr.splitlines())
    quiet = run_subprocess(["run", SCHNELL, "--prompt", "q", "-q", "--out", str(tmp_path)], env)
    assert quiet.exit_code == 0
    assert [line.split("=")[0] for line in quiet.stderr.splitlines()] == [
        "request_id"
    ]  # only the id survives -q
    assert_clean(quiet.stdout + quiet.stderr)


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs POSIX signals")
def test_ctrl_c_prints_how_to_resume_and_the_job_can_be_fetched(
    make_gateway: Callable[..., MockGateway], tmp_path: Path
) -> None:
    # The job outlasts the Ctrl-C by far (a loaded machine is slow to deliver it), then finishes.
    gw = make_gateway(queue_delay=0.0, run_time=8.0)
    env = base_env(tmp_path, gw)
    proc = subprocess.Popen(
        [*INTERRUPTIBLE_FAL_QUEUE, "run", SCHNELL, "--prompt", "slow", "--out", str(tmp_path / "a")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the request id comes first, as soon as it exists
    assert first.startswith("request_id=")
    rid = first.split("=", 1)[1].split()[0]
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGINT)
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130
    hint = f"fal-queue download {SCHNELL} {rid} --out {tmp_path / 'a'}"
    assert hint in rest and "error: interrupted; the job keeps running" in rest
    resumed = run_subprocess(["download", SCHNELL, rid, "--out", str(tmp_path / "a")], env)
    assert resumed.exit_code == 0 and Path(resumed.stdout.strip()).is_file()
    assert gw.stats()["jobs_created"] == 1


def test_settings_come_from_flags_then_env_then_config_file(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path
) -> None:
    config = tmp_path / "xdg-config" / "fal-queue" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'base_url = "{gateway.base_url}"\nkey = "{gateway.key}"\nmax_retries = 2\n')
    config.chmod(0o600)
    from_file = invoke(["submit", SCHNELL, "--prompt", "cfg"])
    assert from_file.exit_code == 0, from_file.stderr
    shown = invoke(["config", "--json"], env={"FAL_QUEUE_MAX_RETRIES": "5"})
    settings = json.loads(shown.stdout)["settings"]
    assert settings["base_url"] == {"value": gateway.base_url, "source": f"config {config}"}
    assert settings["key"]["value"] == "<set>" and gateway.key not in shown.stdout
    assert settings["max_retries"] == {"value": 5, "source": "env FAL_QUEUE_MAX_RETRIES"}
    flagged = invoke(["--base-url", "http://127.0.0.1:9", "config", "--json"])
    assert json.loads(flagged.stdout)["settings"]["base_url"]["source"] == "flag"
    config.chmod(0o644)
    assert "readable by others" in invoke(["config"]).stderr
    config.write_text("colour = 1\n")
    broken = invoke(["config"])
    assert broken.exit_code == 3 and "unknown setting(s) colour" in _one_error_line(broken)
    missing = invoke(["--config", str(tmp_path / "nope.toml"), "config"])
    assert missing.exit_code == 3 and "does not exist" in _one_error_line(missing)


def _saved(result: CliResult) -> list[Path]:
    assert result.exit_code == 0, result.stderr
    return [Path(p) for p in result.stdout.split()]


def test_a_name_clash_never_fails_a_paid_job(gateway: MockGateway, invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "t1"
    args = ["run", "fal-ai/flux-pro/kontext", "--prompt", "snow", "--image-url", "https://x.test/a.png"]
    first = _saved(invoke([*args, "--out", str(out)], gw=gateway))
    second = _saved(invoke([*args, "--out", str(out)], gw=gateway))
    assert len(first) == len(second) == 1 and first != second
    assert second[0].name == first[0].stem + "-1" + first[0].suffix
    assert first[0].is_file() and second[0].is_file()
    # The file keeps the user's umask like any other tool's output (not mkstemp's 0600).
    mask = os.umask(0o022)
    os.umask(mask)
    assert second[0].stat().st_mode & 0o777 == 0o666 & ~mask

    # download into a folder that already holds the file: a third name, both kept.
    rid = json.loads(invoke([*args, "--json", "--no-download"], gw=gateway).stdout)["request_id"]
    third = _saved(invoke(["download", "fal-ai/flux-pro/kontext", rid, "--out", str(out)], gw=gateway))
    fourth = _saved(invoke(["download", "fal-ai/flux-pro/kontext", rid, "--out", str(out)], gw=gateway))
    assert len({*first, *second, *third, *fourth}) == 4
    # --overwrite replaces instead.
    replaced = _saved(
        invoke(["download", "fal-ai/flux-pro/kontext", rid, "--out", str(out), "--overwrite"], gw=gateway)
    )
    assert len(list(out.iterdir())) == 4 and replaced[0] in {*first, *second, *third, *fourth}


@pytest.mark.parametrize("json_mode", [False, True])
def test_an_unusable_output_folder_is_refused_before_the_submit(
    gateway: MockGateway, invoke: Invoke, tmp_path: Path, json_mode: bool
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    before = gateway.stats()["jobs_created"]
    result = invoke(
        ["run", SCHNELL, "--prompt", "x", "--out", str(afile / "sub"), *(["--json"] if json_mode else [])],
        gw=gateway,
    )
    assert result.exit_code == 2, result.stderr
    line = _one_error_line(result)
    assert f"{afile} is a file, not a folder" in line and "nothing was sent" in line
    assert gateway.stats()["jobs_created"] == before
    if json_mode:
        assert json.loads(result.stdout)["error"]["exit_code"] == 2


def test_errors_after_the_submit_print_a_resume_command_that_works_as_printed(
    make_gateway: Callable[..., MockGateway], tmp_path: Path
) -> None:
    gw = make_gateway(queue_delay=0.0, run_time=1.5)
    env = base_env(tmp_path, gw)
    out = tmp_path / "my outputs"  # a space: the printed command must be quoted
    result = run_subprocess(["run", SCHNELL, "--prompt", "slow", "--timeout", "0.3", "--out", str(out)], env)
    assert result.exit_code == 4, result.stderr
    line = _one_error_line(result)
    rid = line.split("request_id=")[1].split(",")[0]
    assert gw.job(rid) is not None
    command = line.split("resume: ", 1)[1].rstrip(")")
    argv = shlex.split(command)
    assert argv[:2] == ["fal-queue", "download"] and argv[-1] == str(out)
    resumed = run_subprocess(argv[1:], env)
    assert resumed.exit_code == 0, resumed.stderr
    (saved,) = resumed.stdout.split("\n")[:1]
    assert Path(saved).parent == out.resolve() and Path(saved).is_file()
    assert gw.stats()["jobs_created"] == 1


def test_fal_key_alone_says_it_is_never_sent_and_names_the_variable_to_set(
    gateway: MockGateway, invoke: Invoke
) -> None:
    before = gateway.stats()["jobs_created"]
    result = invoke(
        ["run", SCHNELL, "--prompt", "x"],
        env={"FAL_QUEUE_BASE_URL": gateway.base_url, "FAL_KEY": "fal-own-key-canary"},
    )
    assert result.exit_code == 3
    line = _one_error_line(result)
    assert "FAL_KEY is set, but that is fal's own key" in line and "never sends it" in line
    assert "set FAL_QUEUE_KEY" in line and "fal-own-key-canary" not in result.stderr
    assert gateway.stats()["jobs_created"] == before


def test_sdk_advice_is_said_in_cli_words(invoke: Invoke) -> None:
    plain = invoke(
        ["status", SCHNELL, "rid"], env={"FAL_QUEUE_BASE_URL": "http://example.com", "FAL_QUEUE_KEY": "k"}
    )
    line = _one_error_line(plain)
    assert "allow_http=True" not in line and "FAL_QUEUE_ALLOW_HTTP=1" in line


def test_unknown_fields_are_sent_with_a_warning_unless_strict(gateway: Any, tmp_path: Path) -> None:
    """Like the SDK: fal adds fields, and its apps ignore what they do not know (issue 11)."""
    env = base_env(tmp_path, gateway)
    args = ["submit", SCHNELL, "--prompt", "x", "-p", "enhance_prompt_v9=true", "-p", "acceleration=turbo"]
    sent = run_subprocess(args, env)
    assert sent.exit_code == 0, sent.stderr
    assert "enhance_prompt_v9: unknown for fal-ai/flux-1/schnell" in sent.stderr
    assert "acceleration: unknown value 'turbo'" in sent.stderr and "--strict refuses it" in sent.stderr
    request_id = sent.stdout.split()[0]
    job = gateway.job(request_id)
    assert job is not None and "enhance_prompt_v9" in job["unknown_fields"]
    before = gateway.stats()["jobs_created"]
    refused = run_subprocess(["--strict", *args], env)
    assert refused.exit_code == 2 and "nothing was sent" in refused.stderr
    assert gateway.stats()["jobs_created"] == before


def test_run_timeout_bounds_the_downloads_it_triggers(
    make_gateway: Callable[..., Any], tmp_path: Path
) -> None:
    from fal_queue.mock import Faults

    gateway = make_gateway()
    gateway.set_faults(Faults(drip=1.0, drip_bytes_per_second=5.0, operations=frozenset({"media"})))
    started = time.monotonic()
    result = run_subprocess(
        ["run", SCHNELL, "--prompt", "x", "--timeout", "3", "--out", str(tmp_path / "o")],
        base_env(tmp_path, gateway),
    )
    elapsed = time.monotonic() - started
    assert result.exit_code != 0
    # The drip would take hours; 60 s covers a loaded machine's process start-up.
    assert elapsed < 3 + 60, f"run --timeout 3 took {elapsed:.1f}s"
    assert "fal-queue download" in result.stderr  # the paid result can still be fetched
    assert not [p for p in (tmp_path / "o").rglob("*") if p.is_file() and not p.name.endswith(".html")]
