"""Saving result files before they expire: streamed, size-checked, atomic, retried.

Media are fetched with an HTTP client that carries no credentials: fal's CDN is public, and the
gateway key must never reach it. File names from the server are treated as untrusted text.
"""

from __future__ import annotations

import itertools
import mimetypes
import os
import re
import tempfile
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Literal, get_args
from urllib.parse import unquote, urlsplit

import httpx

from . import _constants as C
from ._transport import longest
from .errors import DownloadError, DownloadTimeoutError, FlaggedImageWarning, InvalidInputError
from .types import File, Result, decode_data_uri

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_PLAIN_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")
#: Names Windows reserves for devices, whatever the extension: a folder holding ``CON.png`` cannot
#: be copied there.
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in "123456789\u00b9\u00b2\u00b3"}
)

#: What ``download`` does when a target name is taken: pick a free numbered name (the default, so
#: that saving never fails a paid job), replace the file, or raise DownloadError.
IfExists = Literal["rename", "overwrite", "error"]
_MAX_RENAMES = 10_000
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
        stem, dot, rest = base.partition(".")
        if stem.upper() in _WINDOWS_DEVICES:
            base = f"{stem}_{dot}{rest}"
        if base and base not in {".", ".."}:
            return base
    return fallback


def _extension(file: File) -> str:
    kind = (file.content_type or "").split(";")[0].strip().lower()
    if kind not in _EXTENSIONS and file.url.startswith("data:"):
        kind = file.url[5:].split(";", 1)[0].split(",", 1)[0].lower()
    return _EXTENSIONS.get(kind) or (mimetypes.guess_extension(kind) if kind else None) or ""


def suffix_of(file: File) -> str:
    """The file's extension: its name's or URL's when that is a plain one, else its content type's."""
    for name in (file.file_name, None if file.url.startswith("data:") else urlsplit(file.url).path):
        suffix = PurePosixPath((name or "").replace("\\", "/")).suffix
        if _PLAIN_SUFFIX.match(suffix):
            return suffix.lower()
    return _extension(file)


def plan_targets(files: Sequence[File], directory: Path, *, prefix: str = "") -> list[Path]:
    """Target paths for ``files`` inside ``directory``; duplicate names get ``-1``, ``-2``..."""
    taken: set[str] = set()
    targets = []
    for index, file in enumerate(files):
        from_url = (
            None if file.url.startswith("data:") else unquote(urlsplit(file.url).path.rsplit("/", 1)[-1])
        )
        name = safe_file_name(file.file_name or from_url, fallback=f"output-{index}")
        if "." not in name.lstrip("."):
            name += _extension(file)
        name = candidate = f"{prefix}{name}"
        n = 0
        while candidate.lower() in taken:
            n += 1
            candidate = _numbered_name(name, n)
        taken.add(candidate.lower())
        path = (directory / candidate).resolve()
        if path.parent != directory.resolve():
            raise InvalidInputError(f"refusing to write outside {directory}: {candidate!r}")
        targets.append(path)
    return targets


def open_temp(target: Path) -> tuple[IO[bytes], Path]:
    """A temporary file beside ``target``, so that the final rename is atomic."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    return os.fdopen(fd, "wb"), Path(name)


def write_atomic(
    target: Path, data: bytes, *, if_exists: IfExists = "overwrite", durable: bool = False
) -> Path:
    """Write ``data`` as a download is saved: a temporary file committed into place, so a reader sees
    the old file or the new one, never half. ``durable`` syncs it to disk before the rename."""
    handle, temp = open_temp(target)
    try:
        with handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        return commit(temp, target, if_exists=if_exists)
    finally:
        temp.unlink(missing_ok=True)


def _umask() -> int:
    """The process umask, read without changing it where the platform allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # pragma: no cover - platforms without /proc
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


def _numbered_name(name: str, n: int) -> str:
    stem, dot, ext = name.rpartition(".")
    return f"{stem}-{n}.{ext}" if dot and stem else f"{name}-{n}"


