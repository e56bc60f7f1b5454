"""Fixtures of the fidelity tests: the mock over TLS, as fal's official clients expect a fal host.

fal-client speaks https to a host it reads from ``FAL_QUEUE_RUN_HOST``. The mock serves TLS with a
certificate from a throwaway trustme CA, which fal-client's httpx trusts through ``SSL_CERT_FILE``:
no change to fal-client's code. (fal-js needs no TLS: its requestMiddleware rewrites the scheme.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import trustme
from fal_queue.mock import MockGateway
from fidelity_models import EXTRA_MODEL
from fidelity_support import TlsFiles


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
