"""``make demo``: the project's main job end to end, against the local mock (Python only).

Starts ``python -m fal_queue.mock --port 0`` with a queue wait and a run time of about a second
each (so the progress is there to see), reads the base URL and key it prints, runs
``fal-queue run fal-ai/flux-1/schnell --prompt ... --out out/`` with the user's own terminal
(the spinner with queue position and elapsed time, then the completion line and the saved
path, exactly as a user sees it), always stops the mock (even on failure or Ctrl-C) and ends
with a one-line summary. Exit code: the one of ``fal-queue run``.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

__all__ = ["main"]

MODEL = "fal-ai/flux-1/schnell"
PROMPT = "a lighthouse on a cliff at dawn, volumetric light, film grain"
START_TIMEOUT = 30.0


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


#: Seconds in the mock's queue and running: long enough to see the progress, short enough to wait.
QUEUE_DELAY = 1.0
RUN_TIME = 1.5


def _start_mock() -> tuple[subprocess.Popen[str], dict[str, str]]:
    mock = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "fal_queue.mock",
            "--port",
            "0",
            "--queue-delay",
            str(QUEUE_DELAY),
            "--run-time",
            str(RUN_TIME),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert mock.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(mock.stdout, lines), daemon=True).start()
    facts: dict[str, str] = {}
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            raise RuntimeError(f"the mock did not print 'ready' within {START_TIMEOUT:g}s") from None
        if line is None:
            raise RuntimeError(f"the mock exited before it was ready (exit code {mock.wait()})")
        if line == "ready":
            break
        name, sep, value = line.partition("=")
        if sep and name.startswith("FAL_QUEUE_"):
            facts[name] = value
    missing = {"FAL_QUEUE_BASE_URL", "FAL_QUEUE_KEY"} - set(facts)
    if missing:
        raise RuntimeError(f"the mock did not print {', '.join(sorted(missing))}")
    return mock, facts


def _stop(mock: subprocess.Popen[str]) -> None:
    if mock.poll() is None:
        mock.terminate()
        try:
            mock.wait(timeout=10)
        except subprocess.TimeoutExpired:
            mock.kill()
            mock.wait()


def _fal_queue() -> list[str]:
    script = shutil.which("fal-queue", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "fal_queue.cli"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/demo.py", description=__doc__)
    parser.add_argument("--out", default="out", help="output directory (default out/)")
    parser.add_argument("--prompt", default=PROMPT)
    args = parser.parse_args(argv)
    print("demo: starting the mock gateway (python -m fal_queue.mock --port 0)", flush=True)
    try:
        mock, facts = _start_mock()
    except (OSError, RuntimeError) as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return 3
    try:
        print(f"demo: mock ready at {facts['FAL_QUEUE_BASE_URL']}", flush=True)
        command = [*_fal_queue(), "run", MODEL, "--prompt", args.prompt, "--out", args.out]
        shown = " ".join(c if " " not in c else repr(c) for c in ["fal-queue", *command[len(_fal_queue()) :]])
        print(f"demo: {shown}", flush=True)
        env = {**os.environ, **facts}
        env.pop("FAL_QUEUE_CONFIG", None)
        started = time.monotonic()
        # stderr is the user's own terminal: fal-queue draws its progress there as for any user.
        proc = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
        paths = [line for line in proc.stdout.splitlines() if line.strip()]
        for path in paths:
            print(path, flush=True)  # what fal-queue run printed on stdout: the saved path(s)
        if proc.returncode != 0:
            print(f"demo: fal-queue run failed with exit code {proc.returncode}", file=sys.stderr)
            return proc.returncode
        print(
            f"demo: done in {time.monotonic() - started:.1f}s: "
            f"{len(paths)} image(s) saved: {', '.join(paths)}",
            flush=True,
        )
        return 0
    except KeyboardInterrupt:
        print("demo: interrupted", file=sys.stderr)
        return 130
    finally:
        _stop(mock)
        print("demo: mock stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
