"""``fal-queue check``: does this gateway honour the contract? A report a user can send to its support.

It makes its calls with the SDK's own client and judges what the client sends and receives beneath
the SDK's retries (a transport that records each exchange): status codes, the ``*_url`` layout,
stream framing, and which inputs reached the model. Paid jobs are counted against a hard budget
(``--max-jobs``, default 2); everything else uses requests that create no job.
"""

from __future__ import annotations

import dataclasses
import struct
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
import httpx

from .. import _settings
from .. import errors as E
from .._schema import contract, problems_of_errors
from .._settings import Resolved
from ..client import Client
from ..images import media_type
from ..types import File
from ..urls import app_id, queue_urls
from .context import command, get_state
from .errors import EXIT_FAILED, EXIT_OK, CliError
from .models import model_info

T = TypeVar("T")

CHEAPEST_MODEL = "fal-ai/flux-1/schnell"
WRONG_KEY = "fal-queue-check-wrong-key"
#: The inputs whose effect on the output is measured (image_size: a size no preset has).
PROBE_SIZE = {"width": 512, "height": 384}
PROBE = {"num_images": 2, "image_size": PROBE_SIZE, "output_format": "png", "seed": 424242}
_FINAL = "COMPLETED"
_PENDING = {"IN_QUEUE", "IN_PROGRESS"}


@dataclass
class Finding:
    check: str
    ok: bool | None  # None: could not be observed (not a failure)
    request: str
    expected: str
    seen: str

    @property
    def label(self) -> str:
        return "PASS" if self.ok else ("FAIL" if self.ok is False else "SKIP")


@dataclass
class Report:
    gateway: str
    model: str
    max_jobs: int
    jobs_used: int = 0
    request_ids: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def conformant(self) -> bool:
        return all(f.ok is not False for f in self.findings)

    def add(self, check: str, ok: bool | None, request: str, expected: str, seen: str) -> None:
        self.findings.append(Finding(check, ok, request, expected, seen))

    def to_json(self) -> dict[str, Any]:
        findings = [{**asdict(f), "result": f.label.lower()} for f in self.findings]
        return {"conformant": self.conformant, **asdict(self), "findings": findings}

    def text(self) -> str:
        failed = sum(f.ok is False for f in self.findings)
        lines = [
            f"fal-queue check of {self.gateway}",
            f"model {self.model}; paid jobs used {self.jobs_used} of {self.max_jobs}; "
            f"request ids: {', '.join(self.request_ids) or 'none'}",
            "",
        ]
        for f in self.findings:
            lines.append(f"{f.label}  {f.check}  {f.request}")
            if f.ok is not True:
                lines += [f"      expected: {f.expected}", f"      seen:     {f.seen}"]
        lines += ["", "conformant" if failed == 0 else f"NOT conformant: {failed} finding(s) failed"]
        return "\n".join(lines)


def _shape_problems(value: Any, schema_name: str, where: str) -> list[str]:
    """What ``value`` breaks of one component schema of the packaged spec (the SDK's validator);
    a ``null`` where a type is stated is let pass, as fal sends ``"file_name": null``."""
    if not isinstance(value, dict):
        return [f"{where} is not a JSON object"]
    validator = contract().validator({"$ref": f"#/components/schemas/{schema_name}"})
    problems = []
    for p in problems_of_errors(validator.iter_errors(value)):
        at = where + "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in p.path)
        if p.rule == "required":
            problems.append(f"{at}.{p.limit} is missing")
        elif p.rule == "type":
            if p.value is not None:
                problems.append(f"{at} is {type(p.value).__name__}, the spec says {p.limit}")
        else:
            problems.append(f"{at}: {p.message.partition(': ')[2]}")
    return problems


def _where(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url}"


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, httpx.ResponseNotRead):
        return None


def _text(response: httpx.Response, limit: int) -> str:
    """The status code and the start of the body (of a stream: the code)."""
    try:
        return f"{response.status_code} {response.text[:limit]!r}"
    except httpx.ResponseNotRead:
        return str(response.status_code)


