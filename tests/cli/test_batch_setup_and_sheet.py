"""A broken setup stops a batch fast with one line naming the setting; the summary tells the truth;
the contact sheet (index.html) is valid HTML whose links all exist and whose prompts stay text."""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import threading
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from clikit import CliResult, assert_clean, base_env, read_journal, run_subprocess, write_prompts
from fal_queue.mock import Faults, MockGateway

MODEL = "fal-ai/flux-1/schnell"
STATES = ("done", "failed", "uncertain", "unfinished", "refused", "pending")


@contextlib.contextmanager
def _stub_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.hits = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _count(self) -> None:
        self.server.hits += 1  # type: ignore[attr-defined]


class _PlainWebServer(_Quiet):
    """What a plain web server (or a dev server) answers a POST: an HTML error page."""

    def do_POST(self) -> None:
        self._count()
        body = b"<!DOCTYPE html><html><head><title>501</title></head><body>Unsupported method</body></html>"
        self.send_response(501)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _LoginPage(_Quiet):
    """A captive portal or a sign-in proxy: 200 with an HTML page for anything."""

    def do_POST(self) -> None:
        self._count()
        body = b"<html><body><form>Sign in to continue</form></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _UnknownModel(_Quiet):
    """A gateway that serves no model: 404 like a real one (and like the mock with models="typed")."""

    def do_POST(self) -> None:
        self._count()
        model = self.path.strip("/")
        body = json.dumps({"detail": f"Model '{model}' not found", "error_type": "model_not_found"}).encode()
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _batch(prompts: Path, out: Path, env: dict[str, str], *extra: str, model: str = MODEL) -> CliResult:
    return run_subprocess(
        ["batch", str(prompts), "--model", model, "--out", str(out), *extra], env, timeout=600
    )


