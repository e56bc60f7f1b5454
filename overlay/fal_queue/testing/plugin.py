"""The pytest plugin (entry point ``pytest11``): mock-gateway fixtures for any project that uses fal_queue.

It loads in every pytest run of an environment where fal-queue is installed, so it imports nothing
of the mock until a fixture is used; without the ``mock`` extra that fixture fails with the install
command instead of breaking pytest's start.
The fixtures are listed in the README (Testing your code with the mock).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from fal_queue.client import Client
    from fal_queue.mock import MockConfig
    from fal_queue.testing import MockControl

_MARKER = "fal_mock"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(**options): MockConfig options (run_time=..., keys=..., workers=...) and "
        "faults=Faults(...) for this test's fal_mock / fal_mock_inprocess gateway",
    )


def _testing() -> Any:
    """The `fal_queue.testing` module, or a clear test failure when the mock extra is missing."""
    import fal_queue.testing as testing

    try:
        testing.MockControl  # noqa: B018 - loads the mock
    except ImportError as exc:
        missing = str(exc)
    else:
        return testing
    pytest.fail(missing, pytrace=False)  # outside the except block: no chained traceback


def _configured(request: pytest.FixtureRequest, base: MockConfig) -> MockConfig:
    """``base`` with this test's ``fal_mock`` marker applied (closest marker wins per option)."""
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(_MARKER))):
        if marker.args:
            pytest.fail(f"@pytest.mark.{_MARKER} takes keyword options only, got {marker.args!r}", False)
        options.update(marker.kwargs)
    try:
        config: MockConfig = base.replace(**options)
    except (TypeError, ValueError) as exc:
        pytest.fail(f"@pytest.mark.{_MARKER}: {exc}", pytrace=False)
    return config


@pytest.fixture
def fal_mock_config() -> MockConfig:
    """The configuration of ``fal_mock`` and ``fal_mock_inprocess``: override it in your conftest."""
    config: MockConfig = _testing().TEST_CONFIG
    return config


def _running(gateway: Any) -> Iterator[MockControl]:
    """Start ``gateway``, yield its control, and stop it (and the clients made from it) afterwards."""
    gateway.start()
    control: MockControl = _testing().MockControl(gateway)
    try:
        yield control
    finally:
        control.close_clients()
        gateway.stop()


@pytest.fixture(scope="session")
def fal_mock_session_config() -> MockConfig:
    """The configuration of the session gateway: override it (session scope) in your conftest."""
    config: MockConfig = _testing().TEST_CONFIG
    return config


@pytest.fixture
def fal_mock(request: pytest.FixtureRequest, fal_mock_config: MockConfig) -> Iterator[MockControl]:
    """A fresh mock gateway on loopback HTTP for this test."""
    yield from _running(_testing().MockGateway(_configured(request, fal_mock_config)))


@pytest.fixture(scope="session")
def fal_mock_session(fal_mock_session_config: MockConfig) -> Iterator[MockControl]:
    """One mock gateway on loopback HTTP for the whole session (prefer ``fal_mock_shared`` in tests)."""
    yield from _running(_testing().MockGateway(fal_mock_session_config))


@pytest.fixture
def fal_mock_shared(fal_mock_session: MockControl) -> Iterator[MockControl]:
    """The session gateway for one test: no faults and an empty request log at the start."""
    fal_mock_session.clear_faults()
    fal_mock_session.reset_log()
    try:
        yield fal_mock_session
    finally:
        fal_mock_session.clear_faults()


@pytest.fixture
def fal_mock_inprocess(request: pytest.FixtureRequest, fal_mock_config: MockConfig) -> Iterator[MockControl]:
    """A mock gateway with no port: clients reach it through an httpx transport."""
    yield from _running(_testing().InProcessGateway(_configured(request, fal_mock_config)))


@pytest.fixture
def fal_client(fal_mock: MockControl) -> Client:
    """A `Client` bound to ``fal_mock``."""
    return fal_mock.client()


@pytest.fixture
def fal_shared_client(fal_mock_shared: MockControl) -> Client:
    """A `Client` bound to the session gateway (``fal_mock_shared``)."""
    return fal_mock_shared.client()


@pytest.fixture
def fal_inprocess_client(fal_mock_inprocess: MockControl) -> Client:
    """A `Client` bound to ``fal_mock_inprocess``."""
    return fal_mock_inprocess.client()
