"""``fal-queue batch`` under the mock's fault injection, and its input checks and resume rules."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clikit import JournalView, assert_clean, base_env, read_journal, run_subprocess, write_prompts
from fal_queue.mock import Faults, MockGateway

MODEL = "fal-ai/flux-1/schnell"


def _batch(prompts: Path, out: Path, env: dict[str, str], *extra: str) -> Any:
    return run_subprocess(
        ["batch", str(prompts), "--model", MODEL, "--out", str(out), "--concurrency", "32", *extra], env
    )


def _failures(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]


@pytest.mark.slow
@pytest.mark.timeout(900)  # a batch of subprocesses on a loaded machine: ends a hang only
def test_batch_of_240_under_faults_reports_every_failure_and_resumes_without_duplicates(
    make_gateway: Callable[..., MockGateway], tmp_path: Path
) -> None:
    n = 240
    faults = Faults(
        seed=11,
        rate_limit=0.1,  # 429 with Retry-After: 0 on any call (submits are retried: nothing was queued)
        ingress_503=0.1,  # HTML 503 without x-fal-request-id (retried, submits included)
        drop=0.05,  # connection cut mid-answer: GETs are retried; a cut submit is uncertain
        slow=0.1,
        slow_seconds=0.2,
        job_failure=0.1,  # the job completes with an error; its result answers 422 or 500
    )
    gw = make_gateway(workers=16, queue_delay=0.02, run_time=0.05, faults=faults)
    prompts = write_prompts(tmp_path / "prompts.jsonl", n)
    out = tmp_path / "out"
    env = base_env(tmp_path, gw)

    first = _batch(prompts, out, env, "--progress-interval", "0.3")
    assert first.exit_code == 1, first.stderr[-3000:]
    # Piped: plain progress lines, no control characters anywhere.
    assert sum(line.startswith("progress: ") for line in first.stderr.splitlines()) >= 2
    assert "jobs/s" in first.stderr
    assert_clean(first.stdout + first.stderr)

    summary = json.loads((out / "summary.json").read_text())
    view = JournalView.of(read_journal(out / "journal.jsonl"))
    failures = _failures(out)
    by_status: dict[str, list[dict[str, Any]]] = {}
    for entry in failures:
        by_status.setdefault(entry["status"], []).append(entry)
    assert summary["lines"] == n
    assert summary["done"] + len(failures) == n
    assert summary["failed"] == len(by_status.get("failed", [])) >= 1
    assert summary["done"] >= n // 2

    # Every failed job is reported with its request id and error, and really failed in the mock.
    for entry in by_status["failed"]:
        assert entry["request_id"] and entry["error"]
        assert entry["request_id"] in entry["error"]
        job = gw.job(entry["request_id"])
        assert job is not None and job["failed"], entry
    # Listed in the human summary: one line each, or one line for lines that failed the same way.
    listed = {
        int(no)
        for row in first.stdout.splitlines()
        if re.match(r"^(failed|uncertain|unfinished|refused) lines? ", row)
        for no in re.findall(r"\b(\d+)\b", row.split(":", 1)[0])
    }
    for entry in failures[:10]:
        assert entry["line"] in listed, (entry, first.stdout)
        if entry.get("request_id"):
            assert entry["request_id"] in first.stdout
    # Every done line has its files, from a job that succeeded.
    for line in view.done:
        assert (out / f"line-{line:05d}-0.jpg").stat().st_size > 0
        rid = json.loads((out / f"line-{line:05d}.json").read_text())["request_id"]
        job = gw.job(rid)
        assert job is not None and not job["failed"]
    # Uncertain lines (a cut submit) have no request id; a dropped submit creates no job in this
    # mock, so every job the mock created is one of the journal's request ids: no duplicates.
    for entry in by_status.get("uncertain", []):
        assert "request_id" not in entry
    assert gw.stats()["jobs_created"] == len(view.request_ids) == len(set(view.request_ids))

    # Second run, faults off. Known request ids are resumed, never resubmitted; failed jobs are
    # not retried; uncertain lines are resubmitted only because we opt in (safe here: the mock
    # created no job for them).
    gw.set_faults(Faults())
    second = _batch(prompts, out, env, "--resubmit-uncertain")
    assert second.exit_code == 1, second.stderr[-3000:]  # the failed jobs are still failed
    final = JournalView.of(read_journal(out / "journal.jsonl"))
    # Lines left unfinished by the faults (e.g. the answer to the result call of a failed job was
    # cut) end as whatever their job really was; first-run failures stay failed.
    failed_lines = {e["line"] for e in by_status["failed"]}
    for entry in by_status.get("unfinished", []):
        if "request_id" in entry:  # else a submit the gateway refused: no job, submitted again
            job = gw.job(entry["request_id"])
            assert job is not None
            if job["failed"]:
                failed_lines.add(entry["line"])
    assert final.done == set(range(1, n + 1)) - failed_lines
    assert {e["line"] for e in _failures(out)} == failed_lines
    assert gw.stats()["jobs_created"] == n
    assert all(len(rids) == 1 for rids in final.submitted.values())
    assert "failed jobs are not retried on re-run; add --retry-failed" in second.stdout


@pytest.mark.slow
@pytest.mark.timeout(900)  # a batch of subprocesses on a loaded machine: ends a hang only
def test_submits_cut_after_the_job_was_created_are_uncertain_and_cost_a_duplicate_only_on_opt_in(
    make_gateway: Callable[..., MockGateway], tmp_path: Path
) -> None:
    n = 40
    faults = Faults(seed=3, drop=0.3, drop_submit_after_create=True, operations=frozenset({"submit"}))
    gw = make_gateway(workers=8, faults=faults)
    prompts = write_prompts(tmp_path / "prompts.jsonl", n)
    out = tmp_path / "out"
    env = base_env(tmp_path, gw)

    first = _batch(prompts, out, env)
    assert first.exit_code == 1
    uncertain = {e["line"] for e in _failures(out) if e["status"] == "uncertain"}
    assert uncertain and len(uncertain) < n
    assert all(e["status"] == "uncertain" for e in _failures(out))
    # The mock created a job for every line, including the uncertain ones (ids lost).
    assert gw.stats()["jobs_created"] == n

    gw.set_faults(Faults())
    second = _batch(prompts, out, env)
    assert second.exit_code == 1
    assert gw.stats()["jobs_created"] == n  # default: uncertain lines are not resubmitted
    assert "uncertain lines (" in second.stdout

    third = _batch(prompts, out, env, "--resubmit-uncertain")
    assert third.exit_code == 0, third.stderr[-2000:]
    assert gw.stats()["jobs_created"] == n + len(uncertain)  # the duplicates the user accepted
    assert JournalView.of(read_journal(out / "journal.jsonl")).done == set(range(1, n + 1))


def test_invalid_lines_are_all_reported_with_line_numbers_and_nothing_is_sent(
    gateway: MockGateway, tmp_path: Path
) -> None:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(
        "\n".join(
            [
                '{"prompt": "fine"}',
                "",
                "# a comment",
                '{"prompt": "x", "num_images": 9}',
                "{not json",
                "[1, 2]",
                '{"promt": "typo"}',
                '"a bare string is a prompt"',
                '{"seed": 4}',
            ]
        )
        + "\n"
    )
    before = gateway.stats()["jobs_created"]
    result = run_subprocess(
        ["--strict", "batch", str(prompts), "--model", MODEL, "--out", str(tmp_path / "out")],
        base_env(tmp_path, gateway),
    )
    assert result.exit_code == 2
    errors = result.error_lines
    for line in (4, 5, 6, 7, 9):
        assert any(f"prompts.jsonl:{line}: " in e for e in errors), (line, errors)
    assert not any(f"prompts.jsonl:{line}:" in e for e in errors for line in (1, 8))
    assert "num_images: 9 is above the maximum 4" in result.stderr
    assert "promt: unknown parameter for fal-ai/flux-1/schnell; did you mean prompt?" in result.stderr
    assert "missing required field(s) 'prompt'" in result.stderr
    assert errors[-1] == f"error: 5 invalid line(s) in {prompts}; nothing was sent"
    assert gateway.stats()["jobs_created"] == before
    assert not (tmp_path / "out").exists()


def test_rerun_after_files_vanish_fetches_again_by_request_id(gateway: MockGateway, tmp_path: Path) -> None:
    prompts = write_prompts(tmp_path / "prompts.jsonl", 5)
    out = tmp_path / "out"
    env = base_env(tmp_path, gateway)
    assert _batch(prompts, out, env, "-q").exit_code == 0
    created = gateway.stats()["jobs_created"]
    (out / "line-00003-0.jpg").unlink()

    again = _batch(prompts, out, env, "--json")
    assert again.exit_code == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["this_run"] == {**summary["this_run"], "submitted": 0, "resumed": 1, "already_done": 4}
    assert (out / "line-00003-0.jpg").stat().st_size > 0
    assert gateway.stats()["jobs_created"] == created


def test_a_journal_is_never_mixed_with_other_input(gateway: MockGateway, tmp_path: Path) -> None:
    prompts = write_prompts(tmp_path / "prompts.jsonl", 3)
    out = tmp_path / "out"
    env = base_env(tmp_path, gateway)
    assert _batch(prompts, out, env, "-q").exit_code == 0

    other_model = run_subprocess(
        ["batch", str(prompts), "--model", "fal-ai/flux-1/dev", "--out", str(out)], env
    )
    assert other_model.exit_code == 2
    assert "holds a batch of fal-ai/flux-1/schnell" in other_model.stderr

    write_prompts(prompts, 3, start=10)  # same line numbers, other prompts
    edited = _batch(prompts, out, env)
    assert edited.exit_code == 2
    assert "line 1 of" in edited.stderr and "changed since it was submitted" in edited.stderr


def test_submits_the_gateway_refused_exit_3_and_are_submitted_again_on_rerun(
    make_gateway: Callable[..., MockGateway], tmp_path: Path
) -> None:
    n = 6
    gw = make_gateway(faults=Faults(rate_limit=1.0, operations=frozenset({"submit"})))
    prompts = write_prompts(tmp_path / "prompts.jsonl", n)
    out = tmp_path / "out"
    env = base_env(tmp_path, gw, FAL_QUEUE_MAX_RETRIES="0")
    first = _batch(prompts, out, env)
    assert first.exit_code == 3, first.stderr
    assert {e["status"] for e in _failures(out)} == {"refused"}
    assert all("HTTP 429" in e["error"] for e in _failures(out))
    assert gw.stats()["jobs_created"] == 0
    assert "re-run the same command to resume" in first.stdout

    gw.set_faults(Faults())
    second = _batch(prompts, out, env)
    assert second.exit_code == 0, second.stderr
    assert gw.stats()["jobs_created"] == n
    assert _failures(out) == []
