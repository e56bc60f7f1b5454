"""Client(), AsyncClient() and ``fal-queue`` resolve the same settings from the same machine.

Each row gives an environment and a config file; the SDK's constructors and ``fal-queue config --json``
must then show the same values (or fail with the same error, naming the setting and where its bad
value came from). The config file is always a tmp file named by FAL_QUEUE_CONFIG.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from clikit import CliResult
from fal_queue import AsyncClient, Client, ConfigurationError
from fal_queue.cli.errors import cli_words

Invoke = Callable[..., CliResult]
GATEWAY = "https://gw.example/prefix"
KEY = "agree-key-3b1f"


@dataclass
class Row:
    name: str
    env: dict[str, str] = field(default_factory=dict)
    config: str = ""
    #: setting -> (value, source as ``fal-queue config`` names it; "{config}" is the file's path)
    expect: dict[str, tuple[Any, str]] = field(default_factory=dict)
    #: substrings of the one error both must give (the setting, and where the value came from)
    error: tuple[str, ...] = ()


CONNECT = {"FAL_QUEUE_BASE_URL": GATEWAY, "FAL_QUEUE_KEY": KEY}

ROWS = [
    Row(
        "defaults",
        env=CONNECT,
        expect={
            "base_url": (GATEWAY, "env FAL_QUEUE_BASE_URL"),
            "auth_scheme": ("bearer", "default"),
            "max_retries": (4, "default"),
            "timeout": (60.0, "default"),
            "wait_mode": ("stream", "default"),
            "strict": (False, "default"),
        },
    ),
    Row(
        "the environment",
        env={
            **CONNECT,
            "FAL_QUEUE_AUTH_SCHEME": "KEY",
            "FAL_QUEUE_MAX_RETRIES": "2.0",
            "FAL_QUEUE_TIMEOUT": "7.5",
            "FAL_QUEUE_WAIT_MODE": "poll",
            "FAL_QUEUE_STRICT": " On ",
        },
        expect={
            "auth_scheme": ("key", "env FAL_QUEUE_AUTH_SCHEME"),
            "max_retries": (2, "env FAL_QUEUE_MAX_RETRIES"),
            "timeout": (7.5, "env FAL_QUEUE_TIMEOUT"),
            "wait_mode": ("poll", "env FAL_QUEUE_WAIT_MODE"),
            "strict": (True, "env FAL_QUEUE_STRICT"),
        },
    ),
    Row(
        "the config file alone",
        config=f'base_url = "{GATEWAY}/"\nkey = "{KEY}"\nauth_scheme = "key"\nmax_retries = 1\n'
        'timeout = 5\nwait_mode = "poll"\nstrict = true\n',
        expect={
            "base_url": (GATEWAY, "config {config}"),
            "auth_scheme": ("key", "config {config}"),
            "max_retries": (1, "config {config}"),
            "timeout": (5.0, "config {config}"),
            "wait_mode": ("poll", "config {config}"),
            "strict": (True, "config {config}"),
        },
    ),
    Row(
        "the environment beats the config file",
        env={**CONNECT, "FAL_QUEUE_MAX_RETRIES": "3", "FAL_QUEUE_STRICT": "off"},
        config='base_url = "https://file.example"\nmax_retries = 1\nstrict = true\nwait_mode = "poll"\n',
        expect={
            "base_url": (GATEWAY, "env FAL_QUEUE_BASE_URL"),
            "max_retries": (3, "env FAL_QUEUE_MAX_RETRIES"),
            "strict": (False, "env FAL_QUEUE_STRICT"),
            "wait_mode": ("poll", "config {config}"),
        },
    ),
    Row(
        "allow_http in the file lets plain http through",
        env={"FAL_QUEUE_KEY": KEY},
        config='base_url = "http://gw.example.com"\nallow_http = true\n',
        expect={"base_url": ("http://gw.example.com", "config {config}")},
    ),
    Row(
        "a word that is not a number",
        env={**CONNECT, "FAL_QUEUE_TIMEOUT": "soon"},
        error=("timeout 'soon' is not a number", "(from env FAL_QUEUE_TIMEOUT)"),
    ),
    Row(
        "a number out of range",
        env={**CONNECT, "FAL_QUEUE_TIMEOUT": "-1"},
        error=("timeout must be positive seconds", "from env FAL_QUEUE_TIMEOUT"),
    ),
    Row(
        "retries that are not whole",
        env={**CONNECT, "FAL_QUEUE_MAX_RETRIES": "1.5"},
        error=("max_retries '1.5' is not a whole number", "(from env FAL_QUEUE_MAX_RETRIES)"),
    ),
    Row(
        "a yes/no that is neither",
        env={**CONNECT, "FAL_QUEUE_STRICT": "maybe"},
        error=("strict 'maybe' is not true or false", "(from env FAL_QUEUE_STRICT)"),
    ),
    Row(
        "an unknown wait mode",
        env={**CONNECT, "FAL_QUEUE_WAIT_MODE": "sleepy"},
        error=("wait_mode must be 'stream' or 'poll', not 'sleepy'", "from env FAL_QUEUE_WAIT_MODE"),
    ),
    Row(
        "a bad value on the file's third line",
        env=CONNECT,
        config='# mine\nwait_mode = "poll"\nmax_retries = -2\n',
        error=("max_retries must be a whole number >= 0, not -2", "from config file {config}, line 3"),
    ),
    Row(
        "a value of the wrong TOML type",
        env=CONNECT,
        config='timeout = "soon"\n',
        error=("timeout must be a number, not str", "from config file {config}, line 1"),
    ),
    Row(
        "an unknown choice in the file",
        env=CONNECT,
        config='auth_scheme = "basic"\n',
        error=("auth_scheme must be 'bearer' (gateways) or 'key' (fal), not 'basic'", "{config}, line 1"),
    ),
    Row(
        "plain http without allow_http",
        env={"FAL_QUEUE_KEY": KEY},
        config='base_url = "http://gw.example.com"\n',
        error=("uses plain http", "from config file {config}, line 1"),
    ),
    Row(
        "a key with a scheme in the file",
        env={"FAL_QUEUE_BASE_URL": GATEWAY},
        config=f'\nkey = "Bearer {KEY}"\n',
        error=("the API key starts with 'Bearer'", "from config file {config}, line 2"),
    ),
    Row(
        "a key with a line break in the environment",
        env={"FAL_QUEUE_BASE_URL": GATEWAY, "FAL_QUEUE_KEY": f"ab\n{KEY}"},
        error=("the API key contains a line break", "from env FAL_QUEUE_KEY"),
    ),
    Row(
        "an unknown setting in the file",
        env=CONNECT,
        config="colour = 1\n",
        error=("config file {config}: unknown setting(s) colour",),
    ),
    Row(
        "a file that is not TOML",
        env=CONNECT,
        config="max_retries: 3\n",
        error=("config file {config} is not valid TOML",),
    ),
]


def _environment(monkeypatch: pytest.MonkeyPatch, row: Row, config: Path) -> dict[str, str]:
    for name in list(os.environ):
        if name.startswith("FAL_QUEUE_"):
            monkeypatch.delenv(name)
    env = {**row.env, "FAL_QUEUE_CONFIG": str(config)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _sdk(shell: type[Client] | type[AsyncClient]) -> dict[str, Any]:
    client = shell()
    seen = {
        "base_url": client.base_url,
        "auth_scheme": client.auth_scheme,
        "max_retries": client.max_retries,
        "timeout": client.timeout.read,
        "wait_mode": client.wait_mode,
        "strict": client.strict,
    }
    assert KEY not in repr(client)
    if isinstance(client, AsyncClient):
        asyncio.run(client.close())
    else:
        client.close()
    return seen


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_the_sdk_and_the_cli_agree(
    row: Row, invoke: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "settings" / "config.toml"
    if row.config:
        config.parent.mkdir()
        config.write_text(row.config)
        config.chmod(0o600)
    env = _environment(monkeypatch, row, config)
    shown = invoke(["config", "--json"], env=env)
    assert KEY not in shown.stdout + shown.stderr
    if row.error:
        parts = [part.replace("{config}", str(config)) for part in row.error]
        messages = []
        for shell in (Client, AsyncClient):
            with pytest.raises(ConfigurationError) as info:
                shell()
            messages.append(str(info.value))
        assert messages[0] == messages[1]
        for part in parts:
            assert part in messages[0]
        assert KEY not in messages[0]
        assert shown.exit_code == 3, shown.stderr
        assert shown.error_lines == [f"error: {cli_words(messages[0])}"]
        return
    assert shown.exit_code == 0, shown.stderr
    rows = json.loads(shown.stdout)["settings"]
    assert rows["key"]["value"] == "<set>"
    for shell in (Client, AsyncClient):
        sdk = _sdk(shell)
        for name, (value, source) in row.expect.items():
            assert sdk[name] == value, (shell.__name__, name)
            assert rows[name] == {"value": value, "source": source.replace("{config}", str(config))}
        assert {name: rows[name]["value"] for name in sdk} == sdk, shell.__name__


def test_arguments_and_flags_beat_the_environment_and_the_file_alike(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('auth_scheme = "key"\nstrict = false\n')
    row = Row("flags", env={**CONNECT, "FAL_QUEUE_BASE_URL": "https://env.example"})
    env = _environment(monkeypatch, row, config)
    flags = ["--base-url", GATEWAY, "--auth-scheme", "bearer", "--strict"]
    shown = json.loads(invoke(["config", "--json", *flags], env=env).stdout)["settings"]
    with Client(base_url=GATEWAY, auth_scheme="bearer", strict=True) as client:
        sdk = {"base_url": client.base_url, "auth_scheme": client.auth_scheme, "strict": client.strict}
    assert sdk == {"base_url": GATEWAY, "auth_scheme": "bearer", "strict": True}
    assert {name: shown[name] for name in sdk} == {
        name: {"value": value, "source": "flag"} for name, value in sdk.items()
    }
