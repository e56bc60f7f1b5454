"""Fixtures of the CLI tests; the mock gateway fixtures (``gateway``, ``make_gateway``) are in tests/conftest.py."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from clikit import CliResult, base_env
from fal_queue.cli import cli
from fal_queue.mock import MockGateway


@pytest.fixture
def invoke(tmp_path: Path) -> Callable[..., CliResult]:
    """Run the CLI in-process: ``invoke(args, gw=None, env=None, input=None)``."""

    def run(
        args: Sequence[str],
        gw: MockGateway | None = None,
        env: dict[str, str] | None = None,
        input: str | None = None,
    ) -> CliResult:
        full = base_env(tmp_path, gw, **(env or {}))
        # CliRunner only sets variables; None removes the ones the outer environment has.
        overlay: dict[str, str | None] = {
            k: None for k in os.environ if k.startswith("FAL_QUEUE_") or k == "FAL_KEY"
        }
        overlay.update(
            {
                k: v
                for k, v in full.items()
                if k.startswith("FAL_QUEUE_") or k in {"XDG_CONFIG_HOME", "FAL_KEY"}
            }
        )
        result = CliRunner().invoke(cli, list(args), env=overlay, input=input, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run
