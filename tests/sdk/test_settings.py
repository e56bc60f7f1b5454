"""The SDK's settings: argument > environment > config file > default, through Client and AsyncClient.

Every test names its config file with FAL_QUEUE_CONFIG (or an XDG_CONFIG_HOME under tmp_path), so
none reads the developer's own ~/.config.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from fal_queue import AsyncClient, Client, ConfigurationError, RetryPolicy
from fal_queue._settings import ConfigFileError, SettingError

CANARY = "settings-canary-51c2"
SHELLS = [Client, AsyncClient]


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty environment and a private config file (not written yet) named by FAL_QUEUE_CONFIG."""
    for name in list(os.environ):
        if name.startswith("FAL_QUEUE_"):
            monkeypatch.delenv(name)
    path = tmp_path / "config.toml"
    monkeypatch.setenv("FAL_QUEUE_CONFIG", str(path))
    return path


def _write(path: Path, text: str, mode: int = 0o600) -> None:
    path.write_text(text)
    path.chmod(mode)


def _closed(client: Client | AsyncClient) -> None:
    if isinstance(client, AsyncClient):
        asyncio.run(client.close())
    else:
        client.close()


@pytest.mark.parametrize("shell", SHELLS)
def test_the_config_file_fills_what_arguments_and_environment_leave_open(
    shell: Any, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(
        config,
        f'base_url = "https://file.example/p/"\nkey = "{CANARY}"\nwait_mode = "poll"\n'
        "max_retries = 1\ntimeout = 9\n",
    )
    monkeypatch.setenv("FAL_QUEUE_MAX_RETRIES", "6")
    client = shell(timeout=3)
    assert client.base_url == "https://file.example/p" and client._key.get() == CANARY
    assert client.wait_mode == "poll"
    assert client.max_retries == 6  # the environment beats the file
    assert client.timeout.read == 3  # the argument beats the file
    assert CANARY not in repr(client)
    _closed(client)


def test_a_retry_policy_sets_the_default_below_the_file(config: Path) -> None:
    _write(config, 'base_url = "https://gw.example"\nkey = "k"\n')
    with Client(retry_policy=RetryPolicy(max_retries=9)) as client:
        assert client.max_retries == 9
    _write(config, 'base_url = "https://gw.example"\nkey = "k"\nmax_retries = 2\n')
    with Client(retry_policy=RetryPolicy(max_retries=9)) as client:
        assert client.max_retries == 2 and client._retry_policy.max_retries == 2


def test_the_xdg_config_home_file_is_read_when_no_file_is_named(
    config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("FAL_QUEUE_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "xdg" / "fal-queue" / "config.toml"
    path.parent.mkdir(parents=True)
    _write(path, 'base_url = "https://xdg.example"\nkey = "k"\n')
    with Client() as client:
        assert client.base_url == "https://xdg.example"


def test_the_file_is_not_read_when_every_setting_is_given(config: Path) -> None:
    _write(config, "this is not toml\n")
    given = {
        "base_url": "https://gw.example",
        "api_key": "k",
        "auth_scheme": "bearer",
        "timeout": 5,
        "max_retries": 0,
        "wait_mode": "poll",
        "allow_http": False,
        "strict": False,
        "max_image_bytes": 1000,
    }
    with Client(**given) as client:
        assert client.wait_mode == "poll"
    with pytest.raises(ConfigFileError, match="is not valid TOML") as info:
        Client("https://gw.example", "k")
    assert info.value.path == config


@pytest.mark.parametrize("shell", SHELLS)
def test_a_bad_value_names_the_setting_and_the_file_line(shell: Any, config: Path) -> None:
    _write(config, f'key = "{CANARY}"\n\n[ignored]\n')
    with pytest.raises(ConfigFileError, match="unknown setting"):
        shell("https://gw.example")
    _write(config, f'# comment\nkey = "{CANARY}"\n"wait_mode" = "sleepy"\n')
    with pytest.raises(SettingError) as info:
        shell("https://gw.example")
    err = info.value
    assert isinstance(err, ConfigurationError)
    assert (err.setting, err.origin.kind, err.origin.where, err.origin.line) == (
        "wait_mode",
        "config",
        str(config),
        3,
    )
    assert f"(from config file {config}, line 3)" in str(err)


@pytest.mark.parametrize(
    ("kwargs", "env", "setting", "origin"),
    [
        ({"timeout": float("inf")}, {}, "timeout", "argument timeout="),
        ({"timeout": float("nan")}, {}, "timeout", "argument timeout="),
        ({"allow_http": "yes"}, {}, "allow_http", "argument allow_http="),
        ({}, {"FAL_QUEUE_ALLOW_HTTP": "sometimes"}, "allow_http", "env FAL_QUEUE_ALLOW_HTTP"),
        ({}, {"FAL_QUEUE_MAX_RETRIES": "-1"}, "max_retries", "env FAL_QUEUE_MAX_RETRIES"),
        ({"api_key": "  "}, {}, "key", "argument api_key="),
        ({"api_key": f"Key {CANARY}"}, {}, "key", "argument api_key="),
        ({"api_key": None}, {"FAL_QUEUE_KEY": f"{CANARY}\u00e9"}, "key", "env FAL_QUEUE_KEY"),
    ],
)
def test_bad_values_are_typed_errors_that_say_where_they_came_from(
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    kwargs: dict[str, Any],
    env: dict[str, str],
    setting: str,
    origin: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    arguments = {"base_url": "https://gw.example", "api_key": "k", **kwargs}
    with pytest.raises(SettingError) as info:
        Client(**arguments)
    assert info.value.setting == setting and str(info.value.origin) == origin
    assert origin in str(info.value) and CANARY not in f"{info.value} {info.value!r}"


def test_missing_settings_name_every_place_they_may_come_from(config: Path) -> None:
    with pytest.raises(SettingError, match="base_url") as info:
        Client()
    assert "FAL_QUEUE_BASE_URL" in str(info.value) and str(config) in str(info.value)
    with pytest.raises(SettingError, match="API key") as info:
        Client("https://gw.example")
    assert info.value.setting == "key" and str(config) in str(info.value)


def test_a_key_in_a_file_others_can_read_is_warned_about_without_the_key(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write(config, f'base_url = "https://gw.example"\nkey = "{CANARY}"\n', mode=0o644)
    gc.collect()  # the logger scrubs the keys of live clients: earlier tests' clients (key "k") must be gone
    caplog.set_level(logging.WARNING, logger="fal_queue")
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["authorization"])
        return httpx.Response(202, json={"status": "IN_QUEUE", "queue_position": 0})

    with Client(transport=httpx.MockTransport(handler)) as client:
        client.status("a/b", "r1")
    assert sent == [f"Bearer {CANARY}"]
    warnings = [r.getMessage() for r in caplog.records if "readable by others" in r.getMessage()]
    assert warnings == [
        f"config file {config} holds a key and is readable by others; run: chmod 600 {config}"
    ]
    assert all(CANARY not in r.getMessage() for r in caplog.records)
