"""``fal-queue batch`` killed with SIGKILL and re-run: nothing paid for is lost, nothing is paid twice.

How the kill is timed (and why the assertions can be exact)
-----------------------------------------------------------
The batch records an *intent* in its journal before a submit request leaves the process, and the
request id right after the answer arrives. A submit is therefore "in flight" exactly while its
line has an open intent. To kill at a known point, the test freezes the process with SIGSTOP,
reads the journal, and then either kills it (SIGKILL, which works on a stopped process) or lets
it continue (SIGCONT) and tries again a few milliseconds later. Nothing else about the timing
matters.

* ``test_sigkill_halfway_...`` kills only when no submit is open. Then every job the mock created
  has its request id in the journal, and the re-run must finish every line with exactly one job
  per prompt.
* ``test_sigkill_during_a_submit_...`` kills only while a submit is open: the one window fal's
  protocol cannot close (no idempotency key, no way to list jobs). There the test checks the
  documented policy instead: those lines are reported as uncertain by line number and are NOT
  resubmitted by default; ``--resubmit-uncertain`` submits them again, and the only extra jobs
  are the ones the killed submits actually created (counted by the mock).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from clikit import FAL_QUEUE, JournalView, assert_clean, base_env, read_journal, run_subprocess, write_prompts
from fal_queue.mock import Faults, MockGateway

MODEL = "fal-ai/flux-1/schnell"

# Whole batches of subprocesses: on a loaded two-core machine one test can take minutes, so the
# bounds are generous; they are there to end a hang, not to measure speed.
pytestmark = [
    pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs POSIX signals"),
    pytest.mark.timeout(900),
]


def _start_batch(prompts: Path, out: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(FAL_QUEUE),
            "batch",
            str(prompts),
            "--model",
            MODEL,
            "--out",
            str(out),
            "--concurrency",
            "32",
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_when(
    proc: subprocess.Popen[str],
    out: Path,
    ready: int,
    *,
    want_open_submit: bool,
    on_ready: Callable[[], None] | None = None,
    limit: float = 600.0,
) -> JournalView:
    """SIGKILL the batch once ``ready`` lines are done and a submit is (or is not) in flight.

    ``on_ready`` runs once, when ``ready`` lines are first seen done (e.g. to stop the mock from
    finishing more jobs). Returns the journal as it was when the process died.
    """
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + limit
    seen_ready = False
    while time.monotonic() < deadline:
        assert proc.poll() is None, (
            f"the batch ended before it could be killed:\n{proc.communicate()[1][-2000:]}"
        )
        if not seen_ready and len(JournalView.of(read_journal(journal)).done) >= ready:
            seen_ready = True
            if on_ready is not None:
                on_ready()
        if seen_ready:
            os.kill(proc.pid, signal.SIGSTOP)
            view = JournalView.of(read_journal(journal))  # frozen: nothing changes while we look
            if bool(view.open_intents) == want_open_submit:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                proc.communicate()
                return view
            os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.003)
    proc.kill()
    proc.communicate()
    pytest.fail(f"no moment with want_open_submit={want_open_submit} found within {limit}s")


def _settle(gw: MockGateway, seconds: float = 0.6) -> int:
    """Let the mock finish reading requests a killed client had sent; return jobs_created.

    Settled means: no request counted and no job created for ``seconds`` (observed, bounded).
    """
    deadline = time.monotonic() + 120

    def counts() -> tuple[int, int]:
        stats = gw.stats()
        return int(stats["jobs_created"]), int(stats["requests_total"])

    last, since = counts(), time.monotonic()
    while time.monotonic() - since < seconds:
        assert time.monotonic() < deadline, "the mock kept receiving requests after the kill"
        time.sleep(0.05)
        now = counts()
        if now != last:
            last, since = now, time.monotonic()
    return last[0]


def _summary(out: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((out / "summary.json").read_text())
    return data


def _assert_files(out: Path, lines: range) -> None:
    for no in lines:
        image = out / f"line-{no:05d}-0.jpg"
        assert image.is_file() and image.stat().st_size > 0, f"line {no}: no image"
        assert json.loads((out / f"line-{no:05d}.json").read_text())["request_id"]


@pytest.mark.slow
def test_sigkill_halfway_then_rerun_finishes_every_prompt_with_one_job_each(
    make_gateway: Callable[..., MockGateway], tmp_path: Path
) -> None:
    n = 200
    gw = make_gateway(workers=8, queue_delay=0.02, run_time=0.15)
    prompts = write_prompts(tmp_path / "prompts.jsonl", n)
    out = tmp_path / "out"
    env = base_env(tmp_path, gw)

    proc = _start_batch(prompts, out, env)

    def hold_results() -> None:
        # From the moment half the lines are done, result and media answers hang: no more line can
        # finish (only the <= 32 already past those calls), so the kill lands near halfway however
        # loaded the machine is, while submits keep flowing until none is in flight.
        gw.set_faults(Faults(slow=1.0, slow_seconds=120, operations=frozenset({"result", "media"})))

    at_kill = _kill_when(proc, out, ready=n // 2, want_open_submit=False, on_ready=hold_results)
    gw.set_faults(Faults())
    created_at_kill = _settle(gw)

    # Killed about halfway, outside any submit: every job the mock created is in the journal.
    assert n // 2 <= len(at_kill.done) <= n // 2 + 32 + 1, (
        f"killed at {len(at_kill.done)} done, not about halfway"
    )
    assert not at_kill.open_intents
    assert created_at_kill == len(at_kill.request_ids) == len(set(at_kill.request_ids))
    known = set(at_kill.submitted)

    rerun = run_subprocess(
        ["batch", str(prompts), "--model", MODEL, "--out", str(out), "--concurrency", "32"], env
    )
    assert rerun.exit_code == 0, rerun.stderr[-2000:] + rerun.stdout[-2000:]
    assert_clean(rerun.stdout + rerun.stderr)

    after = JournalView.of(read_journal(out / "journal.jsonl"))
    assert after.done == set(range(1, n + 1))
    _assert_files(out, range(1, n + 1))
    # No duplicate submissions: one job per prompt in the mock, one request id per line in the journal.
    assert gw.stats()["jobs_created"] == n
    assert all(len(rids) == 1 for rids in after.submitted.values()), "a line was submitted twice"
    assert len(set(after.request_ids)) == n
    this_run = _summary(out)["this_run"]
    assert isinstance(this_run, dict)
    assert this_run["submitted"] == n - len(known)
    assert this_run["resumed"] == len(known - at_kill.done)
    assert this_run["already_done"] == len(at_kill.done)


@pytest.mark.slow
def test_sigkill_during_a_submit_reports_uncertain_lines_and_never_resubmits_them_silently(
    make_gateway: Callable[..., MockGateway], tmp_path: Path
) -> None:
    n = 60
    # Every submit answer takes 0.3 s, so submits are in flight most of the time.
    gw = make_gateway(
        workers=8,
        queue_delay=0.02,
        run_time=0.05,
        faults=Faults(slow=1.0, slow_seconds=0.3, operations=frozenset({"submit"})),
    )
    prompts = write_prompts(tmp_path / "prompts.jsonl", n)
    out = tmp_path / "out"
    env = base_env(tmp_path, gw)

    proc = _start_batch(prompts, out, env)
    at_kill = _kill_when(proc, out, ready=n // 4, want_open_submit=True)
    created_at_kill = _settle(gw, 1.0)
    uncertain = at_kill.open_intents
    assert uncertain
    known = set(at_kill.submitted)
    # Jobs whose submit was cut off: created by the gateway, request id lost. 0..len(uncertain) of them.
    orphans = created_at_kill - len(at_kill.request_ids)
    assert 0 <= orphans <= len(uncertain)

    gw.set_faults(Faults())
    rerun = run_subprocess(
        ["batch", str(prompts), "--model", MODEL, "--out", str(out), "--concurrency", "32"], env
    )
    assert rerun.exit_code == 1, rerun.stderr[-2000:]
    # Reported by line number, in the summary and the failures file; not resubmitted.
    listed = f"uncertain lines ({', '.join(str(n) for n in sorted(uncertain))})"
    assert listed in rerun.stdout
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert {f["line"] for f in failures} == uncertain
    assert all(f["status"] == "uncertain" and "request_id" not in f for f in failures)
    assert gw.stats()["jobs_created"] == created_at_kill + (n - len(known) - len(uncertain))
    after = JournalView.of(read_journal(out / "journal.jsonl"))
    assert after.done == set(range(1, n + 1)) - uncertain

    # Opting in submits exactly those lines again; the only extra jobs are the orphans counted above.
    third = run_subprocess(
        ["batch", str(prompts), "--model", MODEL, "--out", str(out), "--resubmit-uncertain"], env
    )
    assert third.exit_code == 0, third.stderr[-2000:]
    final = JournalView.of(read_journal(out / "journal.jsonl"))
    assert final.done == set(range(1, n + 1))
    _assert_files(out, range(1, n + 1))
    assert gw.stats()["jobs_created"] == n + orphans
    assert all(len(final.submitted[line]) == 1 for line in range(1, n + 1))


@pytest.mark.slow
def test_ctrl_c_stops_new_submits_lets_in_flight_ones_finish_and_leaves_nothing_uncertain(
    make_gateway: Callable[..., MockGateway], tmp_path: Path
) -> None:
    n = 40
    # Slow submit answers (0.2 s): a Ctrl-C almost always lands while submits are in flight.
    gw = make_gateway(
        workers=4,
        run_time=0.2,
        faults=Faults(slow=1.0, slow_seconds=0.2, operations=frozenset({"submit"})),
    )
    prompts = write_prompts(tmp_path / "prompts.jsonl", n)
    out = tmp_path / "out"
    env = base_env(tmp_path, gw)
    proc = _start_batch(prompts, out, env, "--progress-interval", "0.2")
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 300
    while len(JournalView.of(read_journal(journal)).done) < 4:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr[-2000:]
    assert "stopping: no new submits; waiting for" in stderr
    assert_clean(stdout + stderr)
    stopped = JournalView.of(read_journal(journal))
    assert not stopped.open_intents  # every submit that had started got its request id
    assert _settle(gw, 0.5) == len(stopped.request_ids)
    assert len(stopped.done) < n

    rerun = run_subprocess(["batch", str(prompts), "--model", MODEL, "--out", str(out)], env)
    assert rerun.exit_code == 0, rerun.stderr[-2000:]
    assert gw.stats()["jobs_created"] == n
    _assert_files(out, range(1, n + 1))
