"""``fal-queue batch``: many jobs through AsyncClient, crash-safe and resumable (``batch_runner`` runs
it, ``journal`` keeps it). A line whose submit got no answer is not sent again unless asked: fal's
protocol cannot tell whether its job exists, and a second submit could pay twice for one prompt.
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
One job per line: a JSON object of arguments ({"prompt": "a red fox", "seed": 7}) or a JSON string,
the prompt; an image field may name a file relative to the JSONL file's folder. Blank lines and # lines
are skipped; -p/--image/--input give arguments shared by every line (a line's own keys win).
\b
Resume: re-run the same command. Known request ids are never submitted again; a line whose submit got no
answer is uncertain (a job may exist) and is sent again only with --resubmit-uncertain. The first Ctrl-C
lets in-flight submits get their ids; a second one stops at once.
\b
Exit codes: 0 every line done; 1 a job failed or a line is uncertain; 2 invalid input; 3 auth/network/
config trouble, or lines left to resume; 130 interrupted. Outputs, --concurrency auto and a broken
setup: see the README's "Command line" section.
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
