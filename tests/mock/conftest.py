"""Helpers for the mock's own tests: plain httpx against real loopback sockets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fal_queue.mock import MockGateway
from mockhttp import client_for


@pytest.fixture
def http(gateway: MockGateway) -> Iterator[httpx.Client]:
    """An authenticated client for the session gateway."""
    with client_for(gateway) as c:
        yield c


@pytest.fixture
def make_client() -> Iterator[Callable[..., httpx.Client]]:
    made: list[httpx.Client] = []

    def make(gw: MockGateway, **kwargs: Any) -> httpx.Client:
        c = client_for(gw, **kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
