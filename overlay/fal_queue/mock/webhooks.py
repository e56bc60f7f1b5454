"""The mock's completion webhooks, signed as fal signs them, and the JWKS that verifies them.

fal signs every delivery with Ed25519 over ``request_id \\n user_id \\n timestamp \\n hex(sha256(body))``
and publishes its public keys as a JWKS; the mock does the same with a key pair of its own, so a
receiver that verifies (as fal tells users to) accepts mock deliveries and rejects forged ones.

Deliveries go to loopback URLs only: a job submitted with any other http(s) ``fal_webhook`` is
accepted (as fal accepts it) and recorded as not delivered. No traffic ever leaves the machine, DNS
is never consulted, and redirects are never followed.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import hashlib
import ipaddress
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "JWKS_PATH",
    "MOCK_USER_ID",
    "WebhookSender",
    "WebhookSigner",
    "is_loopback_url",
    "signed_message",
]

log = logging.getLogger("fal_queue.mock")

JWKS_PATH = "/.well-known/jwks.json"
"""Where the gateway origin serves the JWKS (fal: ``https://rest.fal.ai/.well-known/jwks.json``)."""

MOCK_USER_ID = "mock-user"
"""The ``X-Fal-Webhook-User-Id`` of every mock delivery."""

DEFAULT_OVERLAP = 24 * 3600.0
"""Seconds a rotated-out key stays in the JWKS: receivers may cache a JWKS for 24 hours."""

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_ATTEMPTS = 3
_NOT_DELIVERED_KEPT = 1000


def is_loopback_url(url: str) -> bool:
    """An http(s) URL whose host is a loopback name or address (decided without DNS)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or not host:
        return False
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def signed_message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    """The bytes fal signs: the three header values and the body's SHA-256 (hex), one per line."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{request_id}\n{user_id}\n{timestamp}\n{digest}".encode()


def _private_key(pem: str | bytes | None) -> Ed25519PrivateKey:
    """The key of an unencrypted Ed25519 PEM, or a fresh one for None."""
    if pem is None:
        return Ed25519PrivateKey.generate()
    try:
        key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"the webhook signing key is not an unencrypted Ed25519 PEM private key: {exc}"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"the webhook signing key must be an Ed25519 key, not {type(key).__name__}")
    return key


@dataclass(slots=True)
class _Key:
    private: Ed25519PrivateKey
    kid: str
    x: str
    retired_at: float | None = None  # time.monotonic() when it stops being published


class WebhookSigner:
    """The mock's webhook key pairs: one signs, rotated-out ones stay published for ``overlap`` s.

    ``private_key`` is an Ed25519 private key as PEM (PKCS#8); without one a fresh pair is generated.
    """

    def __init__(
        self, private_key: str | bytes | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._keys: list[_Key] = []
        self._add(_private_key(private_key))

    def _add(self, private: Ed25519PrivateKey) -> _Key:
        raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
        self._keys.insert(0, _Key(private, kid=hashlib.sha256(raw).hexdigest()[:16], x=x))
        return self._keys[0]

    def rotate(self, private_key: str | bytes | None = None, *, overlap: float = DEFAULT_OVERLAP) -> str:
        """Sign from now on with a new key (given or generated); the JWKS keeps the old one ``overlap`` s.

        ``overlap=0`` unpublishes the old key at once (a receiver must then reject its signatures).
        Returns the new key's ``kid``.
        """
        if not overlap >= 0:
            raise ValueError("overlap must be a non-negative number of seconds")
        new = _private_key(private_key)
        now = self._clock()
        for key in self._keys:
            if key.retired_at is None or key.retired_at > now + overlap:
                key.retired_at = now + overlap
        return self._add(new).kid

    def _published(self) -> list[_Key]:
        now = self._clock()
        self._keys = [k for i, k in enumerate(self._keys) if i == 0 or (k.retired_at or 0.0) > now]
        return self._keys

    def jwks(self) -> dict[str, Any]:
        """The public keys as fal publishes them: ``{"keys": [{kty: OKP, crv: Ed25519, x, kid, ...}]}``."""
        return {
            "keys": [
                {"kty": "OKP", "crv": "Ed25519", "x": k.x, "kid": k.kid, "use": "sig", "alg": "EdDSA"}
                for k in self._published()
            ]
        }

    def headers(
        self, request_id: str, body: bytes, *, user_id: str = MOCK_USER_ID, timestamp: int | None = None
    ) -> dict[str, str]:
        """The four ``X-Fal-Webhook-*`` headers of one delivery attempt, signed now (or at ``timestamp``)."""
        timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
        signature = self._keys[0].private.sign(signed_message(request_id, user_id, timestamp_text, body))
        return {
            "X-Fal-Webhook-Request-Id": request_id,
            "X-Fal-Webhook-User-Id": user_id,
            "X-Fal-Webhook-Timestamp": timestamp_text,
            "X-Fal-Webhook-Signature": signature.hex(),
        }


class WebhookSender:
    """Signs and POSTs completion webhooks from the engine's event loop, counting the outcomes."""

    def __init__(self, signer: WebhookSigner, counters: collections.Counter[str]) -> None:
        self.signer = signer
        self._counters = counters
        self._client: httpx.AsyncClient | None = None
        #: ``(request_id, url)`` of recent jobs whose webhook was not sent because the URL is not loopback.
        self.not_delivered: collections.deque[tuple[str, str]] = collections.deque(maxlen=_NOT_DELIVERED_KEPT)

    async def deliver(self, request_id: str, url: str, payload: Mapping[str, Any]) -> None:
        if not is_loopback_url(url):
            self._counters["webhooks_not_delivered"] += 1
            self.not_delivered.append((request_id, url))
            log.info("webhook of %s not delivered: %s is not a loopback URL", request_id, url)
            return
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=5.0, trust_env=False, follow_redirects=False)
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        for attempt in range(_ATTEMPTS):
            headers = {"Content-Type": "application/json", **self.signer.headers(request_id, body)}
            with contextlib.suppress(httpx.HTTPError):
                response = await self._client.post(url, content=body, headers=headers)
                if response.status_code < 300:
                    self._counters["webhooks_delivered"] += 1
                    return
            if attempt < _ATTEMPTS - 1:
                await asyncio.sleep(0.1 * 2**attempt)
        self._counters["webhooks_failed"] += 1
        log.warning("webhook delivery to %s failed for %s", url, request_id)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
