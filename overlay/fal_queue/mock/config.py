"""Configuration of the mock gateway: timings, keys, URL style and injected faults."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

__all__ = ["DEFAULT_KEY", "OPERATIONS", "PROBABILITIES", "Faults", "MockConfig"]

DEFAULT_KEY = "mock-key"
"""The key the mock accepts when none is configured (`FAL_QUEUE_MOCK_KEY` overrides it for the CLI)."""

OPERATIONS = frozenset({"submit", "status", "stream", "result", "cancel", "media"})
"""Operation names that `Faults.operations` may name."""

UrlStyle = Literal["fal", "gateway"]
ModelsPolicy = Literal["typed", "any"]
LimitAnswer = Literal["json", "text", "text-400"]


@dataclass(frozen=True, slots=True)
class Number:
    """The rule of a numeric field, checked after init: a finite number in ``[least, most]``, an
    integer if ``integer``, above zero if ``positive``; a bool is neither. ``text`` says it in words."""

    text: str
    least: float = 0.0
    most: float = math.inf
    integer: bool = False
    positive: bool = False

    def check(self, name: str, value: object) -> None:
        if not (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and (isinstance(value, int) or not self.integer)
            and math.isfinite(value)
            and self.least <= value <= self.most
            and (value > 0 or not self.positive)
        ):
            raise ValueError(f"{name} must be {self.text}, got {value!r}")


Probability = Annotated[float, Number("a probability between 0 and 1", most=1.0)]
Seconds = Annotated[float, Number("a number of seconds >= 0")]
Count = Annotated[int, Number("an integer >= 0", integer=True)]
AtLeastOne = Annotated[int, Number("an integer >= 1", least=1, integer=True)]


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def _refuse_unknown(cls: type, names: Iterable[str], what: str) -> None:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(names) - known
    if unknown:
        raise ValueError(f"unknown {what} {sorted(unknown)}; known: {sorted(known)}")


def _check_fields(instance: object) -> None:
    """Check every field whose type carries a `Number` rule or names its values (``Literal``)."""
    for name, hint in _hints(type(instance)).items():
        where, value = f"{type(instance).__name__}.{name}", getattr(instance, name)
        for rule in getattr(hint, "__metadata__", ()):
            rule.check(where, value)
        if typing.get_origin(hint) is Literal and value not in typing.get_args(hint):
            raise ValueError(f"{where} must be one of {', '.join(map(repr, typing.get_args(hint)))}")


@dataclass(frozen=True, slots=True)
class Faults:
    """Faults injected into the mock's answers, decided deterministically.

    Each decision hashes ``(seed, fault kind, method, path, n)`` where ``n`` counts the requests made so
    far to that method and path (since the faults were last set), so a run is reproducible whatever
    the interleaving of requests to different paths.

    * ``seed``: the seed of every decision.
    * ``rate_limit``: answer 429 with ``Retry-After: <retry_after>`` (integer seconds) and the Error
      body; nothing is created.
    * ``retry_after``: the ``Retry-After`` seconds of a ``rate_limit`` answer.
    * ``ingress_503``: answer 503 with an HTML body, ``Content-Type: text/html`` and no
      ``x-fal-request-id`` header, as a load balancer does; nothing is created.
    * ``drop``: cut the connection mid-response (headers with a ``Content-Length``, half the body,
      then close). Status, result, cancel and media requests do their work first. A dropped submit
      creates no job unless ``drop_submit_after_create`` is true; then the job exists and the
      response is lost (unrecoverable without an idempotency key).
    * ``drop_submit_after_create``: a dropped submit still creates its job.
    * ``slow``: wait ``slow_seconds`` before answering.
    * ``slow_seconds``: the wait of a ``slow`` answer.
    * ``job_failure``: the job completes with ``error``/``error_type``; its result answers 422
      (``content_policy_violation``) and 500 (``internal_server_error``) alternately.
    * ``stream_pings_only``: the status stream sends only ``: ping`` comments (every
      ``MockConfig.ping_interval`` s) and never a data event, until the client goes away.
    * ``stream_repeat``: the status stream re-sends the job's current non-final status event every
      ``ping_interval`` s and never sends COMPLETED (a completed job is shown as IN_PROGRESS).
    * ``stream_silent``: the status stream sends its 200 headers, then nothing at all (no event, no
      ping) until the client goes away.
    * ``drip``: the response body is sent one byte at a time at ``drip_bytes_per_second`` (submit,
      status, result, cancel and media; the work is done first).
    * ``drip_bytes_per_second``: the rate of ``drip``.
    * ``foreign_completed``: a status answer (poll and stream) says COMPLETED but names another request
      id (another existing job's if any, else a fresh uuid) in ``request_id`` and the ``*_url`` fields.
    * ``result_not_ready``: after a job completes, its first N result GETs answer 400
      ``{"detail": "Request is still in progress"}`` (a count, not a probability).
    * ``bad_request_id``: submit creates the job but answers ``request_id: "../../etc"`` with the
      ``*_url`` fields built from it (the job stays reachable under its real id).
    * ``media_redirect_loop``: a media GET answers 302 to its own URL, forever.
    * ``lying_encoding``: media and result answers carry ``Content-Encoding: gzip`` with a body that
      is not gzip.
    * ``echo_auth``: answers (errors included) carry ``WWW-Authenticate: Bearer realm="<Authorization
      as sent>"`` and ``X-Echo-Authorization: <Authorization as sent>``, as a careless gateway does.
    * ``drop_param``: the gateway drops this input field before the job sees it (e.g. ``"seed"``).
    * ``foreign_urls``: the submit's ``*_url`` fields (and the job's later status answers) point at
      ``https://elsewhere.invalid/v2/jobs/<id>...``, another host and path layout.
    * ``status_200``: IN_QUEUE / IN_PROGRESS status polls answer HTTP 200 instead of 202.
    * ``drop_dimensions``: result images lack ``width`` and ``height``.
    * ``operations``: restrict all faults to these operations (submit, status, stream, result, cancel,
      media; comma-separated on the command line); None means all.

    Job-level kinds (``bad_request_id``, ``foreign_urls``, ``drop_param``) are decided on the submit,
    ``foreign_completed`` and ``status_200`` on each status poll or stream, ``stream_*`` on each stream,
    ``drop_dimensions`` and ``result_not_ready`` on result GETs, ``media_redirect_loop`` on media GETs.
    """

    seed: Annotated[int, Number("an integer", least=-math.inf, integer=True)] = 0
    rate_limit: Probability = 0.0
    retry_after: Count = 0
    ingress_503: Probability = 0.0
    drop: Probability = 0.0
    drop_submit_after_create: bool = False
    slow: Probability = 0.0
    slow_seconds: Seconds = 0.5
    job_failure: Probability = 0.0
    stream_pings_only: Probability = 0.0
    stream_repeat: Probability = 0.0
    stream_silent: Probability = 0.0
    drip: Probability = 0.0
    drip_bytes_per_second: Annotated[float, Number("a positive number", positive=True)] = 5.0
    foreign_completed: Probability = 0.0
    result_not_ready: Count = 0
    bad_request_id: Probability = 0.0
    media_redirect_loop: Probability = 0.0
    lying_encoding: Probability = 0.0
    echo_auth: Probability = 0.0
    drop_param: str | None = None
    foreign_urls: Probability = 0.0
    status_200: Probability = 0.0
    drop_dimensions: Probability = 0.0
    operations: frozenset[str] | None = None

    def __post_init__(self) -> None:
        _check_fields(self)
        if self.drop_param is not None and (not isinstance(self.drop_param, str) or not self.drop_param):
            raise ValueError(f"Faults.drop_param must be a field name or None, got {self.drop_param!r}")
        if not isinstance(self.drop_submit_after_create, bool):
            raise ValueError("Faults.drop_submit_after_create must be a boolean")
        if self.operations is not None:
            if isinstance(self.operations, str) or not isinstance(self.operations, Iterable):
                raise ValueError("Faults.operations must be a set (or list) of operation names, or None")
            operations = frozenset(map(str, self.operations))
            unknown = operations - OPERATIONS
            if unknown:
                raise ValueError(
                    f"Faults.operations has unknown names {sorted(unknown)}; known: {sorted(OPERATIONS)}"
                )
            object.__setattr__(self, "operations", operations)

    @property
    def active(self) -> bool:
        """Whether any fault can fire at all."""
        return (
            any(getattr(self, name) for name in PROBABILITIES)
            or self.result_not_ready > 0
            or self.drop_param is not None
        )

    def applies_to(self, operation: str) -> bool:
        return self.operations is None or operation in self.operations

    def decide(self, kind: str, method: str, path: str, attempt: int) -> bool:
        """Whether fault ``kind`` fires for the ``attempt``-th request to ``method path``."""
        probability: float = getattr(self, kind)
        if probability <= 0.0:
            return False
        if probability >= 1.0:
            return True
        digest = hashlib.blake2b(
            f"{self.seed}|{kind}|{method}|{path}|{attempt}".encode(), digest_size=8
        ).digest()
        return int.from_bytes(digest, "big") / 2**64 < probability

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["operations"] = None if self.operations is None else sorted(self.operations)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Faults:
        """Build from JSON-like data; raises ValueError naming the offending field."""
        if not isinstance(data, Mapping):
            raise ValueError("faults must be a JSON object")
        _refuse_unknown(cls, data, "fault fields")
        values = dict(data)  # a list of operations becomes a set in __post_init__
        hints = _hints(cls)
        for name, value in data.items():  # JSON's 1 is 1.0 in a float field
            if getattr(hints[name], "__origin__", None) is float and type(value) is int:
                values[name] = float(value)
        return cls(**values)


def _schedule(steps: object) -> tuple[tuple[int, int], ...]:
    """``limit_schedule`` from pairs or from ``"AFTER:LIMIT,..."``, in order of AFTER."""
    try:
        if isinstance(steps, str):
            steps = [step.split(":") for step in steps.split(",") if step.strip()]
        pairs = tuple((int(after), int(limit)) for after, limit in steps)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        pairs = ((-1, -1),)
    if any(after < 0 or limit < 0 for after, limit in pairs):
        raise ValueError(
            f"MockConfig.limit_schedule must be AFTER:LIMIT pairs of whole numbers, got {steps!r}"
        )
    return tuple(sorted(pairs))


PROBABILITIES = tuple(name for name, hint in _hints(Faults).items() if hint == Probability)
"""The `Faults` fields that are probabilities (0 off, 1 always): the fault kinds but for counts."""


@dataclass(frozen=True, slots=True)
class MockConfig:
    """Everything a `MockGateway` needs. The defaults are fast timings meant for tests.

    * ``host``: the interface to listen on.
    * ``port``: the gateway's port; 0 picks a free one.
    * ``media_port``: the media origin's port; 0 picks a free one.
    * ``queue_delay``: seconds every job waits in the queue before a worker may take it (realistic: 1).
    * ``run_time``: seconds a job spends IN_PROGRESS (realistic: 4).
    * ``workers``: jobs running at once; further jobs wait IN_QUEUE with a counting-down
      ``queue_position`` (realistic: 2).
    * ``url_style``: ``fal``: ``*_url`` fields point at ``upstream_origin`` like fal's gateway;
      ``gateway``: at the mock's base URL.
    * ``upstream_origin``: the origin of ``*_url`` fields in the ``fal`` style.
    * ``result_ttl``: seconds a result lives.
    * ``media_ttl``: seconds a media file lives.
    * ``ping_interval``: seconds between the status stream's pings.
    * ``models``: ``typed``: submits to model ids the spec does not declare (nor ``extra_models``)
      answer 404 ``model_not_found`` like a real gateway; ``any``: serve every id.
    * ``strict_inputs``: unknown input fields of typed models answer 422; else they are ignored like
      fal, and recorded (``MockGateway.job(id)["unknown_fields"]``).
    * ``log_requests``: log one line per request (method, path, status, milliseconds) to stderr.
    * ``nsfw_every``: the safety checker flags an image when (seed + its index) is a multiple of this
      (deterministic by seed; 0: never), as fal returns a flagged, blanked image.
    * ``max_running_per_key``: a submit while the key has this many jobs not completed (queued or
      running) is refused like a reselling gateway's concurrency limit (0: no limit).
    * ``rate_limit``: submits per second per key (a token bucket holding one second's worth, at
      least one); a submit past it is refused (0: no limit).
    * ``limit_retry_after``: the ``Retry-After`` seconds of those refusals (0: no header).
    * ``limit_answer``: ``json``: 429 with the Error body; ``text``: 429 with a plain text body;
      ``text-400``: 400 with a plain "Too many requests" text, as some gateways answer.
    * ``limit_schedule``: the running limit changes as the key's jobs complete, as under other load:
      ``AFTER:LIMIT,...``, e.g. ``300:10,600:40`` (10 once 300 have completed, 40 again after 600).

    These are the command line's flags of the same names; the other fields have flags of their own.
    """

    keys: tuple[str, ...] = (DEFAULT_KEY,)
    host: str = "127.0.0.1"
    port: int = 0
    media_port: int = 0
    queue_delay: Seconds = 0.02
    run_time: Seconds = 0.05
    workers: AtLeastOne = 4
    url_style: UrlStyle = "fal"
    upstream_origin: str = "https://queue.fal.run"
    result_ttl: Seconds = 3600.0
    media_ttl: Seconds = 3600.0
    ping_interval: Annotated[float, Number("a positive number of seconds", positive=True)] = 15.0
    faults: Faults = field(default_factory=Faults)
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    allow_webhooks: bool = True
    webhook_private_key: str | None = None
    """Ed25519 private key (PEM) that signs webhooks; None generates a fresh pair at start."""
    max_body_bytes: AtLeastOne = 16 * 1024 * 1024
    request_log_size: AtLeastOne = 100_000
    models: ModelsPolicy = "typed"
    extra_models: tuple[str, ...] = ()
    """Further model ids served, with free-form inputs, although the spec does not declare them."""
    strict_inputs: bool = False
    log_requests: bool = False
    nsfw_every: Annotated[int, Number("a whole number >= 0", integer=True)] = 0
    max_running_per_key: Count = 0
    rate_limit: Annotated[float, Number("a number of submits per second >= 0")] = 0.0
    limit_retry_after: Count = 0
    limit_answer: LimitAnswer = "json"
    limit_schedule: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.faults, Mapping):
            object.__setattr__(self, "faults", Faults.from_dict(self.faults))
        if not isinstance(self.faults, Faults):
            raise ValueError("MockConfig.faults must be a Faults or a dict of its fields")
        keys = (self.keys,) if isinstance(self.keys, str) else tuple(self.keys)
        if not keys or any(not isinstance(k, str) or not k or any(c.isspace() for c in k) for k in keys):
            raise ValueError("MockConfig.keys must be one or more non-empty keys without whitespace")
        object.__setattr__(self, "keys", keys)
        _check_fields(self)
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("MockConfig.ssl_certfile and ssl_keyfile go together")
        object.__setattr__(self, "upstream_origin", self.upstream_origin.rstrip("/"))
        models = (self.extra_models,) if isinstance(self.extra_models, str) else tuple(self.extra_models)
        extra = tuple(m.strip("/") for m in models if isinstance(m, str))
        if len(extra) != len(models) or any(m.count("/") < 1 for m in extra):
            raise ValueError("MockConfig.extra_models must be model ids like 'owner/app'")
        object.__setattr__(self, "extra_models", extra)
        object.__setattr__(self, "limit_schedule", _schedule(self.limit_schedule))

    @property
    def tls(self) -> bool:
        return self.ssl_certfile is not None

    @classmethod
    def realistic(cls, **overrides: Any) -> MockConfig:
        """Timings of seconds, like the real gateway on a quiet day."""
        values: dict[str, Any] = {"queue_delay": 1.0, "run_time": 4.0, "workers": 2}
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes: Any) -> MockConfig:
        """A copy with ``changes``; ``faults`` may be a `Faults` or a dict of its fields."""
        _refuse_unknown(MockConfig, changes, "MockConfig options")
        return dataclasses.replace(self, **changes)
