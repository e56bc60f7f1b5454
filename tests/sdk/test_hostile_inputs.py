"""Hostile inputs that never reach the network: keys, arguments, server hints, disks."""

from __future__ import annotations

import asyncio
import base64
import errno
import json
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import pytest
from fal_queue import AsyncClient, Client, RetryPolicy
from fal_queue import download as D
from fal_queue import errors as E
from fal_queue._transport import Secret
from fal_queue.types import File

MODEL = "fal-ai/flux-1/schnell"


SECRET = "s3cr3tZZ9"


@pytest.mark.parametrize(
    "key",
    [
        f"abc\x00{SECRET}",
        f"abc\x0b{SECRET}",
        f"abc\x1b{SECRET}",
        f"abc\x7f{SECRET}",
        f"abc {SECRET}",
        f"abc\t{SECRET}",
        f"abc\u2028{SECRET}",
        f"abc\u00e9{SECRET}",
        f"Bearer {SECRET}",
        f"Key {SECRET}",
        f"key {SECRET}",
        f"abc\n{SECRET}",
    ],
)
@pytest.mark.parametrize("shell", [Client, AsyncClient])
def test_unusable_keys_are_refused_at_construction_without_showing_them(key: str, shell: Any) -> None:
    with pytest.raises(E.ConfigurationError, match="API key") as info:
        shell("https://gw.example", key)
    assert SECRET not in f"{info.value} {info.value!r}"


def test_outer_whitespace_of_a_key_is_trimmed() -> None:
    with Client("https://gw.example", "  good-key\n") as client:
        assert client._key.get() == "good-key"


def test_every_encoding_of_the_key_is_redacted() -> None:
    key = "k3y/with+odd:chars=0123456789"
    secret = Secret(key)
    raw = key.encode()
    forms = [
        key,
        repr(key)[1:-1],
        json.dumps(key)[1:-1],
        urllib.parse.quote(key, safe=""),
        urllib.parse.quote_plus(key, safe=""),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(b"Bearer " + raw).decode(),
        base64.b64encode(b"user:" + raw).decode(),  # as part of a longer encoded text
        base64.b64encode(b"xy" + raw + b"tail").decode(),
    ]
    for form in forms:
        text = secret.redact(f"before {form} after")
        assert form not in text, form
        assert "before" in text and "after" in text
    # What survives of the encodings of a longer text never decodes back to the key.
    for form in forms[-2:]:
        leftover = secret.redact(form).replace("**********", "")
        assert len(leftover) <= 12  # at most a few bytes of the key


def test_a_lone_surrogate_in_the_arguments_is_invalid_input_and_nothing_is_sent() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    with Client("https://gw.example", "k", transport=httpx.MockTransport(handler)) as client:
        for arguments in ({"prompt": "caf\udce9"}, {"prompt": "x", "extra\ud800": 1}, {"tags": ["\udfff"]}):
            with pytest.raises(E.InvalidInputError, match="surrogate"):
                client.submit("some/model", arguments)
        with pytest.raises(E.InvalidInputError, match="surrogate"):
            client.submit(MODEL, {"prompt": "caf\udce9"})
    assert sent == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "nan"},
        {"retry-after-ms": "NaN"},
        {"Retry-After": "-3"},
        {"Retry-After": "inf"},
        {"retry-after-ms": "-1", "Retry-After": "1e999"},
    ],
)
def test_unusable_retry_after_hints_are_ignored_identically_by_both_clients(headers: dict[str, str]) -> None:
    policy = RetryPolicy(initial_delay=0.001, max_delay=0.002)
    assert policy.retry_after(httpx.Response(429, headers=headers)) is None

    def transport() -> httpx.MockTransport:
        answers = iter([httpx.Response(429, json={"detail": "slow"}, headers=headers)])
        return httpx.MockTransport(lambda r: next(answers, httpx.Response(202, json={"status": "IN_QUEUE"})))

    with Client("https://gw.example", "k", transport=transport(), retry_policy=policy) as client:
        sync_status = client.status(MODEL, "rid")

    async def go() -> Any:
        async with AsyncClient("https://gw.example", "k", transport=transport(), retry_policy=policy) as ac:
            return await ac.status(MODEL, "rid")

    async_status = asyncio.run(go())
    assert type(sync_status) is type(async_status) and sync_status.request_id == async_status.request_id


