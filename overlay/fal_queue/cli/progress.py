"""Live progress of one job or a whole batch: redrawn in place on a terminal, else plain lines
(one per status change, or one every ``interval`` seconds for a batch); none with ``--quiet``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from rich.console import ConsoleRenderable
from rich.live import Live
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn
from rich.progress_bar import ProgressBar
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from .._window import ConcurrencyWindow
from ..download import DownloadProgress
from ..types import Completed, InProgress, Queued, Result, Status
from .errors import clean
from .output import Output


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
    return status.status or "UNKNOWN"  # an UnknownStatus


def log_text(entry: Mapping[str, Any]) -> str:
    level = entry.get("level")
    message = entry.get("message")
    text = message if isinstance(message, str) else str(dict(entry))
    return f"log [{level}] {text}" if isinstance(level, str) and level else f"log {text}"


class _LiveDisplay:
    """Drawn by rich (its ``__rich__``) while open, when there is a live console."""

    out: Output
    _live: Live | None = None
    _refresh = 8
    _transient = False

    def __rich__(self) -> ConsoleRenderable:
        raise NotImplementedError

    def __enter__(self) -> Self:
        if (console := self.out.live) is not None:
            self._live = Live(
                self, console=console, transient=self._transient, refresh_per_second=self._refresh
            )
            self._live.start()
        return self

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


class JobDisplay(_LiveDisplay):
    """Progress of one job: submit, queue position, status, elapsed time, logs, downloads."""

    _refresh = 10
    _transient = True

    def __init__(
        self, out: Output, model_id: str, *, show_logs: bool = False, request_id: str | None = None
    ) -> None:
        """``request_id``: a job submitted earlier, whose wait this display follows."""
        self.out = out
        self.model_id = model_id
        self.show_logs = show_logs
        self.started = time.monotonic()
        self.request_id = request_id
        self.phase = "submitting" if request_id is None else "waiting"
        self._logs_seen = 0
        self._spinner = Spinner("dots", style="cyan")
        self._downloads: Progress | None = None
        self._tasks: dict[Path, TaskID] = {}
        self.completed: Completed | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop_live()
        if self._downloads is not None:
            self._downloads.stop()
            self._downloads = None

    def __rich__(self) -> Spinner:
        rid = f" · {self.request_id}" if self.request_id else ""
        self._spinner.update(text=Text(clean(f"{self.phase} · {self.elapsed:.1f}s · {self.model_id}{rid}")))
        return self._spinner

    def submitted(self, request_id: str, queue_position: int | None = None) -> None:
        self.request_id = request_id
        self.phase = status_text(Queued(request_id=request_id, position=queue_position))
        # Printed even with --quiet: the request id is the only way back to a paid job.
        where = f" queue_position={queue_position}" if queue_position is not None else ""
        self.out.notice(f"request_id={request_id} model={self.model_id}{where}")

    def step(self, text: str) -> None:
        """A step before the submit (``encoding photo.jpg (12.3 MB)``): on the spinner, else a line."""
        self.phase = text
        if self._live is None:
            self.out.info(text)

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
        if self.out.live is not None:
            self._downloads = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=self.out.live,
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
    """What the batch display shows, updated by the batch engine: every line is in exactly one bucket
    (done ... downloading, or ``waiting``: not started in this run), so they add up to ``total``."""

    total: int = 0
    done: int = 0
    failed: int = 0
    uncertain: int = 0
    unfinished: int = 0  # a request id is known but waiting/fetching/saving failed (re-run resumes)
    refused: int = 0
    submitting: int = 0
    queued: int = 0
    running: int = 0
    downloading: int = 0
    earlier: int = 0  # lines settled by earlier runs (done, failed, uncertain) and not redone
    finished_own: int = 0  # lines submitted by this run that finished (done or failed)
    queue_front: int | None = None  # the best queue position a queued line of ours was told
    started: float = field(default_factory=time.monotonic)
    window: ConcurrencyWindow | None = None  # the client's job window: its size and the 429s seen
    auto: bool = False  # the window decides how many jobs are in flight (--concurrency auto)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def settled(self) -> int:
        return self.done + self.failed + self.uncertain + self.unfinished + self.refused

    @property
    def waiting(self) -> int:
        busy = self.submitting + self.queued + self.running + self.downloading
        return max(self.total - busy - self.settled, 0)

    @property
    def rate(self) -> float:
        """Jobs per second of this run's own work (resumed and earlier lines do not count)."""
        elapsed = self.elapsed
        return self.finished_own / elapsed if elapsed > 0 and self.finished_own else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the observed throughput, once there is one to go by."""
        left = self.waiting + self.submitting + self.queued + self.running + self.downloading
        if left == 0:
            return 0.0
        if self.finished_own < 3 or self.rate <= 0:
            return None
        return left / self.rate

    def parts(self) -> list[tuple[str, str]]:
        """(text, style) pieces of the progress line; failures in the failure colour."""
        pieces = [(f"{self.done} done", "green")]
        for count, name, style in (
            (self.failed, "failed", "bold red"),
            (self.uncertain, "uncertain", "bold red"),
            (self.unfinished, "unfinished", "yellow"),
            (self.refused, "refused", "yellow"),
        ):
            if count:
                pieces.append((f"{count} {name}", style))
        front = self.queue_front if self.queued else None
        pieces += [
            (f"{self.submitting + self.downloading + self.running} running", "cyan"),
            (f"{self.queued} queued" + (f" (next at position {front})" if front is not None else ""), "cyan"),
            (f"{self.waiting} waiting", ""),
        ]
        tail = f"of {self.total}"
        if self.earlier:
            tail += f" ({self.earlier} from earlier runs)"
        pieces.append((tail, ""))
        pieces.append((f"{self.rate:.1f} jobs/s", "dim"))
        if self.window is not None:
            if self.auto:
                pieces.append((f"window {self.window.size}", "dim"))
            if self.window.refusals:
                pieces.append((f"{self.window.refusals} refused with 429", "yellow"))
        eta = self.eta
        if eta is not None and eta > 0:
            pieces.append((f"ETA {_clock(eta)}", "dim"))
        pieces.append((f"{self.elapsed:.1f}s", "dim"))
        return pieces

    def line(self) -> str:
        return "progress: " + ", ".join(text for text, _ in self.parts())

    def rich_text(self) -> Text:
        text = Text()
        for i, (piece, style) in enumerate(self.parts()):
            if i:
                text.append(" · ", style="dim")
            text.append(clean(piece), style=style)
        return text


def _clock(value: float) -> str:
    seconds = round(value)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class BatchDisplay(_LiveDisplay):
    """One overall display for a batch: a live bar on a terminal, else a line every ``interval``.

    The bar fills with settled lines (done and failed alike) and turns red once any failed.
    """

    def __init__(self, out: Output, counters: BatchCounters, *, interval: float) -> None:
        self.out = out
        self.counters = counters
        self.interval = interval
        self._last_line = time.monotonic()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.tick(final=True)
        self._stop_live()

    def __rich__(self) -> Table:
        c = self.counters
        style = "red" if c.failed or c.uncertain else "green"
        bar = ProgressBar(
            total=c.total, completed=c.settled, width=24, complete_style=style, finished_style=style
        )
        row = Table.grid(padding=(0, 1))
        row.add_row("batch", bar, c.rich_text())
        return row

    def tick(self, *, final: bool = False) -> None:
        """Print a plain line when ``interval`` has passed (and at the end); a terminal redraws itself."""
        now = time.monotonic()
        if self._live is None and (final or now - self._last_line >= self.interval):
            self._last_line = now
            self.out.info(self.counters.line())

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.tick()
