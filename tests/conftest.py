"""Shared fixtures: a running mock gateway for every test that talks HTTP.

* ``gateway`` (session): one `MockGateway` with fast timings and fal-style ``*_url`` fields that
  point at `FOREIGN_ORIGIN`, a loopback origin nobody listens on. Do not change its faults; use
  ``make_gateway`` for that.
* ``make_gateway(**config_overrides)`` (function): starts a fresh gateway per call, with the same
  fast defaults (`TEST_CONFIG`) updated by the overrides, and stops them all at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fal_queue.mock import MockConfig, MockGateway

# tests/ecosystem runs throwaway user projects through pytest's own pytester.
pytest_plugins = ["pytester"]

_CONTRACT_RUN = "schemathesis contract run"  # set by tests/contract/conftest.py
_contract_runs: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect what the schemathesis runs reported; reports reach here from xdist workers too."""
    if report.when == "teardown":
        _contract_runs.extend(str(value) for name, value in report.user_properties if name == _CONTRACT_RUN)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _contract_runs:
        terminalreporter.section("schemathesis contract runs")
        for line in _contract_runs:
            terminalreporter.write_line(line)


FOREIGN_ORIGIN = "https://127.0.0.2:9"
"""Where fal-style ``*_url`` fields point in tests: loopback, but not the gateway, and closed."""

EXTRA_MODELS = (
    "a/b",
    "x/y",
    "some/model",
    "some-owner/video-model",
    "acme/new-model/v2",
    "acme/VIDEO-gen",
    "acme/video-fast",
    "fal-ai/kling-video/v2/master",
    "workflows/alice/wf",
    "comfy/bob/graph/run",
    "fal-ai/some-video-model",
    "fal-ai/some/video-model",
    "workflows/alice/my-flow",
)
"""Model ids the spec does not declare that tests submit to (the mock answers 404 for others)."""

TEST_CONFIG = MockConfig(
    queue_delay=0.02,
    run_time=0.05,
    workers=4,
    url_style="fal",
    upstream_origin=FOREIGN_ORIGIN,
    ping_interval=1.0,
    extra_models=EXTRA_MODELS,
)


@pytest.fixture(scope="session")
def gateway() -> Iterator[MockGateway]:
    with MockGateway(TEST_CONFIG) as gw:
        yield gw


@pytest.fixture
def make_gateway() -> Iterator[Callable[..., MockGateway]]:
    started: list[MockGateway] = []

    def make(**config_overrides: Any) -> MockGateway:
        gw = MockGateway(TEST_CONFIG.replace(**config_overrides))
        started.append(gw)
        return gw.start()

    yield make
    for gw in started:
        gw.stop()


@pytest.fixture(autouse=True, scope="session")
def no_user_config_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test reads the developer's own ~/.config/fal-queue/config.toml: Client() reads it too.

    ``FAL_QUEUE_CONFIG`` names a file that does not exist (so: no file), and ``XDG_CONFIG_HOME`` an
    empty folder for tests that drop ``FAL_QUEUE_*`` from the environment (the CLI's ``base_env``).
    """
    home = tmp_path_factory.mktemp("config-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FAL_QUEUE_CONFIG", str(home / "no-config.toml"))
        patch.setenv("XDG_CONFIG_HOME", str(home))
        yield


@pytest.fixture(autouse=True)
def fresh_input_warnings() -> Iterator[None]:
    """The SDK warns once per process for an unknown field or value; each test starts unwarned, so
    that what a test asserts does not depend on which test ran before it in the same process."""
    from fal_queue import _inputs

    saved = set(_inputs._warned)
    _inputs._warned.clear()
    yield
    _inputs._warned.clear()
    _inputs._warned.update(saved)
