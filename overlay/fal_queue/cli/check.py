"""``fal-queue check``: does this gateway honour the contract? A report a user can send to its support.

It talks raw HTTP (not the SDK) because it judges what the SDK smooths over: status codes, the
``*_url`` layout, stream framing, and which inputs reached the model. Paid jobs are counted against a
hard budget (``--max-jobs``, default 2); everything else uses requests that create no job.
"""

from __future__ import annotations

import json
import struct
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import click
import httpx

from .._schema import contract, problems_of_errors
from ..urls import app_id, normalize_base_url
from .context import common_options, get_state, handle_errors
from .errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError
from .models import model_info

__all__ = ["check_command", "run_check"]

CHEAPEST_MODEL = "fal-ai/flux-1/schnell"
WRONG_KEY = "fal-queue-check-wrong-key"
#: The inputs whose effect on the output is measured (image_size: a size no preset has).
PROBE = {"num_images": 2, "image_size": {"width": 512, "height": 384}, "output_format": "png", "seed": 424242}
_FINAL = "COMPLETED"
_PENDING = {"IN_QUEUE", "IN_PROGRESS"}
_PNG = b"\x89PNG\r\n\x1a\n"


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
        return {
            "conformant": self.conformant,
            "gateway": self.gateway,
            "model": self.model,
            "max_jobs": self.max_jobs,
            "jobs_used": self.jobs_used,
            "request_ids": self.request_ids,
            "findings": [{**asdict(f), "result": f.label.lower()} for f in self.findings],
        }

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
                lines.append(f"      expected: {f.expected}")
                lines.append(f"      seen:     {f.seen}")
        lines.append("")
        lines.append("conformant" if failed == 0 else f"NOT conformant: {failed} finding(s) failed")
        return "\n".join(lines)


