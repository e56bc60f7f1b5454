"""What only the sync client does differently: nothing is gated (see ``_async_only`` for why)."""

from __future__ import annotations

import contextlib

import httpx

from ._window import SubmitPause
from .types import Reader


class _SyncOnly:
    def _gated(self, transport: httpx.BaseTransport) -> httpx.BaseTransport:
        return transport

    def _reader(self) -> Reader | None:
        """Results' files read themselves through this client (``File.read()``)."""
        read: Reader = self.read  # type: ignore[attr-defined]
        return read

    def _job_window(self, ceiling: int | None, pause: SubmitPause) -> None:
        """No window: a thread-based client runs as many jobs as it has threads (the pause is shared)."""

    def _take_slot(self) -> object:
        return None  # no window: nothing to hold

    def _readmit(self) -> None:
        pass

    def _give_slot(self, slot: object) -> None:
        pass

    def job_slot(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def _accepted(self) -> None:
        pass

    def _admitted(self, operation: str, at: float | None = None) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()
