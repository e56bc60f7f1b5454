"""The typed values the SDK hands back: job statuses, results and their files.

They are built from the generated models (or from raw JSON for models the spec does not list)
and never raise on unexpected or missing fields: an unknown status is :class:`UnknownStatus`,
which callers treat as "still running".
"""

from __future__ import annotations

import base64
import binascii
import html
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import unquote_to_bytes

from attrs import evolve, field, frozen

from .errors import InvalidInputError

#: Reads a file's bytes for File.read(): the sync Client's ``read``, attached to what it returns.
Reader = Callable[["File"], bytes]

#: Answer headers a user may want after the fact (which request, what it cost), kept on a Result.
KEPT_HEADERS = ("x-fal-request-id", "x-fal-billable-units")


@frozen
class _StatusBase:
    request_id: str
    #: Runner log lines (dicts with ``message``, ``level``, ``timestamp``...) when asked for.
    logs: tuple[Mapping[str, Any], ...] = ()
    #: The gateway URLs of the request (already rewritten from fal's origin).
    status_url: str | None = None
    response_url: str | None = None
    cancel_url: str | None = None
    #: The whole status body as the gateway sent it (URLs rewritten).
    raw: Mapping[str, Any] = field(factory=dict, repr=False)
    #: True on a :class:`Completed` only.
    done: ClassVar[bool] = False


@frozen
class Queued(_StatusBase):
    """Waiting in the queue; ``position`` jobs are ahead of it."""

    position: int | None = None


@frozen
class InProgress(_StatusBase):
    """A runner is working on the job."""


@frozen
class Completed(_StatusBase):
    """The job ended. ``error`` is set when it failed (fal has no separate failed status)."""

    error: str | None = None
    error_type: str | None = None
    metrics: Mapping[str, Any] = field(factory=dict)
    done = True

    @property
    def failed(self) -> bool:
        return self.error is not None or self.error_type is not None


@frozen
class UnknownStatus(_StatusBase):
    """A status this SDK does not know yet; treated as still running."""

    status: str = ""


Status = Queued | InProgress | Completed | UnknownStatus


def decode_data_uri(url: str) -> bytes:
    """The bytes of a ``data:`` URI (sync mode results), base64 or percent-encoded."""
    header, sep, payload = url.partition(",")
    if not sep:
        raise ValueError("data URI without a comma")
    if header.endswith(";base64"):
        try:
            return base64.b64decode(payload, validate=False)
        except binascii.Error as exc:
            raise ValueError(f"bad base64 in data URI: {exc}") from exc
    return unquote_to_bytes(payload)


#: The optional fields of a File read from JSON, with their types (a bool is not a size).
_FILE_FIELDS = {"content_type": str, "file_name": str, "file_size": int, "width": int, "height": int}


@frozen
class File:
    """One output file of a result (an image or a video).

    ``read()`` and ``to_pil()`` give the content in memory: a data URI needs no network; a URL is
    fetched by the client that returned the result, as ``download()`` fetches it.
    """

    url: str
    content_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    width: int | None = None
    height: int | None = None
    reader: Reader | None = field(default=None, repr=False, eq=False)

    @classmethod
    def from_json(cls, data: object, reader: Reader | None = None) -> File | None:
        if not isinstance(data, Mapping) or not isinstance(data.get("url"), str):
            return None
        fields: dict[str, Any] = {
            name: value
            for name, kind in _FILE_FIELDS.items()
            if isinstance(value := data.get(name), kind) and not isinstance(value, bool)
        }
        return cls(url=data["url"], reader=reader, **fields)

    @property
    def is_video(self) -> bool:
        kind = self.content_type or (self.url[5:].split(";", 1)[0] if self.url.startswith("data:") else "")
        return kind.startswith("video/") or self.url.split("?", 1)[0].endswith((".mp4", ".webm", ".mov"))

    def read(self) -> bytes:
        """The file's bytes (same deadline, retries and size checks as ``download()``)."""
        if self.reader is None:
            if self.url.startswith("data:"):
                return decode_data_uri(self.url)
            raise InvalidInputError(
                "this File has no client to fetch it with: use client.read(file) (await it on an AsyncClient)"
            )
        return self.reader(self)

    def to_pil(self) -> Any:
        """The image as a ``PIL.Image.Image`` (needs Pillow)."""
        import io

        from PIL import Image

        image = Image.open(io.BytesIO(self.read()))
        image.load()
        return image

    def _repr_html_(self) -> str:
        return _file_html(self, None)

    def _repr_png_(self) -> bytes | None:
        """Inline PNG for a data URI PNG only: rendering must never wait on the network."""
        return decode_data_uri(self.url) if self.url.startswith("data:image/png;base64,") else None


