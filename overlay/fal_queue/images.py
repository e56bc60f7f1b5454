"""Local images as model inputs: a file, bytes or a PIL image becomes a ``data:`` URI.

fal's models take a data URI wherever they take an image URL, and a gateway has no upload route
(fal's CDN upload needs a fal key), so a local picture travels inside the request body. Bodies have
limits (fal's data URLs fail somewhere above ~10 MB, gateways may cap lower): an image over the
limit is downscaled with Pillow when it is installed, and refused before sending when it is not.
A string is never read as a path: a prompt-like string must never be uploaded by accident.
"""

from __future__ import annotations

import base64
import io
import math
import os
import warnings
from pathlib import Path
from typing import IO, Any

from . import _constants as C
from .errors import InvalidInputError

#: Magic bytes of the formats fal's image models read.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"BM", 0, "image/bmp"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
)


class ImageResizedWarning(UserWarning):
    """An input image was downscaled to fit the request's size limit (``max_image_bytes``)."""


def is_image_field(name: object) -> bool:
    """Whether an input field carries image URLs (``image_url``, ``image_urls``, ``mask_url``...)."""
    return isinstance(name, str) and name.endswith(("_url", "_urls"))


def media_type(data: bytes) -> str | None:
    """The image type ``data`` starts with, or None for anything that is not an image."""
    for magic, offset, kind in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic and (kind != "image/webp" or data[:4] == b"RIFF"):
            return kind
    return None


def encoded_size(raw_bytes: int, kind: str) -> int:
    return len(f"data:{kind};base64,") + 4 * math.ceil(raw_bytes / 3)


def _pil_image() -> Any:
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def _has_alpha(image: Any) -> bool:
    return image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info


def _read(source: object) -> tuple[bytes, str]:
    """(bytes, a name for messages) of a path, bytes, a binary file or a PIL image."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), f"{len(source)} bytes"
    Image = None if isinstance(source, os.PathLike) else _pil_image()
    if Image is not None and isinstance(source, Image.Image):
        buffer = io.BytesIO()
        source.save(buffer, format="PNG" if _has_alpha(source) else "JPEG", quality=95)
        return buffer.getvalue(), "a PIL image"
    if isinstance(source, os.PathLike):
        name, read = str(Path(source)), Path(source).read_bytes
    elif callable(getattr(source, "read", None)):
        name, read = str(getattr(source, "name", "an open file")), source.read  # type: ignore[attr-defined]
    else:
        raise InvalidInputError(
            f"an image input must be a URL, a data URI, a pathlib.Path, bytes, a binary file or a PIL image, "
            f"not {type(source).__name__}"
        )
    try:
        data = read()
    except OSError as exc:
        raise InvalidInputError(f"cannot read the image {name}: {exc.strerror or exc}") from None
    if not isinstance(data, bytes):
        raise InvalidInputError(f"{name} is open in text mode; open it with 'rb'")
    return data, name


def _downscale(data: bytes, kind: str, name: str, max_bytes: int, max_side: int | None) -> tuple[bytes, str]:
    """Re-encode smaller (EXIF orientation applied, aspect ratio kept, alpha kept as PNG) until it fits;
    an image that already fits is returned as it is."""
    Image = _pil_image()
    from PIL import ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        if encoded_size(len(data), kind) <= max_bytes and max(opened.size) <= (max_side or 0):
            return data, kind
        image = ImageOps.exif_transpose(opened)
        image.load()
    has_alpha = _has_alpha(image)
    kind, fmt = ("image/png", "PNG") if has_alpha else ("image/jpeg", "JPEG")
    if not has_alpha and image.mode != "RGB":
        image = image.convert("RGB")
    old = image.size
    scale = min(1.0, (max_side / max(old)) if max_side else 1.0)
    for _ in range(12):
        size = (max(1, round(old[0] * scale)), max(1, round(old[1] * scale)))
        buffer = io.BytesIO()
        image.resize(size, Image.Resampling.LANCZOS).save(buffer, format=fmt, quality=90)
        out = buffer.getvalue()
        if encoded_size(len(out), kind) <= max_bytes:
            warnings.warn(
                f"{name}: downscaled from {old[0]}x{old[1]} ({len(data)} bytes) to {size[0]}x{size[1]} "
                f"({len(out)} bytes) to fit the {max_bytes}-byte image limit",
                ImageResizedWarning,
                stacklevel=4,
            )
            return out, kind
        scale *= max(0.5, min(0.9, math.sqrt(max_bytes / encoded_size(len(out), kind)) * 0.95))
    raise InvalidInputError(f"{name} cannot be made smaller than the {max_bytes}-byte image limit")


def encode_image(
    source: str | os.PathLike[str] | bytes | IO[bytes] | Any,
    *,
    max_bytes: int = C.DEFAULT_MAX_IMAGE_BYTES,
    max_side: int | None = None,
    downscale: bool = True,
) -> str:
    """A ``data:`` URI of an image: a path (``str`` here is a path), bytes, a binary file or a PIL image.

    Over ``max_bytes`` of URI (or ``max_side`` pixels on the longer side), it is downscaled with
    Pillow (a warning says so), or refused when Pillow is missing or ``downscale`` is False.
    """
    data, name = _read(Path(source) if isinstance(source, str) else source)
    kind = media_type(data)
    if kind is None:
        raise InvalidInputError(
            f"{name} is not an image (PNG, JPEG, WebP, GIF, BMP or TIFF), by its first bytes"
        )
    too_big = encoded_size(len(data), kind) > max_bytes
    if (too_big or max_side is not None) and downscale and _pil_image() is not None:
        data, kind = _downscale(data, kind, name, max_bytes, max_side)
    elif too_big:
        why = "downscaling is off" if not downscale else "install Pillow to downscale it"
        raise InvalidInputError(
            f"{name} is {len(data)} bytes, {encoded_size(len(data), kind)} as a data URI: over the "
            f"{max_bytes}-byte image limit ({why}, or raise max_image_bytes)"
        )
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def encode_field(name: str, value: object, max_bytes: int) -> object:
    """An image field's value as it is sent: strings as given, local images as data URIs."""
    if isinstance(value, list | tuple):
        return [encode_field(f"{name}[{i}]", item, max_bytes) for i, item in enumerate(value)]
    if isinstance(value, str):
        if not value.startswith(("http://", "https://", "data:")) and is_local_file(value):
            raise InvalidInputError(
                f"{name}: {value!r} is a local file, and strings are sent as they are (a URL or data URI); "
                f"to send the file pass pathlib.Path({value!r})"
            )
        return value
    if value is None or isinstance(value, bool | int | float | dict):
        return value
    try:
        return encode_image(value, max_bytes=max_bytes)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{name}: {exc.message}") from None


def is_local_file(text: str | Path) -> bool:
    try:
        return len(str(text)) < 4096 and "\n" not in str(text) and Path(text).expanduser().is_file()
    except (OSError, ValueError):
        return False
