"""``python -m fal_queue.mock``: machine-readable start-up lines, clean stop on signals; and TLS."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from fal_queue.mock import Faults, MockConfig, MockGateway
from fal_queue.mock.__main__ import build_parser, config_from_args, main


def _start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "fal_queue.mock", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    facts: dict[str, str] = {}
    lines: list[str] = []
    timer = threading.Timer(60, process.kill)  # a loaded machine starts interpreters slowly
    timer.start()
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.strip() == "ready":
                break
            name, _, value = line.strip().partition("=")
            facts[name] = value
    finally:
        timer.cancel()
    assert lines and lines[-1] == "ready", (lines, process.stderr.read() if process.stderr else "")
    assert all("=" in line for line in lines[:-1])
    return process, facts


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_its_facts_serves_and_stops_on_signals(sig: signal.Signals) -> None:
    process, facts = _start("--port", "0", "--workers", "2")  # bounded by _start's 60 s
    try:
        assert set(facts) == {
            "FAL_QUEUE_BASE_URL",
            "FAL_QUEUE_MEDIA_URL",
            "FAL_QUEUE_KEY",
            "FAL_QUEUE_WEBHOOK_JWKS_URL",
        }
        assert facts["FAL_QUEUE_KEY"] == "mock-key"
        headers = {"Authorization": f"Key {facts['FAL_QUEUE_KEY']}"}
        response = httpx.post(
            facts["FAL_QUEUE_BASE_URL"] + "/fal-ai/flux-1/dev", json={"prompt": "x"}, headers=headers
        )
        assert response.status_code == 200
    finally:
        process.send_signal(sig)
        assert process.wait(10) == 0
    assert process.stderr is not None and "Traceback" not in process.stderr.read()


def test_cli_key_from_environment_and_options() -> None:
    process, facts = _start("--port", "0", env={"FAL_QUEUE_MOCK_KEY": "from-env"})
    try:
        assert facts["FAL_QUEUE_KEY"] == "from-env"
    finally:
        process.terminate()
        process.wait(10)
    args = build_parser().parse_args(["--key", "a", "--key", "b"])
    assert config_from_args(args).keys == ("a", "b")


def test_cli_options_map_to_the_config() -> None:
    args = build_parser().parse_args(
        [
            "--realistic",
            "--url-style",
            "gateway",
            "--result-ttl",
            "60",
            "--media-ttl",
            "30",
            "--seed",
            "7",
            "--fault-rate-limit",
            "0.1",
            "--fault-retry-after",
            "2",
            "--fault-ingress-503",
            "0.2",
            "--fault-drop",
            "0.3",
            "--fault-drop-submit-after-create",
            "--fault-slow",
            "0.4",
            "--fault-slow-seconds",
            "0.05",
            "--fault-job-failure",
            "0.5",
            "--fault-operations",
            "submit,status",
        ]
    )
    config = config_from_args(args)
    assert config.queue_delay >= 1.0 and config.run_time >= 1.0
    assert config.url_style == "gateway" and config.result_ttl == 60 and config.media_ttl == 30
    assert config.faults == Faults(
        seed=7,
        rate_limit=0.1,
        retry_after=2,
        ingress_503=0.2,
        drop=0.3,
        drop_submit_after_create=True,
        slow=0.4,
        slow_seconds=0.05,
        job_failure=0.5,
        operations=frozenset({"submit", "status"}),
    )
    fast = config_from_args(build_parser().parse_args(["--run-time", "0.5", "--workers", "9"]))
    assert fast.run_time == 0.5 and fast.workers == 9 and fast.queue_delay == MockConfig().queue_delay


@pytest.mark.parametrize(
    "argv",
    [["--fault-drop", "2"], ["--url-style", "x"], ["--tls-cert", "a.pem"], ["--fault-operations", "nope"]],
)
def test_cli_rejects_bad_options(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "--fault-drop" in capsys.readouterr().out


def test_tls_gateway(tmp_path: Path, make_gateway: Any) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_pem.write_to_path(str(keyfile))
    certfile.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    gw: MockGateway = make_gateway(ssl_certfile=str(certfile), ssl_keyfile=str(keyfile), url_style="gateway")
    assert gw.base_url.startswith("https://127.0.0.1:")
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with httpx.Client(verify=context, headers={"Authorization": f"Bearer {gw.key}"}) as c:
        job = c.post(gw.base_url + "/fal-ai/flux-1/dev", json={"prompt": "x"}).json()
        assert job["status_url"].startswith(gw.base_url)
        assert c.get(job["status_url"]).status_code in (200, 202)
    with pytest.raises(httpx.ConnectError):
        httpx.get(gw.base_url + "/_mock/stats")  # untrusted certificate


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="keys"):
        MockConfig(keys=())
    with pytest.raises(ValueError, match="workers"):
        MockConfig(workers=0)
    with pytest.raises(ValueError, match="go together"):
        MockConfig(ssl_certfile="x")
    assert MockConfig(keys="single").keys == ("single",)  # type: ignore[arg-type]
    assert MockConfig.realistic(workers=3).workers == 3
    gw = MockGateway(MockConfig(), workers=2)
    assert gw.config.workers == 2
    with gw:
        pass
    with pytest.raises(RuntimeError, match="starts once"):
        gw.start()


def test_help_says_fal_queue_mock() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "fal_queue.mock", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and out.stdout.startswith("usage: fal-queue mock")
    for flag in ("--log-requests", "--models", "--extra-model", "--strict-inputs", "--faults"):
        assert flag in out.stdout


def test_every_fault_kind_has_a_flag() -> None:
    argv = [
        "--fault-drip-bytes-per-second",
        "9",
        "--fault-result-not-ready",
        "2",
        "--fault-drop-param",
        "seed",
    ]
    kinds = [
        "stream_pings_only",
        "stream_repeat",
        "stream_silent",
        "drip",
        "foreign_completed",
        "bad_request_id",
        "media_redirect_loop",
        "lying_encoding",
        "echo_auth",
        "foreign_urls",
        "status_200",
        "drop_dimensions",
    ]
    for kind in kinds:
        argv += [f"--fault-{kind.replace('_', '-')}", "0.25"]
    faults = config_from_args(build_parser().parse_args(argv)).faults
    assert all(getattr(faults, kind) == 0.25 for kind in kinds)
    assert (faults.drip_bytes_per_second, faults.result_not_ready, faults.drop_param) == (9.0, 2, "seed")


def test_faults_json_and_flags_merge(tmp_path: Path) -> None:
    config = config_from_args(
        build_parser().parse_args(["--faults", '{"echo_auth": 1, "drop_param": "num_images", "seed": 4}'])
    )
    assert config.faults == Faults(echo_auth=1.0, drop_param="num_images", seed=4)
    path = tmp_path / "faults.json"
    path.write_text('{"status_200": 0.5, "stream_silent": 1}')
    config = config_from_args(
        build_parser().parse_args(["--faults", f"@{path}", "--fault-stream-silent", "0.1"])
    )
    assert config.faults == Faults(status_200=0.5, stream_silent=0.1)


@pytest.mark.parametrize(
    "argv", [["--faults", "[1]"], ["--faults", '{"nope": 1}'], ["--faults", "@/no/such"]]
)
def test_bad_faults_json_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and "error" in capsys.readouterr().err


def test_model_options_from_flags() -> None:
    args = ["--models", "any", "--extra-model", "acme/x", "--extra-model", "b/c", "--strict-inputs"]
    config = config_from_args(build_parser().parse_args(args))
    assert config.models == "any" and config.extra_models == ("acme/x", "b/c") and config.strict_inputs
    default = config_from_args(build_parser().parse_args([]))
    assert default.models == "typed" and not default.strict_inputs and not default.log_requests


def test_log_requests_prints_one_line_per_request() -> None:
    process, facts = _start("--log-requests", "--extra-model", "acme/x")
    try:
        key = facts["FAL_QUEUE_KEY"]
        headers = {"Authorization": f"Bearer {key}"}
        assert (
            httpx.post(facts["FAL_QUEUE_BASE_URL"] + "/acme/x", json={}, headers=headers).status_code == 200
        )
        assert httpx.get(facts["FAL_QUEUE_BASE_URL"] + "/nope/none/requests/1/status").status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    lines = [line for line in err.splitlines() if line.startswith(("POST", "GET"))]
    assert lines[0].startswith("POST /acme/x 200 ") and lines[0].endswith("ms")
    assert lines[1].startswith("GET /nope/none/requests/1/status 401 ")
    assert key not in err


def test_limit_options_map_to_the_config_and_bad_ones_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--max-running-per-key", "8", "--rate-limit", "2.5", "--limit-retry-after", "2"]
    argv += ["--limit-answer", "text-400", "--limit-schedule", "300:10, 600:40"]
    config = config_from_args(build_parser().parse_args(argv))
    assert (config.max_running_per_key, config.rate_limit, config.limit_retry_after) == (8, 2.5, 2)
    assert config.limit_answer == "text-400" and config.limit_schedule == ((300, 10), (600, 40))
    assert MockConfig(limit_schedule=[(600, 40), (300, 10)]).limit_schedule == ((300, 10), (600, 40))
    for bad in ["300", "x:1", "-1:4"]:
        with pytest.raises(ValueError, match="limit_schedule must be AFTER:LIMIT"):
            MockConfig(limit_schedule=bad)  # type: ignore[arg-type]
    for flags in (["--limit-answer", "xml"], ["--rate-limit", "-1"], ["--limit-schedule", "a:b"]):
        with pytest.raises(SystemExit) as exc:
            main(flags)
        assert exc.value.code == 2 and "error" in capsys.readouterr().err


def test_key_limits_count_unfinished_jobs_follow_the_schedule_and_refill_tokens() -> None:
    from fal_queue.mock.limits import KeyLimits

    running = KeyLimits(MockConfig(max_running_per_key=2, limit_schedule="3:1"))
    assert running.refusal("a") is None
    running.started("a")
    running.started("a")
    assert running.refusal("a") == "running" and running.refusal("b") is None  # per key
    for _ in range(2):
        running.ended("a")
    running.started("a")
    assert running.refusal("a") is None  # 1 unfinished of 2
    running.ended("a")  # 3 completed: the limit is 1 now
    running.started("a")
    assert running.running_limit("a") == 1 and running.refusal("a") == "running"

    now = [0.0]
    rate = KeyLimits(MockConfig(rate_limit=2.0), clock=lambda: now[0])
    assert [rate.refusal("a") for _ in range(3)] == [None, None, "rate"]  # a burst of one second's worth
    now[0] = 0.5  # one token back, and the refused submit took none
    assert [rate.refusal("a") for _ in range(2)] == [None, "rate"]
    assert KeyLimits(MockConfig()).refusal("a") is None  # off by default
