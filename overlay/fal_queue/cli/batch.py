"""``fal-queue batch``: many jobs through AsyncClient, crash-safe and resumable.

Every line of the input is one job. Before anything is sent, every line is parsed and checked
(bad lines are reported with their line numbers and nothing is sent). Then up to
``--concurrency`` jobs are in flight at once; each one goes

    intent (journal, fsync) -> submit -> submitted + request id (journal) -> wait -> result
    -> files saved as DIR/line-NNNNN-K.ext and DIR/line-NNNNN.json -> done (journal)

Re-running the same command reads the journal and never submits a line whose request id is
known: it waits for or fetches those jobs, skips lines already done, and submits the rest.

The uncertain window
--------------------
A submit whose answer never arrived (the process died, or the connection broke after the
request was sent) may or may not have created a job, and fal's protocol has no way to find it
again (no idempotency key, no listing). Such lines are *uncertain*. By default they are NOT
submitted again (that could pay twice for one prompt); they are reported with their line
numbers, and ``--resubmit-uncertain`` submits them again when a possible duplicate is
acceptable. The window is kept as small as the protocol allows: the intent is recorded right
before the request goes out, the request id right after the answer arrives, and a first
Ctrl-C/SIGTERM stops new submits and lets in-flight ones finish before exiting.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import json
import os
import re
import signal
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import attrs
import click

from .. import errors as E
from ..client import AsyncClient, AsyncHandle
from ..types import Completed, File, Queued, Result, Status
from .context import common_options, get_state, handle_errors
from .errors import EXIT_ENV, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CliError, describe, one_line
from .inputs import build_arguments, problems_of
from .journal import Journal, LineState
from .output import Output
from .progress import BatchCounters, BatchDisplay

__all__ = ["BatchLine", "BatchOptions", "BatchRunner", "batch_command", "read_batch_file", "run_batch"]

FAILURES_NAME = "failures.jsonl"
SUMMARY_NAME = "summary.json"
_MAX_LISTED = 20
_SAFE_EXT = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


@dataclass(frozen=True)
class BatchLine:
    no: int  # 1-based physical line number in the input file
    arguments: dict[str, Any]
    digest: str


def line_digest(model_id: str, arguments: Mapping[str, Any]) -> str:
    blob = json.dumps({"model": model_id, "arguments": arguments}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def read_batch_file(path: str, model_id: str, common: Mapping[str, Any]) -> list[BatchLine]:
    """Parse and check every line; raise one usage error listing every bad line (line numbers).

    A line is a JSON object of arguments, or a JSON string (the prompt). Blank lines and lines
    starting with ``#`` are skipped. ``common`` (from -p/--image-url/--input) is under each line.
    """
    try:
        raw = Path(path).read_bytes() if path != "-" else os.read(0, 1 << 30)
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror or exc}", EXIT_USAGE) from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not UTF-8 text (byte {exc.start})", EXIT_USAGE) from None
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
        found = problems_of(model_id, arguments)
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


@dataclass
class BatchOptions:
    model_id: str
    out_dir: Path
    concurrency: int = 8
    timeout: float | None = None
    resubmit_uncertain: bool = False
    retry_failed: bool = False
    progress_interval: float = 5.0
    input_path: str = ""


@dataclass
class _Item:
    line: BatchLine
    state: LineState
    action: str  # "submit" | "resume"
    phase: str = ""


@dataclass
class Outcome:
    exit_code: int
    summary: dict[str, Any] = field(default_factory=dict)


class BatchRunner:
    """Runs the lines of one batch against one AsyncClient, journaling every step."""

    def __init__(
        self,
        options: BatchOptions,
        lines: Sequence[BatchLine],
        journal: Journal,
        client: AsyncClient,
        out: Output,
    ) -> None:
        self.opt = options
        self.lines = list(lines)
        self.journal = journal
        self.client = client
        self.out = out
        self.counters = BatchCounters(total=len(self.lines))
        self.width = max(5, len(str(max(line.no for line in self.lines))))
        self.stopping = False
        self.hard_stop = False
        self.abort: BaseException | None = None
        self.interrupted = False
        self.submitted_now = 0
        self.resumed_now = 0
        self.already_done = 0
        self._stop_event: asyncio.Event | None = None

    # ---- planning ----

    def check_journal(self) -> None:
        """Refuse to resume a journal written for another model or other input lines."""
        for run in self.journal.runs[:1]:
            if run.get("model") != self.opt.model_id:
                raise CliError(
                    f"{self.opt.out_dir} holds a batch of {run.get('model')}, not {self.opt.model_id}; "
                    "use another --out",
                    EXIT_USAGE,
                )
        known = {line.no for line in self.lines}
        for no, state in sorted(self.journal.states.items()):
            if no not in known and state.status != "new":
                raise CliError(
                    f"{self.opt.out_dir}: the journal has line {no}, which is not a job line of "
                    f"{self.opt.input_path} any more; the input changed: use another --out",
                    EXIT_USAGE,
                )
        for line in self.lines:
            known_state = self.journal.states.get(line.no)
            if known_state is not None and known_state.digest not in {None, line.digest}:
                raise CliError(
                    f"{self.opt.out_dir}: line {line.no} of {self.opt.input_path} changed since it was "
                    "submitted; refusing to mix batches: use another --out",
                    EXIT_USAGE,
                )

    def plan(self) -> list[_Item]:
        resume: list[_Item] = []
        submit: list[_Item] = []
        c = self.counters
        for line in self.lines:
            state = self.journal.state(line.no)
            if state.status == "done":
                if all((self.opt.out_dir / p).exists() for p in state.paths):
                    c.done += 1
                    self.already_done += 1
                    continue
                resume.append(_Item(line, state, "resume"))  # files went missing: fetch again by id
            elif state.status == "failed":
                if self.opt.retry_failed:
                    submit.append(_Item(line, state, "submit"))
                else:
                    c.failed += 1
            elif state.status in {"submitted", "error"} and state.request_id:
                resume.append(_Item(line, state, "resume"))
            elif state.status == "uncertain":
                if self.opt.resubmit_uncertain:
                    submit.append(_Item(line, state, "submit"))
                else:
                    c.uncertain += 1
            else:  # new, rejected (no job was created)
                submit.append(_Item(line, state, "submit"))
        return resume + submit  # jobs already paid for first

    # ---- running ----

    def _phase(self, item: _Item, phase: str) -> None:
        c = self.counters
        for name, delta in ((item.phase, -1), (phase, +1)):
            if name in {"submitting", "queued", "running", "downloading"}:
                setattr(c, name, getattr(c, name) + delta)
        item.phase = phase

    def _on_status(self, item: _Item) -> Callable[[Status], None]:
        def update(status: Status) -> None:
            if isinstance(status, Queued):
                self._phase(item, "queued")
            elif not isinstance(status, Completed):  # IN_PROGRESS, or a status this SDK does not know
                self._phase(item, "running")

        return update

    async def _submit(self, item: _Item) -> AsyncHandle | None:
        j = self.journal
        no = item.line.no
        self._phase(item, "submitting")
        try:
            j.record("intent", no, digest=item.line.digest)
            try:
                await j.sync()  # durable before a single byte of the request leaves
            except asyncio.CancelledError:
                j.record("abandon", no)
                raise
            try:
                handle = await self.client.submit(self.opt.model_id, item.line.arguments)
            except E.SubmitUncertainError as exc:
                j.record("uncertain", no, error=describe(exc))
                self.counters.uncertain += 1
                return None
            except (E.AuthenticationError, E.PermissionDeniedError) as exc:
                j.record("rejected", no, error=describe(exc), error_type=exc.error_type)
                self._abort(exc)
                return None
            except E.FalQueueError as exc:
                # The gateway answered with an error, or the connection was never made: no job exists.
                j.record("rejected", no, error=describe(exc), error_type=getattr(exc, "error_type", None))
                self.counters.unfinished += 1
                return None
            j.record("submitted", no, request_id=handle.request_id)
            self.submitted_now += 1
            await j.sync()
            return handle
        finally:
            if item.phase == "submitting":
                self._phase(item, "")

    async def _process(self, item: _Item) -> None:
        j = self.journal
        no = item.line.no
        if item.action == "submit":
            handle = await self._submit(item)
            if handle is None:
                return
        else:
            assert item.state.request_id is not None
            handle = self.client.get_handle(self.opt.model_id, item.state.request_id)
            self.resumed_now += 1
            self._phase(item, "queued")
        rid = handle.request_id
        c = self.counters
        try:
            if item.phase != "queued":
                self._phase(item, "queued")
            try:
                result = await handle.get(on_queue_update=self._on_status(item), timeout=self.opt.timeout)
            except E.JobFailedError as exc:
                j.record("failed", no, request_id=rid, error=describe(exc), error_type=exc.error_type)
                c.failed += 1
                c.finished_this_run += 1
                await j.sync()
                return
            self._phase(item, "downloading")
            paths = await self._save(item.line.no, result)
            j.record("done", no, request_id=rid, paths=paths)
            c.done += 1
            c.finished_this_run += 1
            await j.sync()
        except (E.AuthenticationError, E.PermissionDeniedError) as exc:
            j.record("error", no, request_id=rid, error=describe(exc))
            c.unfinished += 1
            self._abort(exc)
        except E.FalQueueError as exc:
            j.record(
                "error", no, request_id=rid, error=describe(exc), error_type=getattr(exc, "error_type", None)
            )
            c.unfinished += 1
        except OSError as exc:  # the output directory itself failed us (disk full, permissions)
            j.record("error", no, request_id=rid, error=one_line(f"saving files: {exc}"))
            c.unfinished += 1
        finally:
            self._phase(item, "")

    def _stem(self, no: int) -> str:
        return f"line-{no:0{self.width}d}"

    async def _save(self, no: int, result: Result) -> list[str]:
        """Save the result's files as line-NNNNN-K.ext and the result itself as line-NNNNN.json."""
        stem = self._stem(no)
        files = [attrs.evolve(f, file_name=f"{stem}-{i}{_extension(f)}") for i, f in enumerate(result.files)]
        saved: list[Path] = []
        if files:
            saved = await self.client.download(files, self.opt.out_dir, overwrite=True)
        meta = self.opt.out_dir / f"{stem}.json"
        _write_atomic(
            meta, json.dumps({"request_id": result.request_id, "result": dict(result.raw)}, indent=2)
        )
        base = self.opt.out_dir.resolve()
        return [str(p.resolve().relative_to(base)) for p in saved] + [meta.name]

    def _abort(self, exc: BaseException) -> None:
        if self.abort is None:
            self.abort = exc
            self.out.error(f"stopping the batch: {describe(exc)}")
        self.stopping = True

    def _signal(self) -> None:
        if self.stopping:
            self.hard_stop = True
            self.out.notice("stopping now; jobs already submitted are in the journal and resume on re-run")
        else:
            self.stopping = True
            self.interrupted = True
            self.out.notice(
                f"stopping: no new submits; waiting for {self.counters.submitting} in-flight submit(s) "
                "to get their request ids (Ctrl-C again to stop at once)"
            )
        if self._stop_event is not None:
            self._stop_event.set()

    async def run(self) -> Outcome:
        self.check_journal()
        items = self.plan()
        self.journal.record(
            "run",
            v=1,
            model=self.opt.model_id,
            input=str(self.opt.input_path),
            lines=len(self.lines),
            pid=os.getpid(),
            concurrency=self.opt.concurrency,
            resubmit_uncertain=self.opt.resubmit_uncertain,
            retry_failed=self.opt.retry_failed,
        )
        await self.journal.sync()
        queue = collections.deque(items)
        self._stop_event = asyncio.Event()

        async def worker() -> None:
            while queue and not self.stopping:
                await self._process(queue.popleft())

        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._signal)
                installed.append(sig)
        display = BatchDisplay(self.out, self.counters, interval=self.opt.progress_interval)
        try:
            with display:
                tasks = [
                    asyncio.create_task(worker())
                    for _ in range(max(1, min(self.opt.concurrency, len(items))))
                ]
                stop_wait = asyncio.create_task(self._stop_event.wait())
                try:
                    while pending := [t for t in tasks if not t.done()]:
                        await asyncio.wait(
                            [*pending, stop_wait], timeout=0.2, return_when=asyncio.FIRST_COMPLETED
                        )
                        display.tick()
                        if self.stopping:
                            await self._drain(tasks, display)
                            break
                finally:
                    stop_wait.cancel()
                    for task in tasks:
                        task.cancel()
                    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
                for outcome in outcomes:
                    if isinstance(outcome, Exception):
                        raise outcome  # a bug, not a job's failure: report it
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
        return self.finish()

    async def _drain(self, tasks: Sequence[asyncio.Task[None]], display: BatchDisplay) -> None:
        """After a stop request: let in-flight submits get their request ids, then stop waiting."""
        while self.counters.submitting > 0 and not self.hard_stop and not all(t.done() for t in tasks):
            await asyncio.sleep(0.02)
            display.tick()

    # ---- the end ----

    def finish(self) -> Outcome:
        entries = []
        counts = collections.Counter[str]()
        for line in self.lines:
            state = self.journal.state(line.no)
            status = state.status
            if status == "intent":
                status = "uncertain"
            if status in {"new", "submitted"}:
                status = "pending" if status == "new" else "unfinished"
            if status in {"rejected", "error"}:
                status = "unfinished"
            counts[status] += 1
            if status != "done":
                entries.append(
                    {
                        "line": line.no,
                        "status": status,
                        "request_id": state.request_id,
                        "error": state.error,
                        "error_type": state.error_type,
                        "possible_duplicate": state.uncertain_before or None,
                    }
                )
        out_dir = self.opt.out_dir
        failures_text = "".join(
            json.dumps({k: v for k, v in e.items() if v is not None}, ensure_ascii=False) + "\n"
            for e in entries
        )
        _write_atomic(out_dir / FAILURES_NAME, failures_text)
        summary: dict[str, Any] = {
            "model": self.opt.model_id,
            "input": self.opt.input_path,
            "out": str(out_dir),
            "lines": len(self.lines),
            "done": counts["done"],
            "failed": counts["failed"],
            "uncertain": counts["uncertain"],
            "unfinished": counts["unfinished"],
            "pending": counts["pending"],
            "this_run": {
                "submitted": self.submitted_now,
                "resumed": self.resumed_now,
                "already_done": self.already_done,
                "seconds": round(self.counters.elapsed, 3),
            },
            "interrupted": self.interrupted,
            "aborted": describe(self.abort) if self.abort is not None else None,
            "failures_file": str(out_dir / FAILURES_NAME),
            "problems": entries,
        }
        _write_atomic(out_dir / SUMMARY_NAME, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        if self.abort is not None:
            code = EXIT_ENV
        elif self.interrupted:
            code = EXIT_INTERRUPTED
        elif counts["failed"] or counts["uncertain"]:
            code = EXIT_FAILED  # needs a decision: a job failed, or a submit's fate is unknown
        elif entries:
            code = EXIT_ENV  # only gateway/network trouble left: re-run later to resume
        else:
            code = EXIT_OK
        return Outcome(code, summary)


def _extension(file: File) -> str:
    for candidate in (file.file_name, None if file.url.startswith("data:") else urlsplit(file.url).path):
        if candidate:
            suffix = PurePosixPath(candidate.replace("\\", "/")).suffix
            if _SAFE_EXT.match(suffix):
                return suffix.lower()
    return ""  # the SDK adds one from the content type


def _write_atomic(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def print_summary(out: Output, summary: Mapping[str, Any]) -> None:
    """The human summary on stdout: counts, then one line per problem (capped), then what to do."""
    run = summary["this_run"]
    out.out(
        f"batch {summary['model']}: {summary['lines']} line(s) in {summary['out']}: "
        f"{summary['done']} done, {summary['failed']} failed, {summary['uncertain']} uncertain, "
        f"{summary['unfinished'] + summary['pending']} unfinished "
        f"(this run: {run['submitted']} submitted, {run['resumed']} resumed, "
        f"{run['already_done']} already done; {run['seconds']:.1f}s)"
    )
    problems = summary["problems"]
    for entry in problems[:_MAX_LISTED]:
        rid = f" request_id={entry['request_id']}" if entry.get("request_id") else ""
        error = f": {entry['error']}" if entry.get("error") else ""
        out.out(f"{entry['status']} line {entry['line']}{rid}{error}")
    if len(problems) > _MAX_LISTED:
        out.out(f"... and {len(problems) - _MAX_LISTED} more")
    if problems:
        out.out(f"failures: {summary['failures_file']}")
    if summary["uncertain"]:
        lines = [str(e["line"]) for e in problems if e["status"] == "uncertain"]
        listed = ", ".join(lines[:_MAX_LISTED]) + (", ..." if len(lines) > _MAX_LISTED else "")
        out.out(
            f"uncertain lines ({listed}): their submit got no answer, so a job may exist (and be billed) "
            "whose request id is unknown; they are not resubmitted. Add --resubmit-uncertain to submit "
            "them again (accepting a possible duplicate)."
        )
    if summary["unfinished"] or summary["pending"]:
        out.out(
            "re-run the same command to resume the unfinished lines (known request ids are never resubmitted)"
        )
    if summary["failed"]:
        out.out("failed jobs are not retried on re-run; add --retry-failed to submit them again")


async def run_batch(
    options: BatchOptions, lines: Sequence[BatchLine], client_factory: Callable[[], AsyncClient], out: Output
) -> Outcome:
    journal = Journal.open(options.out_dir)
    try:
        if journal.skipped_records:
            out.warn(
                f"{journal.path}: skipped {journal.skipped_records} unreadable record(s) (a torn write?)"
            )
        async with client_factory() as client:
            runner = BatchRunner(options, lines, journal, client, out)
            return await runner.run()
    finally:
        journal.close()


EXAMPLES = """
\b
Examples:
  fal-queue batch prompts.jsonl --model fal-ai/flux-1/schnell --out out/ --concurrency 16
  fal-queue batch prompts.jsonl -m fal-ai/flux-1/dev -o out/ -p num_images=2 -p image_size=square_hd
\b
prompts.jsonl holds one job per line: a JSON object of arguments
  {"prompt": "a red fox", "seed": 7}
or a JSON string, which is the prompt:
  "a lighthouse at dawn"
Blank lines and lines starting with # are skipped; -p/--image-url/--input give arguments
shared by every line (a line's own keys win). Every line is checked before anything is sent.
\b
Outputs: DIR/line-00042-0.jpg (files), DIR/line-00042.json (the result), DIR/journal.jsonl,
DIR/failures.jsonl (every line that is not done, with request ids and errors), DIR/summary.json.
\b
Resume: re-run the same command. Lines whose request id is in the journal are never
submitted again: they are waited for and fetched. A line whose submit got no answer (the
process died mid-submit, or the connection broke) is *uncertain*: a job may exist, its id is
unknowable, so it is not resubmitted unless you pass --resubmit-uncertain. Failed jobs are
not retried unless you pass --retry-failed. The first Ctrl-C stops new submits and lets
in-flight submits finish (so their ids are kept); a second one stops at once.
\b
Exit codes: 0 every line done; 1 a job failed or a line is uncertain; 2 invalid input;
3 auth/network/config trouble, or lines left unfinished by gateway/network errors (re-run
later to resume them); 130 interrupted.
"""


@click.command("batch", epilog=EXAMPLES)
@click.argument("prompts", metavar="PROMPTS.jsonl")
@click.option("-m", "--model", required=True, help="Model id for every line.")
@click.option(
    "-o",
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory (holds the journal; re-use it to resume).",
)
@click.option(
    "-c",
    "--concurrency",
    type=click.IntRange(1, 1024),
    default=8,
    show_default=True,
    help="Jobs in flight at once.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Per job: stop waiting after this long (the line stays resumable).",
)
@click.option(
    "--resubmit-uncertain", is_flag=True, help="Submit uncertain lines again (a duplicate job may result)."
)
@click.option("--retry-failed", is_flag=True, help="Submit lines whose job failed again.")
@click.option(
    "--progress-interval",
    type=click.FloatRange(min=0.05),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds between progress lines when stderr is not a terminal.",
)
@click.option(
    "--image-url", "image_urls", multiple=True, metavar="URL", help="Input image(s) for every line."
)
@click.option(
    "-p", "--param", "params", multiple=True, metavar="KEY=VALUE", help="A parameter for every line."
)
@click.option("--input", "input_path", metavar="FILE", help="JSON object of arguments shared by every line.")
@common_options
@handle_errors
def batch_command(
    prompts: str,
    model: str,
    out_dir: Path,
    concurrency: int,
    timeout: float | None,
    resubmit_uncertain: bool,
    retry_failed: bool,
    progress_interval: float,
    image_urls: tuple[str, ...],
    params: tuple[str, ...],
    input_path: str | None,
) -> None:
    """Run every line of PROMPTS.jsonl as a job; crash-safe and resumable."""
    state = get_state()
    out = state.output()
    common = build_arguments(model, input_path=input_path, prompt=None, image_urls=image_urls, params=params)
    try:
        lines = read_batch_file(prompts, model, common)
    except BatchInputError as exc:
        for problem in exc.problems[:50]:
            out.error(problem)
        if len(exc.problems) > 50:
            out.error(f"... and {len(exc.problems) - 50} more invalid line(s)")
        raise
    settings = state.settings()
    settings.require_connection()
    with settings.client():  # a bad URL or scheme fails here, before DIR is touched
        pass
    options = BatchOptions(
        model_id=model,
        out_dir=out_dir,
        concurrency=concurrency,
        timeout=timeout,
        resubmit_uncertain=resubmit_uncertain,
        retry_failed=retry_failed,
        progress_interval=progress_interval,
        input_path=prompts,
    )
    outcome = asyncio.run(run_batch(options, lines, settings.async_client, out))
    if out.json:
        out.out_json(outcome.summary)
    else:
        print_summary(out, outcome.summary)
    if outcome.exit_code:
        click.get_current_context().exit(outcome.exit_code)