def _numbered(target: Path, n: int) -> Path:
    return target.with_name(_numbered_name(target.name, n))


def commit(temp: Path, target: Path, *, if_exists: IfExists) -> Path:
    """Move a finished temporary file into place; return the path it now has.

    The file gets the permissions any other tool would give it (0666 less the umask), not the
    0600 of a temporary file. ``rename`` links under the first free numbered name, atomically,
    so two processes saving into one folder never clobber each other.
    """
    os.chmod(temp, 0o666 & ~_umask())
    if if_exists == "overwrite":
        os.replace(temp, target)
        return target
    # Lazily: a free name must not cost building every numbered one.
    numbered = (_numbered(target, n) for n in range(1, _MAX_RENAMES))
    candidates = itertools.chain([target], numbered if if_exists == "rename" else ())
    for candidate in candidates:
        try:
            os.link(temp, candidate)  # atomic, and fails if the name is taken
        except FileExistsError:
            continue
        except OSError:  # file systems without hard links
            if candidate.exists():
                continue
            os.replace(temp, candidate)
            return candidate
        temp.unlink(missing_ok=True)
        return candidate
    temp.unlink(missing_ok=True)
    raise FileExistsError(target)


def check_size(
    url: str, written: int, content_length: str | None, file: File, request_id: str | None
) -> None:
    if content_length is not None and content_length.isdigit() and int(content_length) != written:
        problem = f"truncated download: got {written} of {content_length} bytes"
    elif file.file_size is not None and file.file_size != written:
        problem = f"size mismatch: got {written} bytes, the result says file_size={file.file_size}"
    else:
        return
    raise DownloadError(problem, url=url, request_id=request_id, transient=True)


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
                f"HTTP {response.status_code} fetching the file",
                url=file.url,
                request_id=request_id,
                transient=response.status_code in C.RETRYABLE_STATUSES,
            )
        self._file, self._target, self._on_progress, self._request_id = file, target, on_progress, request_id
        # Content-Length describes the decoded bytes only without a content-encoding.
        encoded = response.headers.get("content-encoding", "identity").lower() not in {"identity", ""}
        self._length = None if encoded else response.headers.get("content-length")
        #: The expected size, when the response or the result states it.
        self.total = int(self._length) if self._length and self._length.isdigit() else file.file_size
        self._handle, self._temp = open_temp(target)
        self.written = 0

    def write(self, chunk: bytes) -> None:
        self._handle.write(chunk)
        self.written += len(chunk)
        if self._on_progress is not None:
            self._on_progress(DownloadProgress(self._file.url, self._target, self.written, self.total))

    def commit(self, if_exists: IfExists) -> Path:
        self._handle.close()
        check_size(self._file.url, self.written, self._length, self._file, self._request_id)
        try:
            return commit(self._temp, self._target, if_exists=if_exists)
        except FileExistsError:
            raise DownloadError(
                f"{self._target} appeared while downloading (choose if_exists='rename' or 'overwrite')",
                url=self._file.url,
                request_id=self._request_id,
            ) from None

    def discard(self) -> None:
        self._handle.close()
        self._temp.unlink(missing_ok=True)


def as_download_error(exc: Exception, url: str, target: Path, request_id: str | None) -> DownloadError:
    """What any failure while fetching or saving one file means, decided by its type."""
    if isinstance(exc, DownloadError):
        return exc
    if isinstance(exc, httpx.TooManyRedirects):
        text = "the media host redirects in a loop"
    elif isinstance(exc, httpx.DecodingError):
        text = f"the media host's body does not match its Content-Encoding ({exc})"
    elif isinstance(exc, httpx.HTTPError):
        text = f"download failed: {type(exc).__name__}: {exc}"
    elif isinstance(exc, OSError):
        text = f"cannot save {target}: {exc.strerror or type(exc).__name__}"
    else:
        raise exc
    transient = isinstance(exc, httpx.TransportError)  # cut, reset, timed out: the next try may work
    return DownloadError(text, url=url, request_id=request_id, transient=transient)