class _Recorder(httpx.BaseTransport):
    """Beneath the SDK's own retries: every request the client sends and the answer it gets."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.sent: list[str] = []
        self.answers: list[httpx.Response] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url}")
        response = self.inner.handle_request(request)
        response.request = request  # an answer the SDK retries never reaches httpx's client
        self.answers.append(response)
        return response

    def close(self) -> None:
        self.inner.close()


class _Checker:
    def __init__(
        self,
        settings: Resolved,
        model: str,
        max_jobs: int,
        timeout: float,
        transport: httpx.BaseTransport | None,
    ) -> None:
        self.base = str(settings.base_url)
        self.model = model
        self.app = app_id(model)
        self.timeout = timeout
        self.report = Report(self.base, model, max_jobs)
        self.pending_seen = False
        self.recorder = _Recorder(transport or httpx.HTTPTransport())
        # Media files go through the SDK's media client, which never sends the key.
        self.client = Client(settings=settings, transport=self.recorder)
        self.wrong = Client(settings=dataclasses.replace(settings, key=WRONG_KEY), transport=self.recorder)

    def _call(
        self, check: str, call: Callable[[], T]
    ) -> tuple[T | None, E.FalQueueError | None, httpx.Response | None]:
        """One SDK call: its value or error, and the gateway's last answer (reported when none came)."""
        sent, answered = len(self.recorder.sent), len(self.recorder.answers)
        value: T | None = None
        error: E.FalQueueError | None = None
        try:
            value = call()
        except E.FalQueueError as exc:
            error = exc
        if len(self.recorder.answers) == answered:
            where = self.recorder.sent[-1] if len(self.recorder.sent) > sent else "-"
            self.report.add(check, False, where, "an HTTP answer", f"{type(error).__name__}: {error}")
            return value, error, None
        return value, error, self.recorder.answers[-1]

    # ---- checks ----

    def auth(self) -> None:
        rid = str(uuid.UUID(int=0))
        _, _, wrong = self._call("auth", lambda: self.wrong.status(self.model, rid))
        _, _, right = self._call("auth", lambda: self.client.status(self.model, rid))
        if wrong is None or right is None:
            return
        self.report.add(
            "auth.wrong_key",
            wrong.status_code in (401, 403),
            f"{_where(wrong)} (a wrong key)",
            "401 or 403",
            str(wrong.status_code),
        )
        self.report.add(
            "auth.bearer",
            right.status_code not in (401, 403),
            f"{_where(right)} (Bearer, an unknown request id)",
            "the key accepted (404 for the unknown id)",
            str(right.status_code),
        )

    def submit(self, inputs: Mapping[str, Any]) -> str | None:
        if self.report.jobs_used >= self.report.max_jobs:
            return None
        self.report.jobs_used += 1  # counted before sending: an unanswered submit may still be billed
        handle, _, seen = self._call("submit", lambda: self.client.submit(self.model, dict(inputs)))
        if seen is None:
            return None
        body = _json(seen)
        if handle is None or seen.status_code != 200 or not isinstance(body, dict):
            self.report.add("submit.answer", False, _where(seen), "200 with a request_id", _text(seen, 200))
            return None
        rid = handle.request_id
        self.report.request_ids.append(rid)
        where = f"{_where(seen)} -> request {rid}"
        urls = {n: body.get(n) for n in ("status_url", "response_url", "cancel_url")}
        missing = [n for n, url in urls.items() if not isinstance(url, str)]
        self.report.add(
            "submit.answer",
            not missing and body.get("status") == "IN_QUEUE",
            where,
            "200, status IN_QUEUE, request_id, status_url, response_url, cancel_url",
            f"{seen.status_code}, status {body.get('status')!r}"
            + (f", missing {missing}" if missing else ""),
        )
        bad = [
            f"{n}={url}" for n, url in urls.items() if isinstance(url, str) and not self._layout(n, url, rid)
        ]
        self.report.add(
            "submit.url_rewriting",
            not bad,
            where,
            f"*_url paths in the queue layout (/{self.app}/requests/{rid}/status, ...), "
            "origin fal's or the gateway's",
            "; ".join(bad) or "as expected",
        )
        return rid

    def _layout(self, name: str, url: str, rid: str) -> bool:
        """Whether ``url``'s path is the SDK's queue layout for ``name``, on fal's origin or the gateway's."""
        paths = {urlsplit(queue_urls(base, self.model, rid)[name]).path for base in ("", self.base)}
        return urlsplit(url).path in paths

    def wait(self, rid: str) -> bool:
        """Poll once (with logs), then follow the stream to COMPLETED; False when the job never completed."""
        _, _, first = self._call("status", lambda: self.client.status(self.model, rid, logs=True))
        if first is not None:
            self._judge_status(first, rid)
        mark = len(self.recorder.answers)
        events: list[str] = []
        try:
            for status in self.client.iter_events(self.model, rid, timeout=self.timeout, mode="stream"):
                events.append(str(status.raw.get("status")))
        except E.FalQueueError as exc:
            where = _where(first) if first is not None else "-"
            expected = f"COMPLETED within {self.timeout:g} s"
            self.report.add("status.completes", False, where, expected, f"{type(exc).__name__}: {exc}")
            return False
        streams = [a for a in self.recorder.answers[mark:] if "/status/stream" in _where(a)]
        polls = [a for a in self.recorder.answers[mark:] if "/status/stream" not in _where(a)]
        for poll in polls:  # the stream failed and the SDK polled instead: every answer is judged
            self._judge_status(poll, rid, quiet=True)
        if not self.pending_seen:
            self.report.add(
                "status.code_pending",
                None,
                "-",
                "an IN_QUEUE or IN_PROGRESS answer to judge",
                "the job was done",
            )
        if self._judge_stream(streams, bool(polls), events, rid):
            _, _, final = self._call("status", lambda: self.client.status(self.model, rid))
            if final is not None:
                self._judge_status(final, rid, ", after the stream")
        return True

    def _judge_stream(self, streams: list[httpx.Response], polled: bool, events: list[str], rid: str) -> bool:
        if not streams:
            self.report.add("stream", False, "-", "200 text/event-stream", "no answer")
            return False
        where = f"{_where(streams[0])} (request {rid})"
        kind = streams[0].headers.get("content-type", "")
        if streams[0].status_code != 200 or not kind.startswith("text/event-stream"):
            self.report.add(
                "stream", False, where, "200 text/event-stream", f"{streams[0].status_code} {kind}"
            )
            return False
        ok = not polled and bool(events) and events[-1] == _FINAL and set(events) <= _PENDING | {_FINAL}
        seen = " -> ".join(events) + (" (the stream broke; the SDK polled)" if polled else "")
        self.report.add("stream", ok, where, "data: events ending with COMPLETED", seen or "no event")
        return ok

    def _judge_status(self, seen: httpx.Response, rid: str, note: str = "", *, quiet: bool = False) -> None:
        where = f"{_where(seen)} (request {rid}{note})"
        body = _json(seen)
        status = body.get("status") if isinstance(body, dict) else None
        if status in _PENDING:
            self.pending_seen = True
            ok, expected = seen.status_code == 202, f"202 for {status}"
        elif status == _FINAL:
            ok, expected = seen.status_code == 200, "200 for COMPLETED"
        else:
            ok, expected = False, "a RequestStatus body (status IN_QUEUE, IN_PROGRESS or COMPLETED)"
        if isinstance(body, dict) and body.get("request_id") not in (None, rid):
            ok, expected = False, f"request_id {rid}"
        if not quiet or not ok:
            self.report.add("status.code", ok, where, expected, _text(seen, 160).replace(" ", ", body ", 1))
        if quiet or not isinstance(body, dict):
            return
        if "logs" in body:
            logs = body["logs"]
            self.report.add(
                "status.logs",
                logs is None or isinstance(logs, list),
                where,
                "logs: a list (or null)",
                type(logs).__name__,
            )
        if status == _FINAL and isinstance(body.get("response_url"), str):
            self.report.add(
                "status.url_rewriting",
                self._layout("response_url", body["response_url"], rid),
                where,
                f"response_url path /{self.app}/requests/{rid}",
                body["response_url"],
            )

    def result(self, rid: str) -> None:
        _, _, seen = self._call("result", lambda: self.client.result(self.model, rid))
        if seen is None:
            return
        where = f"{_where(seen)} (request {rid})"
        result = _json(seen)
        if seen.status_code != 200 or not isinstance(result, dict):
            self.report.add("result", False, where, "200 with the model's output", str(seen.status_code))
            return
        problems = _shape_problems(result, "ImageOutput", "result")  # images included (width, height)
        raw_images = result.get("images")
        images: list[Any] = raw_images if isinstance(raw_images, list) else []
        self.report.add(
            "result.shape",
            not problems,
            where,
            "ImageOutput as the spec says (FLUX.1 images carry width and height)",
            "; ".join(problems) or "as expected",
        )
        self.report.add(
            "params.num_images",
            len(images) == PROBE["num_images"],
            where,
            f"{PROBE['num_images']} images (num_images={PROBE['num_images']})",
            f"{len(images)} images",
        )
        self.report.add(
            "params.seed",
            result.get("seed") == PROBE["seed"],
            where,
            f"seed {PROBE['seed']} echoed",
            f"seed {result.get('seed')!r}",
        )
        for i, image in enumerate(images[:2]):
            file = File.from_json(image)
            if file is not None:
                self._media(file, i, rid)

    def _media(self, file: File, i: int, rid: str) -> None:
        where = f"GET {file.url} (images[{i}] of request {rid})"
        if file.url.startswith("data:"):
            self.report.add("media", None, where, "a URL to download", "a data URI (not checked)")
            return
        with tempfile.TemporaryDirectory() as directory:
            paths, error, seen = self._call("media", lambda: self.client.download(file, directory))
            if seen is None or not paths:
                self.report.add("media", False, where, "the image file", f"{type(error).__name__}: {error}")
                return
            head = paths[0].read_bytes()[:24]
        kind = seen.headers.get("content-type", "")
        png = media_type(head) == "image/png" and len(head) == 24
        self.report.add(
            "params.output_format",
            png and kind.startswith("image/png"),
            where,
            "a PNG (output_format=png): Content-Type image/png and PNG magic bytes",
            f"Content-Type {kind or 'none'}, file format {'png' if png else 'not png'}",
        )
        want = (PROBE_SIZE["width"], PROBE_SIZE["height"])
        real = struct.unpack(">II", head[16:24]) if png else None  # the PNG header's IHDR chunk
        self.report.add(
            "params.image_size",
            real == want if real else None,
            where,
            f"{want[0]}x{want[1]} pixels in the file (image_size={want[0]}x{want[1]})",
            f"{real[0]}x{real[1]}" if real else "not a PNG: size not read",
        )
        stated = (file.width, file.height)
        if real and None not in stated:
            self.report.add(
                "result.dimensions_match_file",
                stated == real,
                where,
                f"width/height {real[0]}x{real[1]} as in the file",
                f"{stated[0]}x{stated[1]}",
            )

    def cancel(self, rid: str, check: str, note: str, expected: tuple[int, str]) -> None:
        _, _, seen = self._call(check, lambda: self.client.cancel(self.model, rid))
        if seen is None:
            return
        body = _json(seen)
        answer = (seen.status_code, body.get("status") if isinstance(body, dict) else None)
        ok: bool | None = answer == expected
        if check == "cancel.running" and answer == (400, "ALREADY_COMPLETED"):
            ok = None  # it finished first: allowed, but nothing was shown
        where = f"{_where(seen)} (request {rid}, {note})"
        self.report.add(check, ok, where, f"{expected[0]} {expected[1]}", _text(seen, 120))


