"""Verify fal's signed webhook deliveries and read them as typed values, from any web framework.

fal signs each delivery with Ed25519 and publishes its keys as a JWKS at ``rest.fal.ai``. In: the raw
body bytes (re-serialised JSON does not match the signature) and the request headers (any mapping, any
case). Out: a :class:`WebhookSuccess` (``.result`` is a :class:`~fal_queue.types.Result`), a
:class:`WebhookFailure` (``.error``, ``.payload``), or a :class:`WebhookError` saying what was wrong.
Both examples start with ``from fal_queue import webhooks``.

Starlette / FastAPI (``from starlette.responses import Response``)::

    async def fal_hook(request):  # Route("/fal/webhook", fal_hook, methods=["POST"])
        try:
            delivery = await webhooks.verify_async(await request.body(), request.headers)
        except webhooks.WebhookError as exc:  # JWKSFetchError: our side failed, 503 makes fal retry
            return Response(str(exc), status_code=503 if isinstance(exc, webhooks.JWKSFetchError) else 400)
        return Response(status_code=204)  # delivery.ok: delivery.result; else delivery.error

Flask (``from flask import request``)::

    @app.post("/fal/webhook")
    def fal_hook():
        try:
            delivery = webhooks.verify(request.get_data(), request.headers)
        except webhooks.WebhookError as exc:
            return str(exc), 503 if isinstance(exc, webhooks.JWKSFetchError) else 400
        return "", 204  # delivery.ok: delivery.result; else delivery.error

fal retries a delivery about 10 times over 2 hours: deduplicate on ``delivery.request_id``. For other
options (tolerance, clock, cache age), build one :class:`WebhookVerifier` and keep it: it caches the JWKS.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import httpx
from attrs import field, frozen
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ._async import jwks as async_jwks
from ._sync import jwks as sync_jwks
from .errors import ConfigurationError, FalQueueError, FieldError, JobFailedError
from .types import Result

__all__ = [
    "FAL_JWKS_URL",
    "HEADER_REQUEST_ID",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "HEADER_USER_ID",
    "JWKS_MAX_AGE",
    "LEGACY_FAL_JWKS_URL",
    "TIMESTAMP_TOLERANCE",
    "JWKSFetchError",
    "WebhookDelivery",
    "WebhookError",
    "WebhookFailure",
    "WebhookHeaderError",
    "WebhookKeyError",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "WebhookSuccess",
    "WebhookTimestampError",
    "WebhookVerifier",
    "signed_message",
    "verify",
    "verify_async",
]

FAL_JWKS_URL = "https://rest.fal.ai/.well-known/jwks.json"
LEGACY_FAL_JWKS_URL = "https://rest.alpha.fal.ai/.well-known/jwks.json"
TIMESTAMP_TOLERANCE = 300.0
"""Seconds a delivery's timestamp may be off from now, either way (fal's documented window)."""
JWKS_MAX_AGE = 24 * 3600.0
"""The longest fal allows a JWKS to be cached."""
JWKS_REFRESH_INTERVAL = 60.0
"""A signature no cached key verifies refetches the JWKS (keys rotate), at most once per this many
seconds: forged deliveries cannot make a receiver hammer the JWKS host."""

HEADER_REQUEST_ID = "X-Fal-Webhook-Request-Id"
HEADER_USER_ID = "X-Fal-Webhook-User-Id"
HEADER_TIMESTAMP = "X-Fal-Webhook-Timestamp"
HEADER_SIGNATURE = "X-Fal-Webhook-Signature"
_SIGNED_HEADERS = (HEADER_REQUEST_ID, HEADER_USER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE)
_TIMESTAMP_RE = re.compile(r"[0-9]{1,15}")
_OK_TEXTS = ("gateway_request_id", "payload_error")  # an OK delivery's 'error' is not read

BodyLike = bytes | bytearray | memoryview | str
HeadersLike = Mapping[str, str] | Mapping[bytes, bytes] | Iterable[tuple[str | bytes, str | bytes]]
JWKSLike = str | Mapping[str, Any] | Sequence[Ed25519PublicKey | bytes | str | Mapping[str, Any]]
Keys = tuple[Ed25519PublicKey, ...]


class WebhookError(FalQueueError):
    """A delivery that must not be trusted (or could not be checked). Answer it with a 4xx/5xx."""


class WebhookHeaderError(WebhookError):
    """A signing header is missing, empty or sent twice; ``header`` names it."""

    header: str


class WebhookTimestampError(WebhookError):
    """The timestamp is not Unix seconds, or further than ``tolerance`` seconds from ``now`` (a replay)."""

    timestamp: str
    now: float
    tolerance: float


class WebhookSignatureError(WebhookError):
    """The signature verifies against no key: a changed body or header, or another signer (Ed25519
    cannot tell the two apart)."""


class WebhookKeyError(WebhookError):
    """No usable key: the JWKS holds no Ed25519 (OKP) key, or a key is malformed."""


class JWKSFetchError(WebhookKeyError):
    """The JWKS could not be fetched. The delivery may be genuine: answer 5xx so that fal retries."""


class WebhookPayloadError(WebhookError):
    """The signature is valid but the body is not a webhook payload (``request_id`` is kept)."""

    body: bytes = b""


@frozen
class WebhookDelivery:
    """A verified delivery: who sent it, when, and the whole JSON body (``raw``)."""

    #: True on a :class:`WebhookSuccess`, False on a :class:`WebhookFailure`.
    ok: ClassVar[bool] = False
    request_id: str
    #: fal's id of the last attempt; differs from ``request_id`` only when fal retried the job.
    gateway_request_id: str | None
    user_id: str
    timestamp: int
    #: Why fal could not attach the payload (it was not JSON-serialisable); ``payload`` is then None.
    payload_error: str | None
    raw: Mapping[str, Any] = field(repr=False)


@frozen
class WebhookSuccess(WebhookDelivery):
    """The job succeeded. ``result`` is None only when fal attached no payload (see ``payload_error``):
    fetch it then with ``client.result(model_id, request_id)``."""

    ok = True
    result: Result | None = None


@frozen
class WebhookFailure(WebhookDelivery):
    """The job failed: ``error`` is fal's message, ``payload`` the error body (e.g. 422 ``detail``)."""

    error: str | None = None
    error_type: str | None = None
    payload: Mapping[str, Any] | None = field(default=None, repr=False)

    @property
    def errors(self) -> list[FieldError]:
        """Field problems when the payload is a validation ``detail`` list, else empty."""
        return FieldError.list_from((self.payload or {}).get("detail"))

    def exception(self, model_id: str | None = None) -> JobFailedError:
        """The failure as the error ``client.subscribe`` raises for it (to re-raise in your handler)."""
        message = self.error or self.payload_error or "the job failed"
        return JobFailedError(
            message, request_id=self.request_id, model_id=model_id, error_type=self.error_type
        )


