"""Client and AsyncClient: fal_client's vocabulary over the generated client, made safe.

``AsyncClient`` is written by hand (``_async/client.py``); ``Client`` is generated from it
(``_sync/client.py``, tools/unasync.py), so the two cannot drift apart.
"""

from __future__ import annotations

from ._async.client import AsyncClient, AsyncHandle
from ._sync.client import Client, SyncHandle

__all__ = ["AsyncClient", "AsyncHandle", "Client", "SyncHandle"]
