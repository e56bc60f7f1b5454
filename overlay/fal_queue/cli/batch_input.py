"""Reading a batch file: every line parsed and checked before anything is sent."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import EXIT_USAGE, CliError
from .inputs import problems_of, read_text

__all__ = ["BatchInputError", "BatchLine", "line_digest", "read_batch_file"]


@dataclass(frozen=True)
class BatchLine:
    no: int  # 1-based physical line number in the input file
    arguments: dict[str, Any]
    digest: str


def line_digest(model_id: str, arguments: Mapping[str, Any]) -> str:
    blob = json.dumps({"model": model_id, "arguments": arguments}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def read_batch_file(
    path: str,
    model_id: str,
    common: Mapping[str, Any],
    *,
    strict: bool = True,
    warn: Callable[[str], None] | None = None,
) -> list[BatchLine]:
    """Parse and check every line; raise one usage error listing every bad line (line numbers).

    A line is a JSON object of arguments, or a JSON string (the prompt). Blank lines and lines
    starting with ``#`` are skipped. ``common`` (from -p/--image-url/--input) is under each line.
    """
    text = read_text(path, "")
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
        arguments = {**common, **value}
        found = problems_of(model_id, arguments, strict=strict, warn=warn)
        if found:
            problems.append(f"{path}:{no}: " + "; ".join(found))
            continue
        lines.append(BatchLine(no, arguments, line_digest(model_id, arguments)))
    if problems:
        raise BatchInputError(path, problems)
    if not lines:
        raise CliError(f"{path}: no lines to run (blank lines and # comments are skipped)", EXIT_USAGE)
    return lines


class BatchInputError(CliError):
    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} invalid line(s) in {path}; nothing was sent", EXIT_USAGE)
        self.problems = problems
