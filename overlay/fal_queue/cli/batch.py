"""``fal-queue batch``: many jobs through AsyncClient, crash-safe and resumable (the command's
help says how; ``batch_runner`` runs it, ``journal`` keeps it).

A submit whose answer never arrived may or may not have created a job, and fal's protocol has no
way to find it again (no idempotency key, no listing): such lines are *uncertain* and are not sent
again unless asked, since that could pay twice for one prompt. The window is kept as small as the
protocol allows: the intent is recorded (fsync) right before the request goes out, the request id
right after the answer arrives.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Any

import click

from .batch_runner import AUTO_CEILING, BatchOptions, print_summary, run_batch
from .context import command, get_state
from .errors import cli_words
from .inputs import BatchInputError, build_arguments, read_batch_file, warn_model_typo
from .run import image_options, param_options, submit_kwargs, submit_options
from .saving import check_out_dir

EXAMPLES = """
\b
Examples:
  fal-queue batch prompts.jsonl --model fal-ai/flux-1/schnell --out out/
  fal-queue batch prompts.jsonl -m fal-ai/flux-1/dev -o out/ -p num_images=2 -p image_size=square_hd
  fal-queue batch edits.jsonl -m fal-ai/flux-pro/kontext -o out/ --concurrency 4 --priority low
\b
prompts.jsonl holds one job per line: a JSON object of arguments
  {"prompt": "a red fox", "seed": 7}
or a JSON string, which is the prompt:
  "a lighthouse at dawn"
An image field may name a local file relative to the JSONL file's folder
  {"prompt": "make it snow", "image_url": "photos/cabin.jpg"}
Blank lines and lines starting with # are skipped; -p/--image/--input give arguments
shared by every line (a line's own keys win). Every line is checked before anything is sent.

--concurrency auto (the default) follows the gateway's limits: the jobs in flight grow while
submits are accepted and shrink on a 429 (which pauses every submit for its Retry-After); the
progress shows the window and the 429s, the summary the window's range. A number is fixed.
\b
Outputs: DIR/line-00042-0.jpg (files), DIR/line-00042.json (the result), DIR/journal.jsonl,
DIR/failures.jsonl (every line that is not done, with request ids and errors), DIR/summary.json,
DIR/index.html (a contact sheet: thumbnails with prompt, seed, size, request id and timings,
failures with their error; rewritten while the batch runs; open it in a browser, works offline).
\b
A broken setup stops the batch: after 3 submits in a row fail the same way (connection refused,
DNS, TLS, answers that are not a gateway's, a model the gateway does not serve) or after one
401/403, nothing more is sent and the error names the setting to check (exit code 3).
\b
Resume: re-run the same command. Lines whose request id is in the journal are never
submitted again: they are waited for and fetched. A line whose submit got no answer (the
process died mid-submit, or the connection broke) is *uncertain*: a job may exist, its id is
unknowable, so it is not resubmitted unless you pass --resubmit-uncertain. Failed jobs are
not retried unless you pass --retry-failed. The first Ctrl-C stops new submits and lets
in-flight submits finish (so their ids are kept); a second one stops at once.
\b
Exit codes: 0 every line done; 1 a job failed or a line is uncertain; 2 invalid input;
3 auth/network/config trouble, or lines left unfinished by gateway/network errors (re-run
later to resume them); 130 interrupted.
"""


def _concurrency(ctx: click.Context, param: click.Parameter, value: str) -> int | None:
    """``auto`` (None: the client's job window decides) or a whole number of jobs in flight."""
    if value == "auto":
        return None
    if not value.strip().isdigit():
        raise click.BadParameter(f"{value!r}: expected auto or a whole number of jobs", ctx, param)
    number: int = click.IntRange(1, AUTO_CEILING)(value, param, ctx)
    return number


@command("batch", epilog=EXAMPLES)
@click.argument("prompts", metavar="PROMPTS.jsonl")
@click.option("-m", "--model", required=True, help="Model id for every line.")
@click.option(
    "-o",
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory (holds the journal; re-use it to resume).",
)
@click.option(
    "-c",
    "--concurrency",
    metavar="auto|N",
    default="auto",
    callback=_concurrency,
    show_default=True,
    help="Jobs in flight at once: auto (follow the gateway's limits) or a fixed number.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Per job: stop waiting after this long (the line stays resumable).",
)
@click.option(
    "--resubmit-uncertain", is_flag=True, help="Submit uncertain lines again (a duplicate job may result)."
)
@click.option("--retry-failed", is_flag=True, help="Submit lines whose job failed again.")
@click.option(
    "--progress-interval",
    type=click.FloatRange(min=0.05),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds between progress lines when stderr is not a terminal.",
)
@image_options
@param_options
@submit_options
def batch_command(
    prompts: str,
    model: str,
    out_dir: Path,
    concurrency: int | None,
    timeout: float | None,
    resubmit_uncertain: bool,
    retry_failed: bool,
    progress_interval: float,
    images: tuple[str, ...],
    image_urls: tuple[str, ...],
    params: tuple[str, ...],
    input_path: str | None,
    **submit_flags: Any,
) -> None:
    """Run every line of PROMPTS.jsonl as a job; crash-safe and resumable."""
    state = get_state()
    out = state.output()
    submit = submit_kwargs(submit_flags)
    common = build_arguments(
        model, input_path=input_path, prompt=None, image_urls=image_urls, images=images, params=params
    )
    settings = state.settings()
    try:
        lines = read_batch_file(
            prompts,
            model,
            common,
            strict=settings.strict,
            warn=out.warn,
            max_image_bytes=settings.max_image_bytes,
            notice=out.info,
        )
    except BatchInputError as exc:
        for problem in exc.problems[:50]:
            out.error(cli_words(problem))
        if len(exc.problems) > 50:
            out.error(f"... and {len(exc.problems) - 50} more invalid line(s)")
        raise
    settings.client().close()  # a missing key, a bad URL or scheme fails here, before DIR is touched
    check_out_dir(out_dir)
    warn_model_typo(model, out.warn)
    options = BatchOptions(
        model_id=model,
        out_dir=out_dir,
        concurrency=concurrency,
        timeout=timeout,
        resubmit_uncertain=resubmit_uncertain,
        retry_failed=retry_failed,
        progress_interval=progress_interval,
        input_path=prompts,
        submit=submit,
    )
    client = functools.partial(settings.async_client, max_concurrency=AUTO_CEILING)
    code, summary = asyncio.run(run_batch(options, lines, client, out))
    if out.json:
        out.out_json(summary)
    else:
        print_summary(out, summary)
    if code:
        click.get_current_context().exit(code)