def _is_ed25519(jwk: Mapping[str, Any]) -> bool:
    return jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519"


def _public_key(item: object) -> Ed25519PublicKey:
    """One key from an Ed25519PublicKey, 32 raw bytes, a base64url ``x`` or an OKP/Ed25519 JWK."""
    if isinstance(item, Ed25519PublicKey):
        return item
    if isinstance(item, Mapping):
        if not _is_ed25519(item):
            raise WebhookKeyError(f"not an Ed25519 JWK (kty={item.get('kty')!r}, crv={item.get('crv')!r})")
        item = item.get("x")
        if not isinstance(item, str):
            raise WebhookKeyError("an Ed25519 JWK without its public key 'x'")
    if isinstance(item, str):
        try:
            item = base64.urlsafe_b64decode(item + "=" * (-len(item) % 4))
        except ValueError:  # binascii.Error too
            raise WebhookKeyError("an Ed25519 public key 'x' that is not base64url") from None
    if isinstance(item, bytes | bytearray) and len(item) == 32:
        return Ed25519PublicKey.from_public_bytes(bytes(item))
    raise WebhookKeyError(f"not an Ed25519 public key (32 bytes): {type(item).__name__}")


def _keys_of_jwks(data: object, source: str) -> Keys:
    """The usable keys of a JWKS document; keys of other types are skipped (a JWKS may mix them)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("keys"), list):
        raise WebhookKeyError(f"the JWKS from {source} is not an object with a 'keys' list")
    keys = tuple(_public_key(k) for k in data["keys"] if isinstance(k, Mapping) and _is_ed25519(k))
    if not keys:
        raise WebhookKeyError(f"the JWKS from {source} holds no Ed25519 key")
    return keys


def signed_message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    """What fal signs: ``request_id``, ``user_id``, ``timestamp`` and hex(sha256(body)), one per line."""
    return f"{request_id}\n{user_id}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}".encode()


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes | bytearray) else str(value)


def _signing_headers(headers: HeadersLike) -> list[str]:
    """The four signing headers' values in ``_SIGNED_HEADERS`` order, from a mapping (any case) or pairs."""
    wanted = {h.lower(): h for h in _SIGNED_HEADERS}
    found: dict[str, str] = {}
    for name, value in headers.items() if isinstance(headers, Mapping) else headers:
        key = _text(name).strip().lower()
        text = _text(value).strip()
        if key in wanted and found.setdefault(key, text) != text:
            raise WebhookHeaderError(f"{wanted[key]} was sent more than once", header=wanted[key])
    for key, name in wanted.items():
        if not found.get(key):
            request_id = found.get(HEADER_REQUEST_ID.lower()) or None
            raise WebhookHeaderError(
                f"{name} is missing: not a signed fal webhook delivery", header=name, request_id=request_id
            )
    return [found[key] for key in wanted]


