"""The end of a batch: summary.json, failures.jsonl, the human summary and the exit code.

The human summary is printed from the very dictionary written to ``summary.json``, with the same
names for the same counts, so the two never disagree. Each line is in exactly one state:

* ``done``: its files are saved;
* ``failed``: its job ran and failed (not retried unless ``--retry-failed``);
* ``uncertain``: its submit got no answer, so a job may exist whose request id is unknown;
* ``unfinished``: it has a request id but no files yet (a re-run waits for it and fetches it);
* ``refused``: the gateway answered its submit with an error, so no job exists (a re-run
  submits it again);
* ``pending``: it was never sent (a re-run submits it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .output import Output

__all__ = [
    "FAILURES_NAME",
    "STATES",
    "SUMMARY_NAME",
    "Outcome",
    "line_status",
    "print_summary",
]

FAILURES_NAME = "failures.jsonl"
SUMMARY_NAME = "summary.json"
#: Every state a line can end a run in, in the order the summary lists them.
STATES = ("done", "failed", "uncertain", "unfinished", "refused", "pending")
_MAX_LISTED = 20
_PER_CALL = re.compile(r",? ?x-fal-request-id=[^,)]*")


@dataclass
class Outcome:
    exit_code: int
    summary: dict[str, Any] = field(default_factory=dict)


def line_status(journal_status: str) -> str:
    """The summary state of a journal state."""
    return {
        "intent": "uncertain",
        "new": "pending",
        "submitted": "unfinished",
        "error": "unfinished",
        "rejected": "refused",
    }.get(journal_status, journal_status)


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
