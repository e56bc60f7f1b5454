"""The batch engine: the lines of ``fal-queue batch`` through one AsyncClient, every step journaled.

With ``--concurrency auto`` a line's submit and wait hold a place in ``AsyncClient.job_slot()``,
taken before its intent is written, so the journal never shows a submit the window had not let go.
A broken setup (the same for every line) stops the batch after a few submits in a row fail the same
way, rather than proving it again on every line; one 401 stops it at once.

The human summary is printed from the very dictionary written to summary.json, so the two never
disagree. Each line ends in exactly one of ``STATES``: done (its files are saved), failed (its job
ran and failed), uncertain (its submit got no answer, so a job may exist whose request id is
unknown), unfinished (a request id but no files yet: a re-run waits for it), refused (the gateway
answered its submit with an error, so no job exists) or pending (never sent).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import json
import os
import re
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import attrs

from .. import errors as E
from ..client import AsyncClient, AsyncHandle
from ..download import suffix_of
from ..types import Completed, Queued, Result, Status
from .contact_sheet import SHEET_NAME, SheetEntry, entry_from_result, render_sheet
from .errors import (
    EXIT_ENV,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CliError,
    describe,
    not_a_gateway,
    one_line,
)
from .inputs import BatchLine
from .journal import Journal, LineState
from .output import Output
from .progress import BatchCounters, BatchDisplay
from .saving import write_atomic

#: Seconds between rewrites of the contact sheet while the batch runs (and once at the end).
SHEET_INTERVAL = 1.0
#: The most jobs in flight at once, fixed or auto (the job window's ceiling).
AUTO_CEILING = 1024
#: Consecutive same-kind submit failures after which a batch stops sending.
SETUP_STREAK = 3
FAILURES_NAME = "failures.jsonl"
SUMMARY_NAME = "summary.json"
#: Every state a line can end a run in, in the order the summary lists them.
STATES = ("done", "failed", "uncertain", "unfinished", "refused", "pending")
_MAX_LISTED = 20
_PER_CALL = re.compile(r",? ?x-fal-request-id=[^,)]*")
_DNS = ("name or service not known", "nodename nor servname", "getaddrinfo", "name resolution", "no address")
_TLS = ("ssl", "certificate", "tls", "handshake")


def line_status(journal_status: str) -> str:
    return {
        "intent": "uncertain",
        "new": "pending",
        "submitted": "unfinished",
        "error": "unfinished",
        "rejected": "refused",
    }.get(journal_status, journal_status)


@dataclass(frozen=True)
class SetupFailure:
    kind: str  # what every line would hit
    reached_gateway: bool  # False: no byte of the request was answered (nothing can exist)
    check: str  # the setting to check


def setup_failure(err: BaseException) -> SetupFailure | None:
    """The setup problem a submit error shows, or None for an error of that one submit."""
    if isinstance(err, E.SubmitUncertainError):
        return None  # the request may have reached a gateway: never a setup verdict
    base = "FAL_QUEUE_BASE_URL (--base-url): is it the gateway's address, and is the gateway up?"
    if isinstance(err, E.APIConnectionError):
        text = err.message.lower()
        if any(word in text for word in _TLS):
            return SetupFailure("TLS failed", False, "FAL_QUEUE_BASE_URL (--base-url): https to a TLS port?")
        if any(word in text for word in _DNS):
            return SetupFailure("DNS lookup failed", False, "FAL_QUEUE_BASE_URL (--base-url): the host name")
        if isinstance(err, E.APITimeoutError):
            return SetupFailure("connecting timed out", False, base)
        return SetupFailure("could not connect (connection refused or failed)", False, base)
    if not_a_gateway(err) is not None:
        return SetupFailure("answers that are not a gateway's", True, base)
    if isinstance(err, E.NotFoundError):
        return SetupFailure(
            "the gateway does not serve this model (HTTP 404)",
            True,
            "--model, and FAL_QUEUE_BASE_URL (--base-url)",
        )
    return None


@dataclass
class BatchOptions:
    model_id: str
    out_dir: Path
    concurrency: int | None = None  # None: auto, the client's job window
    timeout: float | None = None
    resubmit_uncertain: bool = False
    retry_failed: bool = False
    progress_interval: float = 5.0
    input_path: str = ""
    submit: dict[str, Any] = field(default_factory=dict)  # the SDK's submit options (priority...)


@dataclass
class _Item:
    line: BatchLine
    state: LineState
    action: str  # "submit" | "resume"
    phase: str = ""
    position: int | None = None  # the last queue position the gateway told for it
    started: float = field(default_factory=time.monotonic)


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
        self.counters = BatchCounters(
            total=len(self.lines), window=client.window, auto=options.concurrency is None
        )
        self.width = max(5, len(str(max(line.no for line in self.lines))))
        self.stopping = False
        self.abort: CliError | E.FalQueueError | None = None
        self.interrupted = False
        self.submitted_now = 0
        self.resumed_now = 0
        self.already_done = 0
        self._working: dict[asyncio.Task[None], _Item] = {}  # each worker and the line it works on
        self._streak: tuple[str, int] = ("", 0)  # (kind, count) of consecutive setup failures
        self._metas: dict[int, dict[str, Any]] = {}  # line -> its line-NNNNN.json (result, flags, units)
        self._elapsed: dict[int, float] = {}
        self._sheet_at = 0.0

    # ---- planning ----

    def check_journal(self) -> None:
        """Refuse to resume a journal written for another model or other input lines."""
        for run in self.journal.runs[:1]:
            if run.get("model") != self.opt.model_id:
                raise CliError(
                    f"{self.opt.out_dir} holds a batch of {run.get('model')}, not {self.opt.model_id}; "
                    "use another --out"
                )
        known = {line.no for line in self.lines}
        for no, state in sorted(self.journal.states.items()):
            if no not in known and state.status != "new":
                raise CliError(
                    f"{self.opt.out_dir}: the journal has line {no}, which is not a job line of "
                    f"{self.opt.input_path} any more; the input changed: use another --out"
                )
        for line in self.lines:
            known_state = self.journal.states.get(line.no)
            if known_state is not None and known_state.digest not in {None, line.digest}:
                raise CliError(
                    f"{self.opt.out_dir}: line {line.no} of {self.opt.input_path} changed since it was "
                    "submitted; refusing to mix batches: use another --out"
                )

    def plan(self) -> list[_Item]:
        """The lines to resume (by request id) and then to submit; lines settled earlier are counted."""
        resume: list[_Item] = []
        submit: list[_Item] = []
        c = self.counters
        for line in self.lines:
            state = self.journal.state(line.no)
            status = state.status
            if (
                (status == "done" and all((self.opt.out_dir / p).exists() for p in state.paths))
                or (status == "failed" and not self.opt.retry_failed)
                or (status == "uncertain" and not self.opt.resubmit_uncertain)
            ):
                setattr(c, status, getattr(c, status) + 1)
                c.earlier += 1
                self.already_done += status == "done"
            elif status == "done" or (status in {"submitted", "error"} and state.request_id):
                resume.append(_Item(line, state, "resume"))  # paid for: wait for it, or fetch its files again
            else:  # new, rejected (no job was created), or asked to submit again
                submit.append(_Item(line, state, "submit"))
        return resume + submit  # jobs already paid for first

    # ---- running ----

    def _phase(self, item: _Item, phase: str) -> None:
        if phase == "queued" and item.phase in {"", "submitting"}:
            item.started = time.monotonic()
        c = self.counters
        for name, delta in ((item.phase, -1), (phase, +1)):
            if name in {"submitting", "queued", "running", "downloading"}:
                setattr(c, name, getattr(c, name) + delta)
        item.phase = phase
        # Where the queue's front is, when the gateway says: the best position a queued line was told.
        positions = [
            i.position for i in self._working.values() if i.phase == "queued" and i.position is not None
        ]
        self.counters.queue_front = min(positions, default=None)

    def _on_status(self, item: _Item, status: Status) -> None:
        if isinstance(status, Queued):
            item.position = status.position
            self._phase(item, "queued")
        elif not isinstance(status, Completed):  # IN_PROGRESS, or a status this SDK does not know
            self._phase(item, "running")

    async def _submit(self, item: _Item) -> AsyncHandle | None:
        j = self.journal
        no = item.line.no
        self._phase(item, "submitting")
        j.record("intent", no, digest=item.line.digest)
        try:
            await j.sync()  # durable before a single byte of the request leaves
        except asyncio.CancelledError:
            j.record("abandon", no)
            raise
        if self.stopping:  # stopped while this line waited for its intent to be durable
            j.record("abandon", no)
            return None
        # While submits keep failing the same setup way, do not spend retries proving it again:
        # the streak reaches its limit in seconds, not minutes (a retry could not help anyway).
        extra: dict[str, Any] = {"max_retries": 0} if self._streak[1] else {}
        try:
            handle = await self.client.submit(
                self.opt.model_id, item.line.arguments, **self.opt.submit, **extra
            )
        except E.SubmitUncertainError as exc:
            j.record("uncertain", no, error=describe(exc))
            self.counters.uncertain += 1
            return None
        except (E.AuthenticationError, E.PermissionDeniedError) as exc:
            j.record("rejected", no, error=describe(exc), error_type=exc.error_type)
            self.counters.refused += 1
            self._abort(exc)
            return None
        except E.FalQueueError as exc:
            self._submit_failed(no, exc)
            return None
        self._streak = ("", 0)
        j.record("submitted", no, request_id=handle.request_id)
        self.submitted_now += 1
        await j.sync()
        return handle

    def _submit_failed(self, no: int, exc: E.FalQueueError) -> None:
        """A submit that got an error (no job exists); a streak of the same setup error stops the batch."""
        failure = setup_failure(exc)
        if failure is not None and not failure.reached_gateway:
            self.journal.record("abandon", no)  # nothing reached a gateway: the line was never sent
        else:
            self.journal.record(
                "rejected", no, error=describe(exc), error_type=getattr(exc, "error_type", None)
            )
            self.counters.refused += 1
        if failure is None:
            self._streak = ("", 0)
            return
        kind, count = self._streak
        count = count + 1 if kind == failure.kind else 1
        self._streak = (failure.kind, count)
        if count >= SETUP_STREAK and self.abort is None:
            where = f" (now {self.client.base_url})"
            self._abort(
                CliError(
                    f"{count} submits in a row failed the same way: {failure.kind}; check {failure.check}"
                    f"{where}. Last error: {describe(exc)}. Nothing more was sent; re-run the same command "
                    "to resume",
                    EXIT_ENV,
                )
            )

    async def _process(self, item: _Item) -> None:
        j = self.journal
        no = item.line.no
        async with contextlib.AsyncExitStack() as slot:
            if self.opt.concurrency is None:  # auto: the job window decides how many are in flight
                await slot.enter_async_context(self.client.job_slot())
            if item.action == "submit":
                handle = await self._submit(item)
                if handle is None or self.stopping:  # stopped: its request id is kept; a re-run waits
                    return
            else:
                assert item.state.request_id is not None
                handle = self.client.get_handle(self.opt.model_id, item.state.request_id)
                self.resumed_now += 1
            rid = handle.request_id
            c = self.counters
            try:
                self._phase(item, "queued")
                try:
                    result = await handle.get(
                        on_queue_update=functools.partial(self._on_status, item), timeout=self.opt.timeout
                    )
                except E.JobFailedError as exc:
                    j.record("failed", no, request_id=rid, error=describe(exc), error_type=exc.error_type)
                    c.failed += 1
                else:
                    await slot.aclose()  # the job is over: its place in the window goes to the next line
                    self._phase(item, "downloading")
                    paths = await self._save(item.line.no, result)
                    j.record("done", no, request_id=rid, paths=paths)
                    c.done += 1
                    self._elapsed[no] = time.monotonic() - item.started
                if item.action == "submit":
                    c.finished_own += 1  # this run's own work: the throughput and the ETA count only it
                self.write_sheet(final=False)
                await j.sync()
            except (E.FalQueueError, OSError) as exc:  # OSError: the output folder failed us (disk full)
                error = (
                    describe(exc) if isinstance(exc, E.FalQueueError) else one_line(f"saving files: {exc}")
                )
                j.record(
                    "error", no, request_id=rid, error=error, error_type=getattr(exc, "error_type", None)
                )
                c.unfinished += 1
                if isinstance(exc, E.AuthenticationError | E.PermissionDeniedError):
                    self._abort(exc)

    # ---- the contact sheet ----

    def _meta_of(self, no: int, state: LineState) -> dict[str, Any] | None:
        """A done line's line-NNNNN.json: its result, flagged images and billable units."""
        if no in self._metas:
            return self._metas[no]
        name = next((p for p in state.paths if p.endswith(".json")), f"{self._stem(no)}.json")
        try:
            data = json.loads((self.opt.out_dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if isinstance(data, dict) and isinstance(data.get("result"), dict):
            self._metas[no] = data
            return data
        return None

    def sheet_entries(self) -> list[SheetEntry]:
        entries = []
        in_flight = {item.line.no for item in self._working.values() if item.phase}
        for line in self.lines:
            state = self.journal.state(line.no)
            label = f"line {line.no}"
            status = line_status(state.status)
            if line.no in in_flight and state.status in {"intent", "submitted", "error"}:
                status = "running"
            meta = self._meta_of(line.no, state) if status == "done" else None
            existing = [p for p in state.paths if (self.opt.out_dir / p).exists()]
            if meta is not None and existing:
                entries.append(
                    entry_from_result(
                        label,
                        self.opt.model_id,
                        line.arguments,
                        meta["result"],
                        state.request_id,
                        existing,
                        self._elapsed.get(line.no),
                    )
                )
                continue
            prompt = line.arguments.get("prompt")
            entries.append(
                SheetEntry(
                    label=label,
                    status=status if status != "done" else "unfinished",
                    prompt=prompt if isinstance(prompt, str) else None,
                    model=self.opt.model_id,
                    seed=line.arguments.get("seed"),
                    request_id=state.request_id,
                    error=state.error,
                )
            )
        return entries

    def write_sheet(self, *, final: bool) -> None:
        """Rewrite DIR/index.html (at most once a second while running, always at the end)."""
        now = time.monotonic()
        if not final and now - self._sheet_at < SHEET_INTERVAL:
            return
        self._sheet_at = now
        title = f"{self.opt.model_id}: {self.opt.input_path}"
        note = "" if final else "the batch is running; reload to update"
        with contextlib.suppress(OSError):  # the sheet is a view: never fail a job over it
            write_atomic(self.opt.out_dir / SHEET_NAME, render_sheet(title, self.sheet_entries(), note))

    def _stem(self, no: int) -> str:
        return f"line-{no:0{self.width}d}"

    async def _save(self, no: int, result: Result) -> list[str]:
        """Save the result's files as line-NNNNN-K.ext and the result itself as line-NNNNN.json, with
        the images the safety checker flagged (each told once) and the billable units."""
        stem = self._stem(no)
        files = [attrs.evolve(f, file_name=f"{stem}-{i}{suffix_of(f)}") for i, f in enumerate(result.files)]
        saved: list[Path] = []
        if files:  # the batch owns these names: a re-run replaces its own earlier copy
            saved = await self.client.download(files, self.opt.out_dir, if_exists="overwrite")
        flagged = [number for number, flag in enumerate(result.has_nsfw_concepts, 1) if flag]
        for number in flagged:
            self.out.warn(
                f"line {no}: image {number} was flagged by the safety checker; it is probably blank"
            )
        data: dict[str, Any] = {
            "request_id": result.request_id,
            "result": dict(result.raw),
            "flagged_images": flagged,
        }
        if result.billable_units is not None:
            data["billable_units"] = result.billable_units
        self._metas[no] = data
        meta = self.opt.out_dir / f"{stem}.json"
        write_atomic(meta, json.dumps(data, indent=2))
        base = self.opt.out_dir.resolve()
        return [str(p.resolve().relative_to(base)) for p in saved] + [meta.name]

    def _abort(self, exc: CliError | E.FalQueueError) -> None:
        """Stop sending; the reason is printed once (not once per line that hit it)."""
        if self.abort is None:
            self.abort = exc
            self.out.error(f"stopping the batch: {describe(exc)}")
        self._stop(hard=False)

    def _stop(self, *, hard: bool) -> None:
        """No new submits; stop waiting for jobs at once, and for in-flight submits too when ``hard``.

        A submit in flight is let finish, so its request id reaches the journal (nothing uncertain).
        """
        self.stopping = True
        for task, item in self._working.items():
            if (hard or item.phase != "submitting") and task is not asyncio.current_task():
                task.cancel()

    def _signal(self) -> None:
        if self.stopping:
            self.out.notice("stopping now; jobs already submitted are in the journal and resume on re-run")
            self._stop(hard=True)
            return
        self.interrupted = True
        self.out.notice(
            f"stopping: no new submits; waiting for {self.counters.submitting} in-flight submit(s) "
            "to get their request ids (Ctrl-C again to stop at once)"
        )
        self._stop(hard=False)

    async def _worker(self, queue: collections.deque[_Item]) -> None:
        task = asyncio.current_task()
        assert task is not None
        try:
            while queue and not self.stopping:
                self._working[task] = item = queue.popleft()
                try:
                    await self._process(item)
                finally:
                    self._phase(item, "")  # out of every bucket of the display
        finally:
            self._working.pop(task, None)

    async def run(self) -> tuple[int, dict[str, Any]]:
        self.check_journal()
        items = self.plan()
        self.journal.record(
            "run",
            v=1,
            model=self.opt.model_id,
            input=str(self.opt.input_path),
            lines=len(self.lines),
            pid=os.getpid(),
            concurrency=self.opt.concurrency or "auto",
            resubmit_uncertain=self.opt.resubmit_uncertain,
            retry_failed=self.opt.retry_failed,
        )
        await self.journal.sync()
        queue = collections.deque(items)
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._signal)
                installed.append(sig)
        display = BatchDisplay(self.out, self.counters, interval=self.opt.progress_interval)
        try:
            with display:
                # auto: every worker waits for a place in the job window before its line's intent.
                workers = max(1, min(self.opt.concurrency or AUTO_CEILING, len(items)))
                tasks = [asyncio.create_task(self._worker(queue)) for _ in range(workers)]
                ticking = asyncio.create_task(display.run())
                try:
                    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
                finally:
                    ticking.cancel()
            for outcome in outcomes:
                if isinstance(outcome, Exception):
                    raise outcome  # a bug, not a job's failure: report it
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
        self.write_sheet(final=True)
        return self._finish()

    def _finish(self) -> tuple[int, dict[str, Any]]:
        """Write failures.jsonl and summary.json from the journal; the exit code and the summary."""
        entries = []
        metas = []
        counts = collections.Counter[str]()
        for line in self.lines:
            state = self.journal.state(line.no)
            status = line_status(state.status)
            counts[status] += 1
            if status == "done":
                metas.append(self._meta_of(line.no, state) or {})
                continue
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
        write_atomic(out_dir / FAILURES_NAME, failures_text)
        c = self.counters
        units = [m["billable_units"] for m in metas if "billable_units" in m]
        window = self.client.window
        summary: dict[str, Any] = {
            "model": self.opt.model_id,
            "input": self.opt.input_path,
            "out": str(out_dir),
            "lines": len(self.lines),
            **{name: counts[name] for name in STATES},
            "this_run": {
                "submitted": self.submitted_now,
                "resumed": self.resumed_now,
                "already_done": self.already_done,
                "finished": c.finished_own,
                "seconds": round(c.elapsed, 3),
                "jobs_per_second": round(c.rate, 3),
                "concurrency": self.opt.concurrency or "auto",
                "window": {"low": window.low, "high": window.high} if self.opt.concurrency is None else None,
                "refused_429": window.refusals,
            },
            "flagged_images": sum(len(m.get("flagged_images") or ()) for m in metas),
            "billable_units": round(sum(units), 6) if units else None,
            "interrupted": self.interrupted,
            "aborted": describe(self.abort) if self.abort is not None else None,
            "failures_file": str(out_dir / FAILURES_NAME),
            "contact_sheet": str(out_dir / "index.html"),
            "problems": entries,
        }
        write_atomic(out_dir / SUMMARY_NAME, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
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
        return code, summary


async def run_batch(
    options: BatchOptions, lines: Sequence[BatchLine], client_factory: Callable[[], AsyncClient], out: Output
) -> tuple[int, dict[str, Any]]:
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


def _lines_text(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:_MAX_LISTED]))
    return shown + (", ..." if len(numbers) > _MAX_LISTED else "")


