"""Connection settings of the CLI: flags > environment variables > the config file > defaults.

The table, the order, the config file and every check are the SDK's (``fal_queue._settings``), so
``fal-queue`` and ``Client()`` resolve the same values on the same machine. This module adds what
only the command line has: ``--config PATH`` (which must exist), sources shown by ``fal-queue
config``, and the CLI's words when the gateway URL or the key is missing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .. import _constants as C
from .. import _settings
from .. import errors as E
from ..client import AsyncClient, Client
from .errors import EXIT_ENV, CliError

__all__ = ["CONFIG_KEYS", "Settings", "default_config_path", "resolve_settings"]

#: Config file key -> (type, environment variable), in the SDK's table order.
CONFIG_KEYS: dict[str, tuple[type, str]] = {s.name: (s.kind, s.env) for s in _settings.SETTINGS}


def default_config_path() -> Path:
    return _settings.default_config_path()


@dataclass
class Settings:
    """Resolved connection settings and where each came from (for ``fal-queue config``)."""

    base_url: str | None = None
    key: str | None = field(default=None, repr=False)
    auth_scheme: str | None = None
    max_retries: int | None = None
    timeout: float | None = None
    wait_mode: str | None = None
    allow_http: bool | None = None
    strict: bool = False
    sources: dict[str, str] = field(default_factory=dict)
    config_path: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def require_connection(self) -> None:
        where = self.config_path or default_config_path()
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

    def _kwargs(self) -> dict[str, Any]:
        """Every setting, given explicitly: the client then reads neither the environment nor a file."""
        self.require_connection()
        return {
            "base_url": self.base_url,
            "api_key": self.key,
            "auth_scheme": self.auth_scheme,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "wait_mode": self.wait_mode,
            "allow_http": self.allow_http,
            "strict": self.strict,
        }

    def client(self) -> Client:
        return Client(**self._kwargs())

    def async_client(self) -> AsyncClient:
        return AsyncClient(**self._kwargs())


def resolve_settings(
    flags: Mapping[str, Any], config_path: str | None, env: Mapping[str, str] | None = None
) -> Settings:
    """Merge flags > environment > config file > defaults. ``flags`` holds only options actually given.

    A bad value is the SDK's error (naming the setting and the flag, variable or file line it came
    from) as a one-line CLI error.
    """
    try:
        resolved = _settings.resolve(flags, given_as="flag", config_path=config_path, env=env)
    except E.ConfigurationError as err:
        raise CliError(err.message, EXIT_ENV) from None
    timeout = resolved.timeout
    return Settings(
        base_url=resolved.base_url,
        key=resolved.key,
        auth_scheme=resolved.auth_scheme,
        max_retries=resolved.max_retries,
        timeout=timeout.read if isinstance(timeout, httpx.Timeout) else timeout,
        wait_mode=resolved.wait_mode,
        allow_http=resolved.allow_http,
        strict=resolved.strict,
        sources={name: o.label() for name, o in resolved.origins.items() if o.kind != "default"},
        config_path=resolved.config_path,
        warnings=list(resolved.warnings),
    )
