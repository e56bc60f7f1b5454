"""A faithful, spec-validated mock of the gateway, for tests and offline development.

>>> from fal_queue.mock import MockGateway, MockConfig, Faults
>>> with MockGateway(MockConfig(workers=2)) as gw:  # doctest: +SKIP
...     print(gw.base_url, gw.media_url, gw.key)

Run it from a shell with ``python -m fal_queue.mock --port 0`` (or ``fal-queue mock``). Needs the
``mock`` extra: ``pip install 'fal-queue[mock]'``.
"""

from fal_queue.mock.config import DEFAULT_KEY, OPERATIONS, Faults, MockConfig
from fal_queue.mock.server import MockGateway

__all__ = ["DEFAULT_KEY", "OPERATIONS", "Faults", "MockConfig", "MockGateway"]
