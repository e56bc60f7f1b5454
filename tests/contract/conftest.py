"""Reports what the schemathesis runs did (seed, cases) in pytest's terminal summary."""

from __future__ import annotations

import pytest

_RUNS = pytest.StashKey[list[str]]()


@pytest.fixture
def contract_runs(request: pytest.FixtureRequest) -> list[str]:
    """Lines appended here are printed in the terminal summary."""
    return request.config.stash.setdefault(_RUNS, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    runs = config.stash.get(_RUNS, [])
    if runs:
        terminalreporter.section("schemathesis contract runs")
        for line in runs:
            terminalreporter.write_line(line)