def check_gateway(
    settings: Resolved,
    *,
    model: str = CHEAPEST_MODEL,
    max_jobs: int = 2,
    timeout: float = 300.0,
    transport: httpx.BaseTransport | None = None,
) -> Report:
    """Every check the budget allows, made with the SDK's client; never more than ``max_jobs`` submits."""
    checker = _Checker(settings, model, max_jobs, timeout, transport)
    with checker.client, checker.wrong:
        checker.auth()
        rid = checker.submit({"prompt": "fal-queue check: a lighthouse at dawn", **PROBE})
        if rid is None:
            if max_jobs == 0:
                checker.report.add("submit", None, "-", "one job", "not run: --max-jobs 0")
            return checker.report
        if checker.wait(rid):
            checker.result(rid)
            checker.cancel(rid, "cancel.completed", "completed", (400, "ALREADY_COMPLETED"))
        running = checker.submit({"prompt": "fal-queue check: cancel"})
        if running is None:
            checker.report.add(
                "cancel.running", None, "-", "a job to cancel", "not run: --max-jobs budget spent"
            )
        else:
            checker.cancel(running, "cancel.running", "just submitted", (202, "CANCELLATION_REQUESTED"))
    return checker.report


def run_check(base_url: str, key: str, *, allow_http: bool = False, **options: Any) -> Report:
    """``check_gateway`` (its options) with the other settings resolved as ``Client(base_url, key)`` would."""
    settings = _settings.resolve({"base_url": base_url, "key": key, "allow_http": allow_http})
    return check_gateway(settings, **options)


