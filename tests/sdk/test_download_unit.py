"""Download safety that needs no server: names, data URIs, atomic no-clobber writes, size checks."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from fal_queue import Client, DownloadError, File, Result, RetryPolicy
from fal_queue.download import decode_data_uri, plan_targets, safe_file_name
from hypothesis import given
from hypothesis import strategies as st


@given(name=st.text(max_size=80))
def test_safe_file_name_never_escapes(name: str) -> None:
    safe = safe_file_name(name, fallback="output-0")
    assert (
        safe and "/" not in safe and "\\" not in safe and safe not in {".", ".."} and not safe.startswith(".")
    )


@pytest.mark.parametrize(
    "evil",
    ["../../x.png", "/etc/passwd", "..\\..\\win.png", "....//x", "a/../../b.mp4", "\x00x.png", ".bashrc"],
)
def test_server_file_names_stay_inside_the_target(tmp_path: Path, evil: str) -> None:
    files = [File(url="https://cdn.example/f/a.png", file_name=evil, content_type="image/png")]
    (target,) = plan_targets(files, tmp_path)
    assert target.parent == tmp_path.resolve()


def test_duplicate_names_get_suffixes_and_extensions_come_from_content_type(tmp_path: Path) -> None:
    files = [
        File(url="https://cdn.example/f/out.png"),
        File(url="https://cdn.example/g/out.png"),
        File(url="https://cdn.example/h/noext", content_type="image/jpeg"),
        File(url="data:video/mp4;base64,AAAA"),
    ]
    names = [p.name for p in plan_targets(files, tmp_path)]
    assert names == ["out.png", "out-1.png", "noext.jpg", "output-3.mp4"]


def test_data_uris_decode() -> None:
    assert decode_data_uri("data:image/png;base64," + base64.b64encode(b"\x89PNG").decode()) == b"\x89PNG"
    assert decode_data_uri("data:text/plain,hello%20world") == b"hello world"
    with pytest.raises(ValueError, match="comma"):
        decode_data_uri("data:nothing")


def _client(handler: httpx.MockTransport) -> Client:
    client = Client("http://127.0.0.1:1", "secret-k", transport=handler, max_retries=2)
    client._sleep = lambda s: None
    return client


def test_download_is_atomic_checked_and_does_not_clobber(tmp_path: Path) -> None:
    payload = b"x" * 100_000
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=payload, headers={"content-type": "image/png"})

    client = _client(httpx.MockTransport(handler))
    result = Result(
        request_id="r1",
        model_id="a/b",
        raw={"images": [{"url": "https://cdn.example/f/a.png", "file_size": len(payload)}]},
    )
    progress: list[int] = []
    (path,) = client.download(result, tmp_path, on_progress=lambda p: progress.append(p.downloaded))
    assert path.read_bytes() == payload and progress[-1] == len(payload)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    assert all("authorization" not in r.headers for r in seen)  # media hosts never get the key
    with pytest.raises(DownloadError, match="already exists"):
        client.download(result, tmp_path, if_exists="error")
    (renamed,) = client.download(result, tmp_path)  # the default never fails a paid job on a name
    assert renamed == path.with_name("a-1.png") and renamed.read_bytes() == payload
    assert path.read_bytes() == payload
    path.write_bytes(b"old")
    client.download(result, tmp_path, overwrite=True)
    assert path.read_bytes() == payload


def test_size_mismatch_is_retried_then_reported(tmp_path: Path) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, content=b"short")

    client = _client(httpx.MockTransport(handler))
    file = File(url="https://cdn.example/f/a.png", file_size=999)
    with pytest.raises(DownloadError, match="size mismatch") as info:
        client.download(file, tmp_path)
    assert len(calls) == 3 and info.value.url == "https://cdn.example/f/a.png"
    assert list(tmp_path.iterdir()) == []  # nothing half-written is left behind


def test_data_uri_result_is_saved(tmp_path: Path) -> None:
    client = _client(httpx.MockTransport(lambda r: httpx.Response(500)))
    data = base64.b64encode(b"imagebytes").decode()
    result = Result(
        request_id="r", model_id="a/b", raw={"images": [{"url": f"data:image/jpeg;base64,{data}"}]}
    )
    (path,) = client.download(result, tmp_path)
    assert path.suffix == ".jpg" and path.read_bytes() == b"imagebytes"


def test_http_error_is_a_download_error(tmp_path: Path) -> None:
    client = _client(httpx.MockTransport(lambda r: httpx.Response(404)))
    with pytest.raises(DownloadError, match="HTTP 404"):
        client.download(File(url="https://cdn.example/gone.png"), tmp_path)


def test_rename_builds_only_the_names_it_tries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A free name costs no numbered candidates, a taken one only the first free number (the list
    of all 10,000 names was built for every file, a third of a 50 MB download's time)."""
    from fal_queue import download

    built: list[int] = []
    original = download._numbered

    def counting(target: Path, n: int) -> Path:
        built.append(n)
        return original(target, n)

    monkeypatch.setattr(download, "_numbered", counting)
    target = tmp_path / "image.png"
    for expected_name, expected_built in (("image.png", []), ("image-1.png", [1]), ("image-2.png", [1, 2])):
        built.clear()
        temp = tmp_path / ".part"
        temp.write_bytes(b"x")
        assert download.commit(temp, target, if_exists="rename").name == expected_name
        assert built == expected_built


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_a_cdn_that_always_fails_is_asked_once_per_attempt_not_per_layer(
    tmp_path: Path, retries: int
) -> None:
    """One retry layer: max_retries + 1 requests per file, not (max_retries + 1) squared."""
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        assert "authorization" not in request.headers
        return httpx.Response(503)

    client = _client(httpx.MockTransport(handler)).with_options(max_retries=retries)
    client._retry_policy = RetryPolicy(initial_delay=0.001, max_delay=0.001, max_retries=retries)
    with pytest.raises(DownloadError, match="HTTP 503"):
        client.download(File(url="https://cdn.example/a.png"), tmp_path)
    assert len(calls) == retries + 1
