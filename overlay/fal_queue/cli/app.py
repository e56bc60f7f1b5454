"""The ``fal-queue`` command group and ``main()``: one-line errors and stable exit codes; the two small
commands ``config`` (the settings in effect and their sources) and ``mock`` (the local mock gateway)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

import click

from .._settings import SETTINGS
from .batch import batch_command
from .catalog import models_command
from .check import check_command
from .context import command, common_options, get_state
from .errors import EXIT_ENV, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, one_line
from .run import cancel_command, download_command, result_command, run_command, status_command, submit_command

EPILOG = """
\b
Examples:
  export FAL_QUEUE_BASE_URL=https://gateway.example.com FAL_QUEUE_KEY=...
  fal-queue run fal-ai/flux-1/schnell --prompt "a lighthouse at dawn" --out out/
  fal-queue models fal-ai/flux-1/dev
  fal-queue batch prompts.jsonl --model fal-ai/flux-1/schnell --out out/ --concurrency 16
  fal-queue download fal-ai/flux-1/schnell REQUEST_ID --out out/
\b
Settings: flags > env (FAL_QUEUE_BASE_URL, FAL_QUEUE_KEY, FAL_QUEUE_AUTH_SCHEME, ...) > config
file ($XDG_CONFIG_HOME/fal-queue/config.toml); see `fal-queue config`.
Exit codes: 0 ok, 1 a job failed, 2 usage/input error, 3 auth/network/config error,
4 job not finished (timeout), 130 interrupted.
"""


class _Group(click.Group):
    """A group whose errors are one line (``error: ...``) with a stable exit code, never a traceback."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            value = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = value if isinstance(value, int) else EXIT_OK
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else (prog_name or "fal-queue")
            click.echo(f"error: {one_line(exc.format_message())} (see '{where} --help')", err=True)
            code = EXIT_USAGE
        except click.ClickException as exc:
            click.echo(f"error: {one_line(exc.format_message())}", err=True)
            code = exc.exit_code
        except (click.exceptions.Abort, KeyboardInterrupt):
            click.echo("error: interrupted", err=True)
            code = EXIT_INTERRUPTED
        except BrokenPipeError:  # a closed pipe (``fal-queue models | head``): no complaint at exit
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = EXIT_OK
        except Exception as exc:  # a bug: still one line, unless asked for the traceback
            if os.environ.get("FAL_QUEUE_DEBUG"):
                raise
            text = one_line(f"{type(exc).__name__}: {exc}")
            click.echo(f"error: unexpected error: {text} (FAL_QUEUE_DEBUG=1 shows the traceback)", err=True)
            code = EXIT_ENV if isinstance(exc, OSError) else EXIT_FAILED
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(
    cls=_Group,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="fal-queue", prog_name="fal-queue")
def cli() -> None:
    """fal-queue: generate images and video through fal's queue API behind a gateway."""


cli.params += common_options()


@command(
    "config",
    epilog="""
\b
Examples:
  fal-queue config
  fal-queue config --json
\b
Precedence: flags > environment variables > config file. The key itself is never printed.
""",
)
def config_command() -> None:
    """Show the effective settings and their sources (the key is never shown)."""
    state = get_state()
    out = state.output()
    settings = state.settings()
    rows = {}
    for name in (s.name for s in SETTINGS):
        value = getattr(settings, name)
        shown = ("<set>" if value else None) if name == "key" else value
        rows[name] = {"value": shown, "source": settings.sources.get(name, "default")}
    if out.json:
        out.out_json({"config_file": str(settings.config_path), "settings": rows})
        return
    path = settings.config_path
    out.out(f"config file: {path}{'' if path.exists() else ' (none)'}")
    for name, row in rows.items():
        value = "-" if row["value"] is None else row["value"]
        out.out(f"{name:<12} {value!s:<40} {row['source']}")


@click.command(
    "mock",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def mock_command(ctx: click.Context, args: tuple[str, ...]) -> None:
    """Run the mock gateway on 127.0.0.1 until Ctrl-C (needs the 'mock' extra).

    Every option is passed to `python -m fal_queue.mock`; its options follow below.

    \b
    Examples:
      fal-queue mock --port 0                 # prints FAL_QUEUE_BASE_URL=..., FAL_QUEUE_KEY=..., ready
      fal-queue mock --realistic --workers 2
      fal-queue mock --fault-rate-limit 0.1 --fault-drop 0.05 --seed 7
    """
    try:
        from ..mock.__main__ import build_parser
        from ..mock.__main__ import main as mock_main
    except ImportError as exc:
        click.echo(
            f"error: the mock needs its extra: pip install 'fal-queue[mock]' ({exc.name or exc})", err=True
        )
        raise click.exceptions.Exit(EXIT_ENV) from None
    argv = list(args)
    if "-h" in argv or "--help" in argv:
        click.echo(ctx.get_help())
        click.echo()
        parser = build_parser()
        parser.prog = "fal-queue mock"  # the usage line names the command the user typed
        click.echo(parser.format_help().rstrip())
        raise click.exceptions.Exit(0)
    try:
        code = mock_main(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    raise click.exceptions.Exit(code)


for made in (
    run_command,
    submit_command,
    status_command,
    result_command,
    download_command,
    cancel_command,
    batch_command,
    models_command,
    config_command,
    mock_command,
    check_command,
):
    cli.add_command(made)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fal-queue`` script; returns the exit code."""
    if argv is None:
        # SIGTERM behaves like Ctrl-C: the request id and the resume command get printed.
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            signal.signal(signal.SIGTERM, signal.default_int_handler)  # raises KeyboardInterrupt
    result: int = cli.main(
        args=list(argv) if argv is not None else None, prog_name="fal-queue", standalone_mode=False
    )
    return result