@command("check")
@click.option("--model", default=CHEAPEST_MODEL, show_default=True, help="A typed text-to-image model.")
@click.option(
    "--max-jobs", type=click.IntRange(min=0), default=2, show_default=True, help="Paid jobs at most."
)
@click.option(
    "--timeout", type=click.FloatRange(min=1), default=300.0, show_default=True, help="Seconds per job."
)
def check_command(model: str, max_jobs: int, timeout: float) -> None:
    """Check a live gateway against the contract; exit 0 when conformant, 1 when not.

    Spends at most --max-jobs paid jobs (the first measures which inputs the gateway honours:
    num_images, image_size, output_format, seed; the second is cancelled at once).
    """
    info = model_info(model)
    if info is None:
        raise CliError(f"--model {model!r} is not a typed model (see `fal-queue models`)")
    missing = sorted(set(PROBE) - {p.name for p in info.params})
    required = sorted(set(info.required) - {"prompt"})
    if missing or required:
        why = f"lacks {missing}" if missing else f"requires {required}"
        raise CliError(f"--model {model}: a text-to-image model is needed (it {why})")
    state = get_state()
    settings = state.settings()
    report = check_gateway(settings, model=model, max_jobs=max_jobs, timeout=timeout)
    out = state.output()
    if state.json:
        out.out_json(report.to_json())
    else:
        out.out(report.text())
    raise click.exceptions.Exit(EXIT_OK if report.conformant else EXIT_FAILED)
