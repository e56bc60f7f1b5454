"""fal_queue: the typed, retry-safe SDK for fal's queue API behind intermediary gateways.

from fal_queue import Client
with Client() as client:                      # FAL_QUEUE_BASE_URL / FAL_QUEUE_KEY
    result = client.subscribe("fal-ai/flux-1/schnell", {"prompt": "a cat"})
    client.download(result, "out/")
"""

# The package imports follow the httpx import below, which must come first (E402).
# ruff: noqa: E402

from __future__ import annotations

import sys as _sys
import types as _types


def _import_httpx_without_its_cli() -> None:
    """Import httpx, deferring its command line (``httpx._main``) until someone runs it.

    ``import httpx`` imports its CLI whenever click, rich and pygments are importable (they are
    wherever ``fal-queue[cli]`` is installed), which is most of httpx's import time and none of its
    use as a library. A stand-in ``httpx._main`` is in ``sys.modules`` only while httpx imports;
    ``httpx.main`` then loads the real CLI when called, and ``import httpx._main`` gets the real
    module. Nothing changes when httpx is already imported.
    """
    name = "httpx._main"
    if "httpx" in _sys.modules or name in _sys.modules:
        return
    stand_in = _types.ModuleType(name, "Stand-in for httpx's CLI while fal_queue imports httpx.")

    def main(*args: object, **kwargs: object) -> object:
        import importlib

        if _sys.modules.get(name) is stand_in:
            del _sys.modules[name]
        return importlib.import_module(name).main(*args, **kwargs)

    stand_in.main = main  # type: ignore[attr-defined]
    _sys.modules[name] = stand_in
    try:
        import httpx  # noqa: F401
    finally:
        if _sys.modules.get(name) is stand_in:
            del _sys.modules[name]


_import_httpx_without_its_cli()

from . import errors as _errors
from ._inputs import TYPED_MODEL_IDS
from ._transport import RetryPolicy
from .client import AsyncClient, AsyncHandle, Client, SyncHandle
from .download import DownloadProgress
from .errors import *  # noqa: F403
from .images import ImageResizedWarning, encode_image
from .polling import PollPolicy
from .types import Completed, File, InProgress, Queued, Result, Status, UnknownStatus

__all__ = [
    *_errors.__all__,
    "TYPED_MODEL_IDS",
    "AsyncClient",
    "AsyncHandle",
    "Client",
    "Completed",
    "DownloadProgress",
    "File",
    "ImageResizedWarning",
    "InProgress",
    "PollPolicy",
    "Queued",
    "Result",
    "RetryPolicy",
    "Status",
    "SyncHandle",
    "UnknownStatus",
    "encode_image",
]
