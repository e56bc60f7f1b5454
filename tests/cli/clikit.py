"""Helpers for driving the ``fal-queue`` CLI: in-process (click's CliRunner) or as a real subprocess."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fal_queue.mock import MockConfig, MockGateway

FAL_QUEUE = Path(sys.executable).with_name("fal-queue")
#: ``fal-queue`` with Ctrl-C armed. A process started from a shell without job control (a CI
#: script's background step) inherits SIGINT ignored, and Python keeps an ignored SIGINT ignored,
#: so a test that presses Ctrl-C arms it itself, then runs the same entry point as the script.
INTERRUPTIBLE_FAL_QUEUE = [
    sys.executable,
    "-c",
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'fal-queue'; from fal_queue.cli import main; sys.exit(main())",
]
#: Control characters that must never reach a pipe (newline is the only one allowed).
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]


def serving(*model_ids: str) -> dict[str, Any]:
    """Mock options that make it serve these untyped model ids too (a gateway adds models).

    The mock answers 404 for model ids the spec does not declare once it has ``extra_models``;
    older mocks serve any id and take no such option.
    """
    names = {f.name for f in dataclasses.fields(MockConfig)}
    return {"extra_models": tuple(model_ids)} if "extra_models" in names else {}


def base_env(tmp: Path, gw: MockGateway | None = None, **extra: str) -> dict[str, str]:
    """The environment of a CLI run: no FAL_QUEUE_* from outside, an empty config dir, the mock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAL_QUEUE_") and k != "FAL_KEY"}
    env["XDG_CONFIG_HOME"] = str(tmp / "xdg-config")
    env.pop("FORCE_COLOR", None)
    if gw is not None:
        env["FAL_QUEUE_BASE_URL"] = gw.base_url
        env["FAL_QUEUE_KEY"] = gw.key
    env.update(extra)
    return env


def run_subprocess(
    args: Sequence[str], env: dict[str, str], timeout: float = 600, cwd: Path | None = None
) -> CliResult:
    proc = subprocess.run(
        [str(FAL_QUEUE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def read_journal(path: Path) -> list[dict[str, Any]]:
    """The journal's records, read independently of the CLI's own code (a torn last line is ignored)."""
    if not path.exists():
        return []
    records = []
    for raw in path.read_bytes().split(b"\n"):
        if not raw.strip():
            continue
        try:
            records.append(json.loads(raw))
        except ValueError:
            continue
    return records


@dataclass
class JournalView:
    """Per line: the request ids it got, whether a submit is open (intent without an outcome), done."""

    submitted: dict[int, list[str]]
    open_intents: set[int]
    done: set[int]
    failed: set[int]

    @classmethod
    def of(cls, records: list[dict[str, Any]]) -> JournalView:
        submitted: dict[int, list[str]] = {}
        open_intents: set[int] = set()
        done: set[int] = set()
        failed: set[int] = set()
        for rec in records:
            line = rec.get("line")
            if not isinstance(line, int):
                continue
            ev = rec["ev"]
            if ev == "intent":
                open_intents.add(line)
            elif ev in {"submitted", "rejected", "uncertain", "abandon"}:
                open_intents.discard(line)
                if ev == "submitted":
                    submitted.setdefault(line, []).append(rec["request_id"])
            elif ev == "done":
                done.add(line)
            elif ev == "failed":
                failed.add(line)
        return cls(submitted, open_intents, done, failed)

    @property
    def request_ids(self) -> list[str]:
        return [rid for rids in self.submitted.values() for rid in rids]


def write_prompts(path: Path, count: int, *, start: int = 1) -> Path:
    with path.open("w") as fh:
        for i in range(start, start + count):
            fh.write(json.dumps({"prompt": f"prompt number {i}", "seed": i}) + "\n")
    return path


def assert_clean(text: str) -> None:
    bad = CONTROL.search(text)
    assert bad is None, (
        f"control character {bad.group()!r} in output: {text[max(bad.start() - 40, 0) : bad.end() + 40]!r}"
    )