def test_a_full_disk_is_a_download_error_and_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = D.FileSink.write

    def write(self: D.FileSink, chunk: bytes) -> None:
        if self.written:
            raise OSError(errno.ENOSPC, "No space left on device")
        original(self, chunk)

    monkeypatch.setattr(D.FileSink, "write", write)
    payload = b"x" * 600_000  # several chunks

    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=payload))
    client = Client("https://gw.example", "k", transport=transport)
    with pytest.raises(E.DownloadError, match="No space left") as info:
        client.download(File(url="https://cdn.example/a.png"), tmp_path)
    client.close()
    assert not info.value.transient
    assert list(tmp_path.iterdir()) == []


def test_saved_files_follow_the_umask(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        transport = httpx.MockTransport(lambda r: httpx.Response(200, content=b"img"))
        with Client("https://gw.example", "k", transport=transport) as client:
            (path,) = client.download(File(url="https://cdn.example/a.png"), tmp_path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_if_exists_rename_picks_free_names_and_error_refuses(tmp_path: Path) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=b"img"))
    file = File(url="https://cdn.example/a.png")
    with Client("https://gw.example", "k", transport=transport) as client:
        first = client.download(file, tmp_path)
        second = client.download(file, tmp_path)
        third = client.download(file, tmp_path, if_exists="rename")
        assert [p.name for p in first + second + third] == ["a.png", "a-1.png", "a-2.png"]
        with pytest.raises(E.DownloadError, match="already exists"):
            client.download(file, tmp_path, if_exists="error")
        assert client.download(file, tmp_path, if_exists="overwrite") == first
        with pytest.raises(E.InvalidInputError):
            client.download(file, tmp_path, if_exists="keep")  # type: ignore[arg-type]
        with pytest.raises(E.InvalidInputError):
            client.download(file, tmp_path, if_exists="error", overwrite=True)
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        with pytest.raises(E.DownloadError, match="cannot create the folder"):
            client.download(file, blocker / "sub")


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -1, 0, True, "5"])
def test_unusable_total_timeouts_are_invalid_input_before_anything_is_sent(timeout: Any) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    with Client("https://gw.example", "k", transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(E.InvalidInputError, match="timeout"):
            client.iter_events(MODEL, "rid", timeout=timeout)
        with pytest.raises(E.InvalidInputError, match="timeout"):
            client.get_handle(MODEL, "rid").get(timeout=timeout)
        with pytest.raises(E.InvalidInputError, match="timeout"):
            client.download(File(url="https://cdn.example/a.png"), "unused-dir", timeout=timeout)
    assert sent == []


def test_subscribe_checks_its_timeout_before_paying_for_a_job() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    client = Client("https://gw.example", "k", transport=httpx.MockTransport(handler))
    with pytest.raises(E.InvalidInputError, match="timeout"):
        client.subscribe(MODEL, {"prompt": "x"}, timeout=float("nan"))
    client.close()
    assert sent == []


@pytest.mark.parametrize("bad", [-3, 1.5, True, float("nan"), "2"])
def test_with_options_checks_its_arguments_like_the_constructor(bad: Any) -> None:
    with Client("https://gw.example", "k") as client:
        with pytest.raises(E.ConfigurationError, match="max_retries"):
            client.with_options(max_retries=bad)
        with pytest.raises(E.ConfigurationError, match="timeout"):
            client.with_options(timeout=-1)


def test_with_options_copies_share_pools_and_lifecycle(tmp_path: Path) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=b"img"))
    client = Client("https://gw.example", "k", transport=transport)
    copy = client.with_options(max_retries=0, timeout=3)
    copy.download(File(url="https://cdn.example/a.png"), tmp_path)  # the copy builds the media client
    media = client._media_client()
    assert copy._media_client() is media and copy._http is client._http
    assert copy.max_retries == 0 and client.max_retries != 0
    client.close()
    assert media.is_closed and copy._http.is_closed
