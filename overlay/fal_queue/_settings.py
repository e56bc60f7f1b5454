"""The connection settings of Client, AsyncClient and ``fal-queue``: one table, one order.

Each setting comes from the first of: an argument (a constructor keyword or a CLI flag), its
``FAL_QUEUE_*`` environment variable, the config file (TOML; README, "Configuration"), its default.
The SDK and the CLI both resolve through here, so they agree on one machine, and a bad value is the
same `SettingError`, naming the setting and where its value came from, never the key's value.
"""

from __future__ import annotations

import math
import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import httpx

from . import _constants as C
from . import errors as E
from ._checks import seconds, whole_number
from .errors import ConfigFileError, Origin, SettingError
from .polling import WAIT_MODES
from .urls import normalize_base_url

__all__ = ["ConfigFileError", "Origin", "SettingError"]  # re-exported from errors

#: Authorization schemes: setting value -> the word sent before the key.
AUTH_SCHEMES = {"bearer": "Bearer", "key": "Key"}
_AUTH_CHOICES = {"bearer": "gateways", "key": "fal"}

#: polling.WAIT_MODES, "stream" (the default) first in messages.
_WAIT_MODES = dict.fromkeys(sorted(WAIT_MODES, reverse=True), "")
#: How a config file's value type is named in errors.
_TOML_KINDS: dict[type, str] = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
}
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

#: A setting's rule: its name, the value given (typed) and the settings resolved so far in, the
#: value to keep out; a ConfigurationError says what is wrong (the resolver adds where it came from).
Check = Callable[[str, Any, Mapping[str, Any]], object]


def _bool(name: str, value: object, _: Mapping[str, Any]) -> object:
    if not isinstance(value, bool):
        raise E.ConfigurationError(f"{name} must be True or False, not {value!r}")
    return value


def _choice(choices: Mapping[str, str], lower: bool) -> Check:
    def check(name: str, value: object, _: Mapping[str, Any]) -> object:
        word = value.lower() if lower and isinstance(value, str) else value
        if not isinstance(word, str) or word not in choices:
            listed = " or ".join(f"{c!r}{f' ({why})' if why else ''}" for c, why in choices.items())
            raise E.ConfigurationError(f"{name} must be {listed}, not {value!r}")
        return word

    return check


def checked_retries(value: object) -> int:
    return whole_number(value, "max_retries", error=E.ConfigurationError)


def as_timeout(value: float | httpx.Timeout | None, what: str) -> httpx.Timeout | None:
    """Positive seconds (the connect part capped at the default's) or an httpx.Timeout."""
    if value is None or isinstance(value, httpx.Timeout):
        return value
    number = seconds(value, what, error=E.ConfigurationError, alternative=" or an httpx.Timeout")
    return httpx.Timeout(number, connect=min(number, C.DEFAULT_HTTP_TIMEOUT.connect or 5.0))


def _check_key(_: str, value: object, __: Mapping[str, Any]) -> object:
    """The key as it may go into a header, or a ConfigurationError that never shows the key."""
    if not isinstance(value, str):
        raise E.ConfigurationError(f"the API key must be a string, not {type(value).__name__}")
    key = value.strip()
    if not key:
        raise E.ConfigurationError("the API key is empty")
    scheme = key.split(" ", 1)[0].lower()
    if scheme in {"bearer", "key"} and " " in key:
        raise E.ConfigurationError(
            f"the API key starts with {key.split(' ', 1)[0]!r}: pass the key alone "
            "(the SDK adds the scheme; choose it with auth_scheme=)"
        )
    for position, char in enumerate(key):
        if "!" <= char <= "~":
            continue
        if char in "\r\n":
            what = "a line break"
        elif char.isspace():
            what = "whitespace"
        elif char.isprintable():
            what = "a non-ASCII character"
        else:
            what = f"a control character (U+{ord(char):04X})"
        raise E.ConfigurationError(
            f"the API key contains {what} at position {position}; "
            "check FAL_QUEUE_KEY (or api_key=) for a stray character"
        )
    return key


