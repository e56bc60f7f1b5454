"""Connection settings: flags > environment variables > the config file.

The config file is TOML, at ``$FAL_QUEUE_CONFIG``, else ``$XDG_CONFIG_HOME/fal-queue/config.toml``,
else ``~/.config/fal-queue/config.toml``::

    base_url = "https://gateway.example.com"
    key = "..."                 # keep the file private: chmod 600
    auth_scheme = "bearer"      # or "key" for fal itself
    max_retries = 4
    timeout = 60                # seconds per HTTP call
    wait_mode = "stream"        # or "poll"
    allow_http = false
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import _constants as C
from ..client import AsyncClient, Client
from .errors import EXIT_ENV, CliError

__all__ = ["CONFIG_KEYS", "Settings", "default_config_path", "load_config", "resolve_settings"]

ENV_CONFIG = "FAL_QUEUE_CONFIG"

#: Config file key -> (type, environment variable).
CONFIG_KEYS: dict[str, tuple[type, str]] = {
    "base_url": (str, C.ENV_BASE_URL),
    "key": (str, C.ENV_KEY),
    "auth_scheme": (str, C.ENV_AUTH_SCHEME),
    "max_retries": (int, C.ENV_MAX_RETRIES),
    "timeout": (float, C.ENV_TIMEOUT),
    "wait_mode": (str, C.ENV_WAIT_MODE),
    "allow_http": (bool, C.ENV_ALLOW_HTTP),
}


def default_config_path() -> Path:
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "fal-queue" / "config.toml"


def load_config(path: Path, *, required: bool) -> tuple[dict[str, Any], list[str]]:
    """The config file's settings and warnings about it. A missing file is empty unless required."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise CliError(f"config file {path} does not exist", EXIT_ENV) from None
        return {}, []
    except OSError as exc:
        raise CliError(f"cannot read config file {path}: {exc.strerror}", EXIT_ENV) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CliError(f"config file {path} is not valid TOML: {exc}", EXIT_ENV) from None
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise CliError(
            f"config file {path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(CONFIG_KEYS)}",
            EXIT_ENV,
        )
    values: dict[str, Any] = {}
    for name, value in data.items():
        kind = CONFIG_KEYS[name][0]
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise CliError(
                f"config file {path}: {name} must be a {kind.__name__}, not {type(value).__name__}", EXIT_ENV
            )
        values[name] = value
    warnings = []
    if "key" in values:
        try:
            mode = path.stat().st_mode
        except OSError:
            mode = 0
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            warnings.append(
                f"config file {path} holds a key and is readable by others; run: chmod 600 {path}"
            )
    return values, warnings


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
        self.require_connection()
        return {
            "base_url": self.base_url,
            "api_key": self.key,
            "auth_scheme": self.auth_scheme,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "wait_mode": self.wait_mode,
            "allow_http": self.allow_http,
        }

    def client(self) -> Client:
        return Client(**self._kwargs())

    def async_client(self) -> AsyncClient:
        return AsyncClient(**self._kwargs())


def _from_env(name: str, kind: type, env: Mapping[str, str]) -> Any:
    text = env.get(name)
    if text is None or text == "":
        return None
    if kind is bool:
        return text.strip().lower() in {"1", "true", "yes", "on"}
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise CliError(f"{name}={text!r} is not a whole number", EXIT_ENV) from None
    if kind is float:
        try:
            return float(text)
        except ValueError:
            raise CliError(f"{name}={text!r} is not a number", EXIT_ENV) from None
    return text


def resolve_settings(
    flags: Mapping[str, Any], config_path: str | None, env: Mapping[str, str] | None = None
) -> Settings:
    """Merge flags > environment > config file. ``flags`` holds only options actually given."""
    env = os.environ if env is None else env
    path = Path(config_path).expanduser() if config_path else default_config_path()
    file_values, warnings = load_config(path, required=bool(config_path))
    settings = Settings(config_path=path, warnings=warnings)
    for name, (kind, env_name) in CONFIG_KEYS.items():
        value: Any = None
        source = ""
        if flags.get(name) is not None:
            value, source = flags[name], "flag"
        else:
            from_env = _from_env(env_name, kind, env)
            if from_env is not None:
                value, source = from_env, f"env {env_name}"
            elif name in file_values:
                value, source = file_values[name], f"config {path}"
        if value is not None:
            setattr(settings, name, value)
            settings.sources[name] = source
    return settings