def _summary(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return data


def _assert_summaries_agree(result: CliResult, out: Path) -> dict[str, Any]:
    summary = _summary(out)
    assert sum(summary[name] for name in STATES) == summary["lines"]
    counts = ", ".join(f"{summary[name]} {name}" for name in STATES)
    assert counts in result.stdout, (counts, result.stdout)
    return summary


@pytest.mark.parametrize(
    "target",
    ["refused", "plain web server", "unknown model"],
)
def test_a_broken_setup_stops_the_batch_fast_with_one_line_naming_the_setting(
    tmp_path: Path, target: str
) -> None:
    n = 300
    prompts = write_prompts(tmp_path / "p300.jsonl", n)
    out = tmp_path / "out"
    handler = {"plain web server": _PlainWebServer, "unknown model": _UnknownModel}.get(target)
    with contextlib.ExitStack() as stack:
        url = "http://127.0.0.1:1" if handler is None else stack.enter_context(_stub_server(handler))
        env = base_env(tmp_path, FAL_QUEUE_BASE_URL=url, FAL_QUEUE_KEY="k")
        result = _batch(prompts, out, env, "--model", MODEL)
    assert result.exit_code == 3, result.stderr[-2000:]
    assert_clean(result.stdout + result.stderr)
    (line,) = result.error_lines
    assert "submits in a row failed the same way" in line and "FAL_QUEUE_BASE_URL" in line
    assert "transient" not in result.stdout + result.stderr
    summary = _assert_summaries_agree(result, out)
    assert summary["aborted"] and summary["done"] == 0
    # Fast means few sends, not a time (a loaded machine is slow): at most one concurrency's worth of
    # lines was sent; the rest are pending, not failures; the few that reached a non-gateway are refused.
    sent = [r for r in read_journal(out / "journal.jsonl") if r.get("ev") == "rejected"]
    assert summary["pending"] >= n - 32 and summary["refused"] == len(sent)
    if target == "refused":
        assert "could not connect" in line and summary["refused"] == 0
    elif target == "plain web server":
        assert "answers that are not a gateway's" in line
        assert "HTTP 501 with an HTML page (text/html; first bytes: '<!DOCTYPE html>" in line
    else:
        assert "does not serve this model" in line and "--model" in line
    # The same error is reported once in the human summary, not once per line.
    assert len([ln for ln in result.stdout.splitlines() if ln.startswith("refused ")]) <= 1
    assert not any(ln.startswith("pending line") for ln in result.stdout.splitlines())


def test_run_describes_a_non_gateway_answer_in_words(tmp_path: Path) -> None:
    with _stub_server(_PlainWebServer) as url:
        env = base_env(tmp_path, FAL_QUEUE_BASE_URL=url, FAL_QUEUE_KEY="k")
        result = run_subprocess(["run", MODEL, "--prompt", "x", "--out", str(tmp_path)], env)
    assert result.exit_code != 0
    (line,) = result.error_lines
    assert "HTTP 501 with an HTML page (text/html; first bytes: '<!DOCTYPE html>" in line
    assert "FAL_QUEUE_BASE_URL" in line and "transient" not in line and "JSONDecodeError" not in line


def test_run_names_the_content_type_of_a_200_that_is_not_a_gateway_answer(tmp_path: Path) -> None:
    with _stub_server(_LoginPage) as url:
        env = base_env(tmp_path, FAL_QUEUE_BASE_URL=url, FAL_QUEUE_KEY="k")
        result = run_subprocess(["run", MODEL, "--prompt", "x", "--out", str(tmp_path)], env)
    assert result.exit_code != 0
    (line,) = result.error_lines
    assert "HTTP 200 (text/html), but the answer is not a gateway's" in line
    assert "first bytes: '<html>" in line and "FAL_QUEUE_BASE_URL" in line


def test_a_model_typo_gets_the_nearest_typed_id(gateway: MockGateway, tmp_path: Path) -> None:
    with _stub_server(_UnknownModel) as url:
        env = base_env(tmp_path, FAL_QUEUE_BASE_URL=url, FAL_QUEUE_KEY="k")
        result = run_subprocess(["run", "flux-1/schnell", "--prompt", "x", "--out", str(tmp_path)], env)
    assert result.exit_code == 2
    (line,) = result.error_lines
    assert "HTTP 404" in line and "did you mean fal-ai/flux-1/schnell?" in line
    # One edit away from a typed id: a warning before the submit, even where the gateway accepts it.
    accepted = run_subprocess(
        ["run", "fal-ai/flux-1/schnel", "--prompt", "x", "--out", str(tmp_path)], base_env(tmp_path, gateway)
    )
    assert (
        "warning: fal-ai/flux-1/schnel is not a typed model, but fal-ai/flux-1/schnell is" in accepted.stderr
    )


def test_one_401_is_reported_once(gateway: MockGateway, tmp_path: Path) -> None:
    prompts = write_prompts(tmp_path / "p.jsonl", 40)
    out = tmp_path / "out"
    env = base_env(tmp_path, gateway, FAL_QUEUE_KEY="wrong-key")
    result = _batch(prompts, out, env, "--concurrency", "8")
    assert result.exit_code == 3
    (line,) = result.error_lines
    assert "HTTP 401" in line
    assert result.stdout.count("HTTP 401") <= 1, result.stdout
    summary = _assert_summaries_agree(result, out)
    assert summary["refused"] >= 1 and summary["refused"] + summary["pending"] == 40


class _Sheet(HTMLParser):
    """Collects links, image sources and the text of a page; fails on unbalanced tags."""

    VOID = frozenset({"meta", "img", "br", "link", "input", "hr", "source"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.refs: list[str] = []
        self.text: list[str] = []
        self.scripts = 0
        self.figures = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        if tag == "figure":
            self.figures += 1
        for name, value in attrs:
            if name in {"href", "src"} and value:
                self.refs.append(value)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse_sheet(path: Path) -> _Sheet:
    sheet = _Sheet()
    sheet.feed(path.read_text(encoding="utf-8"))
    sheet.close()
    assert sheet.stack == [], sheet.stack
    for ref in sheet.refs:
        assert not re.match(r"^[a-z]+:", ref) and not ref.startswith("/"), f"not a relative link: {ref}"
        assert (path.parent / ref).is_file(), f"missing: {ref}"
    return sheet


def test_the_contact_sheet_parses_links_only_existing_files_and_keeps_prompts_as_text(
    make_gateway: Callable[..., MockGateway], tmp_path: Path
) -> None:
    gw = make_gateway(faults=Faults(job_failure=0.3, seed=5))
    prompts = tmp_path / "p.jsonl"
    evil = '<script>alert("x")</script> & "quotes"'
    rows = [{"prompt": evil, "seed": 1}] + [{"prompt": f"prompt {i}", "seed": i} for i in range(2, 13)]
    prompts.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    env = base_env(tmp_path, gw)
    first = _batch(prompts, out, env)
    assert first.exit_code in {0, 1}, first.stderr[-2000:]
    summary = _assert_summaries_agree(first, out)
    assert f"contact sheet: {out / 'index.html'}" in first.stdout
    sheet = _parse_sheet(out / "index.html")
    text = "".join(sheet.text)
    assert sheet.scripts == 0 and evil in text  # the prompt is shown, as text
    assert sheet.figures == 12
    assert len([r for r in sheet.refs if r.endswith(".jpg")]) == 2 * summary["done"]  # <a> + <img>
    failed = [e for e in summary["problems"] if e["status"] == "failed"]
    assert failed, "the seed should fail some jobs"
    for entry in failed:
        assert entry["request_id"] in text
    done_rid = json.loads((next(out.glob("line-*.json"))).read_text())["request_id"]
    assert done_rid in text and "inference" in text and "1024x768" in text

    # After files vanish and a resume, the sheet is rewritten and still only links what exists.
    victims = sorted(out.glob("line-*-0.jpg"))  # which lines failed depends on the request ids
    assert victims, "no line succeeded"
    victims[0].unlink()
    gw.set_faults(Faults())
    second = _batch(prompts, out, env)
    assert second.exit_code in {0, 1}, second.stderr[-2000:]
    _parse_sheet(out / "index.html")


def test_run_with_several_images_writes_a_contact_sheet(gateway: MockGateway, tmp_path: Path) -> None:
    out = tmp_path / "multi"
    env = base_env(tmp_path, gateway)
    result = run_subprocess(
        ["run", MODEL, "--prompt", "<b>bold</b>", "-p", "num_images=3", "--out", str(out)], env
    )
    assert result.exit_code == 0, result.stderr
    sheet = _parse_sheet(out / "index.html")
    assert len([r for r in sheet.refs if r.endswith(".jpg")]) == 6
    assert "<b>bold</b>" in "".join(sheet.text)
    assert f"contact sheet: {out / 'index.html'}" in result.stderr