def _check_base_url(name: str, value: object, resolved: Mapping[str, Any]) -> object:
    if not isinstance(value, str):
        raise E.ConfigurationError(f"{name} must be a string, not {type(value).__name__}")
    return normalize_base_url(value, allow_http=bool(resolved.get("allow_http")))


def _check_timeout(name: str, value: Any, _: Mapping[str, Any]) -> object:
    """Kept as given (seconds or an httpx.Timeout), once ``as_timeout`` accepts it."""
    as_timeout(value, name)
    return value if isinstance(value, httpx.Timeout) else float(value)


def _whole(least: int) -> Check:
    return lambda name, value, _: whole_number(value, name, least=least, error=E.ConfigurationError)


@dataclass(frozen=True)
class Setting:
    """One row of the table: the names it goes by, its type, its default and its rule."""

    name: str  # the config file's key and the CLI's name
    kind: type  # what a config-file value must be (an int is also a float); parses env text
    default: object
    check: Check = _bool
    argument: str = ""  # the constructor's keyword, when not ``name``
    flag: str = ""
    secret: bool = False

    @property
    def keyword(self) -> str:
        return self.argument or self.name

    @property
    def env(self) -> str:
        return f"FAL_QUEUE_{self.name.upper()}"

    def parse(self, text: str) -> object:
        """Environment text as a value of ``kind``; a ValueError says what the text is not."""
        kind = self.kind
        if kind is str:
            return text
        if kind is bool:
            word = text.strip().lower()
            if word not in _TRUE | _FALSE:
                raise ValueError("not true or false (1/true/yes/on or 0/false/no/off)")
            return word in _TRUE
        try:
            number = float(text)
        except ValueError:
            raise ValueError("not a whole number" if kind is int else "not a number") from None
        if kind is int and not (math.isfinite(number) and number == int(number)):
            raise ValueError("not a whole number")
        return number


def _row(kind: type, default: object, check: Check = _bool, *, secret: bool = False, **names: str) -> Any:
    """A field of Resolved that is a setting: its row of the table (a secret is never in the repr)."""
    row = {"kind": kind, "check": check, "secret": secret, **names}
    return field(default=default, repr=not secret, metadata={"row": row})


@dataclass(frozen=True, kw_only=True)
class Resolved:
    """Every setting's value and origin, and what the config file gave to say about itself.

    The fields made by ``_row`` are the table of settings, in resolution order (base_url is checked
    against the resolved allow_http).
    """

    allow_http: bool = _row(bool, False)
    base_url: str | None = _row(str, None, _check_base_url, flag="--base-url")
    key: str | None = _row(str, None, _check_key, argument="api_key", flag="--key", secret=True)
    auth_scheme: str = _row(str, "bearer", _choice(_AUTH_CHOICES, lower=True), flag="--auth-scheme")
    max_retries: int = _row(int, C.DEFAULT_MAX_RETRIES, _whole(0))
    timeout: float | httpx.Timeout = _row(float, C.DEFAULT_TIMEOUT_SECONDS, _check_timeout)  # noqa: RUF009
    wait_mode: str = _row(str, "stream", _choice(_WAIT_MODES, lower=False))
    strict: bool = _row(bool, False, flag="--strict")
    max_image_bytes: int = _row(int, C.DEFAULT_MAX_IMAGE_BYTES, _whole(1))
    origins: Mapping[str, Origin]
    config_path: Path
    warnings: tuple[str, ...] = ()


#: The table of settings, read from Resolved's fields.
SETTINGS = tuple(
    Setting(f.name, default=f.default, **f.metadata["row"]) for f in fields(Resolved) if f.metadata
)
BY_NAME = {s.name: s for s in SETTINGS}


