"""The typed values the SDK hands back: job statuses, results and their files.

They are built from the generated models (or from raw JSON for models the spec does not list)
and never raise on unexpected or missing fields: an unknown status is :class:`UnknownStatus`,
which callers treat as "still running".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from attrs import field, frozen

__all__ = [
    "Completed",
    "File",
    "InProgress",
    "Queued",
    "Result",
    "Status",
    "UnknownStatus",
]


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

    @property
    def done(self) -> bool:
        return False


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

    @property
    def done(self) -> bool:
        return True

    @property
    def failed(self) -> bool:
        return self.error is not None or self.error_type is not None


@frozen
class UnknownStatus(_StatusBase):
    """A status this SDK does not know yet; treated as still running."""

    status: str = ""


Status = Queued | InProgress | Completed | UnknownStatus


@frozen
class File:
    """One output file of a result (an image or a video)."""

    url: str
    content_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    width: int | None = None
    height: int | None = None

    @classmethod
    def from_json(cls, data: object) -> File | None:
        if not isinstance(data, Mapping) or not isinstance(data.get("url"), str):
            return None

        def _int(key: str) -> int | None:
            value = data.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        def _str(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        return cls(
            url=data["url"],
            content_type=_str("content_type"),
            file_name=_str("file_name"),
            file_size=_int("file_size"),
            width=_int("width"),
            height=_int("height"),
        )


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

    @property
    def images(self) -> list[File]:
        items = self.raw.get("images")
        if not isinstance(items, list):
            return []
        return [f for f in (File.from_json(i) for i in items) if f is not None]

    @property
    def video(self) -> File | None:
        return File.from_json(self.raw.get("video"))

    @property
    def files(self) -> list[File]:
        """Every downloadable file of the result: images, then the video, then other file fields."""
        found = self.images
        video = self.video
        if video is not None:
            found.append(video)
        for key, value in self.raw.items():
            if key in {"images", "video"}:
                continue
            single = File.from_json(value)
            if single is not None:
                found.append(single)
            elif isinstance(value, list):
                found.extend(f for f in (File.from_json(v) for v in value) if f is not None)
        return found

    @property
    def seed(self) -> int | None:
        seed = self.raw.get("seed")
        return seed if isinstance(seed, int) else None

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)
