"""Media the mock generates: Pillow images showing the prompt, a tiny MP4, and their store."""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import importlib.resources
import io
import math
import random
import secrets
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "MAX_RENDER_PIXELS",
    "ImageRecipe",
    "MediaItem",
    "MediaStore",
    "capped_size",
    "render_image",
    "requested_size",
    "sample_video",
]

MAX_RENDER_PIXELS = 4 * 1024 * 1024
"""Larger requests are rendered scaled down to this many pixels; results report the served size."""

PRESETS: Mapping[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
DEFAULT_SIZE = PRESETS["landscape_4_3"]
_MAX_SIDE = 14142


@functools.cache
def sample_video() -> bytes:
    """A 2-second 160x90 H.264 MP4 (about 7 KB) shipped with the package."""
    return (importlib.resources.files("fal_queue.mock") / "assets" / "sample.mp4").read_bytes()


def _aspect_size(ratio: str, area: int = 1024 * 1024) -> tuple[int, int]:
    a, _, b = ratio.partition(":")
    try:
        wa, hb = int(a), int(b)
    except ValueError:
        return DEFAULT_SIZE
    if wa <= 0 or hb <= 0:
        return DEFAULT_SIZE
    width = math.sqrt(area * wa / hb)
    height = area / width

    def snap(v: float) -> int:
        return max(32, round(v / 32) * 32)

    return snap(width), snap(height)


def _data_uri_size(value: Any) -> tuple[int, int] | None:
    if not isinstance(value, str) or not value.startswith("data:") or "," not in value:
        return None
    header, _, payload = value.partition(",")
    if ";base64" not in header or len(payload) > 64 * 1024 * 1024:
        return None
    try:
        data = base64.b64decode(payload, validate=False)
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except (binascii.Error, ValueError, OSError, Image.DecompressionBombError):
        return None
    if 0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE:
        return width, height
    return None


def requested_size(inputs: Mapping[str, Any], model_id: str = "") -> tuple[int, int]:
    """The output size a model would produce for these inputs (before the rendering cap)."""
    size = inputs.get("image_size")
    if isinstance(size, str) and size in PRESETS:
        return PRESETS[size]
    if isinstance(size, Mapping):
        w, h = size.get("width", 512), size.get("height", 512)
        if all(type(side) is int and 0 < side <= _MAX_SIDE for side in (w, h)):
            return w, h
    ratio = inputs.get("aspect_ratio")
    if ratio is None and "kontext" in model_id and model_id.endswith("text-to-image"):
        ratio = "1:1"  # Kontext text-to-image's default; the edit models follow their input
    if isinstance(ratio, str):
        return _aspect_size(ratio)
    for key in ("image_url", "image_urls"):
        value = inputs.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        found = _data_uri_size(value)
        if found is not None:
            return found
    return DEFAULT_SIZE


def capped_size(width: int, height: int) -> tuple[int, int]:
    """Scale (width, height) down, keeping the aspect ratio, to at most MAX_RENDER_PIXELS."""
    if width * height <= MAX_RENDER_PIXELS:
        return width, height
    scale = math.sqrt(MAX_RENDER_PIXELS / (width * height))
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


@dataclass(frozen=True, slots=True)
class ImageRecipe:
    width: int
    height: int
    fmt: str  # "png" | "jpeg"
    prompt: str
    seed: int
    index: int
    model_id: str

    @property
    def content_type(self) -> str:
        return "image/png" if self.fmt == "png" else "image/jpeg"

    @property
    def extension(self) -> str:
        return "png" if self.fmt == "png" else "jpg"


@functools.lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, ValueError):  # pragma: no cover - Pillow without FreeType
        return ImageFont.load_default()


def render_image(recipe: ImageRecipe) -> bytes:
    """Draw a simple picture with the prompt written on it; PNG or JPEG bytes."""
    w, h = recipe.width, recipe.height
    rng = random.Random(recipe.seed * 7919 + recipe.index)
    base = tuple(rng.randrange(40, 120) for _ in range(3))
    img = Image.new("RGB", (w, h), base)
    draw = ImageDraw.Draw(img)
    for _ in range(4):
        color = tuple(min(255, c + rng.randrange(30, 110)) for c in base)
        cx, cy = rng.randrange(w), rng.randrange(h)
        r = max(1, int(min(w, h) * rng.uniform(0.1, 0.35)))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=color)
    if w >= 48 and h >= 24:
        size = max(8, min(w // 28, h // 12, 64))
        font = _font(size)
        margin = max(2, size // 2)
        chars = max(8, int((w - 2 * margin) / (size * 0.55)))
        header = f"fal-queue mock · {recipe.model_id} · {w}x{h} · seed {recipe.seed} · #{recipe.index + 1}"
        lines = textwrap.wrap(header, chars)[:2] + textwrap.wrap(recipe.prompt or "(no prompt)", chars)
        max_lines = max(1, (h - 2 * margin) // int(size * 1.25))
        y = margin
        for line in lines[:max_lines]:
            draw.text((margin + 1, y + 1), line, fill=(0, 0, 0), font=font)
            draw.text((margin, y), line, fill=(255, 255, 255), font=font)
            y += int(size * 1.25)
    out = io.BytesIO()
    if recipe.fmt == "png":
        img.save(out, format="PNG", compress_level=1)
    else:
        img.save(out, format="JPEG", quality=80)
    return out.getvalue()


def data_uri(content_type: str, data: bytes) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass(slots=True)
class MediaItem:
    content_type: str
    data: bytes | None = None
    recipe: ImageRecipe | None = None
    pending: asyncio.Future[bytes] | None = field(default=None, repr=False)

    async def content(self) -> bytes:
        """The file's bytes, rendered on the first download (once, however many ask at the same time)."""
        if self.data is not None:
            return self.data
        if self.pending is None:
            assert self.recipe is not None
            loop = asyncio.get_running_loop()
            self.pending = asyncio.ensure_future(loop.run_in_executor(None, render_image, self.recipe))
        self.data = await asyncio.shield(self.pending)
        return self.data


class MediaStore(dict[str, MediaItem]):
    """Files served by the media origin by path, dropped after their TTL."""

    def add(
        self,
        content_type: str,
        ttl: float,
        *,
        data: bytes | None = None,
        recipe: ImageRecipe | None = None,
        suffix: str,
    ) -> str:
        """Store a file and return its path on the media origin (``/files/mock/<token><suffix>``)."""
        path = f"/files/mock/{secrets.token_urlsafe(16)}{suffix}"
        self[path] = MediaItem(content_type=content_type, data=data, recipe=recipe)
        asyncio.get_running_loop().call_later(ttl, self.pop, path, None)
        return path
