"""Fetch a JWKS: one GET on the SDK's retry transport, bounded in time, size and redirects.

The source of ``_sync/jwks.py`` (``tools/unasync.py``). The caller (``fal_queue.webhooks``) reads the
keys and supplies the error type, so that this module sits below it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from .. import _constants as C
from .. import _wallclock
from .._transport import STREAM_EXTENSION, RetryPolicy, new_async_transport, user_agent
from ..urls import is_loopback_host
from .transport import AsyncRetryTransport

MAX_BYTES = 256 * 1024
MAX_REDIRECTS = 3


def is_safe_url(url: str) -> bool:
    """https anywhere, plain http only to loopback (a mock): keys fetched in clear text could be swapped."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme == "http":
        return is_loopback_host(parts.hostname)
    return parts.scheme == "https" and bool(parts.hostname)


async def fetch(url: str, *, timeout: float, proxy: str | None, error: Callable[[str], Exception]) -> bytes:
    """The body of the 200 answer at ``url``; ``error(why)`` for every way the fetch can fail.

    ``timeout`` bounds the whole fetch (redirects, retries and body included) by the wall clock. Each
    redirect target is checked before anything is sent there. No credential is ever sent.
    """

    async def refuse_unsafe_redirect(response: httpx.Response) -> None:
        if response.has_redirect_location:
            target = response.url.join(response.headers["location"])
            if not is_safe_url(str(target)):
                raise error(f"the JWKS at {url} redirects to {target}: refused (not https)")

    try:
        async with (
            _wallclock.async_limit(time.monotonic() + timeout),
            httpx.AsyncClient(
                transport=AsyncRetryTransport(new_async_transport(C.POOL_LIMITS), RetryPolicy()),
                proxy=proxy,
                timeout=timeout,
                headers={"Accept": "application/json", "User-Agent": user_agent()},
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                event_hooks={"response": [refuse_unsafe_redirect]},
            ) as client,
            # Streamed past the retry transport, so that the size cap applies while the body arrives.
            client.stream("GET", url, extensions={STREAM_EXTENSION: True}) as response,
        ):
            if response.status_code != 200:
                raise error(f"the JWKS at {url} answered HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise error(f"the JWKS at {url} is larger than {MAX_BYTES} bytes")
                _wallclock.check()
            return bytes(body)
    except httpx.TooManyRedirects:
        raise error(f"the JWKS at {url} redirects more than {MAX_REDIRECTS} times") from None
    except httpx.TimeoutException:
        raise error(f"fetching the JWKS at {url} took longer than {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise error(f"cannot fetch the JWKS at {url}: {type(exc).__name__}: {exc}") from None