def _file_html(file: File, flagged: bool | None) -> str:
    src = html.escape(file.url, quote=True)
    size = f"{file.width}x{file.height}" if file.width and file.height else ""
    note = " · flagged by the safety checker" if flagged else ""
    caption = html.escape(" · ".join(x for x in (size, file.content_type or "") if x) + note)
    if file.is_video:
        media = f'<video controls src="{src}" style="max-width:512px"></video>'
    else:
        dims = f' width="{file.width}" height="{file.height}"' if file.width and file.height else ""
        alt = html.escape(file.file_name or "", quote=True)
        media = f'<img src="{src}"{dims} style="max-width:512px;height:auto" alt="{alt}">'
    style = "display:inline-block;margin:4px"
    return f'<figure style="{style}">{media}<figcaption>{caption}</figcaption></figure>'


@frozen
class Result(Mapping[str, Any]):
    """A job's output. Typed access to ``images`` and ``video``; the raw JSON as a mapping.

    ``result["seed"]`` and ``result.raw`` give every field, including ones of models the spec does
    not describe; ``result.parsed`` is the generated model when the output matched one.
    """

    request_id: str
    model_id: str
    raw: Mapping[str, Any] = field(repr=False)
    parsed: object = field(default=None, repr=False, eq=False)
    #: The answer's headers that matter after the fact (``KEPT_HEADERS``: request id, billable units).
    headers: Mapping[str, str] = field(factory=dict, repr=False, eq=False)
    reader: Reader | None = field(default=None, repr=False, eq=False)

    def _files(self, value: object) -> list[File]:
        items = value if isinstance(value, list) else [value]
        return [f for f in (File.from_json(i, self.reader) for i in items) if f is not None]

    @property
    def images(self) -> list[File]:
        items = self.raw.get("images")
        return self._files(items) if isinstance(items, list) else []

    @property
    def video(self) -> File | None:
        return File.from_json(self.raw.get("video"), self.reader)

    @property
    def files(self) -> list[File]:
        """Every downloadable file of the result: images, then the video, then other file fields."""
        others = [f for k, v in self.raw.items() if k not in {"images", "video"} for f in self._files(v)]
        return [*self.images, *filter(None, [self.video]), *others]

    @property
    def seed(self) -> int | None:
        seed = self.raw.get("seed")
        return seed if isinstance(seed, int) else None

    @property
    def has_nsfw_concepts(self) -> list[bool]:
        """The safety checker's verdict per image (False where the result says nothing)."""
        flags = self.raw.get("has_nsfw_concepts")
        flags = flags if isinstance(flags, list) else []
        return [index < len(flags) and flags[index] is True for index in range(len(self.images))]

    @property
    def billable_units(self) -> float | None:
        """``x-fal-billable-units`` when the gateway forwarded it."""
        try:
            return float(self.headers["x-fal-billable-units"])
        except (KeyError, ValueError):
            return None

    def with_reader(self, reader: Reader | None) -> Result:
        return self if reader is None else evolve(self, reader=reader)

    def _repr_html_(self) -> str:
        flags = self.has_nsfw_concepts
        figures = [_file_html(f, flags[i]) for i, f in enumerate(self.images)]
        figures += [_file_html(video, None) for video in filter(None, [self.video])]
        timings = self.raw.get("timings")
        facts = [f"{self.model_id} · {self.request_id}"]
        if self.seed is not None:
            facts.append(f"seed {self.seed}")
        if isinstance(timings, Mapping):
            facts.append(", ".join(f"{k} {v:.2f}s" for k, v in timings.items() if isinstance(v, int | float)))
        if self.billable_units is not None:
            facts.append(f"{self.billable_units:g} billable units")
        head = html.escape(" · ".join(x for x in facts if x))
        return f"<div><div><code>{head}</code></div>{''.join(figures)}</div>"

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)
