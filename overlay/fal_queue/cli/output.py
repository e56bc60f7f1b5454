"""Where the CLI writes: stdout carries only what a script wants (saved paths, request ids, or one
JSON document with ``--json``); progress, notices, warnings and errors go to stderr, drawn with rich
on a terminal, else as plain lines without control characters. ``--quiet`` keeps only what must never
be lost: request ids, resume hints, warnings and errors.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from .errors import clean


def _terminal(stream: Any) -> bool:
    """Whether ``stream`` is an interactive terminal that can draw progress bars and tables."""
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Output:
    """The CLI's writer. Create it inside a command (it binds the current stdout/stderr)."""

    def __init__(self, *, quiet: bool = False, json_mode: bool = False, rich: bool | None = None) -> None:
        self.quiet = quiet
        self.json = json_mode
        self.console: Console | None = None
        if _terminal(sys.stderr) if rich is None else rich:
            self.console = Console(
                file=sys.stderr, highlight=False, markup=False, emoji=False, soft_wrap=True
            )

    @property
    def live(self) -> Console | None:
        """The console to draw live progress on: a terminal, and no --quiet."""
        return None if self.quiet else self.console

    def _err(self, text: str, style: str | None = None) -> None:
        if self.console is not None:
            self.console.print(Text(clean(text), style=style or ""))
        else:
            click.echo(clean(text), err=True)

    def info(self, text: str) -> None:
        """A progress or informational line; dropped with --quiet."""
        if not self.quiet:
            self._err(text, "dim")

    def notice(self, text: str) -> None:
        """A line that must reach the user even with --quiet (request ids, resume hints)."""
        self._err(text, "cyan")

    def warn(self, text: str) -> None:
        self._err(f"warning: {text}", "yellow")

    def error(self, text: str) -> None:
        self._err(f"error: {text}", "bold red")

    def out(self, text: str) -> None:
        """A result line on stdout (a saved path, a request id)."""
        click.echo(clean(text))

    def table_console(self) -> Console | None:
        """A rich console on stdout when stdout is a terminal (tables), else None (plain lines)."""
        if not _terminal(sys.stdout):
            return None
        return Console(file=sys.stdout, highlight=False, markup=False, emoji=False)

    def log(self, text: str) -> None:
        """A runner log line the user asked for (--logs): shown even with --quiet."""
        self._err(text)

    def out_json(self, data: Any) -> None:
        """One JSON document on stdout (control characters are escaped by json.dumps)."""
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
