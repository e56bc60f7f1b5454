"""The clients: ``AsyncClient`` (``_async/client.py``) and ``Client``, generated from it."""

from __future__ import annotations

from ._async.client import AsyncClient, AsyncHandle
from ._sync.client import Client, SyncHandle

__all__ = ["AsyncClient", "AsyncHandle", "Client", "SyncHandle"]
