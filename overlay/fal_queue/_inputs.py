"""What a submit sends: the typed-model registry, the platform options, the checked JSON body.

Everything here runs before a byte is sent, so a bad input never costs a job.
"""

from __future__ import annotations

import importlib
import json
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import Any, Literal, TypedDict

import attrs
import httpx

from . import _constants as C
from . import errors as E
from ._checks import seconds
from ._schema import InputSchema, closest, contract, input_schema, unknown_value_message
from .images import encode_field, is_image_field
from .urls import validate_model_id

# The generated package is imported on first use, not with ``fal_queue``: importing any one of its
# models or operations imports all of them (bench/results.md: import time).
_GENERATED = "fal_queue_api"


def generated_operation(name: str) -> ModuleType:
    """A generated operation module (``"queue.get_status"``, ``"submit.submit_flux_dev"``)."""
    return importlib.import_module(f"{_GENERATED}.api.{name}")


def generated_models() -> ModuleType:
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


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _lifecycle(value: Mapping[str, Any] | int) -> str:
    if isinstance(value, int):
        return json.dumps({"expiration_duration_seconds": value})
    return json.dumps(dict(value), separators=(",", ":"))


#: Each platform option: its keyword in the generated submit operations, and how its value is sent.
_SENT_AS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "webhook_url": ("fal_webhook", lambda value: value),
    "start_timeout": ("x_fal_request_timeout", float),
    "priority": ("x_fal_queue_priority", lambda value: value),
    "hint": ("x_fal_runner_hint", lambda value: value),
    "no_retry": ("x_fal_no_retry", _flag),
    "object_lifecycle": ("x_fal_object_lifecycle_preference", _lifecycle),
    "store_io": ("x_fal_store_io", _flag),
}


class SubmitKwargs(TypedDict, total=False):
    """Options of ``submit`` and ``subscribe``, all checked before anything is sent."""

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


def split_submit_kwargs(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the platform options as the generated submit operations' keywords, the per-call options:
    ``headers``, ``max_retries``, ``http_timeout``, ``strict``), every one checked before sending."""
    unknown = sorted(set(kwargs) - set(SubmitKwargs.__annotations__))
    if unknown:
        raise E.InvalidInputError(
            f"unknown submit option(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(SubmitKwargs.__annotations__))}"
        )
    given = {k: v for k, v in kwargs.items() if v is not None}
    if given.get("priority", "normal") not in _PRIORITIES:
        raise E.InvalidInputError(f"priority must be 'normal' or 'low', not {given['priority']!r}")
    if "start_timeout" in given:
        # fal's clients refuse 1 s or less, and the contract says so: no runner starts that fast.
        seconds(given["start_timeout"], "start_timeout", above=1)
    webhook_url = given.get("webhook_url", "https://")
    if not (isinstance(webhook_url, str) and webhook_url.startswith(("http://", "https://"))):
        raise E.InvalidInputError(f"webhook_url must be an http(s) URL, not {webhook_url!r}")
    for name, value in (given.get("headers") or {}).items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise E.InvalidInputError(f"headers must map str to str; got {name!r}: {type(value).__name__}")
        if name.lower() in _RESERVED_HEADERS:
            raise E.InvalidInputError(f"header {name!r} is set by the SDK and cannot be overridden")
    if not isinstance(given.get("object_lifecycle", 0), int | Mapping):
        raise E.InvalidInputError("object_lifecycle must be seconds (int) or a JSON object (dict)")
    if not isinstance(given.get("strict", False), bool):
        raise E.InvalidInputError(f"strict must be True or False, not {given['strict']!r}")
    sent = {name: send(given[option]) for option, (name, send) in _SENT_AS.items() if option in given}
    return sent, {k: v for k, v in kwargs.items() if k not in _SENT_AS}


def raw_request(sent: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, query params) of the platform options for models the generated client does not
    know: the generator's keywords are the header names."""
    headers = {key.replace("_", "-"): str(value) for key, value in sent.items() if key != "fal_webhook"}
    return headers, {"fal_webhook": sent["fal_webhook"]} if "fal_webhook" in sent else {}


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
    elif isinstance(value, float) and not math.isfinite(value):
        raise E.InvalidInputError(f"arguments{path} is {value!r}, which JSON cannot carry")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise E.InvalidInputError(f"arguments{path} has a non-string key {key!r}")
            _utf8_ready(key, f"{path} key")
            _json_ready(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _json_ready(item, f"{path}[{index}]")
    elif not (value is None or isinstance(value, bool | int | float)):
        raise E.InvalidInputError(
            f"arguments{path} is a {type(value).__name__}, which is not JSON-serializable "
            "(use str, int, float, bool, None, list or dict)"
        )


_warned: set[tuple[str, ...]] = set()


def _warn_once(key: tuple[str, ...], message: str) -> None:
    """One warning per model and field (and value): a batch of 300 lines warns once."""
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, E.UnknownFieldWarning, stacklevel=5)


