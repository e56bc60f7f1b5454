"""The commands on one job: run, submit, status, result, download, cancel.

The request id is printed the moment it exists (even with ``--quiet``), so an interrupted run
never loses a paid job: Ctrl-C prints the command that resumes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from .. import errors as E
from .._inputs import split_submit_kwargs
from ..client import Client, SyncHandle
from ..types import Completed, Result, Status
from .contact_sheet import SHEET_NAME, entry_from_result, render_sheet
from .context import command, get_state, options
from .errors import EXIT_ENV, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_NOT_DONE, CliError, add_hint, one_line
from .inputs import build_arguments, local_images, problems_of, show_encoding, warn_model_typo
from .output import Output
from .progress import JobDisplay, log_text, status_text
from .saving import check_out_dir, resume_command, write_atomic

image_options = options(
    click.option(
        "--image",
        "images",
        multiple=True,
        metavar="PATH_OR_URL",
        help="Input image: a local file (sent inside the request as a data URI; downscaled when over "
        "max_image_bytes, if Pillow is installed) or a URL/data URI. Repeat for models taking several.",
    ),
    click.option(
        "--image-url",
        "image_urls",
        multiple=True,
        metavar="URL",
        help="Input image URL or data URI, sent as given. Repeatable.",
    ),
)

param_options = options(
    click.option(
        "-p",
        "--param",
        "params",
        multiple=True,
        metavar="KEY=VALUE",
        help="Model parameter; VALUE is JSON if it parses (42, true, {...}), else text. Repeatable.",
    ),
    click.option(
        "--input",
        "input_path",
        metavar="FILE",
        help="JSON object of arguments ('-' reads stdin); the flags above override its keys.",
    ),
)

input_options = options(
    click.option("--prompt", help="The prompt (same as -p prompt=...)."),
    image_options,
    param_options,
)

submit_options = options(
    click.option("--priority", type=click.Choice(["normal", "low"]), help="Queue priority."),
    click.option(
        "--start-timeout",
        type=float,  # checked by the SDK's own rule (submit_kwargs), before anything is sent
        metavar="SECONDS",
        help="Give up (server side) if no runner starts within this time (more than 1).",
    ),
    click.option("--hint", metavar="TEXT", help="Runner hint: route to a runner that has this warm."),
    click.option("--webhook-url", metavar="URL", help="URL the platform POSTs the result to."),
    click.option(
        "--no-retry", is_flag=True, default=None, help="Ask the platform not to retry a failed runner."
    ),
    click.option(
        "--store-io/--no-store-io",
        default=None,
        help="Whether the platform keeps the job's inputs and outputs (default: its own).",
    ),
    click.option(
        "--object-lifecycle",
        type=click.IntRange(min=0),
        metavar="SECONDS",
        help="How long the platform keeps the output files.",
    ),
)

overwrite_option = click.option("--overwrite", is_flag=True, help="Replace existing files of the same name.")
follow_options = options(
    click.option(
        "-o",
        "--out",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="Directory for the output files.",
    ),
    click.option("--logs", is_flag=True, help="Show the runner's log lines while the job runs."),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        metavar="SECONDS",
        help="Stop waiting after this long (the job keeps running; exit code 4).",
    ),
    overwrite_option,
)


def submit_kwargs(flags: Mapping[str, Any]) -> dict[str, Any]:
    """The ``submit_options`` given, checked by the SDK's own rules before anything is sent."""
    given = {name: value for name, value in flags.items() if value is not None}
    try:
        split_submit_kwargs(given)
    except E.InvalidInputError as exc:
        raise CliError(f"{exc.message} (nothing was sent)") from None
    return given


def prepare(
    model: str,
    input_path: str | None,
    prompt: str | None,
    image_urls: Sequence[str],
    images: Sequence[str],
    params: Sequence[str],
) -> dict[str, Any]:
    """The checked arguments of one job; a usage error (nothing sent) when anything is wrong.

    Local images are checked as the submit encodes them (one read of each file).
    """
    arguments = build_arguments(
        model, input_path=input_path, prompt=prompt, image_urls=image_urls, images=images, params=params
    )
    state = get_state()
    problems = problems_of(model, arguments, strict=state.settings().strict, warn=state.output().warn)
    if problems:
        raise CliError("; ".join(problems) + " (nothing was sent)")
    warn_model_typo(model, state.output().warn)
    return arguments


