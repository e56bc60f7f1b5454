"""The mock's job queue: workers, lifecycle, results, cancellation, expiry and webhooks.

Everything here runs on the server's event loop. A job's observers wait on its ``changed`` event,
which is replaced and set on every change, so a status stream learns of completion at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fal_queue.mock.config import MockConfig
from fal_queue.mock.limits import KeyLimits
from fal_queue.mock.media import (
    ImageRecipe,
    MediaStore,
    capped_size,
    data_uri,
    render_image,
    requested_size,
    sample_video,
)
from fal_queue.mock.spec import problem
from fal_queue.mock.waiting import WaitingLine
from fal_queue.mock.webhooks import WebhookSender, WebhookSigner

__all__ = ["Engine", "Job"]

log = logging.getLogger("fal_queue.mock")

IN_QUEUE = "IN_QUEUE"
IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"

_JOB_COUNTS = ("created", "completed", "succeeded", "failed", "cancelled", "timed_out")
REQUEST_OPERATIONS = ("submit", "status", "stream", "result", "cancel", "media", "admin", "jwks", "unrouted")
"""Keys of ``stats()["requests_by_operation"]`` (always present, zero when unused)."""


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class JobError:
    """How a job that did not succeed answers its result call."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    message: str
    error_type: str

    @classmethod
    def plain(cls, status: int, message: str, error_type: str, **headers: str) -> JobError:
        """An error whose body is fal's ``{"detail": message, "error_type": ...}``."""
        body = {"detail": message, "error_type": error_type}
        return cls(status, body, {**headers, "X-Fal-Error-Type": error_type}, message, error_type)


@dataclass(eq=False, slots=True)
class Job:
    request_id: str
    model_id: str
    app: str
    inputs: dict[str, Any]
    created_at: float
    seq: int
    urls: dict[str, str]
    low_priority: bool = False
    webhook: str | None = None
    start_timeout: float | None = None
    media_ttl: float = 3600.0
    fail_mode: str | None = None  # None | "validation" | "server"
    unknown_fields: list[str] = field(default_factory=list)
    key: str = ""
    """The key that submitted the job: the gateway's limits are per key."""
    not_ready_served: int = 0
    """Result GETs answered "still in progress" after completion (the ``result_not_ready`` fault)."""
    status: str = IN_QUEUE
    started_at: float | None = None
    completed_at: float | None = None
    cancelled: bool = False
    failed: bool = False
    ready: bool = False
    holding_slot: bool = False
    logs: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error: JobError | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    slot: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    """Resolved when a worker takes the job."""
    task: asyncio.Task[None] | None = None

    @property
    def done(self) -> bool:
        return self.status == COMPLETED

    def touch(self) -> None:
        """Wake everyone waiting for a change of this job."""
        event, self.changed = self.changed, asyncio.Event()
        event.set()

    def add_log(self, message: str, level: str = "INFO") -> None:
        """Log a line and wake the job's watchers (every change of a job comes with a log line)."""
        self.logs.append(
            {
                "message": message,
                "timestamp": _iso(time.time()),
                "level": level,
                "source": "USER",
                "labels": {},
            }
        )
        self.touch()


