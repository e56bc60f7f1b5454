"""``fal-queue batch``: many jobs through AsyncClient, crash-safe and resumable.

Every line of the input is one job. Before anything is sent, every line is parsed and checked
(bad lines are reported with their line numbers and nothing is sent). Then up to
``--concurrency`` jobs are in flight at once; each one goes

    intent (journal, fsync) -> submit -> submitted + request id (journal) -> wait -> result
    -> files saved as DIR/line-NNNNN-K.ext and DIR/line-NNNNN.json -> done (journal)

Re-running the same command reads the journal and never submits a line whose request id is
known: it waits for or fetches those jobs, skips lines already done, and submits the rest.

The uncertain window
--------------------
A submit whose answer never arrived (the process died, or the connection broke after the
request was sent) may or may not have created a job, and fal's protocol has no way to find it
again (no idempotency key, no listing). Such lines are *uncertain*. By default they are NOT
submitted again (that could pay twice for one prompt); they are reported with their line
numbers, and ``--resubmit-uncertain`` submits them again when a possible duplicate is
acceptable. The window is kept as small as the protocol allows: the intent is recorded right
before the request goes out, the request id right after the answer arrives, and a first
Ctrl-C/SIGTERM stops new submits and lets in-flight ones finish before exiting.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from .batch_input import BatchInputError, BatchLine, line_digest, read_batch_file
from .batch_runner import BatchOptions, BatchRunner, Outcome, run_batch
from .batch_summary import print_summary
from .context import common_options, get_state, handle_errors
from .inputs import build_arguments, model_typo_warning
from .saving import check_out_dir

__all__ = [
    "BatchInputError",
    "BatchLine",
    "BatchOptions",
    "BatchRunner",
    "Outcome",
    "batch_command",
    "line_digest",
    "read_batch_file",
    "run_batch",
]


EXAMPLES = """
\b
Examples:
  fal-queue batch prompts.jsonl --model fal-ai/flux-1/schnell --out out/ --concurrency 16
  fal-queue batch prompts.jsonl -m fal-ai/flux-1/dev -o out/ -p num_images=2 -p image_size=square_hd
\b
prompts.jsonl holds one job per line: a JSON object of arguments
  {"prompt": "a red fox", "seed": 7}
or a JSON string, which is the prompt:
  "a lighthouse at dawn"
Blank lines and lines starting with # are skipped; -p/--image-url/--input give arguments
shared by every line (a line's own keys win). Every line is checked before anything is sent.
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


@click.command("batch", epilog=EXAMPLES)
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
    type=click.IntRange(1, 1024),
    default=8,
    show_default=True,
    help="Jobs in flight at once.",
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
@click.option(
    "--image-url", "image_urls", multiple=True, metavar="URL", help="Input image(s) for every line."
)
@click.option(
    "-p", "--param", "params", multiple=True, metavar="KEY=VALUE", help="A parameter for every line."
)
@click.option("--input", "input_path", metavar="FILE", help="JSON object of arguments shared by every line.")
@common_options
@handle_errors
def batch_command(
    prompts: str,
    model: str,
    out_dir: Path,
    concurrency: int,
    timeout: float | None,
    resubmit_uncertain: bool,
    retry_failed: bool,
    progress_interval: float,
    image_urls: tuple[str, ...],
    params: tuple[str, ...],
    input_path: str | None,
) -> None:
    """Run every line of PROMPTS.jsonl as a job; crash-safe and resumable."""
    state = get_state()
    out = state.output()
    common = build_arguments(model, input_path=input_path, prompt=None, image_urls=image_urls, params=params)
    try:
        lines = read_batch_file(prompts, model, common, strict=state.strict, warn=state.output().warn)
    except BatchInputError as exc:
        for problem in exc.problems[:50]:
            out.error(problem)
        if len(exc.problems) > 50:
            out.error(f"... and {len(exc.problems) - 50} more invalid line(s)")
        raise
    settings = state.settings()
    settings.require_connection()
    with settings.client() as probe:  # a bad URL or scheme fails here, before DIR is touched
        base_url = probe.base_url
    check_out_dir(out_dir)
    typo = model_typo_warning(model)
    if typo is not None:
        out.warn(typo)
    options = BatchOptions(
        model_id=model,
        out_dir=out_dir,
        concurrency=concurrency,
        timeout=timeout,
        resubmit_uncertain=resubmit_uncertain,
        retry_failed=retry_failed,
        progress_interval=progress_interval,
        input_path=prompts,
        base_url=base_url,
    )
    outcome = asyncio.run(run_batch(options, lines, settings.async_client, out))
    if out.json:
        out.out_json(outcome.summary)
    else:
        print_summary(out, outcome.summary)
    if outcome.exit_code:
        click.get_current_context().exit(outcome.exit_code)
