"""One error hierarchy for everything the SDK raises.

Every error that happens after a job was submitted carries the job's ``request_id`` so that a paid
job is never lost: catch :class:`FalQueueError`, read ``err.request_id``, and resume later with
``client.get_handle(model_id, request_id)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigFileError",
    "ConfigurationError",
    "DownloadError",
    "DownloadTimeoutError",
    "FalQueueError",
    "FieldError",
    "FlaggedImageWarning",
    "InvalidInputError",
    "JobFailedError",
    "JobTimeoutError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestIdMismatchError",
    "ServerError",
    "SettingError",
    "SubmitUncertainError",
    "UnknownFieldWarning",
    "ValidationError",
]

#: Fields kept as a fresh copy of what was given (so they are optional: None gives an empty one).
_COPIED: dict[str, Callable[[Any], Any]] = {
    "headers": lambda value: dict(value or {}),
    "errors": lambda value: list(value or ()),
    "logs": lambda value: list(value or ()),
}
#: The fields ``str(err)`` adds after the message, with their labels.
_SHOWN = (
    ("request_id", "request_id"),
    ("model_id", "model"),
    ("server_request_id", "x-fal-request-id"),
    ("error_type", "error_type"),
)


def _fields(cls: type) -> dict[str, bool]:
    """name -> required, for the fields a class and its bases declare (see FalQueueError)."""
    fields: dict[str, bool] = {}
    for klass in reversed(cls.__mro__):
        for name in vars(klass).get("__annotations__", {}):
            fields[name] = name not in vars(klass) and name not in _COPIED
    return fields


class FalQueueError(Exception):
    """Base of every error raised by fal_queue.

    Each class declares its keyword fields as annotations (without a default: required); the one
    ``__init__`` sets them, refusing unknown or missing ones as a written ``__init__`` would.
    """

    request_id: str | None = None
    model_id: str | None = None

    def __init__(self, message: str, **given: Any) -> None:
        super().__init__(message)
        self.message = message
        cls = type(self)
        fields = _fields(cls)
        for name in given.keys() - fields:
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {name!r}")
        for name, required in fields.items():
            if required and name not in given:
                raise TypeError(f"{cls.__name__}() missing required keyword argument {name!r}")
            value = given.get(name, getattr(cls, name, None))
            setattr(self, name, _COPIED[name](value) if name in _COPIED else value)

    def __str__(self) -> str:
        parts = [self.message]
        parts += [f"{label}={value}" for name, label in _SHOWN if (value := getattr(self, name, None))]
        return " | ".join(parts)


class FlaggedImageWarning(UserWarning):
    """The safety checker flagged an image of a result (``has_nsfw_concepts``): it is probably blank."""


class UnknownFieldWarning(UserWarning):
    """A typed model got a field the contract does not know; it was sent as given.

    fal adds fields to its models, and its apps ignore the ones they do not know, so the SDK does
    not block them; ``strict=True`` (client or call) refuses them instead.
    """


OriginKind = Literal["argument", "flag", "env", "config", "default"]


@dataclass(frozen=True)
class Origin:
    """Where a setting's value came from."""

    kind: OriginKind
    #: The argument or flag, the environment variable, or the config file's path.
    where: str = ""
    line: int | None = None

    def label(self) -> str:
        """The short form ``fal-queue config`` shows: ``flag``, ``env X``, ``config PATH``, ``default``."""
        return self.kind if self.kind in {"flag", "default"} else self._named()

    def __str__(self) -> str:
        if self.kind == "config":
            return f"config file {self.where}" + (f", line {self.line}" if self.line else "")
        return "default" if self.kind == "default" else self._named()

    def _named(self) -> str:
        return f"{self.kind} {self.where}" + ("=" if self.kind == "argument" else "")


class ConfigurationError(FalQueueError):
    """The client is missing a base URL or key, or was given an unsafe one."""


class SettingError(ConfigurationError):
    """A setting's value is unusable: names the setting and where the value came from (argument,
    environment variable, or config file line), never the key's value."""

    setting: str
    origin: Origin


class ConfigFileError(ConfigurationError):
    """The config file cannot be used as a whole: unreadable, not TOML, or an unknown setting."""

    path: Path


class InvalidInputError(FalQueueError, ValueError):
    """The arguments were rejected before anything was sent (so nothing was paid for)."""


class APIError(FalQueueError):
    """Something went wrong talking to the gateway."""

    #: The gateway's ``x-fal-request-id`` of the failing HTTP call, when it sent one.
    server_request_id: str | None = None


class APIConnectionError(APIError):
    """No usable answer: the connection failed or broke (after the retries ran out)."""


class APITimeoutError(APIConnectionError):
    """One HTTP call took longer than its timeout (after the retries ran out)."""


class SubmitUncertainError(APIConnectionError):
    """The submit request may have reached the gateway, but its answer was lost.

    The SDK never resubmits in this case: that could queue (and bill) the job twice. A job may or
    may not exist; its request id is unknown. Resubmit yourself only if a duplicate is acceptable.
    """


class APIResponseValidationError(APIError):
    """The gateway answered with a body that is not the documented shape."""

    status_code: int
    body: bytes = b""
    #: The answer's headers (key redacted, no cookies): its content type says what answered.
    headers: dict[str, str]


class RequestIdMismatchError(APIResponseValidationError):
    """A status answer named another job than the one asked about; it is never followed.

    Following it could fetch (and save) another job's result under this job's name.
    """

    expected: str
    received: str

    def __init__(self, message: str, *, expected: str, **given: Any) -> None:
        super().__init__(message, request_id=expected, expected=expected, **given)


class APIStatusError(APIError):
    """The gateway answered with an error status (4xx/5xx)."""

    status_code: int
    headers: dict[str, str]
    #: The parsed JSON body, or the text of a non-JSON body (e.g. an ingress error page).
    body: Any = None
    #: The body's ``detail``: a message or a list of field problems.
    detail: Any = None
    #: fal's machine-readable error kind (``error_type`` in the body or ``X-Fal-Error-Type``).
    error_type: str | None = None

    def __str__(self) -> str:
        return f"HTTP {self.status_code}: {super().__str__()}"


class BadRequestError(APIStatusError):
    """400: malformed request, a result asked for too early, or a cancel that came too late."""


class AuthenticationError(APIStatusError):
    """401: the key is missing or wrong."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such model or request id, or the result has expired."""


def _loc(parts: Sequence[str | int]) -> tuple[str | int, ...]:
    return tuple(parts)


@attrs.define(repr=False)
class FieldError:
    """One field's validation problem (an item of a 422 ``detail`` list)."""

    loc: tuple[str | int, ...] = attrs.field(converter=_loc)
    msg: str
    type: str
    ctx: Any = attrs.field(default=None, eq=False)
    input: Any = attrs.field(default=None, eq=False)

    @classmethod
    def list_from(cls, detail: Any) -> list[FieldError]:
        """The items of a 422 ``detail`` list (an API error's or a failed job's), else empty.

        A location part that is neither text nor index is kept as text, so no position is lost.
        """
        if not isinstance(detail, list):
            return []
        return [
            cls(
                [p if isinstance(p, str | int) else str(p) for p in item["loc"]],
                str(item.get("msg", "")),
                str(item.get("type", "")),
                item.get("ctx"),
                item.get("input"),
            )
            for item in detail
            if isinstance(item, Mapping) and isinstance(item.get("loc"), list)
        ]

    @property
    def field(self) -> str:
        """Dotted path of the field without the leading ``body``."""
        parts = [str(p) for p in self.loc]
        if parts and parts[0] in {"body", "query", "header", "path"}:
            parts = parts[1:]
        return ".".join(parts) or "<request>"

    def __repr__(self) -> str:
        return f"FieldError(field={self.field!r}, msg={self.msg!r}, type={self.type!r})"


class ValidationError(APIStatusError):
    """422: the input failed validation; ``errors`` names each field."""

    errors: list[FieldError]


class RateLimitError(APIStatusError):
    """429: too many requests (after the retries ran out); nothing was queued."""

    retry_after: float | None = None


class ServerError(APIStatusError):
    """5xx: the model, the platform or an ingress failed (after the retries ran out)."""


class JobFailedError(FalQueueError):
    """The job completed with an error (fal reports failures as COMPLETED plus ``error``)."""

    request_id: str
    error_type: str | None = None
    #: The final runner logs, when the status carried them.
    logs: list[Mapping[str, Any]]
    #: The error the result call answered with, when it was fetched.
    cause: APIStatusError | None = None

    @property
    def errors(self) -> list[FieldError]:
        """Field problems when the result call answered 422, else an empty list."""
        return self.cause.errors if isinstance(self.cause, ValidationError) else []


class JobTimeoutError(FalQueueError, TimeoutError):
    """The caller's total ``timeout`` passed before the job completed.

    The job keeps running unless ``cancelled`` is true; resume it with its ``request_id``.
    """

    request_id: str
    model_id: str | None
    cancelled: bool


class DownloadError(FalQueueError):
    """A result file could not be saved (after the retries ran out). No partial file is left.

    ``transient`` says whether trying again later may succeed (a cut or truncated transfer, a 5xx)
    or not (a full disk, a redirect loop, a body that lies about its encoding, a 404).
    """

    url: str
    transient: bool = False


class DownloadTimeoutError(DownloadError, TimeoutError):
    """``download(timeout=...)`` passed before every file was saved."""