@frozen
class _Signed:
    body: bytes
    request_id: str
    user_id: str
    timestamp: str
    signature: bytes

    def verifies(self, keys: Keys) -> bool:
        message = signed_message(self.request_id, self.user_id, self.timestamp, self.body)
        for key in keys:
            with contextlib.suppress(InvalidSignature):
                key.verify(self.signature, message)
                return True
        return False


class WebhookVerifier:
    """Verifies deliveries against one key source; keep one per process (it caches the JWKS).

    ``jwks``: None (fal's URL), a JWKS URL, a JWKS dict, or a sequence of keys (``Ed25519PublicKey``,
    32 raw bytes, base64url ``x`` strings or JWK dicts). ``tolerance``: the timestamp window in
    seconds. ``max_age``: how long a fetched JWKS is reused (at most 24 h). ``clock``: Unix time.
    ``timeout``: the wall-clock bound of one JWKS fetch. ``proxy``: for the JWKS fetch.
    No credential is ever sent to the JWKS host.
    """

    def __init__(
        self,
        jwks: JWKSLike | None = None,
        *,
        tolerance: float = TIMESTAMP_TOLERANCE,
        max_age: float = JWKS_MAX_AGE,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
        proxy: str | None = None,
    ) -> None:
        if not 0 <= tolerance <= 3600:
            raise ConfigurationError(f"tolerance must be between 0 and 3600 seconds, got {tolerance!r}")
        if not 0 <= max_age <= JWKS_MAX_AGE:
            raise ConfigurationError(f"max_age must be between 0 and {JWKS_MAX_AGE:.0f} seconds (fal: 24 h)")
        if not timeout > 0:
            raise ConfigurationError("timeout must be a positive number of seconds")
        self.tolerance = float(tolerance)
        self.max_age = float(max_age)
        self._clock = clock
        self._get = functools.partial(sync_jwks.fetch, timeout=timeout, proxy=proxy, error=JWKSFetchError)
        self._get_async = functools.partial(
            async_jwks.fetch, timeout=timeout, proxy=proxy, error=JWKSFetchError
        )
        self._lock = threading.Lock()
        self._keys: Keys = ()
        self._fetched_at: float | None = None
        self._forced_at: float | None = None
        self.jwks_url: str | None = None
        jwks = FAL_JWKS_URL if jwks is None else jwks
        if isinstance(jwks, str):
            if not async_jwks.is_safe_url(jwks):
                raise ConfigurationError(f"the JWKS URL must be https (http only to loopback): {jwks!r}")
            self.jwks_url = jwks
        elif isinstance(jwks, Mapping):
            self._keys = _keys_of_jwks(jwks, "the given dict") if "keys" in jwks else (_public_key(jwks),)
        else:
            self._keys = tuple(_public_key(k) for k in jwks)
            if not self._keys:
                raise WebhookKeyError("no key given to verify webhooks with")

    def __repr__(self) -> str:
        source = self.jwks_url or f"{len(self._keys)} given key(s)"
        return f"WebhookVerifier({source}, tolerance={self.tolerance:g})"

    def verify(
        self, body: BodyLike, headers: HeadersLike, *, model_id: str | None = None
    ) -> WebhookSuccess | WebhookFailure:
        """Check one delivery (fetching the JWKS when needed) and read it. Raises a :class:`WebhookError`."""
        signed = self._check(body, headers)
        keys = self._keys if self._fresh() else self._fetch(if_stale=True)
        # No cached key verifies: the keys may have rotated since the fetch, so look once more.
        if not signed.verifies(keys) and not (self._may_refresh() and signed.verifies(self._fetch())):
            raise self._bad_signature(signed)
        return _delivery(signed, model_id)

    async def verify_async(
        self, body: BodyLike, headers: HeadersLike, *, model_id: str | None = None
    ) -> WebhookSuccess | WebhookFailure:
        """:meth:`verify` for event loops: the JWKS is fetched without blocking."""
        signed = self._check(body, headers)
        keys = self._keys if self._fresh() else await self._fetch_async()
        if not signed.verifies(keys) and not (
            self._may_refresh() and signed.verifies(await self._fetch_async())
        ):
            raise self._bad_signature(signed)
        return _delivery(signed, model_id)

    def _check(self, body: BodyLike, headers: HeadersLike) -> _Signed:
        if not isinstance(body, str | bytes | bytearray | memoryview):
            raise TypeError(
                f"the webhook body must be the raw bytes of the request, not {type(body).__name__}"
            )
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        request_id, user_id, timestamp, signature_hex = _signing_headers(headers)
        now = self._clock()
        problem = None
        if _TIMESTAMP_RE.fullmatch(timestamp) is None:
            problem = f"{HEADER_TIMESTAMP} is not Unix seconds: {timestamp[:40]!r}"
        elif abs(skew := now - int(timestamp)) > self.tolerance:
            problem = (
                f"the delivery was signed {abs(skew):.0f} s {'old' if skew > 0 else 'in the future'} "
                f"(allowed: {self.tolerance:g} s); a replay, or a clock that is off"
            )
        if problem:
            raise WebhookTimestampError(
                problem, timestamp=timestamp, now=now, tolerance=self.tolerance, request_id=request_id
            )
        signature = b""
        with contextlib.suppress(ValueError):
            signature = bytes.fromhex(signature_hex)
        if len(signature) != 64:
            raise WebhookSignatureError(
                f"{HEADER_SIGNATURE} is not a hex Ed25519 signature (128 hex digits)", request_id=request_id
            )
        return _Signed(raw, request_id, user_id, timestamp, signature)

    def _bad_signature(self, signed: _Signed) -> WebhookSignatureError:
        return WebhookSignatureError(
            f"the signature verifies against none of the {len(self._keys)} key(s) of "
            f"{self.jwks_url or 'the given keys'}: the body or a header was changed, or another key "
            "signed it",
            request_id=signed.request_id,
        )

    def _recent(self, at: float | None, span: float) -> bool:
        return at is not None and 0 <= self._clock() - at < span

    def _fresh(self) -> bool:
        return self.jwks_url is None or self._recent(self._fetched_at, self.max_age)

    def _may_refresh(self) -> bool:
        """Whether a failed signature may refetch the JWKS now (and then count as the refetch)."""
        if self.jwks_url is None or self._recent(self._forced_at, JWKS_REFRESH_INTERVAL):
            return False
        self._forced_at = self._clock()
        return True

    def refresh(self) -> None:
        """Fetch the JWKS now (e.g. at start-up, to fail early); a no-op for given keys."""
        if self.jwks_url is not None:
            self._fetch()

    async def refresh_async(self) -> None:
        if self.jwks_url is not None:
            await self._fetch_async()

    def _fetch(self, *, if_stale: bool = False) -> Keys:
        with self._lock:  # one fetch at a time: the threads that waited find the keys fresh
            if if_stale and self._fresh():
                return self._keys
            return self._store(self._get(str(self.jwks_url)))

    async def _fetch_async(self) -> Keys:
        return self._store(await self._get_async(str(self.jwks_url)))

    def _store(self, content: bytes) -> Keys:
        try:
            data = json.loads(content)
        except (ValueError, RecursionError):  # UnicodeDecodeError too
            raise WebhookKeyError(f"the JWKS at {self.jwks_url} is not JSON") from None
        self._keys = _keys_of_jwks(data, str(self.jwks_url))
        self._fetched_at = self._clock()
        return self._keys


