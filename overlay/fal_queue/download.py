"""Saving result files before they expire: streamed, size-checked, atomic, retried.

Media are fetched with an HTTP client that carries no credentials: fal's CDN is public, and the
gateway key must never reach it. File names from the server are treated as untrusted text.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO
from urllib.parse import unquote, unquote_to_bytes, urlsplit

import httpx

from .errors import DownloadError, InvalidInputError
from .types import File, Result

__all__ = [
    "DownloadProgress",
    "FileSink",
    "ProgressCallback",
    "plan_targets",
    "retry_delay",
    "safe_file_name",
    "save_data_uri",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
}


@dataclass(frozen=True)
class DownloadProgress:
    """Reported while a file downloads: bytes so far and the expected total when known."""

    url: str
    path: Path
    downloaded: int
    total: int | None


ProgressCallback = Callable[[DownloadProgress], None]


def safe_file_name(name: str | None, *, fallback: str) -> str:
    """A file name that cannot leave its directory: no separators, no dot-files, no control chars."""
    if name:
        base = PurePosixPath(name.replace("\\", "/")).name
        base = unicodedata.normalize("NFKC", base)
        base = _UNSAFE.sub("_", base).strip("._")[:120]
        if base and base not in {".", ".."}:
            return base
    return fallback


def _extension(file: File) -> str:
    content_type = (file.content_type or "").split(";")[0].strip().lower()
    if content_type in _EXTENSIONS:
        return _EXTENSIONS[content_type]
    if file.url.startswith("data:"):
        media_type = file.url[5:].split(";", 1)[0].split(",", 1)[0].lower()
        return _EXTENSIONS.get(media_type) or mimetypes.guess_extension(media_type) or ""
    guessed = mimetypes.guess_extension(content_type) if content_type else None
    return guessed or ""


def _name_for(file: File, index: int, stem_prefix: str) -> str:
    from_url = None if file.url.startswith("data:") else unquote(urlsplit(file.url).path.rsplit("/", 1)[-1])
    name = safe_file_name(file.file_name or from_url, fallback=f"output-{index}")
    if "." not in name.lstrip("."):
        name += _extension(file)
    return f"{stem_prefix}{name}"


def plan_targets(files: Sequence[File], directory: Path, *, prefix: str = "") -> list[Path]:
    """Target paths for ``files`` inside ``directory``; duplicate names get ``-1``, ``-2``..."""
    taken: set[str] = set()
    targets = []
    for index, file in enumerate(files):
        name = _name_for(file, index, prefix)
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate, n = name, 0
        while candidate.lower() in taken:
            n += 1
            candidate = f"{stem}-{n}.{ext}" if dot else f"{stem}-{n}"
        taken.add(candidate.lower())
        path = (directory / candidate).resolve()
        if path.parent != directory.resolve():
            raise InvalidInputError(f"refusing to write outside {directory}: {candidate!r}")
        targets.append(path)
    return targets


def files_of(source: Result | File | Iterable[File]) -> tuple[list[File], str | None]:
    if isinstance(source, Result):
        return source.files, source.request_id
    if isinstance(source, File):
        return [source], None
    files = list(source)
    if not all(isinstance(f, File) for f in files):
        raise InvalidInputError("download() takes a Result, a File or a list of Files")
    return files, None


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


def open_temp(target: Path) -> tuple[IO[bytes], Path]:
    """A temporary file beside ``target``, so that the final rename is atomic."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    return os.fdopen(fd, "wb"), Path(name)


def commit(temp: Path, target: Path, *, overwrite: bool) -> None:
    """Move a finished temporary file into place; never clobber unless asked."""
    if overwrite:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)  # atomic, and fails if target exists
    except FileExistsError:
        temp.unlink(missing_ok=True)
        raise
    except OSError:  # file systems without hard links
        if target.exists():
            temp.unlink(missing_ok=True)
            raise FileExistsError(target) from None
        os.replace(temp, target)
        return
    temp.unlink(missing_ok=True)


