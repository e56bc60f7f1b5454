"""Test helpers for projects that use fal_queue: a mock gateway per test or per session, port or no port.

Installed with ``pip install 'fal-queue[mock]'``; pytest picks the fixtures up by itself (entry point
``pytest11``: `fal_queue.testing.plugin`).

The names below load on first use, so that the plugin (a submodule) imports even without the mock
extra; using one of them then raises an ImportError that names the extra to install.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fal_queue.mock import Faults, MockConfig, MockGateway

    from .control import TEST_CONFIG, MockControl
    from .inprocess import InProcessGateway

__all__ = [
    "TEST_CONFIG",
    "Faults",
    "InProcessGateway",
    "MockConfig",
    "MockControl",
    "MockGateway",
]

_HOMES = {
    "TEST_CONFIG": "fal_queue.testing.control",
    "MockControl": "fal_queue.testing.control",
    "InProcessGateway": "fal_queue.testing.inprocess",
    "Faults": "fal_queue.mock",
    "MockConfig": "fal_queue.mock",
    "MockGateway": "fal_queue.mock",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'fal_queue.testing' has no attribute {name!r}")
    try:
        module = importlib.import_module(home)
    except ImportError as exc:  # the mock extra is missing
        raise ImportError(
            "the fal_queue pytest fixtures need the mock extra: "
            f"pip install 'fal-queue[mock]' (missing: {exc.name or exc})"
        ) from exc
    value = getattr(module, name)
    globals()[name] = value
    return value
