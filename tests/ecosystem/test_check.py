"""``fal-queue check`` against the mock: a conformant gateway passes with exit 0; a broken one is reported."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fal_queue.cli import cli
from fal_queue.cli.check import run_check
from fal_queue.mock import Faults, MockConfig, MockGateway
from fal_queue.testing import InProcessGateway

# Jobs run long enough that the first status answer is IN_QUEUE / IN_PROGRESS (so 202 is judged).
CONFIG = MockConfig(queue_delay=0.05, run_time=1.0, ping_interval=0.5)
needs_broken_gateway_faults = pytest.mark.skipif(
    "drop_param" not in Faults.__dataclass_fields__,
    reason="the mock's broken-gateway faults (drop_param, foreign_urls, status_200, drop_dimensions) are not merged",
)


@pytest.fixture
def gateway() -> Iterator[MockGateway]:
    with MockGateway(CONFIG) as gw:
        yield gw


def run_cli(gw: MockGateway, *args: str) -> tuple[int, str]:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("FAL_QUEUE_")}
    env.update({"FAL_QUEUE_BASE_URL": gw.base_url, "FAL_QUEUE_KEY": gw.key})
    result = CliRunner().invoke(cli, ["check", *args], env=env, catch_exceptions=False)
    return result.exit_code, result.stdout


def findings(report: dict[str, Any], result: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        if f["result"] == result:
            out.setdefault(f["check"], []).append(f)
    return out


def test_a_conformant_gateway_passes_with_exit_0(gateway: MockGateway) -> None:
    code, stdout = run_cli(gateway, "--json")
    report = json.loads(stdout)
    assert code == 0, stdout
    assert report["conformant"] is True
    assert report["jobs_used"] == 2
    assert gateway.stats()["jobs_created"] == 2
    passed = findings(report, "pass")
    for check in (
        "auth.wrong_key", "auth.bearer", "submit.answer", "submit.url_rewriting", "status.code", "status.logs",
        "stream", "result.shape", "params.num_images", "params.seed", "params.output_format",
        "params.image_size", "result.dimensions_match_file", "cancel.completed", "cancel.running",
    ):  # fmt: skip
        assert check in passed, check
    assert gateway.key not in stdout


def test_the_text_report_names_each_request(gateway: MockGateway) -> None:
    code, stdout = run_cli(gateway)
    assert code == 0
    assert stdout.rstrip().endswith("conformant")
    assert f"PASS  auth.wrong_key  GET {gateway.base_url}/fal-ai/flux-1/requests/" in stdout
    assert "paid jobs used 2 of 2" in stdout


@pytest.mark.parametrize("budget", [0, 1])
def test_the_paid_job_budget_is_hard(gateway: MockGateway, budget: int) -> None:
    code, stdout = run_cli(gateway, "--json", "--max-jobs", str(budget))
    report = json.loads(stdout)
    assert code == 0, stdout
    assert gateway.stats()["jobs_created"] == budget == report["jobs_used"]
    assert "cancel.running" in findings(report, "skip") or budget == 0


def test_a_model_that_cannot_be_probed_is_refused(gateway: MockGateway) -> None:
    code, _ = run_cli(gateway, "--model", "fal-ai/flux-pro/kontext")
    assert code == 2
    assert gateway.stats()["jobs_created"] == 0


def _dropping(app: Any, field: str) -> Callable[..., Any]:
    """ASGI middleware: a gateway that loses one input field on the way to the model."""

    async def wrapped(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["method"] != "POST":
            await app(scope, receive, send)
            return
        message = await receive()
        body = json.loads(message.get("body") or b"{}")
        body.pop(field, None)
        data = json.dumps(body).encode()
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"content-length"]}

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": data, "more_body": False}

        await app(scope, replay, send)

    return wrapped


def test_a_dropped_parameter_fails_the_check_and_names_the_request() -> None:
    with InProcessGateway(CONFIG) as gw:
        origin = (httpx.URL(gw.base_url).scheme, httpx.URL(gw.base_url).host, httpx.URL(gw.base_url).port)
        gw._apps[origin] = _dropping(gw._apps[origin], "num_images")
        report = run_check(gw.base_url, gw.key, transport=gw.transport()).to_json()
    assert report["conformant"] is False
    [finding] = findings(report, "fail")["params.num_images"]
    rid = report["request_ids"][0]
    assert rid in finding["request"]
    assert finding["expected"].startswith("2 images") and finding["seen"] == "1 images"


# ---- the mock's broken-gateway faults (FAULTS.md); they run once the mock branch is merged ----


def _broken(faults: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    with MockGateway(CONFIG.replace(faults=Faults(**faults))) as gw:
        code, stdout = run_cli(gw, "--json")
    return code, json.loads(stdout)


@needs_broken_gateway_faults
@pytest.mark.parametrize(
    ("field", "check"),
    [
        ("num_images", "params.num_images"),
        ("image_size", "params.image_size"),
        ("seed", "params.seed"),
        ("output_format", "params.output_format"),
    ],
)
def test_drop_param_is_reported(field: str, check: str) -> None:
    code, report = _broken({"drop_param": field})
    assert code == 1
    assert check in findings(report, "fail"), report


@needs_broken_gateway_faults
def test_foreign_urls_are_reported() -> None:
    code, report = _broken({"foreign_urls": 1.0})
    assert code == 1
    [finding, *_] = findings(report, "fail")["submit.url_rewriting"]
    assert "elsewhere.invalid" in finding["seen"]


@needs_broken_gateway_faults
def test_status_200_while_pending_is_reported() -> None:
    code, report = _broken({"status_200": 1.0})
    assert code == 1
    [finding, *_] = findings(report, "fail")["status.code"]
    assert finding["expected"].startswith("202")
    assert finding["seen"].startswith("200")


@needs_broken_gateway_faults
def test_missing_dimensions_are_reported() -> None:
    code, report = _broken({"drop_dimensions": 1.0})
    assert code == 1
    [finding] = findings(report, "fail")["result.shape"]
    assert "width is missing" in finding["seen"]
