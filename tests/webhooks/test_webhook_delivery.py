"""End to end: the mock signs and delivers, a loopback receiver verifies with fal_queue.webhooks."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from fal_queue import JobFailedError, Result, webhooks
from fal_queue.mock import MockGateway
from fal_queue.mock.config import Faults
from fal_queue.mock.webhooks import WebhookSigner, is_loopback_url
from hookhelpers import WAIT, Receiver, socketless_port, submit, wait_for


def _result(gw: MockGateway, request_id: str) -> Any:
    with httpx.Client(base_url=gw.base_url, headers={"Authorization": f"Bearer {gw.key}"}) as c:
        return c.get(f"/fal-ai/flux-1/requests/{request_id}").json()


def test_a_mock_delivery_verifies_and_reads_as_a_result(
    hook_gateway: MockGateway, receiver: Receiver
) -> None:
    rid = submit(hook_gateway, receiver.url, num_images=2)
    got = receiver.next()
    assert got.status_code == 204, got.outcome
    delivery = got.outcome
    assert isinstance(delivery, webhooks.WebhookSuccess) and delivery.ok
    assert delivery.request_id == delivery.gateway_request_id == rid
    assert delivery.user_id == got.headers["x-fal-webhook-user-id"] == "mock-user"
    assert abs(delivery.timestamp - time.time()) < 300
    assert isinstance(delivery.result, Result)
    assert delivery.result.request_id == rid
    assert dict(delivery.result) == _result(hook_gateway, rid)
    assert len(delivery.result.images) == 2 and delivery.result.images[0].url.startswith("http://127.0.0.1")
    assert delivery.result.parsed is not None  # the generated model, as client.result gives it
    assert "authorization" not in got.headers  # the key never goes to a webhook
    assert wait_for(lambda: hook_gateway.stats()["webhooks_delivered"] == 1, "the delivery to be counted")


def test_the_signature_is_fals_documented_message(hook_gateway: MockGateway, receiver: Receiver) -> None:
    """Checked by hand from the reference, independently of both the mock's and the SDK's code."""
    submit(hook_gateway, receiver.url)
    got = receiver.next()
    h = got.headers
    message = "\n".join(
        [
            h["x-fal-webhook-request-id"],
            h["x-fal-webhook-user-id"],
            h["x-fal-webhook-timestamp"],
            hashlib.sha256(got.body).hexdigest(),
        ]
    ).encode("utf-8")
    jwks = httpx.get(hook_gateway.webhook_jwks_url).json()
    (key,) = jwks["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519"
    raw = base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))
    Ed25519PublicKey.from_public_bytes(raw).verify(bytes.fromhex(h["x-fal-webhook-signature"]), message)
    assert len(h["x-fal-webhook-signature"]) == 128


def test_a_failed_job_arrives_as_a_typed_failure(
    make_gateway: Callable[..., MockGateway], make_receiver: Callable[..., Receiver]
) -> None:
    gw = make_gateway()
    gw.set_faults(Faults(job_failure=1.0))
    receiver = make_receiver(webhooks.WebhookVerifier(gw.webhook_jwks_url))
    rid = submit(gw, receiver.url)
    failure = receiver.next().outcome
    assert isinstance(failure, webhooks.WebhookFailure) and not failure.ok
    assert failure.request_id == rid
    assert failure.error == "Invalid status code: 422"  # fal's wording
    assert failure.error_type == "content_policy_violation"
    assert failure.payload is not None and failure.payload["detail"][0]["loc"] == ["body", "prompt"]
    assert [e.field for e in failure.errors] == ["prompt"]
    exc = failure.exception("fal-ai/flux-1/schnell")
    assert isinstance(exc, JobFailedError) and exc.request_id == rid and exc.error_type == failure.error_type
    # The second failure of the mock is a 500.
    submit(gw, receiver.url)
    second = receiver.next().outcome
    assert isinstance(second, webhooks.WebhookFailure)
    assert second.error == "Invalid status code: 500" and second.error_type == "internal_server_error"
    assert second.errors == []


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    return httpx.post(url, content=body, headers=headers).status_code


def _signing_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.startswith("x-fal-webhook-")}


def test_the_receiver_rejects_tampering_foreign_keys_and_missing_headers(
    hook_gateway: MockGateway, receiver: Receiver
) -> None:
    submit(hook_gateway, receiver.url)
    genuine = receiver.next()
    assert genuine.status_code == 204
    signed = _signing_headers(genuine.headers)

    # The body changed by one byte.
    tampered = genuine.body.replace(b'"OK"', b'"ok"')
    assert tampered != genuine.body
    assert _post(receiver.url, tampered, signed) == 400
    assert isinstance(receiver.next().outcome, webhooks.WebhookSignatureError)

    # A signed header changed.
    assert _post(receiver.url, genuine.body, {**signed, "x-fal-webhook-user-id": "someone-else"}) == 400
    assert isinstance(receiver.next().outcome, webhooks.WebhookSignatureError)

    # Signed correctly, but by a key the JWKS does not hold.
    stranger = WebhookSigner()
    forged = stranger.headers(signed["x-fal-webhook-request-id"], genuine.body)
    assert _post(receiver.url, genuine.body, forged) == 400
    outcome = receiver.next().outcome
    assert isinstance(outcome, webhooks.WebhookSignatureError)
    assert outcome.request_id == signed["x-fal-webhook-request-id"]

    # Each header missing in turn.
    for name in signed:
        assert _post(receiver.url, genuine.body, {k: v for k, v in signed.items() if k != name}) == 400
        outcome = receiver.next().outcome
        assert isinstance(outcome, webhooks.WebhookHeaderError)
        assert outcome.header.lower() == name

    # A replay of the genuine delivery is still accepted within the window...
    assert _post(receiver.url, genuine.body, signed) == 204
    assert isinstance(receiver.next().outcome, webhooks.WebhookSuccess)
    # ...and not outside it (the same bytes, verified 301 s later).
    later = webhooks.WebhookVerifier(hook_gateway.webhook_jwks_url, clock=lambda: time.time() + 301)
    with pytest.raises(webhooks.WebhookTimestampError, match="old"):
        later.verify(genuine.body, genuine.headers)


def test_a_receiver_that_cannot_fetch_the_jwks_answers_503(
    hook_gateway: MockGateway, make_receiver: Callable[..., Receiver]
) -> None:
    closed = socketless_port()
    receiver = make_receiver(webhooks.WebhookVerifier(f"http://127.0.0.1:{closed}/jwks.json", timeout=5))
    submit(hook_gateway, receiver.url)
    got = receiver.next()
    assert isinstance(got.outcome, webhooks.JWKSFetchError) and got.status_code == 503
    # The mock retries a delivery that was not accepted, then counts it failed.
    assert wait_for(lambda: hook_gateway.stats()["webhooks_failed"] == 1, "the failed delivery to be counted")


def test_key_rotation(hook_gateway: MockGateway, receiver: Receiver) -> None:
    now = [time.time()]
    verifier = webhooks.WebhookVerifier(hook_gateway.webhook_jwks_url, clock=lambda: now[0])
    submit(hook_gateway, receiver.url)
    before = receiver.next()
    assert isinstance(verifier.verify(before.body, before.headers), webhooks.WebhookSuccess)
    old_x = hook_gateway.webhook_jwks()["keys"][0]["x"]

    new_kid = hook_gateway.rotate_webhook_key()
    keys = hook_gateway.webhook_jwks()["keys"]
    assert keys[0]["kid"] == new_kid and len(keys) == 2 and keys[1]["x"] == old_x

    submit(hook_gateway, receiver.url)
    after = receiver.next()
    # The receiver's JWKS predates the rotation: a signature no cached key verifies refetches it.
    assert isinstance(after.outcome, webhooks.WebhookSuccess), after.outcome
    assert after.headers["x-fal-webhook-signature"] != before.headers["x-fal-webhook-signature"]
    fetches = hook_gateway.stats()["requests_by_operation"]["jwks"]
    assert isinstance(verifier.verify(after.body, after.headers), webhooks.WebhookSuccess)
    assert hook_gateway.stats()["requests_by_operation"]["jwks"] == fetches + 1
    # The old key stays published for a while: deliveries signed before the rotation still verify.
    assert isinstance(verifier.verify(before.body, before.headers), webhooks.WebhookSuccess)
    # Forged deliveries refetch at most once per JWKS_REFRESH_INTERVAL (no hammering of the JWKS host).
    forged = WebhookSigner().headers("r", after.body)
    for _ in range(3):
        with pytest.raises(webhooks.WebhookSignatureError):
            verifier.verify(after.body, forged)
    assert hook_gateway.stats()["requests_by_operation"]["jwks"] == fetches + 1
    now[0] += webhooks.JWKS_REFRESH_INTERVAL + 1
    with pytest.raises(webhooks.WebhookSignatureError):
        verifier.verify(after.body, {**forged, "X-Fal-Webhook-Timestamp": str(int(now[0]))})
    assert hook_gateway.stats()["requests_by_operation"]["jwks"] == fetches + 2

    # Rotated out at once: the key that signed `after` is no longer trusted.
    hook_gateway.rotate_webhook_key(overlap=0)
    assert len(hook_gateway.webhook_jwks()["keys"]) == 1
    fresh = webhooks.WebhookVerifier(hook_gateway.webhook_jwks_url)
    with pytest.raises(webhooks.WebhookSignatureError):
        fresh.verify(after.body, after.headers)


def test_a_given_key_signs(
    make_gateway: Callable[..., MockGateway], make_receiver: Callable[..., Receiver]
) -> None:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    gw = make_gateway(webhook_private_key=pem)
    receiver = make_receiver(webhooks.WebhookVerifier([private.public_key()]))  # keys given, no JWKS fetch
    submit(gw, receiver.url)
    assert isinstance(receiver.next().outcome, webhooks.WebhookSuccess)
    with pytest.raises(ValueError, match="Ed25519"):
        MockGateway(webhook_private_key="not a pem")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/fal-hook",  # the spec's own example
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "https://[2001:db8::1]:8443/h",
        "http://127.0.0.1.nip.io/h",  # resolves to loopback, but the mock never asks DNS
        "ftp://127.0.0.1/x",  # a URI (the contract's format) but not http(s): accepted, never sent
        "mailto:hooks@example.com",
    ],
)
def test_non_loopback_webhooks_are_accepted_recorded_and_not_sent(
    make_gateway: Callable[..., MockGateway], url: str
) -> None:
    gw = make_gateway()
    rid = submit(gw, url)
    wait_for(lambda: (gw.job(rid) or {}).get("status") == "COMPLETED", "the job to complete")
    assert wait_for(lambda: gw.stats()["webhooks_not_delivered"] == 1, "the webhook to be recorded")
    stats = gw.stats()
    assert stats["webhooks_delivered"] == 0 and stats["webhooks_failed"] == 0
    assert (gw.job(rid) or {})["webhook"] == url
    sender = gw.state.engine.webhooks
    assert list(sender.not_delivered) == [(rid, url)]


def test_a_fal_webhook_that_is_not_a_uri_is_refused(hook_gateway: MockGateway) -> None:
    with httpx.Client(
        base_url=hook_gateway.base_url, headers={"Authorization": f"Bearer {hook_gateway.key}"}
    ) as c:
        response = c.post("/a/b", params={"fal_webhook": "not a uri"}, json={})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "fal_webhook"]
    assert hook_gateway.stats()["jobs_created"] == 0


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:9/h", True),
        ("https://127.8.9.10/h", True),
        ("http://[::1]:9/h", True),
        ("http://[::ffff:127.0.0.1]:9/h", True),
        ("http://LOCALHOST./h", True),
        ("http://app.localhost/h", True),
        ("http://0.0.0.0/h", False),
        ("http://10.0.0.1/h", False),
        ("http://localhost.example.com/h", False),
        ("ftp://127.0.0.1/h", False),
        ("http://[::1/h", False),
    ],
)
def test_which_urls_count_as_loopback(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_the_jwks_route_is_public_and_never_faulted(make_gateway: Callable[..., MockGateway]) -> None:
    gw = make_gateway()
    gw.set_faults(Faults(rate_limit=1.0, ingress_503=1.0, drop=1.0))
    response = httpx.get(gw.webhook_jwks_url)  # no Authorization
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.json() == gw.webhook_jwks()
    assert httpx.head(gw.webhook_jwks_url).status_code == 200
    assert httpx.post(gw.webhook_jwks_url).status_code == 405
    assert gw.stats()["requests_by_operation"]["jwks"] == 3
    # The SDK's fetch sends no credential to the JWKS host.
    webhooks.WebhookVerifier(gw.webhook_jwks_url).refresh()
    (fetch,) = [r for r in gw.request_log if r["path"] == "/.well-known/jwks.json"][-1:]
    assert "authorization" not in fetch["headers"] and "cookie" not in fetch["headers"]
    assert fetch["headers"]["user-agent"].startswith("fal-queue-python/")


def test_the_cli_prints_the_jwks_url_and_takes_a_key_file(tmp_path: Any) -> None:
    private = Ed25519PrivateKey.generate()
    key_file = tmp_path / "hook.pem"
    key_file.write_bytes(private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "fal_queue.mock", "--port", "0", "--webhook-key-file", str(key_file)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        facts: dict[str, str] = {}
        deadline = time.monotonic() + 120  # a loaded machine starts interpreters slowly
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "ready" or time.monotonic() > deadline:
                break
            name, _, value = line.strip().partition("=")
            facts[name] = value
        url = facts["FAL_QUEUE_WEBHOOK_JWKS_URL"]
        assert url == facts["FAL_QUEUE_BASE_URL"] + "/.well-known/jwks.json"
        (key,) = httpx.get(url).json()["keys"]
        verifier = webhooks.WebhookVerifier([key])
        body = json.dumps({"request_id": "r1", "status": "OK", "payload": {"seed": 1}}).encode()
        headers = WebhookSigner(
            private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        ).headers("r1", body)
        assert isinstance(verifier.verify(body, headers), webhooks.WebhookSuccess)
    finally:
        proc.terminate()
        proc.wait(WAIT)

    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    done = subprocess.run(
        [sys.executable, "-m", "fal_queue.mock", "--webhook-key-file", str(bad)],
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        env=env,
    )
    assert done.returncode == 2 and "Ed25519" in done.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "fal_queue.mock", "--webhook-key-file", str(tmp_path / "nope.pem")],
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        env=env,
    )
    assert missing.returncode == 2 and "cannot read" in missing.stderr
