"""The core shared by Client and AsyncClient: pure functions and call plans.

A *plan* describes one SDK call (which generated operation, with which arguments, how to turn the
answer into a value or a typed error). The sync and async shells only execute plans, so both
behave identically by construction.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import json
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Generic, Literal, TypedDict, TypeVar

import attrs
import httpx

from . import errors as E
from ._checks import seconds
from ._schema import contract, input_schema, unknown_value_message
from ._transport import CallState, Secret, is_submit
from .types import Completed, InProgress, Queued, Result, Status, UnknownStatus
from .urls import app_id, rewrite_url, validate_model_id, validate_request_id

T = TypeVar("T")

# The generated package is imported on first use, not with ``fal_queue``: its models package alone
# is ~70 attrs classes (tens of ms), and importing any one model or operation imports all of them.
_GENERATED = "fal_queue_api"


def generated_operation(name: str) -> ModuleType:
    """A generated operation module (``"queue.get_status"``, ``"submit.submit_flux_dev"``)."""
    return importlib.import_module(f"{_GENERATED}.api.{name}")


def generated_models() -> ModuleType:
    """``fal_queue_api.models``, imported on first use."""
    return importlib.import_module(f"{_GENERATED}.models")


class _TypedModels(Mapping[str, tuple[ModuleType, type[Any]]]):
    """The typed models as a read-only mapping, read from the contract on first use.

    Their ids are the contract's submit paths; looking one up imports the generated operation and
    input model that ``make generate`` made from the same entry (once; Python caches modules).
    """

    def __getitem__(self, model_id: str) -> tuple[ModuleType, type[Any]]:
        found = contract()
        operation, model = found.submits[model_id], found.inputs[model_id]
        input_cls: type[Any] = getattr(generated_models(), model)
        return generated_operation(f"submit.{operation}"), input_cls

    def __iter__(self) -> Iterator[str]:
        return iter(contract().submits)

    def __len__(self) -> int:
        return len(contract().submits)

    def __contains__(self, model_id: object) -> bool:
        return model_id in contract().submits


class _ModelIds(Sequence[str]):
    """The typed model ids, read from the contract on first use (``import fal_queue`` parses nothing)."""

    def __getitem__(self, index: Any) -> Any:
        return tuple(TYPED_MODELS)[index]

    def __len__(self) -> int:
        return len(TYPED_MODELS)

    def __repr__(self) -> str:
        return repr(tuple(TYPED_MODELS))


#: The typed models: model id -> (generated submit operation, generated input model).
TYPED_MODELS: Mapping[str, tuple[ModuleType, type[Any]]] = _TypedModels()
#: Their ids, in the contract's order.
TYPED_MODEL_IDS: Sequence[str] = _ModelIds()

_PRIORITIES = frozenset({"normal", "low"})
_RESERVED_HEADERS = frozenset({"authorization", "host", "content-length", "content-type"})


# ---------------------------------------------------------------- submit options and inputs


@dataclass(frozen=True)
class SubmitOptions:
    """The platform options of a submit, validated before anything is sent."""

    webhook_url: str | None = None
    priority: str | None = None
    hint: str | None = None
    start_timeout: float | None = None
    headers: Mapping[str, str] | None = None
    no_retry: bool | None = None
    object_lifecycle: Mapping[str, Any] | int | None = None
    store_io: bool | None = None

    def __post_init__(self) -> None:
        if self.priority is not None and self.priority not in _PRIORITIES:
            raise E.InvalidInputError(f"priority must be 'normal' or 'low', not {self.priority!r}")
        if self.start_timeout is not None:
            # fal's clients refuse 1 s or less, and the contract says so: no runner starts that fast.
            seconds(self.start_timeout, "start_timeout", above=1)
        if self.webhook_url is not None and not (
            isinstance(self.webhook_url, str) and self.webhook_url.startswith(("http://", "https://"))
        ):
            raise E.InvalidInputError(f"webhook_url must be an http(s) URL, not {self.webhook_url!r}")
        for name, value in (self.headers or {}).items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise E.InvalidInputError(
                    f"headers must map str to str; got {name!r}: {type(value).__name__}"
                )
            if name.lower() in _RESERVED_HEADERS:
                raise E.InvalidInputError(f"header {name!r} is set by the SDK and cannot be overridden")
        if self.object_lifecycle is not None and not isinstance(self.object_lifecycle, int | Mapping):
            raise E.InvalidInputError("object_lifecycle must be seconds (int) or a JSON object (dict)")

    def lifecycle_header(self) -> str | None:
        if self.object_lifecycle is None:
            return None
        if isinstance(self.object_lifecycle, int):
            return json.dumps({"expiration_duration_seconds": self.object_lifecycle})
        return json.dumps(dict(self.object_lifecycle), separators=(",", ":"))

    def operation_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of a generated submit operation."""
        kwargs: dict[str, Any] = {}
        if self.webhook_url is not None:
            kwargs["fal_webhook"] = self.webhook_url
        if self.start_timeout is not None:
            kwargs["x_fal_request_timeout"] = float(self.start_timeout)
        if self.priority is not None:
            kwargs["x_fal_queue_priority"] = self.priority
        if self.hint is not None:
            kwargs["x_fal_runner_hint"] = self.hint
        if self.no_retry is not None:
            kwargs["x_fal_no_retry"] = "1" if self.no_retry else "0"
        lifecycle = self.lifecycle_header()
        if lifecycle is not None:
            kwargs["x_fal_object_lifecycle_preference"] = lifecycle
        if self.store_io is not None:
            kwargs["x_fal_store_io"] = "1" if self.store_io else "0"
        return kwargs

    def raw_request(self) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, query params) for models the generated client does not know."""
        names = {
            "x_fal_request_timeout": "X-Fal-Request-Timeout",
            "x_fal_queue_priority": "X-Fal-Queue-Priority",
            "x_fal_runner_hint": "X-Fal-Runner-Hint",
            "x_fal_no_retry": "X-Fal-No-Retry",
            "x_fal_object_lifecycle_preference": "X-Fal-Object-Lifecycle-Preference",
            "x_fal_store_io": "X-Fal-Store-IO",
        }
        headers: dict[str, str] = {}
        params: dict[str, str] = {}
        for key, value in self.operation_kwargs().items():
            if key == "fal_webhook":
                params[key] = value
            else:
                headers[names[key]] = str(value)
        return headers, params


class SubmitKwargs(TypedDict, total=False):
    """Options of ``submit`` and ``subscribe``; see SubmitOptions for their meaning."""

    webhook_url: str | None
    priority: Literal["normal", "low"] | None
    hint: str | None
    start_timeout: float | None
    headers: Mapping[str, str] | None
    no_retry: bool | None
    object_lifecycle: Mapping[str, Any] | int | None
    store_io: bool | None
    #: Retries of the submit call itself (only ever when provably safe).
    max_retries: int | None
    #: Timeout of the submit HTTP call (seconds or an httpx.Timeout).
    http_timeout: float | httpx.Timeout | None
    #: Refuse fields a typed model does not know (default: the client's ``strict``).
    strict: bool | None


_SUBMIT_OPTION_NAMES = frozenset(f.name for f in dataclasses.fields(SubmitOptions))
_CALL_OPTION_NAMES = frozenset({"max_retries", "http_timeout", "strict"})


def split_submit_kwargs(kwargs: Mapping[str, Any]) -> tuple[SubmitOptions, dict[str, Any]]:
    """(platform options, per-call options) from ``**kwargs``; unknown names fail before sending."""
    unknown = sorted(set(kwargs) - _SUBMIT_OPTION_NAMES - _CALL_OPTION_NAMES)
    if unknown:
        raise E.InvalidInputError(
            f"unknown submit option(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(SubmitKwargs.__annotations__))}"
        )
    options = SubmitOptions(**{k: v for k, v in kwargs.items() if k in _SUBMIT_OPTION_NAMES})
    call = {k: kwargs[k] for k in _CALL_OPTION_NAMES if k in kwargs}
    return options, call


def _utf8_ready(text: str, path: str) -> None:
    """A lone surrogate (what ``os.fsdecode`` makes of undecodable bytes) cannot be sent as JSON."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise E.InvalidInputError(
            f"arguments{path} holds a lone surrogate (U+{ord(text[exc.start]):04X}) at position "
            f"{exc.start}, which is not valid UTF-8; decode such text with errors='replace'"
        ) from None


