"""Results the mock produces: real images at the requested size and format, videos, sync mode."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import pytest
from fal_queue.mock import MockGateway
from fal_queue.mock.media import MAX_RENDER_PIXELS, sample_video
from mockhttp import run
from PIL import Image


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _fetch(url: str) -> httpx.Response:
    response = httpx.get(url, trust_env=False)  # no Authorization: the media origin is public
    assert response.status_code == 200, response.text
    assert int(response.headers["content-length"]) == len(response.content)
    return response


@pytest.mark.parametrize(
    ("model", "body", "size", "fmt"),
    [
        ("fal-ai/flux-1/dev", {"prompt": "a cat"}, (1024, 768), "JPEG"),
        (
            "fal-ai/flux-1/dev",
            {"prompt": "a cat", "image_size": "square", "output_format": "png"},
            (512, 512),
            "PNG",
        ),
        ("fal-ai/flux-1/schnell", {"prompt": "x", "image_size": "portrait_16_9"}, (576, 1024), "JPEG"),
        (
            "fal-ai/flux-1/schnell",
            {"prompt": "x", "image_size": {"width": 300, "height": 120}},
            (300, 120),
            "JPEG",
        ),
        ("fal-ai/flux-1/dev", {"prompt": "x", "image_size": {"width": 200}}, (200, 512), "JPEG"),
        (
            "fal-ai/flux-1/dev/redux",
            {"image_url": "https://x/y.png", "image_size": "square_hd"},
            (1024, 1024),
            "JPEG",
        ),
        ("fal-ai/flux-pro/kontext/text-to-image", {"prompt": "x"}, (1024, 1024), "JPEG"),
        (
            "fal-ai/flux-pro/kontext/max/text-to-image",
            {"prompt": "x", "aspect_ratio": "16:9"},
            (1376, 768),
            "JPEG",
        ),
        (
            "fal-ai/flux-pro/kontext",
            {"prompt": "x", "image_url": "https://x/y.png", "aspect_ratio": "3:4"},
            (896, 1184),
            "JPEG",
        ),
        (
            "fal-ai/flux-1/dev",
            {"prompt": "x", "image_size": {"width": 1, "height": 1}, "output_format": "png"},
            (1, 1),
            "PNG",
        ),
    ],
)
def test_images_have_the_requested_size_and_format(
    http: httpx.Client, model: str, body: dict[str, Any], size: tuple[int, int], fmt: str
) -> None:
    response = run(http, model, body)
    assert response.status_code == 200
    result = response.json()
    assert set(result) == {"images", "timings", "seed", "has_nsfw_concepts", "prompt"}
    assert result["prompt"] == body.get("prompt", "")
    (image,) = result["images"]
    assert (image["width"], image["height"]) == size
    assert image["content_type"] == f"image/{fmt.lower()}"
    file = _fetch(image["url"])
    assert file.headers["content-type"] == image["content_type"]
    picture = _open(file.content)
    assert picture.format == fmt and picture.size == size


def test_num_images_seed_and_prompt_are_honoured(http: httpx.Client) -> None:
    body = {
        "prompt": "four cats",
        "num_images": 4,
        "seed": 1234,
        "output_format": "png",
        "image_size": "square",
    }
    result = run(http, "fal-ai/flux-1/dev", body).json()
    assert result["seed"] == 1234 and result["has_nsfw_concepts"] == [False] * 4
    urls = [image["url"] for image in result["images"]]
    assert len(set(urls)) == 4
    pictures = [_fetch(url).content for url in urls]
    assert len(set(pictures)) == 4  # each image is drawn differently
    assert result["timings"]["inference"] > 0


def test_the_prompt_is_drawn_on_the_image(http: httpx.Client) -> None:
    plain = run(http, "fal-ai/flux-1/dev", {"prompt": "", "seed": 7, "output_format": "png"}).json()
    text = run(http, "fal-ai/flux-1/dev", {"prompt": "WORDS " * 20, "seed": 7, "output_format": "png"}).json()
    a = _open(_fetch(plain["images"][0]["url"]).content).convert("RGB")
    b = _open(_fetch(text["images"][0]["url"]).content).convert("RGB")
    differing = sum(1 for p, q in zip(a.tobytes(), b.tobytes(), strict=True) if p != q)
    assert differing > 1000


def test_huge_sizes_are_capped_and_reported_truthfully(http: httpx.Client) -> None:
    body = {"prompt": "big", "image_size": {"width": 14142, "height": 14142}}
    (image,) = run(http, "fal-ai/flux-1/dev", body).json()["images"]
    assert image["width"] * image["height"] <= MAX_RENDER_PIXELS
    assert image["width"] == image["height"]
    assert _open(_fetch(image["url"]).content).size == (image["width"], image["height"])


def test_sync_mode_returns_data_uris(http: httpx.Client) -> None:
    body = {
        "prompt": "inline",
        "sync_mode": True,
        "num_images": 2,
        "output_format": "png",
        "image_size": "square",
    }
    result = run(http, "fal-ai/flux-1/schnell", body).json()
    for image in result["images"]:
        header, _, payload = image["url"].partition(",")
        assert header == "data:image/png;base64"
        assert _open(base64.b64decode(payload)).size == (512, 512)


def test_image_to_image_follows_a_data_uri_input(http: httpx.Client) -> None:
    source = io.BytesIO()
    Image.new("RGB", (320, 200), (10, 20, 30)).save(source, format="PNG")
    data_uri = "data:image/png;base64," + base64.b64encode(source.getvalue()).decode()
    result = run(http, "fal-ai/flux-1/dev/image-to-image", {"prompt": "x", "image_url": data_uri}).json()
    assert (result["images"][0]["width"], result["images"][0]["height"]) == (320, 200)


def test_kontext_edit_images_carry_a_file_name(http: httpx.Client) -> None:
    body = {"prompt": "x", "image_url": "https://x/y.png", "output_format": "png"}
    (image,) = run(http, "fal-ai/flux-pro/kontext/max", body, app="fal-ai/flux-pro").json()["images"]
    assert image["file_name"] == "output.png"


@pytest.mark.parametrize("model", ["fal-ai/kling-video/v2/master", "acme/VIDEO-gen"])
def test_video_models_return_a_playable_mp4(http: httpx.Client, model: str) -> None:
    result = run(http, model, {"prompt": "a river"}).json()
    assert set(result) == {"video"}
    video = result["video"]
    assert video["content_type"] == "video/mp4" and video["file_name"] == "output.mp4"
    file = _fetch(video["url"])
    assert file.headers["content-type"] == "video/mp4"
    assert len(file.content) == video["file_size"] == len(sample_video())
    assert file.content[4:8] == b"ftyp"  # an ISO-BMFF file starts with its ftyp box
    assert int.from_bytes(file.content[:4], "big") >= 8
    assert b"moov" in file.content and b"avc1" in file.content
    assert len(file.content) < 64 * 1024


def test_video_in_sync_mode(http: httpx.Client) -> None:
    result = run(http, "acme/video-fast", {"prompt": "x", "sync_mode": True}).json()
    assert result["video"]["url"].startswith("data:video/mp4;base64,")
    assert base64.b64decode(result["video"]["url"].partition(",")[2])[4:8] == b"ftyp"


def test_media_origin_is_public_and_read_only(gateway: MockGateway, http: httpx.Client) -> None:
    url = run(http, "fal-ai/flux-1/dev", {"prompt": "x"}).json()["images"][0]["url"]
    assert url.startswith(gateway.media_url + "/files/")
    head = httpx.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) > 0 and head.content == b""
    post = httpx.post(url)
    assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"
    missing = httpx.get(gateway.media_url + "/files/mock/nothing.png")
    assert missing.status_code == 404
    assert any(
        r["origin"] == "media" and r["path"] == url.removeprefix(gateway.media_url)
        for r in gateway.request_log
    )
