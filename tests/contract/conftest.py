"""Reports what the schemathesis runs did (seed, cases) in pytest's terminal summary."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

CONTRACT_RUN = "schemathesis contract run"  # the user property tests/conftest.py prints


@pytest.fixture
def contract_runs(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Lines appended here are printed in the terminal summary (through xdist workers too)."""
    lines: list[str] = []
    yield lines
    request.node.user_properties.extend((CONTRACT_RUN, line) for line in lines)