def _parsed_output(payload: Mapping[str, Any]) -> object:
    """The generated model of a result, as ``client.result`` gives it (None when none matches)."""
    from fal_queue_api.api.queue import get_result
    from fal_queue_api.client import Client as _GeneratedClient

    try:
        response = httpx.Response(200, json=payload)
        return get_result._parse_response(
            client=_GeneratedClient(base_url="http://unused"), response=response
        )
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def _delivery(signed: _Signed, model_id: str | None) -> WebhookSuccess | WebhookFailure:
    """The signed body read as a delivery; a :class:`WebhookPayloadError` when it is not one."""

    def bad(message: str, request_id: str = signed.request_id) -> WebhookPayloadError:
        return WebhookPayloadError(message, request_id=request_id, body=signed.body)

    try:
        data = json.loads(signed.body)
    except (ValueError, RecursionError):  # UnicodeDecodeError too
        raise bad("the webhook body is not JSON") from None
    if not isinstance(data, dict):
        raise bad("the webhook body is not a JSON object")
    request_id = data.get("request_id", signed.request_id)
    if not isinstance(request_id, str) or not request_id:
        raise bad("the webhook's 'request_id' is not a string")
    status, payload = data.get("status"), data.get("payload")
    if payload is not None and not isinstance(payload, dict):
        raise bad("the webhook's 'payload' is not an object", request_id)
    if status not in ("OK", "ERROR"):
        raise bad(f"the webhook's status is {status!r}, not 'OK' or 'ERROR'", request_id)
    for key in ("gateway_request_id", "payload_error", "error") if status == "ERROR" else _OK_TEXTS:
        if data.get(key) is not None and not isinstance(data[key], str):
            raise bad(f"the webhook's {key!r} is not a string", request_id)
    common: dict[str, Any] = {
        "request_id": request_id,
        "gateway_request_id": data.get("gateway_request_id"),
        "user_id": signed.user_id,
        "timestamp": int(signed.timestamp),
        "payload_error": data.get("payload_error"),
        "raw": data,
    }
    if status == "OK":
        result = None
        if payload is not None:
            parsed = _parsed_output(payload)
            result = Result(request_id=request_id, model_id=model_id or "", raw=payload, parsed=parsed)
        return WebhookSuccess(**common, result=result)
    error_type = (payload or {}).get("error_type")
    if not isinstance(error_type, str):  # a validation failure names its type in its first detail
        detail = (payload or {}).get("detail")
        first = detail[0] if isinstance(detail, list) and detail else None
        error_type = first.get("type") if isinstance(first, Mapping) else None
    return WebhookFailure(
        **common,
        error=data.get("error"),
        error_type=error_type if isinstance(error_type, str) else None,
        payload=payload,
    )


_shared = functools.cache(WebhookVerifier)
"""The module functions' verifier of each JWKS URL: one per process, so they share its cache."""


def _verifier_for(jwks: JWKSLike | None) -> WebhookVerifier:
    if jwks is None or isinstance(jwks, str):
        return _shared(jwks or FAL_JWKS_URL)
    return WebhookVerifier(jwks)


def verify(
    body: BodyLike, headers: HeadersLike, *, jwks: JWKSLike | None = None, model_id: str | None = None
) -> WebhookSuccess | WebhookFailure:
    """Verify one delivery against fal's JWKS (or ``jwks``: a URL, a JWKS dict or keys) and read it.

    JWKS URLs are cached per process (24 h). ``model_id`` only fills ``result.model_id`` (the
    payload does not name the model). Raises a :class:`WebhookError` subclass.
    """
    return _verifier_for(jwks).verify(body, headers, model_id=model_id)


async def verify_async(
    body: BodyLike, headers: HeadersLike, *, jwks: JWKSLike | None = None, model_id: str | None = None
) -> WebhookSuccess | WebhookFailure:
    """:func:`verify` for event loops (the JWKS fetch does not block the loop)."""
    return await _verifier_for(jwks).verify_async(body, headers, model_id=model_id)