def check_size(
    url: str, written: int, content_length: str | None, file: File, request_id: str | None
) -> None:
    if content_length is not None and content_length.isdigit() and int(content_length) != written:
        raise DownloadError(
            f"truncated download: got {written} of {content_length} bytes", url=url, request_id=request_id
        )
    if file.file_size is not None and file.file_size != written:
        raise DownloadError(
            f"size mismatch: got {written} bytes, the result says file_size={file.file_size}",
            url=url,
            request_id=request_id,
        )


def check_target(target: Path, overwrite: bool, url: str, request_id: str | None) -> None:
    if target.exists() and not overwrite:
        raise DownloadError(
            f"{target} already exists (pass overwrite=True to replace it)", url=url, request_id=request_id
        )


def _plain_length(response: httpx.Response) -> str | None:
    """Content-Length when it describes the decoded bytes (no content-encoding)."""
    if response.headers.get("content-encoding", "identity").lower() not in {"identity", ""}:
        return None
    length: str | None = response.headers.get("content-length")
    return length


class FileSink:
    """One file on its way to disk: a temporary file beside the target, progress, checks, commit.

    The sync and async clients only feed it chunks; ``discard`` must run in a ``finally``.
    """

    def __init__(
        self,
        file: File,
        target: Path,
        response: httpx.Response,
        on_progress: ProgressCallback | None,
        request_id: str | None,
    ) -> None:
        if response.status_code != 200:
            raise DownloadError(
                f"HTTP {response.status_code} fetching the file", url=file.url, request_id=request_id
            )
        self._file, self._target, self._on_progress, self._request_id = file, target, on_progress, request_id
        self._length = _plain_length(response)
        self._total = int(self._length) if self._length and self._length.isdigit() else file.file_size
        self._handle, self._temp = open_temp(target)
        self.written = 0

    def write(self, chunk: bytes) -> None:
        self._handle.write(chunk)
        self.written += len(chunk)
        if self._on_progress is not None:
            self._on_progress(DownloadProgress(self._file.url, self._target, self.written, self._total))

    def commit(self, overwrite: bool) -> None:
        self._handle.close()
        check_size(self._file.url, self.written, self._length, self._file, self._request_id)
        try:
            commit(self._temp, self._target, overwrite=overwrite)
        except FileExistsError:
            raise DownloadError(
                f"{self._target} appeared while downloading (pass overwrite=True to replace it)",
                url=self._file.url,
                request_id=self._request_id,
            ) from None

    def discard(self) -> None:
        self._handle.close()
        self._temp.unlink(missing_ok=True)


def retry_delay(
    exc: Exception,
    attempt: int,
    retries: int,
    backoff: Callable[[int], float],
    url: str,
    request_id: str | None,
) -> float:
    """Seconds to wait before fetching the file again, or raise the final DownloadError."""
    if isinstance(exc, DownloadError):
        transient = exc.message.startswith(("truncated", "size mismatch", "HTTP 5", "HTTP 429", "HTTP 408"))
        if attempt > retries or not transient:
            raise exc
    elif attempt > retries:
        raise DownloadError(
            f"download failed: {type(exc).__name__}: {exc}", url=url, request_id=request_id
        ) from exc
    return backoff(attempt)


def save_data_uri(
    file: File, target: Path, overwrite: bool, on_progress: ProgressCallback | None, request_id: str | None
) -> None:
    """Write a ``data:`` URI result (sync mode) with the same checks as a download."""
    short = file.url[:64]
    try:
        data = decode_data_uri(file.url)
    except ValueError as exc:
        raise DownloadError(f"cannot decode data URI: {exc}", url=short, request_id=request_id) from exc
    check_size(short, len(data), None, file, request_id)
    handle, temp = open_temp(target)
    try:
        with handle:
            handle.write(data)
        commit(temp, target, overwrite=overwrite)
    finally:
        temp.unlink(missing_ok=True)
    if on_progress is not None:
        on_progress(DownloadProgress(short, target, len(data), len(data)))
