"""Fixtures of the fidelity tests: the mock over TLS, as fal's official clients expect a fal host.

fal's clients speak https to fixed hosts. The mock serves TLS with a certificate from a throwaway
trustme CA; the clients trust it through ``SSL_CERT_FILE`` (Python, httpx) or
``NODE_EXTRA_CA_CERTS`` (Node), and are pointed at the mock without any change to their code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from fal_queue.mock import MockGateway
from fidelity_models import EXTRA_MODEL

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    files = TlsFiles(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    ca.cert_pem.write_to_path(str(files.ca))
    issued.private_key_pem.write_to_path(str(files.key))
    files.cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    return files


@pytest.fixture
def tls_gateway(tls_files: TlsFiles, make_gateway: Callable[..., MockGateway]) -> Callable[..., MockGateway]:
    """``tls_gateway(**overrides)``: a started https mock whose ``*_url`` fields point at itself.

    ``models="typed"``: only the spec's models and `EXTRA_MODEL` are served, like a real gateway."""

    def make(**overrides: Any) -> MockGateway:
        return make_gateway(
            ssl_certfile=str(tls_files.cert),
            ssl_keyfile=str(tls_files.key),
            url_style="gateway",
            extra_models=(EXTRA_MODEL,),
            **overrides,
        )

    return make


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
