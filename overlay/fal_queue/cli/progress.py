"""Live progress: one job (``run``, ``download``, ``status --watch``) or a whole batch.

On a terminal: a rich spinner or bar on stderr, redrawn in place. Otherwise: plain lines, one
per status change (one job) or one every ``interval`` seconds (batch), never a control
character. ``--quiet`` shows no progress at all.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.live import Live
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.spinner import Spinner
from rich.text import Text

from ..download import DownloadProgress
from ..types import Completed, InProgress, Queued, Result, Status, UnknownStatus
from .errors import clean
from .output import Output

__all__ = ["BatchCounters", "BatchDisplay", "JobDisplay", "log_text", "status_text"]


def status_text(status: Status) -> str:
    """``IN_QUEUE position=3`` / ``IN_PROGRESS`` / ``COMPLETED`` / ``COMPLETED (failed: ...)``."""
    if isinstance(status, Queued):
        return "IN_QUEUE" + (f" position={status.position}" if status.position is not None else "")
    if isinstance(status, InProgress):
        return "IN_PROGRESS"
    if isinstance(status, Completed):
        if status.failed:
            kind = f", error_type={status.error_type}" if status.error_type else ""
            return f"COMPLETED (failed: {status.error or 'error'}{kind})"
        inference = status.metrics.get("inference_time")
        return "COMPLETED" + (f" inference={inference:.2f}s" if isinstance(inference, int | float) else "")
    if isinstance(status, UnknownStatus):
        return status.status or "UNKNOWN"
    return type(status).__name__  # pragma: no cover


def log_text(entry: Mapping[str, Any]) -> str:
    level = entry.get("level")
    message = entry.get("message")
    text = message if isinstance(message, str) else str(dict(entry))
    return f"log [{level}] {text}" if isinstance(level, str) and level else f"log {text}"


class JobDisplay:
    """Progress of one job: submit, queue position, status, elapsed time, logs, downloads."""

    def __init__(self, out: Output, model_id: str, *, show_logs: bool = False) -> None:
        self.out = out
        self.model_id = model_id
        self.show_logs = show_logs
        self.started = time.monotonic()
        self.request_id: str | None = None
        self.phase = "submitting"
        self._logs_seen = 0
        self._spinner = Spinner("dots", style="cyan")
        self._live: Live | None = None
        self._downloads: Progress | None = None
        self._tasks: dict[Path, TaskID] = {}
        self.queue_position: int | None = None
        self.completed: Completed | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    # ---- lifecycle ----

    def __enter__(self) -> JobDisplay:
        if self.out.console is not None and self.out.progress:
            self._live = Live(self, console=self.out.console, transient=True, refresh_per_second=10)
            self._live.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop_live()
        if self._downloads is not None:
            self._downloads.stop()
            self._downloads = None

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __rich__(self) -> Spinner:
        rid = f" · {self.request_id}" if self.request_id else ""
        self._spinner.update(text=Text(clean(f"{self.phase} · {self.elapsed:.1f}s · {self.model_id}{rid}")))
        return self._spinner

    # ---- events ----

    def submitted(self, request_id: str, queue_position: int | None = None) -> None:
        self.request_id = request_id
        self.phase = "IN_QUEUE" + (f" position={queue_position}" if queue_position is not None else "")
        # Printed even with --quiet: the request id is the only way back to a paid job.
        where = f" queue_position={queue_position}" if queue_position is not None else ""
        self.out.notice(f"request_id={request_id} model={self.model_id}{where}")

    def resumed(self, request_id: str) -> None:
        self.request_id = request_id
        self.phase = "waiting"

    def status(self, status: Status) -> None:
        logs = status.logs
        if len(logs) < self._logs_seen:
            self._logs_seen = 0
        if self.show_logs:
            for entry in logs[self._logs_seen :]:
                self.out.log(log_text(entry))
        self._logs_seen = len(logs)
        text = status_text(status)
        changed = text != self.phase
        self.phase = text
        if isinstance(status, Queued) and status.position is not None:
            self.queue_position = status.position
        if isinstance(status, Completed):
            self.completed = status
        # On a terminal the spinner shows every change; the completion line stays on screen.
        if changed and (self._live is None or isinstance(status, Completed)):
            self.out.info(f"status {text} elapsed={self.elapsed:.1f}s")

    def finished(self, result: Result, paths: Sequence[Path]) -> None:
        """The closing line: files saved, the job's own times and the wall-clock total."""
        self._stop_live()
        bits = []
        if paths:
            bits.append(f"saved {len(paths)} file(s)")
        timings = result.raw.get("timings")
        inference = self.completed.metrics.get("inference_time") if self.completed is not None else None
        if inference is None and isinstance(timings, Mapping):
            inference = timings.get("inference")
        if isinstance(inference, int | float):
            bits.append(f"inference {inference:.2f}s")
        bits.append(f"total {self.elapsed:.1f}s")
        rid = f" request_id={result.request_id}" if result.request_id else ""
        self.out.info(f"done{rid}: {', '.join(bits)}")

    def downloading(self, count: int, directory: Path) -> None:
        self._stop_live()
        self.phase = "downloading"
        if self.out.console is not None and self.out.progress:
            self._downloads = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=self.out.console,
                transient=True,
            )
            self._downloads.start()
        else:
            self.out.info(f"downloading {count} file(s) to {directory}")

    def download_progress(self, progress: DownloadProgress) -> None:
        if self._downloads is None:
            return
        task = self._tasks.get(progress.path)
        if task is None:
            task = self._downloads.add_task(clean(progress.path.name), total=progress.total)
            self._tasks[progress.path] = task
        self._downloads.update(task, completed=progress.downloaded, total=progress.total)