def submit_one(
    client: Client,
    model: str,
    arguments: Mapping[str, Any],
    submit: Mapping[str, Any],
    show: Callable[[str], None],
) -> SyncHandle:
    """Submit one job; its local images are encoded by the SDK on the way."""
    for _, path in local_images(arguments):
        show_encoding(path, show)
    try:
        return client.submit(model, arguments, **submit)
    except E.InvalidInputError as exc:  # refused before sending (an image that is not one, unreadable...)
        raise CliError(f"{exc.message} (nothing was sent)") from None


def follow_and_save(
    client: Client,
    handle: SyncHandle,
    display: JobDisplay,
    *,
    logs: bool,
    timeout: float | None,
    out_dir: Path | None,
    overwrite: bool,
) -> tuple[Result, list[Path]]:
    """Wait for a paid job (live status), fetch its result and save its files into ``out_dir``.

    Shared by ``run``, ``result`` and ``download``: every failure names the request id and the
    command that resumes. A taken file name never fails the job: the SDK picks a free numbered name
    (``output-1.jpg``) unless ``--overwrite`` asks to replace; the paths it returns are the real ones.
    """
    started = time.monotonic()
    hint = f"resume: {resume_command(handle.model_id, handle.request_id, out_dir)}"
    try:
        result = handle.get(on_queue_update=display.status, logs=logs, timeout=timeout)
        paths: list[Path] = []
        if out_dir is not None and result.files:
            display.downloading(len(result.files), out_dir)
            # --timeout bounds the whole command: the downloads get what is left of it.
            left = None if timeout is None else max(timeout - (time.monotonic() - started), 0.001)
            paths = client.download(
                result,
                out_dir,
                if_exists="overwrite" if overwrite else "rename",
                on_progress=display.download_progress,
                timeout=left,
            )
    except KeyboardInterrupt:
        raise CliError(
            "interrupted; the job keeps running",
            EXIT_INTERRUPTED,
            request_id=handle.request_id,
            hint=hint,
        ) from None
    except E.FalQueueError as err:
        if not isinstance(err, E.JobFailedError):
            add_hint(err, hint)
        err.request_id = err.request_id or handle.request_id
        raise err from None
    except OSError as err:
        where = f": {err.filename}" if err.filename else ""
        raise CliError(
            one_line(f"saving the files failed: {err.strerror or err}{where}"),
            EXIT_ENV,
            request_id=handle.request_id,
            hint=hint,
        ) from None
    display.finished(result, paths)
    return result, paths


def print_outcome(out: Output, model: str, result: Result, paths: list[Path], elapsed: float) -> None:
    if out.json:
        out.out_json(
            {
                "model": model,
                "request_id": result.request_id,
                "status": "COMPLETED",
                "elapsed": round(elapsed, 3),
                "files": [str(p) for p in paths],
                "result": dict(result.raw),
            }
        )
        return
    if paths:
        for path in paths:
            out.out(str(path))
    else:
        out.out_json(dict(result.raw))


def write_run_sheet(
    model: str,
    arguments: dict[str, Any],
    result: Result,
    paths: list[Path],
    out_dir: Path,
    overwrite: bool,
    elapsed: float,
) -> Path | None:
    """index.html beside a job's images (a free numbered name when one exists, as for images)."""
    folder = out_dir.resolve()
    relative = [str(p.resolve().relative_to(folder)) for p in paths if p.resolve().parent == folder]
    entry = entry_from_result(
        f"request {result.request_id}", model, arguments, result.raw, result.request_id, relative, elapsed
    )
    page = render_sheet(f"{model}: {result.request_id}", [entry])
    try:
        return write_atomic(folder / SHEET_NAME, page, if_exists="overwrite" if overwrite else "rename")
    except OSError:
        return None  # the images are saved; the sheet is only a view of them


