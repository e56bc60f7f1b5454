"""fal_queue.webhooks through its public interface: headers, window, keys, JWKS fetch and cache, payloads."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from fal_queue import ConfigurationError, FalQueueError, RetryPolicy, webhooks
from fal_queue.mock.webhooks import WebhookSigner
from hookhelpers import WAIT, JWKSServer, socketless_port
from starlette.datastructures import Headers as StarletteHeaders
from werkzeug.datastructures import EnvironHeaders
from werkzeug.datastructures import Headers as WerkzeugHeaders

NOW = 1_800_000_000


def _pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _jwk(key: Ed25519PrivateKey) -> dict[str, str]:
    x = base64.urlsafe_b64encode(_raw_public(key)).rstrip(b"=").decode()
    return {"kty": "OKP", "crv": "Ed25519", "x": x}


PRIVATE = Ed25519PrivateKey.generate()
SIGNER = WebhookSigner(_pem(PRIVATE))
OK_BODY = json.dumps(
    {
        "request_id": "rid-1",
        "gateway_request_id": "gw-1",
        "status": "OK",
        "payload": {"images": [{"url": "https://v3.fal.media/x.png", "width": 8, "height": 8}], "seed": 7},
        "error": None,
        "payload_error": None,
        "something_fal_adds_later": {"x": 1},
    }
).encode()


def signed(body: bytes = OK_BODY, *, timestamp: int = NOW, request_id: str = "rid-1") -> dict[str, str]:
    return SIGNER.headers(request_id, body, timestamp=timestamp)


def verifier(**kwargs: Any) -> webhooks.WebhookVerifier:
    kwargs.setdefault("clock", lambda: float(NOW))
    return webhooks.WebhookVerifier([PRIVATE.public_key()], **kwargs)


# ---- headers ----


def _forms(headers: dict[str, str]) -> list[Any]:
    environ = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return [
        headers,
        {k.lower(): v for k, v in headers.items()},
        {k.upper(): v for k, v in headers.items()},
        list(headers.items()),
        [(k.lower().encode(), v.encode()) for k, v in headers.items()],  # ASGI scope["headers"]
        StarletteHeaders(headers),
        WerkzeugHeaders(headers),
        EnvironHeaders(environ),  # Flask's request.headers
    ]


@pytest.mark.parametrize("form", range(8))
def test_any_header_mapping_in_any_case(form: int) -> None:
    delivery = verifier().verify(OK_BODY, _forms({**signed(), "Content-Type": "application/json"})[form])
    assert isinstance(delivery, webhooks.WebhookSuccess)
    assert (delivery.request_id, delivery.gateway_request_id, delivery.timestamp) == ("rid-1", "gw-1", NOW)
    assert delivery.result is not None and delivery.result.seed == 7
    assert delivery.result.images[0].width == 8
    assert delivery.raw["something_fal_adds_later"] == {"x": 1}  # unknown fields kept, not rejected


@pytest.mark.parametrize(
    "name",
    [
        webhooks.HEADER_REQUEST_ID,
        webhooks.HEADER_USER_ID,
        webhooks.HEADER_TIMESTAMP,
        webhooks.HEADER_SIGNATURE,
    ],
)
def test_each_missing_or_empty_header_is_named(name: str) -> None:
    headers = signed()
    for broken in ({k: v for k, v in headers.items() if k != name}, {**headers, name: "  "}):
        with pytest.raises(webhooks.WebhookHeaderError) as caught:
            verifier().verify(OK_BODY, broken)
        assert caught.value.header == name and name in str(caught.value)
        assert isinstance(caught.value, FalQueueError)


def test_a_signing_header_sent_twice_with_different_values() -> None:
    pairs = [*signed().items(), ("x-fal-webhook-signature", "00" * 64)]
    with pytest.raises(webhooks.WebhookHeaderError, match="more than once"):
        verifier().verify(OK_BODY, pairs)
    same_twice = [*signed().items(), ("X-FAL-WEBHOOK-USER-ID", signed()["X-Fal-Webhook-User-Id"])]
    assert verifier().verify(OK_BODY, same_twice).ok


# ---- the timestamp window ----


@pytest.mark.parametrize(
    ("offset", "ok"), [(0, True), (299, True), (-299, True), (300, True), (301, False), (-301, False)]
)
def test_the_timestamp_window_is_300_seconds_either_way(offset: int, ok: bool) -> None:
    v = verifier(clock=lambda: float(NOW + offset))
    if ok:
        assert v.verify(OK_BODY, signed()).ok
    else:
        with pytest.raises(webhooks.WebhookTimestampError, match="old" if offset > 0 else "future") as caught:
            v.verify(OK_BODY, signed())
        assert caught.value.request_id == "rid-1" and caught.value.tolerance == 300


def test_the_window_is_configurable_and_bounded() -> None:
    assert verifier(tolerance=30, clock=lambda: float(NOW + 30)).verify(OK_BODY, signed()).ok
    with pytest.raises(webhooks.WebhookTimestampError):
        verifier(tolerance=30, clock=lambda: float(NOW + 31)).verify(OK_BODY, signed())
    for bad in (-1, 3601):
        with pytest.raises(ConfigurationError, match="tolerance"):
            verifier(tolerance=bad)


@pytest.mark.parametrize("stamp", ["1800000000.5", "-1800000000", "abc", "1e9", "１８００"])
def test_a_timestamp_that_is_not_unix_seconds(stamp: str) -> None:
    headers = {**signed(), "X-Fal-Webhook-Timestamp": stamp}
    with pytest.raises(webhooks.WebhookTimestampError, match="not Unix seconds"):
        verifier().verify(OK_BODY, headers)


def test_the_signed_timestamp_cannot_be_moved() -> None:
    headers = {**signed(), "X-Fal-Webhook-Timestamp": str(NOW + 1)}
    with pytest.raises(webhooks.WebhookSignatureError):
        verifier().verify(OK_BODY, headers)


# ---- signatures and keys ----


@pytest.mark.parametrize("signature", ["zz" * 64, "ab" * 63, "ab" * 65, "not hex"])
def test_a_signature_that_is_not_128_hex_digits(signature: str) -> None:
    with pytest.raises(webhooks.WebhookSignatureError, match="hex"):
        verifier().verify(OK_BODY, {**signed(), "X-Fal-Webhook-Signature": signature})


def test_upper_case_hex_signatures_verify() -> None:
    headers = signed()
    headers["X-Fal-Webhook-Signature"] = headers["X-Fal-Webhook-Signature"].upper()
    assert verifier().verify(OK_BODY, headers).ok


def test_a_tampered_body_and_a_foreign_key_fail_the_signature() -> None:
    with pytest.raises(webhooks.WebhookSignatureError, match="none of the 1 key"):
        verifier().verify(OK_BODY.replace(b"7", b"8"), signed())
    foreign = WebhookSigner().headers("rid-1", OK_BODY, timestamp=NOW)
    with pytest.raises(webhooks.WebhookSignatureError):
        verifier().verify(OK_BODY, foreign)


def test_keys_in_every_accepted_form() -> None:
    other = Ed25519PrivateKey.generate()
    raw = _raw_public(PRIVATE)
    forms: list[Any] = [
        {"keys": [_jwk(other), {"kty": "RSA", "n": "x", "e": "AQAB"}, _jwk(PRIVATE)]},  # mixed JWKS
        _jwk(PRIVATE),  # one JWK
        [raw],
        [_jwk(PRIVATE)["x"]],
        [other.public_key(), PRIVATE.public_key()],
    ]
    for keys in forms:
        v = webhooks.WebhookVerifier(keys, clock=lambda: float(NOW))
        assert v.verify(OK_BODY, signed()).ok, keys


@pytest.mark.parametrize(
    "keys",
    [
        {"keys": []},
        {"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]},
        {"keys": "nope"},
        {"kty": "OKP", "crv": "X25519", "x": "AAAA"},
        {"kty": "OKP", "crv": "Ed25519"},
        [b"\x00" * 31],
        ["%%%not-base64%%%"],
        [],
        [42],
    ],
)
def test_no_usable_key_is_a_key_error(keys: Any) -> None:
    with pytest.raises(webhooks.WebhookKeyError):
        webhooks.WebhookVerifier(keys)


# ---- payloads ----


def _verify_body(body: bytes) -> webhooks.WebhookSuccess | webhooks.WebhookFailure:
    return verifier().verify(body, SIGNER.headers("rid-h", body, timestamp=NOW))


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"request_id": "r", "status": "DONE"}',
        b'{"request_id": "r"}',
        b'{"request_id": 5, "status": "OK"}',
        b'{"request_id": "r", "status": "OK", "payload": "text"}',
        b'{"request_id": "r", "status": "ERROR", "error": 500}',
        b'{"request_id": "r", "status": "OK", "payload_error": ["x"]}',
    ],
)
def test_a_malformed_payload_is_a_payload_error_that_keeps_the_request_id(body: bytes) -> None:
    with pytest.raises(webhooks.WebhookPayloadError) as caught:
        _verify_body(body)
    assert caught.value.request_id in ("rid-h", "r") and caught.value.body == body


def test_a_payload_fal_could_not_attach() -> None:
    body = b'{"request_id": "r", "status": "OK", "payload": null, "payload_error": "not JSON serializable"}'
    delivery = _verify_body(body)
    assert isinstance(delivery, webhooks.WebhookSuccess)
    assert delivery.result is None and delivery.payload_error == "not JSON serializable"


def test_a_platform_error_and_the_model_id() -> None:
    body = json.dumps(
        {
            "request_id": "r",
            "status": "ERROR",
            "error": "Invalid status code: 504",
            "payload": {"detail": "Request timed out", "error_type": "request_timeout"},
        }
    ).encode()
    failure = _verify_body(body)
    assert isinstance(failure, webhooks.WebhookFailure)
    assert failure.error_type == "request_timeout" and failure.errors == []
    assert failure.gateway_request_id is None
    assert "request_timeout" in str(failure.exception("fal-ai/flux-1/dev"))
    ok = verifier().verify(OK_BODY, signed(), model_id="fal-ai/flux-1/dev")
    assert isinstance(ok, webhooks.WebhookSuccess) and ok.result is not None
    assert ok.result.model_id == "fal-ai/flux-1/dev"


def test_the_body_may_come_as_str_or_memoryview_but_not_as_parsed_json() -> None:
    assert verifier().verify(OK_BODY.decode(), signed()).ok
    assert verifier().verify(memoryview(OK_BODY), signed()).ok
    with pytest.raises(TypeError, match="raw bytes"):
        verifier().verify(json.loads(OK_BODY), signed())  # type: ignore[arg-type]


# ---- the JWKS from a URL ----


def test_fals_url_is_the_default_and_urls_must_be_https() -> None:
    assert (
        webhooks.WebhookVerifier().jwks_url
        == webhooks.FAL_JWKS_URL
        == "https://rest.fal.ai/.well-known/jwks.json"
    )
    for url in ("http://rest.fal.ai/.well-known/jwks.json", "ftp://x/y", "rest.fal.ai/jwks"):
        with pytest.raises(ConfigurationError, match="https"):
            webhooks.WebhookVerifier(url)
    with pytest.raises(ConfigurationError, match="24 h"):
        webhooks.WebhookVerifier(max_age=24 * 3600 + 1)


def test_the_jwks_is_cached_at_most_max_age(jwks_server: JWKSServer) -> None:
    url = jwks_server.serve_json("/jwks.json", {"keys": [_jwk(PRIVATE)]})
    now = [float(NOW)]
    v = webhooks.WebhookVerifier(url, clock=lambda: now[0])
    for _ in range(5):
        assert v.verify(OK_BODY, signed()).ok
    assert jwks_server.count("/jwks.json") == 1
    now[0] += webhooks.JWKS_MAX_AGE - 1
    assert v.verify(OK_BODY, signed(timestamp=int(now[0]))).ok
    assert jwks_server.count("/jwks.json") == 1
    now[0] += 2
    assert v.verify(OK_BODY, signed(timestamp=int(now[0]))).ok
    assert jwks_server.count("/jwks.json") == 2
    short = webhooks.WebhookVerifier(url, clock=lambda: now[0], max_age=10)
    short.refresh()
    now[0] += 11
    assert short.verify(OK_BODY, signed(timestamp=int(now[0]))).ok
    assert jwks_server.count("/jwks.json") == 4
    # Never a credential to the JWKS host.
    assert all("authorization" not in h and "cookie" not in h for _, h in jwks_server.hits)


def test_the_module_functions_share_one_cache_per_url(jwks_server: JWKSServer) -> None:
    url = jwks_server.serve_json("/shared.json", {"keys": [_jwk(PRIVATE)]})
    now = int(time.time())
    for _ in range(3):
        assert webhooks.verify(OK_BODY, signed(timestamp=now), jwks=url).ok
    assert asyncio.run(webhooks.verify_async(OK_BODY, signed(timestamp=now), jwks=url)).ok
    assert jwks_server.count("/shared.json") == 1
    assert webhooks.verify(OK_BODY, signed(timestamp=now), jwks={"keys": [_jwk(PRIVATE)]}).ok


def test_async_verification_fetches_without_a_thread(jwks_server: JWKSServer) -> None:
    url = jwks_server.serve_json("/async.json", {"keys": [_jwk(PRIVATE)]})
    v = webhooks.WebhookVerifier(url, clock=lambda: float(NOW))

    async def main() -> None:
        assert (await v.verify_async(OK_BODY, signed())).ok
        with pytest.raises(webhooks.WebhookSignatureError):
            await v.verify_async(OK_BODY.replace(b"7", b"9"), signed())

    asyncio.run(main())
    assert jwks_server.count("/async.json") == 2  # the failed signature refetched once


def _run(v: webhooks.WebhookVerifier, mode: str) -> None:
    if mode == "sync":
        v.verify(OK_BODY, signed())
    else:
        asyncio.run(v.verify_async(OK_BODY, signed()))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_fetch_failures_are_typed(jwks_server: JWKSServer, mode: str) -> None:
    def check(url: str, error: type[Exception], match: str) -> None:
        v = webhooks.WebhookVerifier(url, clock=lambda: float(NOW), timeout=5)
        with pytest.raises(error, match=match):
            _run(v, mode)

    origin = jwks_server.origin
    check(
        jwks_server.serve_json("/gone.json", {"detail": "x"}, status=404), webhooks.JWKSFetchError, "HTTP 404"
    )
    jwks_server.routes["/text"] = (200, {}, b"<html>")
    check(origin + "/text", webhooks.WebhookKeyError, "not JSON")
    check(jwks_server.serve_json("/nokeys.json", {"keys": []}), webhooks.WebhookKeyError, "no Ed25519 key")
    jwks_server.routes["/big"] = (200, {}, b" " * (300 * 1024))
    check(origin + "/big", webhooks.JWKSFetchError, "larger than")
    # Redirects are followed to https or loopback only, checked before anything is sent there.
    good = jwks_server.serve_json("/real.json", {"keys": [_jwk(PRIVATE)]})
    jwks_server.routes["/moved"] = (302, {"Location": good}, b"")
    assert webhooks.WebhookVerifier(origin + "/moved", clock=lambda: float(NOW)).verify(OK_BODY, signed()).ok
    jwks_server.routes["/evil"] = (302, {"Location": "http://attacker.example/jwks.json"}, b"")
    check(origin + "/evil", webhooks.JWKSFetchError, "refused")
    jwks_server.routes["/loop"] = (302, {"Location": origin + "/loop"}, b"")
    check(origin + "/loop", webhooks.JWKSFetchError, "redirects more than")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_silent_jwks_host_is_bounded_by_the_timeout(jwks_server: JWKSServer, mode: str) -> None:
    jwks_server.silent.set()
    v = webhooks.WebhookVerifier(jwks_server.origin + "/jwks.json", clock=lambda: float(NOW), timeout=0.5)
    started = time.monotonic()
    with pytest.raises(webhooks.JWKSFetchError, match=r"longer than 0\.5 s"):
        _run(v, mode)
    assert time.monotonic() - started < WAIT


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_jwks_host_that_is_briefly_unavailable_is_retried(jwks_server: JWKSServer, mode: str) -> None:
    url = jwks_server.serve_json("/busy.json", {"keys": [_jwk(PRIVATE)]})
    jwks_server.unavailable["/busy.json"] = 2
    _run(webhooks.WebhookVerifier(url, clock=lambda: float(NOW)), mode)
    assert jwks_server.count("/busy.json") == 3


def test_a_jwks_host_that_stays_down_is_asked_max_retries_plus_one_times(jwks_server: JWKSServer) -> None:
    url = jwks_server.serve_json("/down.json", {"keys": [_jwk(PRIVATE)]})
    jwks_server.unavailable["/down.json"] = 1_000
    v = webhooks.WebhookVerifier(url, clock=lambda: float(NOW), timeout=30)
    with pytest.raises(webhooks.JWKSFetchError, match="HTTP 503"):
        v.verify(OK_BODY, signed())
    assert jwks_server.count("/down.json") == RetryPolicy().max_retries + 1


def test_a_closed_port_is_a_fetch_error() -> None:
    v = webhooks.WebhookVerifier(f"http://127.0.0.1:{socketless_port()}/j", clock=lambda: float(NOW))
    with pytest.raises(webhooks.JWKSFetchError, match="cannot fetch"):
        v.verify(OK_BODY, signed())
