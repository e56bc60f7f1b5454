"""Fixtures of the webhook tests: receivers, a per-test gateway, a scriptable JWKS host."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fal_queue import webhooks
from fal_queue.mock import MockGateway
from hookhelpers import JWKSServer, Receiver


@pytest.fixture
def make_receiver() -> Iterator[Callable[[webhooks.WebhookVerifier], Receiver]]:
    started: list[Receiver] = []

    def make(verifier: webhooks.WebhookVerifier) -> Receiver:
        r = Receiver(verifier)
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()


@pytest.fixture
def hook_gateway(make_gateway: Callable[..., MockGateway]) -> MockGateway:
    """A gateway of this test alone (its keys may be rotated)."""
    return make_gateway()


@pytest.fixture
def receiver(
    hook_gateway: MockGateway, make_receiver: Callable[[webhooks.WebhookVerifier], Receiver]
) -> Receiver:
    """A receiver that trusts ``hook_gateway``'s JWKS (fetched from its URL, as from fal's)."""
    return make_receiver(webhooks.WebhookVerifier(hook_gateway.webhook_jwks_url))


@pytest.fixture
def jwks_server() -> Iterator[JWKSServer]:
    s = JWKSServer()
    yield s
    s.stop()