def retry_delay(exc: DownloadError, attempt: int, retries: int, backoff: Callable[[int], float]) -> float:
    if attempt > retries or not exc.transient:
        raise exc
    return backoff(attempt)


def save_data_uri(
    file: File,
    target: Path,
    if_exists: IfExists,
    on_progress: ProgressCallback | None,
    request_id: str | None,
) -> Path:
    """Write a ``data:`` URI result (sync mode) with the same checks as a download."""
    short = file.url[:64]
    try:
        data = decode_data_uri(file.url)
    except ValueError as exc:
        raise DownloadError(f"cannot decode data URI: {exc}", url=short, request_id=request_id) from exc
    check_size(short, len(data), None, file, request_id)
    try:
        written = write_atomic(target, data, if_exists=if_exists)
    except FileExistsError:
        raise DownloadError(f"{target} already exists", url=short, request_id=request_id) from None
    except OSError as exc:
        raise as_download_error(exc, short, target, request_id) from exc
    if on_progress is not None:
        on_progress(DownloadProgress(short, written, len(data), len(data)))
    return written


def warn_flagged(source: Result | File | Iterable[File]) -> None:
    """One warning per image the safety checker flagged: it is saved, but probably blank."""
    if isinstance(source, Result):
        for number, flagged in enumerate(source.has_nsfw_concepts, 1):
            if flagged:
                warnings.warn(
                    f"image {number} of {source.request_id} was flagged by the safety checker; "
                    "it is probably blank",
                    FlaggedImageWarning,
                    stacklevel=3,
                )


def plan_download(
    source: Result | File | Iterable[File],
    directory: str | os.PathLike[str],
    if_exists: str | None,
    overwrite: bool,
    prefix: str,
) -> tuple[list[tuple[File, Path]], str | None, IfExists]:
    """Every (file, target) of a download, planned first, so that a clash or a bad folder fails
    before any byte is fetched; with the result's request id and the if-exists mode."""
    mode = _if_exists(if_exists, overwrite)
    if isinstance(source, Result):
        files, request_id = source.files, source.request_id
    else:
        files, request_id = [source] if isinstance(source, File) else list(source), None
        if not all(isinstance(f, File) for f in files):
            raise InvalidInputError("download() takes a Result, a File or a list of Files")
    target_dir = Path(directory)
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(
            f"cannot create the folder {target_dir}: {exc.strerror or type(exc).__name__}",
            url=files[0].url[:64] if files else "",
            request_id=request_id,
        ) from exc
    pairs = list(zip(files, plan_targets(files, target_dir, prefix=prefix), strict=True))
    for file, target in pairs:
        if mode == "error" and target.exists():
            raise DownloadError(
                f"{target} already exists (choose if_exists='rename' or 'overwrite')",
                url=file.url,
                request_id=request_id,
            )
    return pairs, request_id, mode


def body_deadline(timeout: httpx.Timeout, started: float, written: int, expected: int | None) -> float:
    """When one download attempt must be over: the per-call timeout plus time for the bytes
    expected or already in, so a large file on a slow link finishes and a drip does not."""
    seconds = longest(timeout.as_dict())
    if seconds is None:
        seconds = C.DEFAULT_HTTP_TIMEOUT.read or 60.0
    return started + seconds + max(expected or 0, written) / C.DOWNLOAD_MIN_RATE


def timeout_error(seconds: float | None, file: File, request_id: str | None) -> DownloadTimeoutError:
    return DownloadTimeoutError(
        f"download did not finish within {seconds:g}s", url=file.url, request_id=request_id
    )


def _if_exists(if_exists: str | None, overwrite: bool) -> IfExists:
    if if_exists is None:
        return "overwrite" if overwrite else "rename"
    if if_exists not in get_args(IfExists):
        raise InvalidInputError(f"if_exists must be 'rename', 'overwrite' or 'error', not {if_exists!r}")
    if overwrite and if_exists != "overwrite":
        raise InvalidInputError(f"overwrite=True contradicts if_exists={if_exists!r}")
    return if_exists  # type: ignore[return-value]
