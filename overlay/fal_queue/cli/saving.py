"""Where a paid job's files go: the output folder is checked before anything is sent, and every
message after a submit carries a resume command that works when pasted as printed."""

from __future__ import annotations

import contextlib
import os
import shlex
import tempfile
from pathlib import Path

from .. import download
from ..download import IfExists
from .errors import CliError


def check_out_dir(out_dir: Path) -> None:
    """Create ``out_dir`` and prove it writable, or raise a usage error (nothing was sent).

    Runs before the submit: finding out that ``-o afile/sub`` cannot exist only after the job
    was paid for would strand its result.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".fal-queue-probe.", dir=out_dir)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        blocker = next((p for p in [out_dir, *out_dir.parents] if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            reason = f"{blocker} is a file, not a folder"
        raise CliError(
            f"cannot write into the output folder {out_dir}: {reason}; pick another --out (nothing was sent)"
        ) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def resume_command(model: str, request_id: str, out_dir: Path | str | None) -> str:
    """``fal-queue download MODEL ID --out DIR``, shell-quoted so that it runs as printed."""
    parts = ["fal-queue", "download", model, request_id]
    if out_dir is not None:
        parts += ["--out", str(out_dir)]
    return " ".join(shlex.quote(p) for p in parts)


def write_atomic(path: Path, text: str, *, if_exists: IfExists = "overwrite") -> Path:
    """``text`` saved as the SDK saves a file, and synced: a reader sees the old file or the new one."""
    return download.write_atomic(path, text.encode(), if_exists=if_exists, durable=True)
