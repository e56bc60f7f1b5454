"""The ``fal-queue`` command line: run, queue operations, models, batch, mock.

Install with ``pip install 'fal-queue[cli]'``; ``fal-queue --help`` lists the commands.
"""

from __future__ import annotations

from .app import cli, main

__all__ = ["cli", "main"]
