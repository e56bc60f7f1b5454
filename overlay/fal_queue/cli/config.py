"""Connection settings of the CLI, resolved once by the SDK's own table (``fal_queue._settings``).

``fal-queue`` and ``Client()`` resolve the same values on the same machine, and the CLI's clients
take the resolved settings as they are. This module adds what only the command line has: sources
shown by ``fal-queue config``, and the CLI's words when the gateway URL or the key is missing.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from .. import _constants as C
from .. import _settings
from .. import errors as E
from ..client import AsyncClient, Client
from .errors import EXIT_ENV, CliError


class Settings(_settings.Resolved):
    """The resolved settings, with what the command line adds to them."""

    @property
    def sources(self) -> dict[str, str]:
        """Where each setting not left at its default came from, as ``fal-queue config`` shows it."""
        return {name: o.label() for name, o in self.origins.items() if o.kind != "default"}

    def require_connection(self) -> None:
        where = self.config_path
        if not self.base_url:
            raise CliError(
                f"no gateway URL: pass --base-url, set {C.ENV_BASE_URL}, or set base_url in {where}", EXIT_ENV
            )
        if not self.key:
            if os.environ.get("FAL_KEY"):
                raise CliError(
                    f"no API key: FAL_KEY is set, but that is fal's own key, and fal-queue never sends it "
                    f"to a gateway; set {C.ENV_KEY} to the key your gateway gave you (or key in {where})",
                    EXIT_ENV,
                )
            raise CliError(f"no API key: set {C.ENV_KEY} (or key in {where}; or --key)", EXIT_ENV)

    def client(self) -> Client:
        self.require_connection()
        return Client(settings=self)

    def async_client(self, max_concurrency: int | None = None) -> AsyncClient:
        self.require_connection()
        return AsyncClient(settings=self, max_concurrency=max_concurrency)


def resolve_settings(
    flags: Mapping[str, Any], config_path: str | None, env: Mapping[str, str] | None = None
) -> Settings:
    """Flags > environment > config file > defaults; ``flags`` holds only options actually given.

    A bad value is the SDK's error (naming the setting and the flag, variable or file line it came
    from) as a one-line CLI error.
    """
    try:
        resolved = _settings.resolve(flags, given_as="flag", config_path=config_path, env=env)
    except E.ConfigurationError as err:
        raise CliError(err.message, EXIT_ENV) from None
    return Settings(**{f.name: getattr(resolved, f.name) for f in dataclasses.fields(resolved)})
