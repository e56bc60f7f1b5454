"""The queue operations by model id and request id: submit, status, result, cancel, download.

``result`` fetches now (a job that is not finished is exit code 4); ``download`` waits for
the job to finish, then saves its files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..client import Client
from ..types import Completed
from .context import command, get_state, options
from .errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_NOT_DONE, CliError
from .output import Output
from .progress import JobDisplay, log_text, status_text
from .run import (
    follow_and_save,
    follow_options,
    input_options,
    prepare,
    print_outcome,
    submit_one,
    submit_options,
)
from .saving import check_out_dir, resume_command

_IDS = """
\b
MODEL is the model id the job was submitted to (e.g. fal-ai/flux-1/schnell); REQUEST_ID is
what submit/run printed.
"""
_ids = options(click.argument("model"), click.argument("request_id"))


@command(
    "submit",
    epilog=_IDS
    + """
\b
Examples:
  fal-queue submit fal-ai/flux-1/schnell --prompt "a red fox"          # prints the request id
  RID=$(fal-queue submit fal-ai/flux-1/dev --input args.json -q)
  fal-queue submit fal-ai/flux-1/schnell --prompt "x" --json           # ids and URLs as JSON
""",
)
@click.argument("model")
@input_options
@submit_options
def submit_command(
    model: str,
    prompt: str | None,
    images: tuple[str, ...],
    image_urls: tuple[str, ...],
    params: tuple[str, ...],
    input_path: str | None,
    **submit_flags: Any,
) -> None:
    """Queue a job and print its request id (without waiting)."""
    state = get_state()
    out = state.output()
    arguments = prepare(model, input_path, prompt, image_urls, images, params)
    with state.settings().client() as client:
        handle = submit_one(client, model, arguments, submit_flags, out.info)
    if out.json:
        out.out_json(
            {
                "model": model,
                "request_id": handle.request_id,
                "queue_position": handle.queue_position,
                "status_url": handle.status_url,
                "response_url": handle.response_url,
                "cancel_url": handle.cancel_url,
            }
        )
    else:
        out.out(handle.request_id)
        out.info(f"follow it: fal-queue status {model} {handle.request_id} --watch")


@command(
    "status",
    epilog=_IDS
    + """
\b
Examples:
  fal-queue status fal-ai/flux-1/schnell 551a32da-52b2-4be8-bf2f-bfb7cce2b324
  fal-queue status fal-ai/flux-1/schnell REQUEST_ID --logs --watch
  fal-queue status fal-ai/flux-1/schnell REQUEST_ID --json
\b
Exit code 1 when the job completed with an error, else 0.
""",
)
@_ids
@click.option("--logs", is_flag=True, help="Include the runner's log lines.")
@click.option("--watch", is_flag=True, help="Follow the status until the job completes.")
def status_command(model: str, request_id: str, logs: bool, watch: bool) -> None:
    """Show a job's status (queue position, running, completed or failed)."""
    state = get_state()
    out = state.output()
    ctx = click.get_current_context()
    with state.settings().client() as client:
        if watch:
            display = JobDisplay(out, model, show_logs=logs)
            display.resumed(request_id)
            last = None
            try:
                with display:
                    for status in client.iter_events(model, request_id, logs=logs):
                        display.status(status)
                        last = status
            except KeyboardInterrupt:
                raise CliError("interrupted", EXIT_INTERRUPTED, request_id=request_id) from None
            status = last if last is not None else client.status(model, request_id, logs=logs)
        else:
            status = client.status(model, request_id, logs=logs)
            if logs and not out.json:
                for entry in status.logs:
                    out.out(log_text(entry))
    if out.json:
        out.out_json(dict(status.raw) or {"request_id": request_id, "status": status_text(status)})
    else:
        out.out(status_text(status))
    if isinstance(status, Completed) and status.failed:
        ctx.exit(EXIT_FAILED)


@command(
    "result",
    epilog=_IDS
    + """
\b
Examples:
  fal-queue result fal-ai/flux-1/schnell REQUEST_ID              # the result JSON
  fal-queue result fal-ai/flux-1/schnell REQUEST_ID --out out/   # save its files now
\b
A job that is not finished yet exits with code 4; `fal-queue download` waits for it instead.
""",
)
@_ids
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Save the result's files into this directory and print their paths.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing files of the same name.")
def result_command(model: str, request_id: str, out_dir: Path | None, overwrite: bool) -> None:
    """Fetch a finished job's result now (and save its files with --out)."""
    state = get_state()
    out = state.output()
    if out_dir is not None:
        check_out_dir(out_dir)
    with state.settings().client() as client:
        status = client.status(model, request_id)
        if not isinstance(status, Completed):
            raise CliError(
                f"the job is not finished: {status_text(status)}",
                EXIT_NOT_DONE,
                request_id=request_id,
                hint=f"wait and save: {resume_command(model, request_id, out_dir or '.')}",
            )
        _follow_and_print(
            client, out, model, request_id, out_dir, logs=False, timeout=None, overwrite=overwrite
        )


@command(
    "download",
    epilog=_IDS
    + """
\b
Examples:
  fal-queue download fal-ai/flux-1/schnell REQUEST_ID --out out/
  fal-queue download fal-ai/flux-1/dev REQUEST_ID --out out/ --logs --timeout 600
\b
This is how an interrupted `fal-queue run` resumes: it waits for the job, then saves its files.
""",
)
@_ids
@follow_options
def download_command(
    model: str, request_id: str, out_dir: Path, logs: bool, timeout: float | None, overwrite: bool
) -> None:
    """Wait for a job to finish, then save its files (and print their paths)."""
    state = get_state()
    out = state.output()
    check_out_dir(out_dir)
    with state.settings().client() as client:
        _follow_and_print(
            client, out, model, request_id, out_dir, logs=logs, timeout=timeout, overwrite=overwrite
        )


@command(
    "cancel",
    epilog=_IDS
    + """
\b
Examples:
  fal-queue cancel fal-ai/flux-1/schnell REQUEST_ID
\b
Prints CANCELLATION_REQUESTED (a job about to start may still run) or ALREADY_COMPLETED.
""",
)
@_ids
def cancel_command(model: str, request_id: str) -> None:
    """Ask the gateway to cancel a queued or running job."""
    state = get_state()
    out = state.output()
    with state.settings().client() as client:
        outcome = client.cancel(model, request_id)
    if out.json:
        out.out_json({"model": model, "request_id": request_id, "status": outcome})
    else:
        out.out(outcome)


def _follow_and_print(
    client: Client,
    out: Output,
    model: str,
    request_id: str,
    out_dir: Path | None,
    *,
    logs: bool,
    timeout: float | None,
    overwrite: bool,
) -> None:
    """Follow a job already submitted, save its files and print the outcome (``result``, ``download``)."""
    display = JobDisplay(out, model, show_logs=logs)
    display.resumed(request_id)
    with display:
        result, paths = follow_and_save(
            client,
            client.get_handle(model, request_id),
            display,
            logs=logs,
            timeout=timeout,
            out_dir=out_dir,
            overwrite=overwrite,
        )
    print_outcome(out, model, result, paths, display.elapsed)