def _refused(name: str, why: str, origin: Origin) -> SettingError:
    return SettingError(f"{why} (from {origin})", setting=name, origin=origin)


# -- the config file ----------------------------------------------------------------------------


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    named = env.get(C.ENV_CONFIG)
    if named:
        return Path(named).expanduser()
    xdg = env.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "fal-queue" / "config.toml"


def _line_of(text: str, name: str) -> int | None:
    """The line that sets a top-level key (tomllib keeps no positions)."""
    quoted = re.escape(name)
    pattern = re.compile(rf"""\s*(?:{quoted}|"{quoted}"|'{quoted}')\s*=""")
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("["):
            return None  # a table starts: top-level keys are all above
        if pattern.match(line):
            return number
    return None


def load_config(path: Path, *, required: bool) -> tuple[dict[str, tuple[object, Origin]], list[str]]:
    """The file's settings (value and line) and warnings about it. Missing is empty unless required."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigFileError(f"config file {path} does not exist", path=path) from None
        return {}, []
    except OSError as exc:
        raise ConfigFileError(f"cannot read config file {path}: {exc.strerror}", path=path) from None
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigFileError(f"config file {path} is not valid TOML: {exc}", path=path) from None
    unknown = sorted(set(data) - set(BY_NAME))
    if unknown:
        raise ConfigFileError(
            f"config file {path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(BY_NAME)}",
            path=path,
        )
    values: dict[str, tuple[object, Origin]] = {}
    for name, value in data.items():
        kind = BY_NAME[name].kind
        origin = Origin("config", str(path), _line_of(text, name))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            kind_name = _TOML_KINDS.get(kind, kind.__name__)
            raise _refused(name, f"{name} must be {kind_name}, not {type(value).__name__}", origin)
        values[name] = (value, origin)
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


# -- resolution ---------------------------------------------------------------------------------


def resolve(
    arguments: Mapping[str, object],
    *,
    given_as: Literal["argument", "flag"] = "argument",
    config_path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    defaults: Mapping[str, object] | None = None,
) -> Resolved:
    """Resolve and check every setting: argument > environment > config file > default.

    ``arguments`` maps setting names to what was passed (None: not given). ``config_path`` names a
    file that must exist (the CLI's ``--config``); without it the default path is read when some
    setting is still open, and may be absent. ``defaults`` replaces table defaults (a RetryPolicy's
    retries).
    """
    env = os.environ if env is None else env
    path = Path(config_path).expanduser() if config_path else default_config_path(env)
    found: dict[str, tuple[object, Origin]] = {}
    for setting in SETTINGS:
        given = arguments.get(setting.name)
        if given is not None:
            where = setting.flag if given_as == "flag" else setting.keyword
            found[setting.name] = (given, Origin(given_as, where or setting.name))
            continue
        text = env.get(setting.env)
        if text is None or not text.strip():  # blank: not set
            continue
        origin = Origin("env", setting.env)
        try:
            found[setting.name] = (setting.parse(text), origin)
        except ValueError as bad:
            shown = "<hidden>" if setting.secret else repr(text)
            raise _refused(setting.name, f"{setting.name} {shown} is {bad}", origin) from None
    file_values: dict[str, tuple[object, Origin]] = {}
    warnings: list[str] = []
    if config_path or len(found) < len(SETTINGS):
        file_values, warnings = load_config(path, required=bool(config_path))
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for setting in SETTINGS:
        given = found.get(setting.name) or file_values.get(setting.name)
        if given is None:
            default = (defaults or {}).get(setting.name, setting.default)
            values[setting.name], origins[setting.name] = default, Origin("default")
            continue
        value, origin = given
        try:
            values[setting.name] = setting.check(setting.name, value, values)
        except E.ConfigurationError as bad:
            raise _refused(setting.name, bad.message, origin) from None
        origins[setting.name] = origin
    return Resolved(**values, origins=origins, config_path=path, warnings=tuple(warnings))