def print_summary(out: Output, summary: Mapping[str, Any]) -> None:
    """The human summary on stdout, from the same dictionary as summary.json.

    Lines that failed the same way are one line (a 401 that stopped eight in-flight submits is
    reported once); lines never sent are counted, not listed as failures.
    """
    run = summary["this_run"]
    counts = ", ".join(f"{summary[name]} {name}" for name in STATES)
    out.out(
        f"batch {summary['model']}: {summary['lines']} line(s) in {summary['out']}: {counts} "
        f"(this run: {run['submitted']} submitted, {run['resumed']} resumed, "
        f"{run['already_done']} already done; {run['seconds']:.1f}s)"
    )
    problems = [e for e in summary["problems"] if e["status"] != "pending" or e.get("error")]
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for entry in problems:
        # The same error differs between lines only by the gateway's per-call id.
        error = _PER_CALL.sub("", str(entry.get("error") or ""))
        key = (entry["status"], error if not entry.get("request_id") else f"{entry['line']}")
        groups.setdefault(key, []).append(entry)
    for listed, ((status, _), members) in enumerate(groups.items()):
        if listed >= _MAX_LISTED:
            out.out(f"... and {len(groups) - listed} more (see {summary['failures_file']})")
            break
        first = members[0]
        error = f": {first['error']}" if first.get("error") else ""
        if len(members) == 1:
            rid = f" request_id={first['request_id']}" if first.get("request_id") else ""
            out.out(f"{status} line {first['line']}{rid}{error}")
        else:
            out.out(f"{status} lines {_lines_text([m['line'] for m in members])}{error}")
    if summary["problems"]:
        out.out(f"failures: {summary['failures_file']}")
    if summary["uncertain"]:
        numbers = [e["line"] for e in summary["problems"] if e["status"] == "uncertain"]
        out.out(
            f"uncertain lines ({_lines_text(numbers)}): their submit got no answer, so a job may exist "
            "(and be billed) whose request id is unknown; they are not resubmitted. Add "
            "--resubmit-uncertain to submit them again (accepting a possible duplicate)."
        )
    if summary["unfinished"] or summary["refused"] or summary["pending"]:
        out.out(
            "re-run the same command to resume the unfinished, refused and pending lines "
            "(known request ids are never resubmitted)"
        )
    if summary["failed"]:
        out.out("failed jobs are not retried on re-run; add --retry-failed to submit them again")
    if summary["flagged_images"]:
        out.out(
            f"{summary['flagged_images']} image(s) flagged by the safety checker (probably blank; "
            "see the warnings above)"
        )
    if summary["billable_units"] is not None:
        out.out(f"billable units: {summary['billable_units']:g}")
    window = run["window"]
    in_flight = (
        f"job window {window['low']}..{window['high']}" if window else f"concurrency {run['concurrency']}"
    )
    out.out(f"{in_flight} jobs in flight; {run['refused_429']} submit(s) refused with 429")
    out.out(f"contact sheet: {summary['contact_sheet']}")