EXAMPLES = """
\b
Examples:
  fal-queue run fal-ai/flux-1/schnell --prompt "a lighthouse at dawn" --out out/
  fal-queue run fal-ai/flux-1/dev --prompt "a cat" -p num_images=2 -p image_size=square_hd --logs
  fal-queue run fal-ai/flux-pro/kontext --prompt "make it snow" --image photo.jpg
  fal-queue run fal-ai/flux-pro/kontext/multi --prompt "combine" --image A.png --image https://example.com/B.png
  fal-queue run fal-ai/some-video-model --input args.json --out videos/ --json
\b
The request id is printed as soon as the job is queued. After Ctrl-C the job keeps running;
fetch it later with: fal-queue download MODEL REQUEST_ID --out DIR (exit codes: fal-queue --help).
"""


@command("run", epilog=EXAMPLES)
@click.argument("model")
@input_options
@follow_options
@click.option("--no-download", is_flag=True, help="Do not save files; print the result JSON.")
@submit_options
def run_command(
    model: str,
    prompt: str | None,
    images: tuple[str, ...],
    image_urls: tuple[str, ...],
    params: tuple[str, ...],
    input_path: str | None,
    out_dir: Path,
    logs: bool,
    timeout: float | None,
    overwrite: bool,
    no_download: bool,
    **submit_flags: Any,
) -> None:
    """Generate: submit MODEL with the given input, follow it live, save its files.

    Typed models (see `fal-queue models`) are checked against the spec before anything is
    sent; other models take any JSON arguments.
    """
    state = get_state()
    out = state.output()
    arguments = prepare(model, input_path, prompt, image_urls, images, params)
    submit = submit_kwargs(submit_flags)  # a bad option fails before the output folder is made
    if not no_download:
        check_out_dir(out_dir)  # before the submit: a paid result must have somewhere to go
    with state.settings().client() as client:
        display = JobDisplay(out, model, show_logs=logs)
        with display:
            try:
                handle = submit_one(client, model, arguments, submit, display.step)
            except KeyboardInterrupt:
                raise CliError(
                    "interrupted while submitting: a job may have been queued, but its request id never "
                    "arrived",
                    EXIT_INTERRUPTED,
                ) from None
            display.submitted(handle.request_id, handle.queue_position)
            result, paths = follow_and_save(
                client,
                handle,
                display,
                logs=logs,
                timeout=timeout,
                out_dir=None if no_download else out_dir,
                overwrite=overwrite,
            )
    if len(paths) > 1:
        sheet = write_run_sheet(model, arguments, result, paths, out_dir, overwrite, display.elapsed)
        if sheet is not None:
            out.info(f"contact sheet: {sheet}")
    print_outcome(out, model, result, paths, display.elapsed)


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
        handle = submit_one(client, model, arguments, submit_kwargs(submit_flags), out.info)
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
    with state.settings().client() as client:
        if watch:
            display = JobDisplay(out, model, show_logs=logs, request_id=request_id)
            try:
                with display:
                    handle = client.get_handle(model, request_id)
                    status: Status = handle.wait(on_queue_update=display.status, logs=logs)
            except KeyboardInterrupt:
                raise CliError("interrupted", EXIT_INTERRUPTED, request_id=request_id) from None
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
        click.get_current_context().exit(EXIT_FAILED)


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
@overwrite_option
def result_command(model: str, request_id: str, out_dir: Path | None, overwrite: bool) -> None:
    """Fetch a finished job's result now (and save its files with --out)."""
    _fetch(model, request_id, out_dir, logs=False, timeout=None, overwrite=overwrite, finished_only=True)


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
    _fetch(model, request_id, out_dir, logs=logs, timeout=timeout, overwrite=overwrite, finished_only=False)


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


def _fetch(
    model: str,
    request_id: str,
    out_dir: Path | None,
    *,
    logs: bool,
    timeout: float | None,
    overwrite: bool,
    finished_only: bool,
) -> None:
    """Follow a job already submitted, save its files and print the outcome; with ``finished_only``,
    a job that is not finished yet is exit code 4 instead of a wait."""
    state = get_state()
    out = state.output()
    if out_dir is not None:
        check_out_dir(out_dir)
    with state.settings().client() as client:
        if finished_only and not isinstance(status := client.status(model, request_id), Completed):
            raise CliError(
                f"the job is not finished: {status_text(status)}",
                EXIT_NOT_DONE,
                request_id=request_id,
                hint=f"wait and save: {resume_command(model, request_id, out_dir or '.')}",
            )
        display = JobDisplay(out, model, show_logs=logs, request_id=request_id)
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
