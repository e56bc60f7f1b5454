"""Local images as inputs, through the public API: what is sent, what is refused before sending."""

from __future__ import annotations

import base64
import io
import sys
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
from fal_queue import Client, ImageResizedWarning, InvalidInputError, encode_image
from PIL import Image

EDIT = "fal-ai/flux-pro/kontext"
_URLS = {"response_url": "", "status_url": "/status", "cancel_url": "/cancel"}


def _png(size: tuple[int, int] = (8, 6), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _decoded(uri: str) -> Image.Image:
    header, _, payload = uri.partition(",")
    assert header.endswith(";base64")
    return Image.open(io.BytesIO(base64.b64decode(payload)))


class Recorder:
    def __init__(self) -> None:
        self.sent: list[httpx.Request] = []

    def client(self, **options: Any) -> Client:
        def handler(request: httpx.Request) -> httpx.Response:
            self.sent.append(request)
            urls = {k: f"https://queue.fal.run/fal-ai/x/requests/rid-1{s}" for k, s in _URLS.items()}
            return httpx.Response(200, json={"request_id": "rid-1", **urls})

        return Client("https://gw.example", "k", transport=httpx.MockTransport(handler), **options)

    def body(self) -> dict[str, Any]:
        import json

        (request,) = self.sent
        data: dict[str, Any] = json.loads(request.content)
        return data


def test_every_kind_of_local_image_becomes_a_data_uri(tmp_path: Path) -> None:
    png = _png()
    path = tmp_path / "photo.png"
    path.write_bytes(png)
    with path.open("rb") as opened:
        for source in (path, png, bytearray(png), opened, Image.open(io.BytesIO(png))):
            uri = encode_image(source)
            assert uri.startswith(
                "data:image/png;base64," if not isinstance(source, Image.Image) else "data:image/"
            )
            assert _decoded(uri).size == (8, 6)
    assert encode_image(str(path)) == encode_image(path)  # an explicit encode_image call reads a str path


def test_a_kontext_edit_sends_the_file_on_disk_inline(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(_png())
    recorder = Recorder()
    with recorder.client() as client:
        client.submit(EDIT, {"prompt": "make it blue", "image_url": path})
    sent = recorder.body()["image_url"]
    assert sent == f"data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}"


def test_multi_image_fields_take_a_list_of_local_images_and_urls(tmp_path: Path) -> None:
    recorder = Recorder()
    with recorder.client() as client:
        client.submit(
            "fal-ai/flux-pro/kontext/multi",
            {"prompt": "combine", "image_urls": [_png(), "https://cdn.example/b.png"]},
        )
    first, second = recorder.body()["image_urls"]
    assert first.startswith("data:image/png;base64,") and second == "https://cdn.example/b.png"


def test_a_string_that_names_a_local_file_is_refused_with_the_way_to_send_it(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(_png())
    recorder = Recorder()
    with recorder.client() as client, pytest.raises(InvalidInputError, match=r"pathlib\.Path") as info:
        client.submit(EDIT, {"prompt": "x", "image_url": str(path)})
    assert "image_url" in str(info.value) and str(path) in str(info.value)
    assert recorder.sent == []


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda d: (d / "notes.txt", b"hello, not a picture"), "is not an image"),
        (lambda d: (d / "missing.png", None), "cannot read the image"),
        (lambda d: (d, None), "cannot read the image"),  # a directory
    ],
)
def test_non_images_and_unreadable_files_are_refused_with_nothing_sent(
    tmp_path: Path, make: Any, match: str
) -> None:
    path, content = make(tmp_path)
    if content is not None:
        path.write_bytes(content)
    recorder = Recorder()
    with recorder.client() as client, pytest.raises(InvalidInputError, match=match) as info:
        client.submit(EDIT, {"prompt": "x", "image_url": Path(path)})
    assert "image_url" in str(info.value)
    assert recorder.sent == []


def test_a_large_photo_is_downscaled_below_the_limit_with_its_orientation_kept(tmp_path: Path) -> None:
    """A ~30 MB photo stored landscape with EXIF orientation 6 (shown portrait) goes out under 10 MB,
    portrait, with one warning naming the file and both sizes."""
    noise = Image.effect_noise((6000, 4500), 120).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "big.jpg"
    noise.save(path, format="JPEG", quality=100, exif=exif.tobytes())
    assert path.stat().st_size > 10_000_000
    recorder = Recorder()
    with recorder.client() as client, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        client.submit(EDIT, {"prompt": "x", "image_url": path})
    sent = recorder.body()["image_url"]
    assert len(sent) <= 10_000_000
    width, height = _decoded(sent).size
    assert height > width and abs(height / width - 6000 / 4500) < 0.01
    resized = [w for w in seen if issubclass(w.category, ImageResizedWarning)]
    assert (
        len(resized) == 1
        and str(path) in str(resized[0].message)
        and "4500x6000" in str(resized[0].message)  # as shown (EXIF applied)
    )


def test_the_limit_is_a_setting_and_alpha_survives_downscaling(tmp_path: Path) -> None:
    noise = Image.effect_noise((400, 300), 100).convert("RGBA")
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    recorder = Recorder()
    with recorder.client(max_image_bytes=100_000) as client, pytest.warns(ImageResizedWarning):
        client.submit(EDIT, {"prompt": "x", "image_url": buffer.getvalue()})
    sent = recorder.body()["image_url"]
    assert len(sent) <= 100_000 and sent.startswith("data:image/png;base64,")
    assert _decoded(sent).mode == "RGBA"


def test_without_pillow_an_image_over_the_limit_is_refused_naming_file_size_and_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(_png((300, 300)))
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL fails, as where Pillow is not installed
    recorder = Recorder()
    with recorder.client(max_image_bytes=200) as client, pytest.raises(InvalidInputError) as info:
        client.submit(EDIT, {"prompt": "x", "image_url": path})
    message = str(info.value)
    assert str(path) in message and "200-byte image limit" in message and "install Pillow" in message
    assert recorder.sent == []
    with pytest.raises(InvalidInputError, match="downscaling is off"):
        encode_image(path, max_bytes=200, downscale=False)
