"""``python -m fal_queue.mock``: run the mock gateway until SIGINT/SIGTERM.

On start it prints one ``NAME=value`` line per fact, then ``ready``::

    FAL_QUEUE_BASE_URL=http://127.0.0.1:41877
    FAL_QUEUE_MEDIA_URL=http://127.0.0.1:37001
    FAL_QUEUE_KEY=mock-key
    FAL_QUEUE_WEBHOOK_JWKS_URL=http://127.0.0.1:41877/.well-known/jwks.json
    ready
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import signal
import sys
import threading
import typing
from typing import Any

from fal_queue.mock.config import DEFAULT_KEY, PROBABILITIES, Faults, MockConfig
from fal_queue.mock.server import MockGateway

__all__ = ["build_parser", "config_from_args", "main"]


def _documented(cls: type) -> dict[str, str]:
    """Each ``* ``name``: ...`` entry of a class's docstring, as plain text (argparse's ``%`` escaped)."""
    entries = re.findall(r"^ *\* ``(\w+)``: (.*?)(?=\n *\*|\n *\n|\Z)", cls.__doc__ or "", re.M | re.S)
    plain = {name: " ".join(text.replace("``", "").split()).rstrip(".") for name, text in entries}
    return {name: text.replace("%", "%%") for name, text in plain.items()}


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {exc}") from None


def _faults_json(text: str) -> dict[str, object]:
    """``--faults``: a JSON object, or ``@path`` of a file holding one."""
    try:
        data = json.loads(_read_text(text[1:]) if text.startswith("@") else text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--faults needs a JSON object or @file: {exc}") from exc
    if not isinstance(data, dict):
        raise argparse.ArgumentTypeError("--faults needs a JSON object")
    return data


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _add_fields(group: Any, cls: type, prefix: str) -> None:
    """A flag per field the docstring of ``cls`` documents, typed by the field; the dataclass checks
    the values."""
    hints, helps = typing.get_type_hints(cls), _documented(cls)
    for field in dataclasses.fields(cls):
        if field.name not in helps:
            continue
        hint, default = hints[field.name], field.default
        shown = "" if default in (None, False) else f" (default {default})"
        options: dict[str, Any] = {"dest": prefix.replace("-", "_").lstrip("_") + field.name}
        if hint is bool:
            options["action"] = "store_true"
        elif typing.get_origin(hint) is typing.Literal:
            options["choices"] = typing.get_args(hint)
        else:
            options["metavar"] = "P" if cls is Faults and field.name in PROBABILITIES else field.name.upper()
            options["type"] = _names if field.name == "operations" else hint if hint in (int, float) else str
        flag = "--seed" if field.name == "seed" else prefix + field.name.replace("_", "-")
        group.add_argument(flag, help=helps[field.name] + shown, **options)


def build_parser(prog: str = "fal-queue mock") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Run a local mock of the fal queue gateway (loopback, no network, no real key).",
        epilog="The key defaults to $FAL_QUEUE_MOCK_KEY, else 'mock-key'. Send it as "
        "'Authorization: Bearer <key>' (or fal's 'Key <key>').",
        argument_default=argparse.SUPPRESS,  # only the flags given override the config
    )
    _add_fields(p, MockConfig, "--")
    p.add_argument("--key", action="append", dest="keys", metavar="KEY", help="accepted key (repeatable)")
    p.add_argument("--realistic", action="store_true", help="timings of seconds instead of milliseconds")
    p.add_argument("--tls-cert", dest="ssl_certfile", metavar="FILE", help="serve the gateway over https")
    p.add_argument("--tls-key", dest="ssl_keyfile", metavar="FILE", help="private key for --tls-cert")
    p.add_argument("--no-webhooks", dest="allow_webhooks", action="store_false", help="refuse fal_webhook")
    p.add_argument(
        "--extra-model",
        action="append",
        dest="extra_models",
        metavar="ID",
        help="serve this model id too, with free-form inputs (repeatable)",
    )
    p.add_argument(
        "--webhook-key-file",
        dest="webhook_private_key",
        type=_read_text,
        metavar="FILE",
        help="Ed25519 private key (PEM) that signs webhooks (default: a new key pair per start)",
    )
    f = p.add_argument_group("fault injection (deterministic by --seed)")
    _add_fields(f, Faults, "--fault-")
    f.add_argument(
        "--faults",
        type=_faults_json,
        metavar="JSON",
        help="faults as a JSON object (or @file) with Faults field names; --fault-* flags given win",
    )
    return p


def config_from_args(args: argparse.Namespace) -> MockConfig:
    """The config the flags given say: the defaults (or ``--realistic`` timings) for the rest."""
    given = dict(vars(args))
    faults = {**given.pop("faults", {})}  # JSON first; a flag given wins
    faults.update(
        {name[len("fault_") :]: given.pop(name) for name in list(given) if name.startswith("fault_")}
    )
    base = MockConfig.realistic() if given.pop("realistic", False) else MockConfig()
    given.setdefault("keys", [os.environ.get("FAL_QUEUE_MOCK_KEY") or DEFAULT_KEY])
    return base.replace(**given, faults=faults)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        gateway = MockGateway(config_from_args(args))
    except ValueError as exc:  # a bad value, e.g. a webhook key that is not an Ed25519 PEM
        parser.error(str(exc))
    stop = threading.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in signals}
    try:
        gateway.start()
        print(f"FAL_QUEUE_BASE_URL={gateway.base_url}")
        print(f"FAL_QUEUE_MEDIA_URL={gateway.media_url}")
        print(f"FAL_QUEUE_KEY={gateway.key}")
        print(f"FAL_QUEUE_WEBHOOK_JWKS_URL={gateway.webhook_jwks_url}")
        print("ready", flush=True)
        while not stop.wait(0.5):
            if not gateway.running:
                raise RuntimeError("the mock stopped unexpectedly")
    except (OSError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        gateway.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
