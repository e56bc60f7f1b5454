"""Run one test body against Client and AsyncClient alike.

``sdk`` yields a factory: ``sdk(gateway, **client_kwargs)`` returns an object with the sync API of
``Client``. In async mode every call is forwarded to an ``AsyncClient`` on an event loop in a
background thread (async iterators are collected, async handles wrapped), so assertions are
shared verbatim between the two shells.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fal_queue import AsyncClient, AsyncHandle, Client


class _Loop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


class Bridge:
    """Presents an async object through a synchronous interface."""

    def __init__(self, target: Any, loop: _Loop) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            outcome = value(*args, **kwargs)
            if inspect.isasyncgen(outcome) or hasattr(outcome, "__anext__"):
                return iter(self._loop.run(_collect(outcome)))
            if inspect.isawaitable(outcome):
                outcome = self._loop.run(outcome)
            if isinstance(outcome, AsyncHandle | AsyncClient):
                return Bridge(outcome, self._loop)
            return outcome

        return call


async def _collect(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


@pytest.fixture(params=["sync", "async"])
def sdk(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []
    loop = _Loop() if request.param == "async" else None

    def factory(gateway: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", gateway.base_url)
        kwargs.setdefault("api_key", gateway.key)
        if loop is None:
            client = Client(**kwargs)
            made.append(client)
            return client
        aclient = loop.run(_make_async(kwargs))
        made.append(aclient)
        return Bridge(aclient, loop)

    yield factory
    for client in made:
        if isinstance(client, AsyncClient):
            assert loop is not None
            loop.run(client.close())
        else:
            client.close()
    if loop is not None:
        loop.close()


async def _make_async(kwargs: dict[str, Any]) -> AsyncClient:
    return AsyncClient(**kwargs)
