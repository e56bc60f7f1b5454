"""Results for people: inline rendering, in-memory reads, the safety checker's verdict.

Through the public API of both clients (the ``sdk`` fixture) against the mock over loopback.
"""

from __future__ import annotations

import base64
import io
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
from fal_queue import Client, File, FlaggedImageWarning, InvalidInputError, Result
from PIL import Image

MODEL = "fal-ai/flux-1/schnell"


def _png_uri(size: tuple[int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_read_gives_the_bytes_download_would_save(sdk: Any, gateway: Any, tmp_path: Path) -> None:
    client = sdk(gateway)
    result = client.subscribe(
        MODEL, {"prompt": "a cat", "image_size": {"width": 64, "height": 48}}, timeout=30
    )
    (saved,) = client.download(result, tmp_path)
    data = client.read(result.images[0])
    assert data == saved.read_bytes()
    assert Image.open(io.BytesIO(data)).size == (64, 48)
    media = [e for e in gateway.request_log if e["origin"] == "media"]
    assert media and all("authorization" not in e["headers"] for e in media)


def test_a_sync_clients_files_read_themselves(gateway: Any) -> None:
    with Client(gateway.base_url, gateway.key) as client:
        result = client.subscribe(
            MODEL, {"prompt": "x", "image_size": {"width": 32, "height": 24}}, timeout=30
        )
        image = result.images[0]
        assert image.read()[:3] == b"\xff\xd8\xff"
        assert image.to_pil().size == (32, 24)
        assert client.result(MODEL, result.request_id).images[0].read() == image.read()


def test_a_data_uri_file_reads_without_the_network() -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(500))
    file = File(url=_png_uri((5, 4)))
    assert file.to_pil().size == (5, 4)
    with Client("https://gw.example", "k", transport=transport) as client:
        assert client.read(file) == file.read()
    assert sent == []
    assert file._repr_png_() == file.read()


def test_a_file_without_a_client_says_how_to_read_it() -> None:
    with pytest.raises(InvalidInputError, match=r"client\.read\(file\)"):
        File(url="https://cdn.example/a.png").read()


def _result(raw: dict[str, Any]) -> Result:
    return Result(request_id="rid-7", model_id=MODEL, raw=raw)


def test_html_shows_every_image_with_its_size_seed_and_timings() -> None:
    result = _result(
        {
            "images": [
                {"url": "https://cdn.example/a.jpg", "width": 64, "height": 48, "content_type": "image/jpeg"},
                {"url": "https://cdn.example/b.jpg?x=<1>", "width": 32, "height": 24},
            ],
            "seed": 42,
            "timings": {"inference": 0.5},
            "has_nsfw_concepts": [False, True],
        }
    )
    page = result._repr_html_()
    assert page.count("<img ") == 2 and 'src="https://cdn.example/b.jpg?x=&lt;1&gt;"' in page
    assert 'width="64" height="48"' in page and "64x48" in page
    assert "seed 42" in page and "inference 0.50s" in page and "rid-7" in page
    assert page.count("flagged by the safety checker") == 1
    video = _result({"video": {"url": "https://cdn.example/v.mp4", "content_type": "video/mp4"}})
    assert "<video controls" in video._repr_html_() and "<img" not in video._repr_html_()
    assert "<img " in result.images[0]._repr_html_()


def test_the_safety_verdict_is_per_image_and_download_warns_once_per_flagged_image(
    sdk: Any, make_gateway: Any, tmp_path: Path
) -> None:
    client = sdk(make_gateway())
    result = client.subscribe(MODEL, {"prompt": "x", "num_images": 3}, timeout=30)
    flagged = _result({**result.raw, "has_nsfw_concepts": [False, True, True]})
    assert flagged.has_nsfw_concepts == [False, True, True]
    assert _result({"images": result.raw["images"]}).has_nsfw_concepts == [False, False, False]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        paths = client.download(flagged, tmp_path)
    assert len(paths) == 3  # flagged images are still saved
    messages = [str(w.message) for w in seen if issubclass(w.category, FlaggedImageWarning)]
    assert messages == [
        "image 2 of rid-7 was flagged by the safety checker; it is probably blank",
        "image 3 of rid-7 was flagged by the safety checker; it is probably blank",
    ]


def test_billable_units_and_the_mocks_safety_flags_come_through(
    sdk: Any, make_gateway: Any, tmp_path: Path
) -> None:
    """The mock bills one unit per started megapixel and flags images deterministically by seed."""
    client = sdk(make_gateway(nsfw_every=2))
    result = client.subscribe(
        MODEL,
        {"prompt": "x", "num_images": 3, "seed": 4, "image_size": {"width": 1024, "height": 1024}},
        timeout=30,
    )
    assert result.billable_units == 6.0 and result.headers["x-fal-request-id"] == result.request_id
    assert result.has_nsfw_concepts == [True, False, True]  # (4 + index) % 2 == 0
    assert "billable units" in result._repr_html_()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        client.download(result, tmp_path)
    assert len([w for w in seen if issubclass(w.category, FlaggedImageWarning)]) == 2
