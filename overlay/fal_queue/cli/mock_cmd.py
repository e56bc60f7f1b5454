"""``fal-queue mock``: run the local mock gateway (delegates to ``python -m fal_queue.mock``)."""

from __future__ import annotations

import click

from .errors import EXIT_ENV, EXIT_USAGE


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
        from ..mock.__main__ import build_parser

        parser = build_parser()
        parser.prog = "fal-queue mock"  # the usage line names the command the user typed
        click.echo(parser.format_help().rstrip())
        raise click.exceptions.Exit(0)
    try:
        code = mock_main(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    raise click.exceptions.Exit(code)
