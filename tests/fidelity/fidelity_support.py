"""Helpers of the fidelity tests (a plain module: tests/fidelity is on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the caller's fal/proxy settings, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FAL_", "SSL_CERT_", "NODE_EXTRA_CA_CERTS"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    env.update(extra)
    return env


def run_python(script: str, args: list[str], env: dict[str, str], timeout: float = 240) -> str:
    done = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout
