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
import signal
import sys
import threading
from types import FrameType

from fal_queue.mock.config import DEFAULT_KEY, OPERATIONS, Faults, MockConfig
from fal_queue.mock.server import MockGateway

__all__ = ["build_parser", "config_from_args", "main"]


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a probability between 0 and 1")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0.0:
        raise argparse.ArgumentTypeError(f"{text} is not a non-negative number of seconds")
    return value


_NEW_KINDS: dict[str, str] = {
    "stream_pings_only": "the status stream sends only ': ping' comments, never an event",
    "stream_repeat": "the status stream repeats a non-final event and never sends COMPLETED",
    "stream_silent": "the status stream sends its headers, then nothing",
    "drip": "bodies are sent one byte at a time at --fault-drip-bytes-per-second",
    "foreign_completed": "a status answer says COMPLETED but names another request id",
    "bad_request_id": "submit creates the job but answers request_id '../../etc'",
    "media_redirect_loop": "a media GET answers 302 to its own URL",
    "lying_encoding": "media and result answers claim Content-Encoding: gzip",
    "echo_auth": "answers echo the Authorization header (WWW-Authenticate, X-Echo-Authorization)",
    "foreign_urls": "*_url fields point at https://elsewhere.invalid/v2/jobs/<id>",
    "status_200": "IN_QUEUE/IN_PROGRESS status answers use 200 instead of 202",
    "drop_dimensions": "result images lack width and height",
}
"""Probability faults of FAULTS.md, each a ``--fault-<kind>`` flag (``_`` written ``-``)."""


def _faults_json(text: str) -> dict[str, object]:
    """``--faults``: a JSON object, or ``@path`` of a file holding one."""
    try:
        if text.startswith("@"):
            with open(text[1:], encoding="utf-8") as handle:
                text = handle.read()
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"--faults needs a JSON object or @file: {exc}") from exc
    if not isinstance(data, dict):
        raise argparse.ArgumentTypeError("--faults needs a JSON object")
    return data


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a non-negative integer")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0.0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def build_parser(prog: str = "fal-queue mock") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Run a local mock of the fal queue gateway (loopback, no network, no real key).",
        epilog="The key defaults to $FAL_QUEUE_MOCK_KEY, else 'mock-key'. Send it as "
        "'Authorization: Bearer <key>' (or fal's 'Key <key>').",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="gateway port, 0 picks a free one (default 0)")
    p.add_argument(
        "--media-port", type=int, default=0, help="media origin port, 0 picks a free one (default 0)"
    )
    p.add_argument("--key", action="append", dest="keys", metavar="KEY", help="accepted key (repeatable)")
    p.add_argument("--workers", type=int, default=None, help="jobs running at once (default 4; realistic 2)")
    p.add_argument("--queue-delay", type=_seconds, default=None, metavar="S", help="queue wait per job")
    p.add_argument("--run-time", type=_seconds, default=None, metavar="S", help="seconds a job runs")
    p.add_argument("--realistic", action="store_true", help="timings of seconds instead of milliseconds")
    p.add_argument(
        "--url-style",
        choices=("fal", "gateway"),
        default="fal",
        help="'fal': *_url fields point at https://queue.fal.run like the real gateway; "
        "'gateway': at this mock",
    )
    p.add_argument("--upstream-origin", default="https://queue.fal.run", help="origin of *_url in fal style")
    p.add_argument("--result-ttl", type=_seconds, default=3600.0, metavar="S", help="result lifetime")
    p.add_argument("--media-ttl", type=_seconds, default=3600.0, metavar="S", help="media file lifetime")
    p.add_argument("--ping-interval", type=_seconds, default=15.0, metavar="S", help="SSE ping interval")
    p.add_argument("--tls-cert", metavar="FILE", help="serve the gateway over https with this certificate")
    p.add_argument("--tls-key", metavar="FILE", help="private key for --tls-cert")
    p.add_argument("--no-webhooks", action="store_true", help="refuse fal_webhook on submit")
    p.add_argument(
        "--models",
        choices=("typed", "any"),
        default="typed",
        help="'typed' (default): unknown model ids answer 404 like a real gateway; 'any': serve every id",
    )
    p.add_argument(
        "--extra-model",
        action="append",
        dest="extra_models",
        metavar="ID",
        default=[],
        help="serve this model id too, with free-form inputs (repeatable)",
    )
    p.add_argument(
        "--strict-inputs", action="store_true", help="unknown input fields of typed models answer 422"
    )
    p.add_argument(
        "--log-requests", action="store_true", help="log method, path, status and ms per request to stderr"
    )
    p.add_argument(
        "--webhook-key-file",
        metavar="FILE",
        help="Ed25519 private key (PEM) that signs webhooks (default: a new key pair per start)",
    )
    f = p.add_argument_group("fault injection (deterministic by --seed)")
    f.add_argument("--seed", type=int, default=0, help="seed of all fault decisions (default 0)")
    f.add_argument("--fault-rate-limit", type=_probability, default=0.0, metavar="P", help="429 probability")
    f.add_argument("--fault-retry-after", type=int, default=0, metavar="S", help="Retry-After seconds on 429")
    f.add_argument(
        "--fault-ingress-503",
        type=_probability,
        default=0.0,
        metavar="P",
        help="probability of an HTML 503 without x-fal-request-id",
    )
    f.add_argument(
        "--fault-drop",
        type=_probability,
        default=0.0,
        metavar="P",
        help="probability of cutting the connection mid-response",
    )
    f.add_argument(
        "--fault-drop-submit-after-create", action="store_true", help="a dropped submit still creates its job"
    )
    f.add_argument(
        "--fault-slow", type=_probability, default=0.0, metavar="P", help="slow-answer probability"
    )
    f.add_argument("--fault-slow-seconds", type=_seconds, default=0.5, metavar="S", help="extra latency")
    f.add_argument(
        "--fault-job-failure",
        type=_probability,
        default=0.0,
        metavar="P",
        help="probability that a job fails (result 422 or 500, alternately)",
    )
    for kind, help_text in _NEW_KINDS.items():
        f.add_argument(
            f"--fault-{kind.replace('_', '-')}",
            dest=f"fault_{kind}",
            type=_probability,
            default=0.0,
            metavar="P",
            help=f"probability that {help_text}",
        )
    f.add_argument(
        "--fault-drip-bytes-per-second", type=_positive, default=5.0, metavar="R", help="rate of --fault-drip"
    )
    f.add_argument(
        "--fault-result-not-ready",
        type=_count,
        default=0,
        metavar="N",
        help="the first N result GETs after completion answer 400 'still in progress'",
    )
    f.add_argument("--fault-drop-param", metavar="FIELD", help="drop this input field before the job sees it")
    f.add_argument(
        "--faults",
        type=_faults_json,
        metavar="JSON",
        help="faults as a JSON object (or @file) with Faults field names; --fault-* flags given win",
    )
    f.add_argument(
        "--fault-operations",
        metavar="OPS",
        help=f"comma-separated operations the faults apply to ({','.join(sorted(OPERATIONS))})",
    )
    return p


def config_from_args(args: argparse.Namespace) -> MockConfig:
    operations = None
    if args.fault_operations:
        operations = frozenset(o.strip() for o in args.fault_operations.split(",") if o.strip())
    flags: dict[str, object] = {
        "seed": args.seed,
        "rate_limit": args.fault_rate_limit,
        "retry_after": args.fault_retry_after,
        "ingress_503": args.fault_ingress_503,
        "drop": args.fault_drop,
        "drop_submit_after_create": args.fault_drop_submit_after_create,
        "slow": args.fault_slow,
        "slow_seconds": args.fault_slow_seconds,
        "job_failure": args.fault_job_failure,
        "drip_bytes_per_second": args.fault_drip_bytes_per_second,
        "result_not_ready": args.fault_result_not_ready,
        "drop_param": args.fault_drop_param,
        "operations": operations,
        **{kind: getattr(args, f"fault_{kind}") for kind in _NEW_KINDS},
    }
    defaults = {f.name: f.default for f in dataclasses.fields(Faults)}
    # JSON first; a flag given on the command line (differing from its default) wins.
    merged: dict[str, object] = dict(args.faults or {})
    for name, value in flags.items():
        if name not in merged or value != defaults.get(name):
            merged[name] = value
    faults = Faults.from_dict(merged)
    keys = tuple(args.keys or [os.environ.get("FAL_QUEUE_MOCK_KEY") or DEFAULT_KEY])
    base = MockConfig.realistic() if args.realistic else MockConfig()
    return base.replace(
        keys=keys,
        host=args.host,
        port=args.port,
        media_port=args.media_port,
        workers=base.workers if args.workers is None else args.workers,
        queue_delay=base.queue_delay if args.queue_delay is None else args.queue_delay,
        run_time=base.run_time if args.run_time is None else args.run_time,
        url_style=args.url_style,
        upstream_origin=args.upstream_origin,
        result_ttl=args.result_ttl,
        media_ttl=args.media_ttl,
        ping_interval=args.ping_interval or 15.0,
        faults=faults,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
        allow_webhooks=not args.no_webhooks,
        models=args.models,
        extra_models=tuple(args.extra_models),
        strict_inputs=args.strict_inputs,
        log_requests=args.log_requests,
        webhook_private_key=_read_text(args.webhook_key_file) if args.webhook_key_file else None,
    )


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            gateway = MockGateway(config)
        except ValueError as exc:  # e.g. a webhook key that is not an Ed25519 PEM
            parser.error(str(exc))
        try:
            gateway.start()
        except (OSError, RuntimeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        try:
            print(f"FAL_QUEUE_BASE_URL={gateway.base_url}")
            print(f"FAL_QUEUE_MEDIA_URL={gateway.media_url}")
            print(f"FAL_QUEUE_KEY={gateway.key}")
            print(f"FAL_QUEUE_WEBHOOK_JWKS_URL={gateway.webhook_jwks_url}")
            print("ready", flush=True)
            while not stop.wait(0.5):
                if not gateway.running:
                    print("error: the mock stopped unexpectedly", file=sys.stderr)
                    return 1
        finally:
            gateway.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
