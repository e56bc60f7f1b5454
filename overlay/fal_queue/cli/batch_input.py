"""Reading a batch file: every line parsed and checked before anything is sent.

A line's image field may name a local file relative to the batch file's folder; it becomes a
``Path`` (the SDK encodes it at the line's submit), after one check that it is an image the SDK
can send.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import _constants as C
from ..images import is_image_field
from .errors import EXIT_USAGE, CliError
from .inputs import check_images, image_value, problems_of, read_text

__all__ = ["BatchInputError", "BatchLine", "line_digest", "read_batch_file"]


@dataclass(frozen=True)
class BatchLine:
    no: int  # 1-based physical line number in the input file
    arguments: dict[str, Any]
    digest: str


def line_digest(model_id: str, arguments: Mapping[str, Any]) -> str:
    """The line as written (a local image by its name), to tell a resumed batch's lines apart."""
    blob = json.dumps(
        {"model": model_id, "arguments": arguments}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _local_file(value: Any, base: Path) -> Any:
    """A string naming an existing file relative to ``base`` as that ``Path``; other values as given."""
    if isinstance(value, list):
        return [_local_file(item, base) for item in value]
    if not isinstance(value, str) or not value:
        return value
    found = image_value(value, base)
    return found if isinstance(found, Path) and found.is_file() else value


def read_batch_file(
    path: str,
    model_id: str,
    common: Mapping[str, Any],
    *,
    strict: bool = True,
    warn: Callable[[str], None] | None = None,
    max_image_bytes: int = C.DEFAULT_MAX_IMAGE_BYTES,
    notice: Callable[[str], None] = lambda text: None,
) -> list[BatchLine]:
    """Parse and check every line; raise one usage error listing every bad line (line numbers).

    A line is a JSON object of arguments, or a JSON string (the prompt). Blank lines and lines
    starting with ``#`` are skipped. ``common`` (from -p/--image/--input) is under each line.
    """
    text = read_text(path, "")
    base = Path(path).parent
    verdicts: dict[Path, str | None] = {}  # each local image is checked once
    problems: list[str] = []
    lines: list[BatchLine] = []
    for no, row in enumerate(text.split("\n"), start=1):
        stripped = row.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            value = json.loads(stripped)
        except ValueError as exc:
            msg = getattr(exc, "msg", str(exc))
            problems.append(f"{path}:{no}: invalid JSON: {msg} (column {getattr(exc, 'colno', '?')})")
            continue
        if isinstance(value, str):
            value = {"prompt": value}
        if not isinstance(value, dict):
            problems.append(
                f"{path}:{no}: expected a JSON object or a JSON string, got {type(value).__name__}"
            )
            continue
        digest = line_digest(model_id, {**common, **value})
        value = {k: _local_file(v, base) if is_image_field(k) else v for k, v in value.items()}
        arguments = {**common, **value}
        found = problems_of(model_id, arguments, strict=strict, warn=warn)
        found = found or check_images(arguments, max_image_bytes, verdicts, notice)
        if found:
            problems.append(f"{path}:{no}: " + "; ".join(found))
            continue
        lines.append(BatchLine(no, arguments, digest))
    if problems:
        raise BatchInputError(path, problems)
    if not lines:
        raise CliError(f"{path}: no lines to run (blank lines and # comments are skipped)", EXIT_USAGE)
    return lines


class BatchInputError(CliError):
    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} invalid line(s) in {path}; nothing was sent", EXIT_USAGE)
        self.problems = problems