class Engine:
    def __init__(
        self,
        config: MockConfig,
        media: MediaStore,
        media_base: Callable[[], str],
        url_base: Callable[[], str],
    ) -> None:
        self.config = config
        self.media = media
        self._media_base = media_base
        self._url_base = url_base
        self.jobs: dict[str, Job] = {}
        self.waiting: WaitingLine[Job] = WaitingLine()
        self._running = 0
        self._seq = 0
        self._failure_modes = itertools.cycle(("validation", "server"))  # the ``job_failure`` fault's
        self.counters: Counter[str] = Counter()
        self.closing = asyncio.Event()
        self._rng = random.Random(config.faults.seed)
        self.limits = KeyLimits(config)
        self.webhooks = WebhookSender(WebhookSigner(config.webhook_private_key), self.counters)
        self._background: set[asyncio.Task[Any]] = set()

    def begin_closing(self) -> None:
        """Wake every status stream to end: the mock is closing."""
        self.closing.set()
        for job in self.jobs.values():
            job.touch()

    async def close(self) -> None:
        self.begin_closing()
        pending = [j.task for j in self.jobs.values() if j.task is not None] + list(self._background)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self.webhooks.aclose()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ---- queries ----

    def get(self, app: str, request_id: str) -> Job | None:
        job = self.jobs.get(request_id)
        return job if job is not None and job.app == app else None

    def urls_for(self, app: str, request_id: str, *, foreign: bool = False) -> dict[str, str]:
        """The ``*_url`` fields of a job: the queue layout, or another host's (``foreign_urls``)."""
        base = (
            f"https://elsewhere.invalid/v2/jobs/{request_id}"
            if foreign
            else f"{self._url_base()}/{app}/requests/{request_id}"
        )
        return {"response_url": base, "status_url": f"{base}/status", "cancel_url": f"{base}/cancel"}

    def foreign_completed_body(self, job: Job, with_logs: bool) -> dict[str, Any]:
        """A COMPLETED status that names another job (the newest other one), else a fresh id."""
        other = next((rid for rid in reversed(self.jobs) if rid != job.request_id), None)
        other = other or str(uuid.uuid4())
        return {
            "status": COMPLETED,
            "request_id": other,
            **self.urls_for(job.app, other),
            "logs": [] if with_logs else None,
            "metrics": {},
        }

    def status_body(self, job: Job, with_logs: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"status": job.status, "request_id": job.request_id, **job.urls}
        if job.status == IN_QUEUE:
            body["queue_position"] = self.waiting.position(job)
        body["logs"] = list(job.logs) if with_logs else None
        if job.status == COMPLETED:
            body["metrics"] = job.metrics or {}
            if job.error is not None:
                body["error"] = job.error.message
                body["error_type"] = job.error.error_type
        return body

    def job_info(self, job: Job) -> dict[str, Any]:
        return {
            "request_id": job.request_id,
            "model_id": job.model_id,
            "app": job.app,
            "status": job.status,
            "queue_position": self.waiting.position(job) if job.status == IN_QUEUE else None,
            "created_at": job.created_at,
            "started_at": job.started_at,
            "completed_at": job.completed_at,
            "cancelled": job.cancelled,
            "failed": job.failed,
            "error": job.error.message if job.error else None,
            "error_type": job.error.error_type if job.error else None,
            "webhook": job.webhook,
            "inputs": job.inputs,
            "unknown_fields": list(job.unknown_fields),
        }

    def stats(self) -> dict[str, Any]:
        c = self.counters
        return {
            **{f"jobs_{name}": c[f"jobs_{name}"] for name in _JOB_COUNTS},
            "jobs_in_queue": len(self.waiting),
            "jobs_running": self._running,
            "jobs_stored": len(self.jobs),
            "media_stored": len(self.media),
            **{
                f"webhooks_{name}": c[f"webhooks_{name}"] for name in ("delivered", "failed", "not_delivered")
            },
            "requests_total": c["requests_total"],
            "requests_by_operation": {
                **dict.fromkeys(REQUEST_OPERATIONS, 0),
                **{k[4:]: v for k, v in sorted(c.items()) if k.startswith("req:")},
            },
            "faults_injected": {k[6:]: v for k, v in sorted(c.items()) if k.startswith("fault:")},
            "submits_limited": {k[8:]: v for k, v in sorted(c.items()) if k.startswith("limited:")},
        }

    # ---- submit, run, cancel ----

    def submit(
        self,
        app: str,
        model_id: str,
        inputs: dict[str, Any],
        *,
        fail: bool,
        foreign_urls: bool,
        **fields: Any,
    ) -> Job:
        """Queue a job; ``fields`` are further `Job` fields (low_priority, webhook, start_timeout, ...)."""
        rid = str(uuid.uuid4())
        self._seq += 1
        urls = self.urls_for(app, rid, foreign=foreign_urls)
        fail_mode = next(self._failure_modes) if fail else None
        job = Job(rid, model_id, app, inputs, time.time(), self._seq, urls, fail_mode=fail_mode, **fields)
        self.jobs[rid] = job
        self.limits.started(job.key)
        self.waiting.add(job)
        self.counters["jobs_created"] += 1
        job.task = asyncio.create_task(self._lifecycle(job))
        return job

    def _pump(self) -> None:
        while self._running < self.config.workers:
            job = self.waiting.first()
            if job is None or not job.ready:
                return
            self.waiting.discard(job)
            job.holding_slot = True
            self._running += 1
            if not job.slot.done():
                job.slot.set_result(None)

    async def _lifecycle(self, job: Job) -> None:
        try:
            try:
                async with asyncio.timeout(job.start_timeout):
                    await asyncio.sleep(self.config.queue_delay)
                    job.ready = True
                    self._pump()
                    await job.slot
            except TimeoutError:
                if not job.done:
                    self.waiting.discard(job)
                    self.counters["jobs_timed_out"] += 1
                    job.failed = True
                    message = "Request timed out before a runner started"
                    timeout_type = {"X-Fal-Request-Timeout-Type": "user"}
                    self._complete(job, error=JobError.plain(504, message, "request_timeout", **timeout_type))
                return
            job.status = IN_PROGRESS
            job.started_at = time.time()
            job.add_log(f"Starting {job.model_id}")
            half = self.config.run_time / 2
            await asyncio.sleep(half)
            steps = job.inputs.get("num_inference_steps")
            steps = steps if isinstance(steps, int) and not isinstance(steps, bool) and steps > 0 else 28
            job.add_log(f"step {max(1, steps // 2)}/{steps}")
            await asyncio.sleep(self.config.run_time - half)
            if job.fail_mode is not None:
                job.failed = True
                self._complete(job, error=self._failure(job))
            else:
                result = await self._make_result(job)
                if not job.done:
                    self._complete(job, result=result)
        finally:
            if job.holding_slot:
                job.holding_slot = False
                self._running -= 1
                self._pump()

    def _failure(self, job: Job) -> JobError:
        if job.fail_mode != "validation":
            return JobError.plain(500, "Internal Server Error", "internal_server_error")
        kind = "content_policy_violation"
        msg = "The content could not be processed because it contained material flagged by a content checker."
        item = problem(["body", "prompt"], kind, msg, job.inputs.get("prompt", ""), {})
        body = {"detail": [{**item, "url": f"https://docs.fal.ai/errors#{kind}"}]}
        return JobError(422, body, {"X-Fal-Retryable": "false"}, "Unprocessable Entity", kind)

    def cancel(self, job: Job) -> bool:
        """Cancel a job that has not completed; False when it already has."""
        if job.done:
            return False
        self.waiting.discard(job)
        job.cancelled = True
        self._complete(job, error=JobError.plain(400, "Request cancelled", "client_cancelled"))
        if job.task is not None:
            job.task.cancel()
        return True

    def _complete(
        self, job: Job, *, result: dict[str, Any] | None = None, error: JobError | None = None
    ) -> None:
        job.status = COMPLETED
        job.completed_at = time.time()
        inference = None if job.started_at is None else round(job.completed_at - job.started_at, 6)
        job.metrics = {"inference_time": inference}
        job.result = result
        job.error = error
        self.limits.ended(job.key)
        asyncio.get_running_loop().call_later(self.config.result_ttl, self.jobs.pop, job.request_id, None)
        self.counters["jobs_completed"] += 1
        outcome = "cancelled" if job.cancelled else "succeeded" if error is None else "failed"
        self.counters[f"jobs_{outcome}"] += 1
        if error is not None:  # last: the log line wakes the job's streams
            job.add_log(f"Error: {error.message}", level="ERROR")
        else:
            job.add_log("Completed")
        if job.webhook is not None:
            self._spawn(self.webhooks.deliver(job.request_id, job.webhook, self.webhook_payload(job)))

    # ---- results ----

    async def _make_result(self, job: Job) -> dict[str, Any]:
        """A video model's one MP4, else images that show the prompt; as data URIs with ``sync_mode``,
        else as files of the media origin."""
        if "video" in job.model_id.lower():
            return self._video(job)
        inputs = job.inputs
        seed = inputs.get("seed")
        if not isinstance(seed, int) or isinstance(seed, bool):
            seed = self._rng.randrange(2**31)
        count = inputs.get("num_images")
        count = count if isinstance(count, int) and not isinstance(count, bool) and 1 <= count <= 4 else 1
        fmt = "png" if inputs.get("output_format") == "png" else "jpeg"
        prompt = inputs.get("prompt")
        prompt = prompt if isinstance(prompt, str) else ""
        width, height = capped_size(*requested_size(inputs, job.model_id))
        recipes = [ImageRecipe(width, height, fmt, prompt, seed, i, job.model_id) for i in range(count)]
        images = [
            {"url": url, "width": width, "height": height, "content_type": r.content_type}
            for r, url in zip(recipes, await self._image_urls(job, recipes), strict=True)
        ]
        if job.model_id in ("fal-ai/flux-pro/kontext", "fal-ai/flux-pro/kontext/max"):
            for image in images:
                image["file_name"] = "output." + recipes[0].extension
        every = self.config.nsfw_every  # the safety checker's flags, deterministic by seed
        return {
            "images": images,
            "timings": {"inference": self.config.run_time},
            "seed": seed,
            "has_nsfw_concepts": [every > 0 and (seed + i) % every == 0 for i in range(count)],
            "prompt": prompt,
        }

    async def _image_urls(self, job: Job, recipes: list[ImageRecipe]) -> list[str]:
        """Rendered now as data URIs (``sync_mode``), else stored and rendered on first download."""
        if job.inputs.get("sync_mode") is not True:
            ttl = job.media_ttl
            paths = [self.media.add(r.content_type, ttl, recipe=r, suffix=f".{r.extension}") for r in recipes]
            return [self._media_base() + path for path in paths]
        loop = asyncio.get_running_loop()
        blobs = await asyncio.gather(*(loop.run_in_executor(None, render_image, r) for r in recipes))
        return [data_uri(r.content_type, blob) for r, blob in zip(recipes, blobs, strict=True)]

    def _video(self, job: Job) -> dict[str, Any]:
        video = sample_video()
        if job.inputs.get("sync_mode") is True:
            url = data_uri("video/mp4", video)
        else:
            url = self._media_base() + self.media.add(
                "video/mp4", job.media_ttl, data=video, suffix="_output.mp4"
            )
        return {
            "video": {
                "url": url,
                "content_type": "video/mp4",
                "file_name": "output.mp4",
                "file_size": len(video),
            }
        }

    # ---- webhooks ----

    def webhook_payload(self, job: Job) -> dict[str, Any]:
        """The body fal POSTs to ``fal_webhook``: the result on OK, the error body on ERROR."""
        body: dict[str, Any] = {
            "request_id": job.request_id,
            "gateway_request_id": job.request_id,
            "status": "OK",
            "payload": job.result,
            "error": None,
            "payload_error": None,
        }
        if job.error is not None:
            error = f"Invalid status code: {job.error.status}"  # fal's wording
            body.update(status="ERROR", payload=job.error.body, error=error)
        return body