def _json_ready(value: Any, path: str) -> None:
    """Raise a clear error for anything json.dumps would choke on (or silently mangle)."""
    if isinstance(value, str):
        _utf8_ready(value, path)
        return
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise E.InvalidInputError(f"arguments{path} is {value!r}, which JSON cannot carry")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise E.InvalidInputError(f"arguments{path} has a non-string key {key!r}")
            _utf8_ready(key, f"{path} key")
            _json_ready(item, f"{path}[{key!r}]")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _json_ready(item, f"{path}[{index}]")
        return
    raise E.InvalidInputError(
        f"arguments{path} is a {type(value).__name__}, which is not JSON-serializable "
        "(use str, int, float, bool, None, list or dict)"
    )


_warned: set[tuple[str, ...]] = set()


def _warn_once(key: tuple[str, ...], message: str) -> None:
    """One warning per model and field (and value): a batch of 300 lines warns once."""
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, E.UnknownFieldWarning, stacklevel=4)


def unknown_field_message(model_id: str, name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f", did you mean {close[0]}?" if close else f" (known: {', '.join(sorted(known))})"
    return f"{name}: unknown for {model_id}{hint}"


def prepare_input(
    model_id: str, arguments: object, *, strict: bool = False
) -> tuple[Any | None, dict[str, Any]]:
    """Validate the arguments of a submit; return (generated input model or None, JSON body).

    Typed models accept their generated input model or a dict. Fields the contract does not know
    are sent as given, with a warning once per field (fal adds fields, and its apps ignore the
    ones they do not know); ``strict=True`` refuses them. Known fields keep their checks. Other
    models accept any JSON object.
    """
    validate_model_id(model_id)
    typed = TYPED_MODELS.get(model_id)
    if typed is not None and isinstance(arguments, typed[1]):
        body = arguments.to_dict()
        _json_ready(body, "")
        extra = sorted(getattr(arguments, "additional_properties", None) or {})
        if extra and strict:
            known = {a.name for a in attrs.fields(typed[1]) if a.name != "additional_properties"}
            raise E.InvalidInputError(
                "; ".join(unknown_field_message(model_id, n, known) for n in extra) + " (strict)",
                model_id=model_id,
            )
        return arguments, body
    if attrs.has(type(arguments)) and hasattr(arguments, "to_dict"):
        expected = typed[1].__name__ if typed else "a dict"
        raise E.InvalidInputError(
            f"{type(arguments).__name__} is not the input of {model_id}; expected {expected}",
            model_id=model_id,
        )
    if not isinstance(arguments, Mapping):
        raise E.InvalidInputError(
            f"arguments must be a dict (or a generated input model), not {type(arguments).__name__}",
            model_id=model_id,
        )
    _json_ready(arguments, "")
    data = dict(arguments)
    if typed is None:
        return None, data
    input_cls = typed[1]
    known = {a.name for a in attrs.fields(input_cls) if a.name != "additional_properties"}
    unknown = sorted(set(data) - known)
    if unknown and strict:
        raise E.InvalidInputError(
            f"unknown field(s) {', '.join(map(repr, unknown))} for {model_id} (strict): "
            + "; ".join(unknown_field_message(model_id, n, known) for n in unknown),
            model_id=model_id,
        )
    for name in unknown:
        _warn_once((model_id, name), unknown_field_message(model_id, name, known))
    required = [a.name for a in attrs.fields(input_cls) if a.default is attrs.NOTHING]
    missing = [name for name in required if name not in data]
    if missing:
        raise E.InvalidInputError(
            f"missing required field(s) {', '.join(map(repr, missing))} for {model_id}", model_id=model_id
        )
    schema = input_schema(model_id)
    unknown_values = False
    if schema is not None:
        problems = schema.problems({k: v for k, v in data.items() if k in known})
        if problems:
            raise E.InvalidInputError(
                f"invalid arguments for {model_id}: {'; '.join(problems)}", model_id=model_id
            )
        for name in sorted(set(data) & known):
            values = schema.unknown_value(name, data[name])
            if values is None:
                continue
            message = unknown_value_message(model_id, name, data[name], values)
            if strict:
                raise E.InvalidInputError(f"{message} (strict)", model_id=model_id)
            unknown_values = True
            _warn_once((model_id, name, data[name]), message)
    if unknown or unknown_values:
        return None, data  # the generated model cannot carry them: send the JSON as given
    try:
        model = input_cls.from_dict(data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise E.InvalidInputError(f"invalid arguments for {model_id}: {exc}", model_id=model_id) from exc
    return model, data


# ---------------------------------------------------------------- answers, errors, statuses


@dataclass
class Answer:
    """What one HTTP call returned, in the shape both generated and raw calls can produce."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    parsed: Any = None


@dataclass
class Context:
    """What an error raised for this call should name."""

    operation: str
    model_id: str | None = None
    request_id: str | None = None
    secret: Secret | None = None


def _redact(text: str, ctx: Context) -> str:
    return ctx.secret.redact(text) if ctx.secret is not None else text


def _decode_body(content: bytes) -> Any:
    try:
        return json.loads(content) if content else None
    except ValueError:
        return content.decode("utf-8", "replace")[:2000]


def _detail_text(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        items = []
        for item in detail[:5]:
            if isinstance(item, Mapping):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "body") or "<request>"
                items.append(f"{loc}: {item.get('msg', '')}")
            else:
                items.append(str(item))
        more = f" (+{len(detail) - 5} more)" if len(detail) > 5 else ""
        return "; ".join(items) + more
    return "" if detail is None else str(detail)


def safe_headers(headers: Mapping[str, str], ctx: Context) -> dict[str, str]:
    """An answer's headers fit to keep on an error: the key redacted (some servers echo it), no cookies."""
    return {
        k: _redact(v, ctx) for k, v in headers.items() if k.lower() not in {"set-cookie", "authorization"}
    }


def error_from_answer(
    status_code: int, headers: Mapping[str, str], content: bytes, ctx: Context
) -> E.APIStatusError:
    """The typed error for an error status, with the server's detail, error type and request ids."""
    headers = safe_headers(headers, ctx)
    lowered = {k.lower(): v for k, v in headers.items()}
    if ctx.secret is not None and content:
        text = content.decode("utf-8", "replace")
        redacted = ctx.secret.redact(text)
        if redacted != text:
            content = redacted.encode()
    body = _decode_body(content)
    detail = body.get("detail") if isinstance(body, Mapping) else None
    error_type = (body.get("error_type") if isinstance(body, Mapping) else None) or lowered.get(
        "x-fal-error-type"
    )
    if not isinstance(error_type, str):
        error_type = None
    text = _detail_text(detail)
    if not text:
        text = body.strip()[:200] if isinstance(body, str) and body.strip() else f"{ctx.operation} failed"
        if isinstance(body, str) and "<html" in body.lower():
            kind = lowered.get("content-type", "").split(";")[0].strip() or "no content type"
            text = f"HTTP {status_code} with an HTML page ({kind}), not a gateway's JSON answer"
            if status_code in (502, 503, 504):
                text += " (an ingress in front of the gateway answered: usually transient)"
            else:
                text += " (is the base URL a fal queue gateway?)"
    message = _redact(f"{ctx.operation}: {text}", ctx)
    kwargs: dict[str, Any] = {
        "status_code": status_code,
        "headers": headers,
        "body": body,
        "detail": detail,
        "error_type": error_type,
        "request_id": ctx.request_id,
        "model_id": ctx.model_id,
        "server_request_id": lowered.get("x-fal-request-id"),
    }
    if status_code == 400:
        return E.BadRequestError(message, **kwargs)
    if status_code == 401:
        return E.AuthenticationError(message, **kwargs)
    if status_code == 403:
        return E.PermissionDeniedError(message, **kwargs)
    if status_code == 404:
        return E.NotFoundError(message, **kwargs)
    if status_code == 422:
        return E.ValidationError(message, errors=E.FieldError.list_from(detail), **kwargs)
    if status_code == 429:
        hint = lowered.get("retry-after", "")
        retry_after = float(hint) if hint.replace(".", "", 1).isdigit() else None
        return E.RateLimitError(message, retry_after=retry_after, **kwargs)
    if status_code >= 500:
        return E.ServerError(message, **kwargs)
    return E.APIStatusError(message, **kwargs)


def error_from_exception(exc: BaseException, ctx: Context, state: CallState) -> E.FalQueueError:
    """Map what escaped an HTTP call (after retries) to the SDK's hierarchy."""
    if isinstance(exc, E.FalQueueError):
        return exc
    common: dict[str, Any] = {"request_id": ctx.request_id, "model_id": ctx.model_id}
    if isinstance(exc, httpx.TransportError):
        request = _request_of(exc)
        attempts = f" after {state.attempts} attempt(s)" if state.attempts else ""
        reason = _redact(f"{type(exc).__name__}: {exc}", ctx)
        connect_failed = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        if request is not None and is_submit(request) and not connect_failed:
            return E.SubmitUncertainError(
                f"{ctx.operation}: the connection broke after the request was sent{attempts} ({reason}); "
                "the job may or may not have been queued, and it was not resubmitted",
                **common,
            )
        if isinstance(exc, httpx.TimeoutException):
            return E.APITimeoutError(f"{ctx.operation}: timed out{attempts} ({reason})", **common)
        return E.APIConnectionError(f"{ctx.operation}: connection failed{attempts} ({reason})", **common)
    if isinstance(exc, ValueError | KeyError | TypeError | AttributeError):
        raw = state.last_response
        if raw is not None and raw.status_code >= 400:
            return error_from_answer(raw.status_code, raw.headers, _content_of(raw), ctx)
        status = raw.status_code if raw is not None else 0
        return E.APIResponseValidationError(
            _redact(
                f"{ctx.operation}: the gateway's answer is not the documented shape "
                f"({type(exc).__name__}: {exc})",
                ctx,
            ),
            status_code=status,
            body=_content_of(raw) if raw is not None else b"",
            headers=safe_headers(raw.headers, ctx) if raw is not None else None,
            server_request_id=raw.headers.get("x-fal-request-id") if raw is not None else None,
            **common,
        )
    if isinstance(exc, httpx.HTTPError):
        return E.APIConnectionError(_redact(f"{ctx.operation}: {type(exc).__name__}: {exc}", ctx), **common)
    raise exc


def _request_of(exc: httpx.TransportError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:
        return None


def _content_of(response: httpx.Response) -> bytes:
    try:
        return response.content
    except httpx.ResponseNotRead:
        return b""


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def parse_status(data: object, *, request_id: str, base_url: str) -> Status:
    """A typed status from a status body or stream event; never raises on odd input."""
    if not isinstance(data, Mapping):
        return UnknownStatus(request_id=request_id, status=f"<{type(data).__name__}>", raw={})
    raw = dict(data)
    for key in ("status_url", "response_url", "cancel_url"):
        if isinstance(raw.get(key), str):
            raw[key] = rewrite_url(raw[key], base_url)
    named = raw.get("request_id")
    if isinstance(named, str) and named and named != request_id:
        raise E.RequestIdMismatchError(
            f"status: asked about request {request_id!r}, the gateway answered about {named!r} "
            "(not followed)",
            expected=request_id,
            received=named,
            status_code=200,
            body=json.dumps(raw, default=str).encode(),
        )
    logs_value = raw.get("logs")
    logs = tuple(x for x in logs_value if isinstance(x, Mapping)) if isinstance(logs_value, list) else ()
    common: dict[str, Any] = {
        "request_id": request_id,
        "logs": logs,
        "status_url": _str_or_none(raw.get("status_url")),
        "response_url": _str_or_none(raw.get("response_url")),
        "cancel_url": _str_or_none(raw.get("cancel_url")),
        "raw": raw,
    }
    status = raw.get("status")
    if status == "IN_QUEUE":
        position = raw.get("queue_position")
        valid = isinstance(position, int) and not isinstance(position, bool)
        return Queued(position=position if valid else None, **common)
    if status == "IN_PROGRESS":
        return InProgress(**common)
    if status == "COMPLETED":
        metrics = raw.get("metrics")
        return Completed(
            error=_str_or_none(raw.get("error")),
            error_type=_str_or_none(raw.get("error_type")),
            metrics=dict(metrics) if isinstance(metrics, Mapping) else {},
            **common,
        )
    return UnknownStatus(status=str(status), **common)


def parse_json_object(content: bytes) -> dict[str, Any]:
    data = json.loads(content)
    if not isinstance(data, dict):
        raise TypeError(f"expected a JSON object, got {type(data).__name__}")
    return data


# ---------------------------------------------------------------- plans


@dataclass(frozen=True)
class Generated:
    """A call through the generated client: ``operation.(a)sync_detailed(client=..., **kwargs)``."""

    operation: ModuleType
    kwargs: Mapping[str, Any]


@dataclass(frozen=True)
class Raw:
    """A call the generated client cannot make (untyped models, three-segment apps)."""

    method: str
    url: str
    kwargs: Mapping[str, Any]


@dataclass(frozen=True)
class Plan(Generic[T]):
    """One SDK call as data: what to send, and how to turn the answer into a value or an error.

    The shells send ``call`` (sync or async) and hand the Answer to ``complete``.
    """

    ctx: Context
    call: Generated | Raw
    finish: Callable[[Answer], T]
    ok: frozenset[int] = field(default=frozenset({200}))

    def complete(self, answer: Answer) -> T:
        if answer.status_code not in self.ok:
            raise error_from_answer(answer.status_code, answer.headers, answer.content, self.ctx)
        return self.finish(answer)


@dataclass(frozen=True)
class Submitted:
    """What a submit returned, URLs already rewritten to the gateway."""

    model_id: str
    request_id: str
    status_url: str
    response_url: str
    cancel_url: str
    queue_position: int | None
    raw: Mapping[str, Any]


def submit_plan(
    base_url: str,
    secret: Secret,
    model_id: str,
    arguments: object,
    options: SubmitOptions,
    *,
    strict: bool = False,
) -> Plan[Submitted]:
    model, body = prepare_input(model_id, arguments, strict=strict)
    ctx = Context("submit", model_id=model_id, secret=secret)

    def finish(answer: Answer) -> Submitted:
        raw = parse_json_object(answer.content)
        response_cls = generated_models().QueueSubmitResponse
        parsed = answer.parsed if isinstance(answer.parsed, response_cls) else None
        parsed = parsed or response_cls.from_dict(raw)
        try:
            request_id = validate_request_id(parsed.request_id)
        except E.InvalidInputError:
            # The gateway accepted (and may bill) a job we cannot address: keep its whole answer.
            raise E.APIResponseValidationError(
                _redact(
                    f"submit: the gateway queued a job but answered with an unusable request id "
                    f"{parsed.request_id!r}; its raw answer is in .body",
                    ctx,
                ),
                status_code=answer.status_code,
                body=answer.content,
                headers=safe_headers(answer.headers, ctx),
                model_id=model_id,
                server_request_id=answer.headers.get("x-fal-request-id"),
            ) from None
        position = parsed.queue_position if isinstance(parsed.queue_position, int) else None
        rewritten = {
            k: rewrite_url(str(raw[k]), base_url) for k in ("status_url", "response_url", "cancel_url")
        }
        return Submitted(model_id, request_id, queue_position=position, raw={**raw, **rewritten}, **rewritten)

    # fal answers 200; a gateway that says 201/202 has still queued (and will bill) the job.
    accepted = frozenset({200, 201, 202})
    if model is not None:
        call: Generated | Raw = Generated(
            TYPED_MODELS[model_id][0], {"body": model, **options.operation_kwargs()}
        )
    else:
        headers, params = options.raw_request()
        call = Raw("POST", f"/{model_id}", {"json": body, "headers": headers, "params": params})
    return Plan(ctx, call, finish, ok=accepted)


def _queue_call(
    operation: str, method: str, suffix: str, model_id: str, request_id: str, **kwargs: Any
) -> Generated | Raw:
    """A queue operation through the generated client; raw only for three-segment apps."""
    app = app_id(model_id)
    validate_request_id(request_id)
    parts = app.split("/")
    if len(parts) == 2:
        return Generated(
            generated_operation(f"queue.{operation}"),
            {"owner": parts[0], "app": parts[1], "request_id": request_id, **kwargs},
        )
    params = {"logs": kwargs["logs"]} if "logs" in kwargs else {}
    return Raw(method, f"/{app}/requests/{request_id}{suffix}", {"params": params})


def status_plan(base_url: str, secret: Secret, model_id: str, request_id: str, logs: bool) -> Plan[Status]:
    ctx = Context("status", model_id=model_id, request_id=request_id, secret=secret)
    call = _queue_call("get_status", "GET", "/status", model_id, request_id, logs="1" if logs else "0")

    def finish(answer: Answer) -> Status:
        return parse_status(parse_json_object(answer.content), request_id=request_id, base_url=base_url)

    return Plan(ctx, call, finish, ok=frozenset({200, 202}))


def result_plan(secret: Secret, model_id: str, request_id: str) -> Plan[Result]:
    ctx = Context("result", model_id=model_id, request_id=request_id, secret=secret)
    call = _queue_call("get_result", "GET", "", model_id, request_id)

    def finish(answer: Answer) -> Result:
        raw = parse_json_object(answer.content)
        return Result(request_id=request_id, model_id=model_id, raw=raw, parsed=answer.parsed)

    return Plan(ctx, call, finish)


def cancel_plan(secret: Secret, model_id: str, request_id: str) -> Plan[str]:
    ctx = Context("cancel", model_id=model_id, request_id=request_id, secret=secret)
    call = _queue_call("cancel_request", "PUT", "/cancel", model_id, request_id)

    def finish(answer: Answer) -> str:
        status = parse_json_object(answer.content).get("status")
        if answer.status_code == 400 and status != "ALREADY_COMPLETED":
            raise error_from_answer(answer.status_code, answer.headers, answer.content, ctx)
        return str(status)

    return Plan(ctx, call, finish, ok=frozenset({200, 202, 400}))


def job_failed(status: Completed, model_id: str, cause: E.APIStatusError | None) -> E.JobFailedError:
    text = status.error or (cause.message if cause else None) or "the job failed"
    return E.JobFailedError(
        f"job failed: {text}",
        request_id=status.request_id,
        model_id=model_id,
        error_type=status.error_type or (cause.error_type if cause else None),
        logs=status.logs,
        cause=cause,
    )


__all__ = [
    "TYPED_MODELS",
    "TYPED_MODEL_IDS",
    "Answer",
    "Context",
    "Generated",
    "Plan",
    "Raw",
    "SubmitKwargs",
    "SubmitOptions",
    "Submitted",
    "cancel_plan",
    "error_from_answer",
    "error_from_exception",
    "parse_status",
    "prepare_input",
    "result_plan",
    "split_submit_kwargs",
    "status_plan",
    "submit_plan",
]