def _image_size(data: bytes) -> tuple[str, tuple[int, int] | None]:
    """(format, (width, height)) from the file's own header: PNG IHDR or the JPEG SOF marker."""
    if data.startswith(_PNG) and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", (width, height)
    if data.startswith(b"\xff\xd8\xff"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return "jpeg", (width, height)
            i += 2 + length
        return "jpeg", None
    return "unknown", None


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


class _Checker:
    def __init__(
        self,
        base_url: str,
        key: str,
        model: str,
        max_jobs: int,
        timeout: float,
        allow_http: bool,
        transport: httpx.BaseTransport | None,
    ) -> None:
        self.base = normalize_base_url(base_url, allow_http=allow_http)
        self.model = model
        self.app = app_id(model)
        self.timeout = timeout
        self.report = Report(self.base, model, max_jobs)
        limits = httpx.Timeout(30.0, connect=10.0)
        self.pending_seen = False
        self.http = httpx.Client(
            timeout=limits, headers={"Authorization": f"Bearer {key}"}, transport=transport
        )
        self.wrong = httpx.Client(
            timeout=limits, headers={"Authorization": f"Bearer {WRONG_KEY}"}, transport=transport
        )
        # Media URLs are public and may be anywhere: never send the key there.
        self.anon = httpx.Client(timeout=limits, follow_redirects=True, max_redirects=5, transport=transport)

    def close(self) -> None:
        for client in (self.http, self.wrong, self.anon):
            client.close()

    # ---- helpers ----

    def to_gateway(self, url: str) -> str:
        parts = urlsplit(url)
        return self.base + parts.path + (f"?{parts.query}" if parts.query else "")

    def _call(self, method: str, url: str, what: str, **kwargs: Any) -> httpx.Response | None:
        try:
            return self.http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.report.add(what, False, f"{method} {url}", "an HTTP answer", f"{type(exc).__name__}: {exc}")
            return None

    def _submit(self, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
        if self.report.jobs_used >= self.report.max_jobs:
            return None
        self.report.jobs_used += 1  # counted before sending: an unanswered submit may still be billed
        url = f"{self.base}/{self.model}"
        response = self._call("POST", url, "submit", json=dict(inputs))
        if response is None:
            return None
        where = f"POST {url}"
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("request_id"):
            self.report.add(
                "submit.answer",
                False,
                where,
                "200 with a request_id",
                f"{response.status_code} {response.text[:200]!r}",
            )
            return None
        rid = str(body["request_id"])
        self.report.request_ids.append(rid)
        where = f"{where} -> request {rid}"
        missing = [
            k for k in ("status_url", "response_url", "cancel_url") if not isinstance(body.get(k), str)
        ]
        self.report.add(
            "submit.answer",
            not missing and body.get("status") == "IN_QUEUE",
            where,
            "200, status IN_QUEUE, request_id, status_url, response_url, cancel_url",
            f"{response.status_code}, status {body.get('status')!r}"
            + (f", missing {missing}" if missing else ""),
        )
        if not self._check_urls(body, rid, where):
            # Reported; go on at the contract's own layout so that the other checks still run.
            base = f"{self.base}/{self.app}/requests/{rid}"
            body = {
                **body,
                "response_url": base,
                "status_url": f"{base}/status",
                "cancel_url": f"{base}/cancel",
            }
        return rid, body

    def _check_urls(self, body: Mapping[str, Any], rid: str, where: str) -> bool:
        layout = {
            "response_url": f"/{self.app}/requests/{rid}",
            "status_url": f"/{self.app}/requests/{rid}/status",
            "cancel_url": f"/{self.app}/requests/{rid}/cancel",
        }
        prefix = urlsplit(self.base).path
        bad = []
        for name, path in layout.items():
            url = body.get(name)
            if not isinstance(url, str):
                continue
            got = urlsplit(url).path
            if got not in (path, prefix + path):
                bad.append(f"{name}={url}")
        self.report.add(
            "submit.url_rewriting",
            not bad,
            where,
            f"*_url paths in the queue layout ({layout['status_url']}, ...), origin fal's or the gateway's",
            "; ".join(bad) or "as expected",
        )
        return not bad

    def _status_url(self, rid: str) -> str:
        return f"{self.base}/{self.app}/requests/{rid}/status"

    # ---- checks ----

    def auth(self) -> None:
        rid = str(uuid.UUID(int=0))
        url = self._status_url(rid)
        try:
            wrong = self.wrong.get(url)
            right = self.http.get(url)
        except httpx.HTTPError as exc:
            self.report.add("auth", False, f"GET {url}", "an HTTP answer", f"{type(exc).__name__}: {exc}")
            return
        self.report.add(
            "auth.wrong_key", wrong.status_code in (401, 403), f"GET {url} (a wrong key)", "401 or 403",
            str(wrong.status_code),
        )  # fmt: skip
        self.report.add(
            "auth.bearer",
            right.status_code not in (401, 403),
            f"GET {url} (Bearer, an unknown request id)",
            "the key accepted (404 for the unknown id)",
            str(right.status_code),
        )

    def wait(self, rid: str, body: Mapping[str, Any]) -> bool:
        """Poll once (with logs), then follow the stream to COMPLETED; False when the job never completed."""
        status_url = self.to_gateway(str(body.get("status_url") or self._status_url(rid)))
        deadline = time.monotonic() + self.timeout
        where = f"GET {status_url}?logs=1 (request {rid})"
        response = self._call("GET", status_url, "status", params={"logs": "1"})
        if response is not None:
            self._judge_status(response, rid, where)
        streamed = self._stream(status_url + "/stream", rid, deadline)
        while time.monotonic() < deadline:  # the stream failed: poll (and judge every answer)
            response = self._call("GET", status_url, "status")
            if response is None:
                return False
            status = self._judge_status(response, rid, f"GET {status_url} (request {rid})", quiet=True)
            if status == _FINAL:
                break
            if status is None:  # not a RequestStatus: reported, and waiting longer cannot help
                return False
            time.sleep(0.25)
        else:
            self.report.add("status.completes", False, where, f"COMPLETED within {self.timeout:g} s", "never")
            return False
        if not self.pending_seen:
            self.report.add(
                "status.code_pending",
                None,
                where,
                "an IN_QUEUE or IN_PROGRESS answer to judge",
                "the job was done",
            )
        if not streamed:
            return True
        final = self._call("GET", status_url, "status")
        if final is not None:
            self._judge_status(final, rid, f"GET {status_url} (request {rid}, after the stream)")
        return True

    def _judge_status(
        self, response: httpx.Response, rid: str, where: str, *, quiet: bool = False
    ) -> str | None:
        try:
            body = response.json()
        except ValueError:
            body = None
        status = body.get("status") if isinstance(body, dict) else None
        if status in _PENDING:
            self.pending_seen = True
            ok = response.status_code == 202
            expected = f"202 for {status}"
        elif status == _FINAL:
            ok = response.status_code == 200
            expected = "200 for COMPLETED"
        else:
            ok, expected = False, "a RequestStatus body (status IN_QUEUE, IN_PROGRESS or COMPLETED)"
        if isinstance(body, dict) and body.get("request_id") not in (None, rid):
            ok, expected = False, f"request_id {rid}"
        if not quiet or not ok:
            self.report.add(
                "status.code", ok, where, expected, f"{response.status_code}, body {response.text[:160]!r}"
            )
        if not quiet and isinstance(body, dict) and "logs" in body:
            logs = body["logs"]
            self.report.add(
                "status.logs",
                logs is None or isinstance(logs, list),
                where,
                "logs: a list (or null)",
                type(logs).__name__,
            )
        if isinstance(body, dict) and status == _FINAL:
            for name in ("status_url", "response_url"):
                if isinstance(body.get(name), str) and not quiet:
                    self._check_status_url(body, rid, where)
                    break
        return status if isinstance(status, str) else None

    def _check_status_url(self, body: Mapping[str, Any], rid: str, where: str) -> None:
        expected = f"/{self.app}/requests/{rid}"
        got = urlsplit(str(body.get("response_url", ""))).path
        prefix = urlsplit(self.base).path
        if "response_url" in body:
            self.report.add(
                "status.url_rewriting",
                got in (expected, prefix + expected),
                where,
                f"response_url path {expected}",
                str(body.get("response_url")),
            )

    def _stream(self, url: str, rid: str, deadline: float) -> bool:
        where = f"GET {url} (request {rid})"
        events: list[str] = []
        try:
            with self.http.stream("GET", url) as response:
                kind = response.headers.get("content-type", "")
                if response.status_code != 200 or not kind.startswith("text/event-stream"):
                    response.read()
                    self.report.add(
                        "stream", False, where, "200 text/event-stream", f"{response.status_code} {kind}"
                    )
                    return False
                for line in _lines(response, deadline):
                    if not line.startswith("data:"):
                        continue
                    event = json.loads(line[5:].strip())
                    events.append(str(event.get("status")) if isinstance(event, dict) else "?")
                    if events[-1] == _FINAL:
                        break
        except (httpx.HTTPError, ValueError) as exc:
            self.report.add("stream", False, where, "events until COMPLETED", f"{type(exc).__name__}: {exc}")
            return False
        ok = bool(events) and events[-1] == _FINAL and all(e in _PENDING | {_FINAL} for e in events)
        self.report.add(
            "stream", ok, where, "data: events ending with COMPLETED", " -> ".join(events) or "no event"
        )
        return ok

    def result(self, rid: str, body: Mapping[str, Any]) -> None:
        url = self.to_gateway(str(body.get("response_url") or f"{self.base}/{self.app}/requests/{rid}"))
        where = f"GET {url} (request {rid})"
        response = self._call("GET", url, "result")
        if response is None:
            return
        try:
            result = response.json()
        except ValueError:
            result = None
        if response.status_code != 200 or not isinstance(result, dict):
            self.report.add("result", False, where, "200 with the model's output", str(response.status_code))
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
            "params.seed", result.get("seed") == PROBE["seed"], where, f"seed {PROBE['seed']} echoed",
            f"seed {result.get('seed')!r}",
        )  # fmt: skip
        size = PROBE["image_size"]
        assert isinstance(size, dict)
        for i, image in enumerate(images[:2]):
            if isinstance(image, dict) and isinstance(image.get("url"), str):
                self._media(image, i, (size["width"], size["height"]), rid)

    def _media(self, image: Mapping[str, Any], i: int, want: tuple[int, int], rid: str) -> None:
        url = str(image["url"])
        where = f"GET {url} (images[{i}] of request {rid})"
        if url.startswith("data:"):
            self.report.add("media", None, where, "a URL to download", "a data URI (not checked)")
            return
        try:
            response = self.anon.get(url)
        except httpx.HTTPError as exc:
            self.report.add("media", False, where, "the image file", f"{type(exc).__name__}: {exc}")
            return
        fmt, real = _image_size(response.content)
        kind = response.headers.get("content-type", "")
        self.report.add(
            "params.output_format",
            fmt == "png" and kind.startswith("image/png"),
            where,
            "a PNG (output_format=png): Content-Type image/png and PNG magic bytes",
            f"Content-Type {kind or 'none'}, file format {fmt}",
        )
        self.report.add(
            "params.image_size",
            real == want,
            where,
            f"{want[0]}x{want[1]} pixels in the file (image_size={want[0]}x{want[1]})",
            f"{real[0]}x{real[1]}" if real else "size unreadable",
        )
        stated = (image.get("width"), image.get("height"))
        if real and all(isinstance(v, int) for v in stated):
            self.report.add(
                "result.dimensions_match_file", stated == real, where,
                f"width/height {real[0]}x{real[1]} as in the file", f"{stated[0]}x{stated[1]}",
            )  # fmt: skip

    def cancel_completed(self, rid: str, body: Mapping[str, Any]) -> None:
        url = self.to_gateway(str(body.get("cancel_url") or f"{self.base}/{self.app}/requests/{rid}/cancel"))
        response = self._call("PUT", url, "cancel")
        if response is not None:
            self.report.add(
                "cancel.completed",
                response.status_code == 400 and _json_status(response) == "ALREADY_COMPLETED",
                f"PUT {url} (request {rid}, completed)",
                "400 ALREADY_COMPLETED",
                f"{response.status_code} {response.text[:120]!r}",
            )

    def cancel_running(self) -> None:
        submitted = self._submit({"prompt": "fal-queue check: cancel"})
        if submitted is None:
            self.report.add(
                "cancel.running", None, "-", "a job to cancel", "not run: --max-jobs budget spent"
            )
            return
        rid, body = submitted
        url = self.to_gateway(str(body.get("cancel_url")))
        response = self._call("PUT", url, "cancel")
        if response is None:
            return
        status = _json_status(response)
        ok: bool | None = response.status_code == 202 and status == "CANCELLATION_REQUESTED"
        if response.status_code == 400 and status == "ALREADY_COMPLETED":
            ok = None  # it finished first: allowed, but nothing was shown
        self.report.add(
            "cancel.running",
            ok,
            f"PUT {url} (request {rid}, just submitted)",
            "202 CANCELLATION_REQUESTED",
            f"{response.status_code} {response.text[:120]!r}",
        )


def _json_status(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("status") if isinstance(body, dict) else None


def _lines(response: httpx.Response, deadline: float) -> Iterator[str]:
    for line in response.iter_lines():
        yield line
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("the stream went past the check's --timeout")


def run_check(
    base_url: str,
    key: str,
    *,
    model: str = CHEAPEST_MODEL,
    max_jobs: int = 2,
    timeout: float = 300.0,
    allow_http: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> Report:
    """Every check the budget allows; never more than ``max_jobs`` submits."""
    checker = _Checker(base_url, key, model, max_jobs, timeout, allow_http, transport)
    try:
        checker.auth()
        submitted = checker._submit({"prompt": "fal-queue check: a lighthouse at dawn", **PROBE})
        if submitted is None:
            checker.report.add("submit", None, "-", "one job", "not run: --max-jobs 0")
        else:
            rid, body = submitted
            if checker.wait(rid, body):
                checker.result(rid, body)
                checker.cancel_completed(rid, body)
        if submitted is not None:
            checker.cancel_running()
    finally:
        checker.close()
    return checker.report


@click.command("check")
@click.option("--model", default=CHEAPEST_MODEL, show_default=True, help="A typed text-to-image model.")
@click.option(
    "--max-jobs", type=click.IntRange(min=0), default=2, show_default=True, help="Paid jobs at most."
)
@click.option(
    "--timeout", type=click.FloatRange(min=1), default=300.0, show_default=True, help="Seconds per job."
)
@common_options
@handle_errors
def check_command(model: str, max_jobs: int, timeout: float) -> None:
    """Check a live gateway against the contract; exit 0 when conformant, 1 when not.

    Spends at most --max-jobs paid jobs (the first measures which inputs the gateway honours:
    num_images, image_size, output_format, seed; the second is cancelled at once).
    """
    info = model_info(model)
    if info is None:
        raise CliError(f"--model {model!r} is not a typed model (see `fal-queue models`)", EXIT_USAGE)
    names = {p.name for p in info.params}
    missing = sorted(set(PROBE) - names)
    required = sorted(p.name for p in info.params if p.required and p.name != "prompt")
    if missing or required:
        why = f"lacks {missing}" if missing else f"requires {required}"
        raise CliError(f"--model {model}: a text-to-image model is needed (it {why})", EXIT_USAGE)
    state = get_state()
    settings = state.settings()
    settings.require_connection()
    assert settings.base_url is not None
    assert settings.key is not None
    report = run_check(
        settings.base_url,
        settings.key,
        model=model,
        max_jobs=max_jobs,
        timeout=timeout,
        allow_http=bool(settings.allow_http),
    )
    out = state.output()
    if state.json:
        out.out_json(report.to_json())
    else:
        out.out(report.text())
    raise click.exceptions.Exit(EXIT_OK if report.conformant else EXIT_FAILED)
