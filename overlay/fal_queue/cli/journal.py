"""The batch journal: an append-only JSONL file that makes ``batch`` crash-safe.

``DIR/journal.jsonl`` gets one JSON object per line, appended with a single ``write`` on an
``O_APPEND`` descriptor (so a SIGKILL never leaves half a record behind it: the kernel already
has every byte) and ``fsync``-ed before anything depends on it surviving a power cut.

Records (``t`` is the Unix time of every record)::

    {"ev": "run", "v": 1, "model": M, "input": PATH, "lines": N, "pid": P, ...}   one per run
    {"ev": "intent", "line": L, "digest": D}          about to send the submit of line L
    {"ev": "abandon", "line": L}                      ...which was then never sent, or never reached
                                                      a gateway (connection refused, DNS, TLS)
    {"ev": "submitted", "line": L, "request_id": R}   the gateway answered with R
    {"ev": "done", "line": L, "request_id": R, "paths": [...]}    files saved (relative to DIR)
    {"ev": "failed", "line": L, "request_id": R, "error": E, "error_type": T}   the job failed
    {"ev": "rejected", "line": L, "error": E}         the gateway refused the submit: no job exists
    {"ev": "uncertain", "line": L, "error": E}        the submit's answer was lost: a job may exist
    {"ev": "error", "line": L, "request_id": R, "error": E}   waiting/fetching/saving failed; resumable

Replaying the records in order gives each line's state. An ``intent`` with nothing after it
means the process died while that submit was in flight: the line is *uncertain* (its job may
exist, and fal's protocol offers no way to find its request id).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CliError

JOURNAL_NAME = "journal.jsonl"


@dataclass
class LineState:
    """What the journal knows about one input line."""

    line: int
    status: str = "new"  # new|intent|submitted|done|failed|rejected|uncertain|error
    digest: str | None = None
    request_id: str | None = None
    paths: list[str] = field(default_factory=list)
    error: str | None = None
    error_type: str | None = None
    uncertain_before: bool = False  # an earlier submit of this line may have created a job
    _before_intent: str = "new"

    def apply(self, rec: dict[str, Any]) -> None:
        ev = rec.get("ev")
        if ev == "intent":
            if self.status in {"intent", "uncertain"}:
                self.uncertain_before = True
            self._before_intent = "uncertain" if self.status == "intent" else self.status
            self.status = "intent"
            self.digest = rec.get("digest") or self.digest
            self.request_id = None
            self.error = self.error_type = None
        elif ev == "abandon":
            self.status = self._before_intent
        elif ev == "submitted":
            self.status = "submitted"
            self.request_id = rec.get("request_id")
            self.error = self.error_type = None
        elif ev == "done":
            self.status = "done"
            self.request_id = rec.get("request_id") or self.request_id
            self.paths = [str(p) for p in rec.get("paths", [])]
            self.error = self.error_type = None
        elif ev in {"failed", "rejected", "uncertain", "error"}:
            self.status = str(ev)
            if rec.get("request_id"):
                self.request_id = rec["request_id"]
            self.error = rec.get("error")
            self.error_type = rec.get("error_type")
            if ev == "error" and not self.request_id:
                self.status = "rejected"


class Journal:
    """The journal of one output directory. Holds an exclusive lock while open."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / JOURNAL_NAME
        self.runs: list[dict[str, Any]] = []
        self.states: dict[int, LineState] = {}
        self.skipped_records = 0
        self._fd = -1
        self._need_newline = False
        self._written = 0
        self._synced = 0
        self._sync_lock = asyncio.Lock()  # concurrent callers of ``sync`` share one fsync

    # ---- opening ----

    @classmethod
    def open(cls, directory: Path) -> Journal:
        journal = cls(directory)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            created = not journal.path.exists()
            journal._fd = os.open(journal.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CliError(f"cannot open {journal.path}: {exc.strerror or exc}") from None
        try:
            journal._lock()
            if created and sys.platform != "win32":  # the new file's name survives a power cut
                fd = os.open(directory, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            journal._replay()
        except BaseException:
            journal.close()
            raise
        return journal

    def _lock(self) -> None:
        if sys.platform == "win32":  # pragma: no cover - no flock; one batch per directory is on the user
            return
        import fcntl

        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise CliError(
                f"another fal-queue batch is using {self.directory} (its journal is locked); "
                "wait for it or pick another --out"
            ) from None

    def _replay(self) -> None:
        with open(self.path, "rb") as fh:
            data = fh.read()
        if data and not data.endswith(b"\n"):
            self._need_newline = True  # a torn last record: start the next one on a fresh line
        for raw in data.split(b"\n"):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
            except ValueError:
                rec = None
            if not isinstance(rec, dict):
                self.skipped_records += 1
                continue
            self._apply(rec)
        for state in self.states.values():  # an intent left open by a dead process: did its submit arrive?
            if state.status == "intent":
                state.status = "uncertain"
                state.error = "the submit was in flight when an earlier run stopped; a job may exist"

    def _apply(self, rec: dict[str, Any]) -> None:
        if rec.get("ev") == "run":
            self.runs.append(rec)
            return
        line = rec.get("line")
        if isinstance(line, int) and not isinstance(line, bool) and line > 0:
            self.states.setdefault(line, LineState(line)).apply(rec)

    def state(self, line: int) -> LineState:
        return self.states.setdefault(line, LineState(line))

    # ---- writing ----

    def record(self, ev: str, line: int | None = None, **fields: Any) -> None:
        """Append one record now (one write(2) call); call ``sync`` to make it durable."""
        rec: dict[str, Any] = {"ev": ev}
        if line is not None:
            rec["line"] = line
        rec.update({k: v for k, v in fields.items() if v is not None})
        rec["t"] = round(time.time(), 3)
        data = (json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        if self._need_newline:
            data = b"\n" + data
            self._need_newline = False
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._written += 1
        self._apply(rec)

    def sync_now(self) -> None:
        if self._synced < self._written:
            os.fsync(self._fd)
            self._synced = self._written

    async def sync(self) -> None:
        """fsync everything written so far, off the event loop; concurrent callers share one fsync."""
        target = self._written
        async with self._sync_lock:
            if self._synced < target:
                upto = self._written
                await asyncio.to_thread(os.fsync, self._fd)
                self._synced = upto

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                self.sync_now()
            os.close(self._fd)  # also releases the lock
            self._fd = -1