def unknown_field_message(model_id: str, name: str, known: Iterable[str]) -> str:
    close = closest(name, sorted(known))
    hint = f", did you mean {close}?" if close else f" (known: {', '.join(sorted(known))})"
    return f"{name}: unknown for {model_id}{hint}"


def prepare_input(
    model_id: str,
    arguments: object,
    *,
    strict: bool = False,
    max_image_bytes: int = C.DEFAULT_MAX_IMAGE_BYTES,
) -> tuple[Any | None, dict[str, Any]]:
    """Validate the arguments of a submit; return (generated input model or None, JSON body).

    Typed models accept their generated input model or a dict. Fields the contract does not know
    are sent as given, with a warning once per field (fal adds fields, and its apps ignore the
    ones they do not know); ``strict=True`` refuses them. Known fields keep their checks. Other
    models accept any JSON object. Image fields (``*_url``, ``*_urls``) also take local images
    (``images.encode_field``).
    """
    validate_model_id(model_id)
    typed = TYPED_MODELS.get(model_id)
    input_cls = typed[1] if typed is not None else None
    schema = input_schema(model_id)
    if input_cls is not None and schema is not None and isinstance(arguments, input_cls):
        body = arguments.to_dict()
        _json_ready(body, "")
        extra = sorted(getattr(arguments, "additional_properties", None) or {})
        if extra and strict:
            text = "; ".join(unknown_field_message(model_id, n, schema.fields) for n in extra)
            raise E.InvalidInputError(f"{text} (strict)", model_id=model_id)
        return arguments, body
    if attrs.has(type(arguments)) and hasattr(arguments, "to_dict"):
        expected = input_cls.__name__ if input_cls else "a dict"
        raise E.InvalidInputError(
            f"{type(arguments).__name__} is not the input of {model_id}; expected {expected}",
            model_id=model_id,
        )
    if not isinstance(arguments, Mapping):
        raise E.InvalidInputError(
            f"arguments must be a dict (or a generated input model), not {type(arguments).__name__}",
            model_id=model_id,
        )
    data: dict[str, Any] = {
        k: encode_field(k, v, max_image_bytes) if is_image_field(k) else v for k, v in arguments.items()
    }
    _json_ready(data, "")
    if input_cls is None or schema is None:
        return None, data
    if _unknown_to_the_contract(model_id, schema, data, strict):
        return None, data  # the generated model cannot carry them: send the JSON as given
    try:
        return input_cls.from_dict(data), data
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise E.InvalidInputError(f"invalid arguments for {model_id}: {exc}", model_id=model_id) from exc


def _unknown_to_the_contract(model_id: str, schema: InputSchema, data: dict[str, Any], strict: bool) -> bool:
    """Refuse what the contract refuses in ``data``; warn once about each field or string value it
    does not know (refuse them when ``strict``). True when there is such a field or value."""
    known = schema.fields
    unknown = sorted(set(data) - known)
    if unknown and strict:
        text = "; ".join(unknown_field_message(model_id, n, known) for n in unknown)
        listed = ", ".join(map(repr, unknown))
        raise E.InvalidInputError(
            f"unknown field(s) {listed} for {model_id} (strict): {text}", model_id=model_id
        )
    for name in unknown:
        _warn_once((model_id, name), unknown_field_message(model_id, name, known))
    missing = [name for name in schema.required if name not in data]
    if missing:
        listed = ", ".join(map(repr, missing))
        raise E.InvalidInputError(f"missing required field(s) {listed} for {model_id}", model_id=model_id)
    problems = schema.problems({k: v for k, v in data.items() if k in known})
    if problems:
        raise E.InvalidInputError(
            f"invalid arguments for {model_id}: {'; '.join(problems)}", model_id=model_id
        )
    unknown_values = False
    for name in sorted(set(data) & known):
        values = schema.unknown_value(name, data[name])
        if values is not None:
            message = unknown_value_message(model_id, name, data[name], values)
            if strict:
                raise E.InvalidInputError(f"{message} (strict)", model_id=model_id)
            unknown_values = True
            _warn_once((model_id, name, data[name]), message)
    return bool(unknown) or unknown_values