@dataclass
class BatchCounters:
    """What the batch display shows; updated by the batch engine."""

    total: int = 0
    done: int = 0
    failed: int = 0
    uncertain: int = 0
    unfinished: int = 0  # rejected submits and errors after submit (re-run resumes them)
    submitting: int = 0
    queued: int = 0
    running: int = 0
    downloading: int = 0
    finished_this_run: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        elapsed = self.elapsed
        return self.finished_this_run / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        parts = [
            f"{self.done}/{self.total} done",
            f"{self.failed} failed",
        ]
        if self.uncertain:
            parts.append(f"{self.uncertain} uncertain")
        if self.unfinished:
            parts.append(f"{self.unfinished} unfinished")
        parts += [
            f"{self.submitting} submitting",
            f"{self.queued} queued",
            f"{self.running} running",
            f"{self.rate:.1f} jobs/s",
            f"{self.elapsed:.1f}s",
        ]
        return "progress: " + ", ".join(parts)


class BatchDisplay:
    """One overall display for a batch: a rich bar on a terminal, else a line every ``interval``."""

    def __init__(self, out: Output, counters: BatchCounters, *, interval: float) -> None:
        self.out = out
        self.counters = counters
        self.interval = interval
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._last_line = 0.0

    def __enter__(self) -> BatchDisplay:
        if self.out.console is not None and self.out.progress:
            self._progress = Progress(
                TextColumn("batch"),
                BarColumn(bar_width=24),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=self.out.console,
                refresh_per_second=8,
            )
            self._task = self._progress.add_task("batch", total=self.counters.total, detail="")
            self._progress.start()
        self._last_line = time.monotonic()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.tick(final=True)
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def tick(self, *, final: bool = False) -> None:
        """Refresh the bar, or print a plain line when ``interval`` has passed (and at the end)."""
        c = self.counters
        if self._progress is not None and self._task is not None:
            parts = [f"failed {c.failed}"]
            if c.uncertain:
                parts.append(f"uncertain {c.uncertain}")
            parts += [f"queued {c.queued}", f"running {c.running}", f"{c.rate:.1f} jobs/s"]
            detail = " · ".join(parts)
            self._progress.update(self._task, completed=c.done + c.failed, detail=detail)
            return
        now = time.monotonic()
        if final or now - self._last_line >= self.interval:
            self._last_line = now
            self.out.info(c.line())
