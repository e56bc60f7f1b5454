"""One error hierarchy for everything the SDK raises.

Every error that happens after a job was submitted carries the job's ``request_id`` so that a paid
job is never lost: catch :class:`FalQueueError`, read ``err.request_id``, and resume later with
``client.get_handle(model_id, request_id)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

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


class FalQueueError(Exception):
    """Base of every error raised by fal_queue."""

    def __init__(self, message: str, *, request_id: str | None = None, model_id: str | None = None) -> None:
        self.message = message
        self.request_id = request_id
        self.model_id = model_id
        super().__init__(message)

    def __str__(self) -> str:
        parts = [self.message]
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        if self.model_id:
            parts.append(f"model={self.model_id}")
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
        if self.kind in {"flag", "default"}:
            return self.kind
        if self.kind == "argument":
            return f"argument {self.where}="
        return f"{self.kind} {self.where}"

    def __str__(self) -> str:
        if self.kind == "argument":
            return f"argument {self.where}="
        if self.kind == "flag":
            return f"flag {self.where}"
        if self.kind == "env":
            return f"env {self.where}"
        if self.kind == "config":
            return f"config file {self.where}" + (f", line {self.line}" if self.line else "")
        return "default"


class ConfigurationError(FalQueueError):
    """The client is missing a base URL or key, or was given an unsafe one."""


class SettingError(ConfigurationError):
    """A setting's value is unusable: names the setting and where the value came from (argument,
    environment variable, or config file line), never the key's value."""

    def __init__(self, message: str, *, setting: str, origin: Origin) -> None:
        super().__init__(message)
        self.setting = setting
        self.origin = origin


class ConfigFileError(ConfigurationError):
    """The config file cannot be used as a whole: unreadable, not TOML, or an unknown setting."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


class InvalidInputError(FalQueueError, ValueError):
    """The arguments were rejected before anything was sent (so nothing was paid for)."""


class APIError(FalQueueError):
    """Something went wrong talking to the gateway."""

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        model_id: str | None = None,
        server_request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id, model_id=model_id)
        #: The gateway's ``x-fal-request-id`` of the failing HTTP call, when it sent one.
        self.server_request_id = server_request_id

    def __str__(self) -> str:
        text = super().__str__()
        if self.server_request_id:
            text += f" | x-fal-request-id={self.server_request_id}"
        return text


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

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code
        self.body = body
        #: The answer's headers (key redacted, no cookies): its content type says what answered.
        self.headers = dict(headers or {})


class RequestIdMismatchError(APIResponseValidationError):
    """A status answer named another job than the one asked about; it is never followed.

    Following it could fetch (and save) another job's result under this job's name.
    """

    def __init__(self, message: str, *, expected: str, received: str, **kwargs: Any) -> None:
        super().__init__(message, request_id=expected, **kwargs)
        self.expected = expected
        self.received = received


class APIStatusError(APIError):
    """The gateway answered with an error status (4xx/5xx)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        detail: Any = None,
        error_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code
        self.headers: dict[str, str] = dict(headers or {})
        #: The parsed JSON body, or the text of a non-JSON body (e.g. an ingress error page).
        self.body = body
        #: The body's ``detail``: a message or a list of field problems.
        self.detail = detail
        #: fal's machine-readable error kind (``error_type`` in the body or ``X-Fal-Error-Type``).
        self.error_type = error_type

    def __str__(self) -> str:
        text = f"HTTP {self.status_code}: {super().__str__()}"
        if self.error_type:
            text += f" | error_type={self.error_type}"
        return text


class BadRequestError(APIStatusError):
    """400: malformed request, a result asked for too early, or a cancel that came too late."""


class AuthenticationError(APIStatusError):
    """401: the key is missing or wrong."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such model or request id, or the result has expired."""


class FieldError:
    """One field's validation problem (an item of a 422 ``detail`` list)."""

    __slots__ = ("ctx", "input", "loc", "msg", "type")

    def __init__(
        self, loc: Sequence[str | int], msg: str, type: str, ctx: Any = None, input: Any = None
    ) -> None:
        self.loc = tuple(loc)
        self.msg = msg
        self.type = type
        self.ctx = ctx
        self.input = input

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

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldError) and (self.loc, self.msg, self.type) == (
            other.loc,
            other.msg,
            other.type,
        )

    __hash__ = None  # type: ignore[assignment]


class ValidationError(APIStatusError):
    """422: the input failed validation; ``errors`` names each field."""

    def __init__(self, message: str, *, errors: Sequence[FieldError] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors: list[FieldError] = list(errors)


class RateLimitError(APIStatusError):
    """429: too many requests (after the retries ran out); nothing was queued."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx: the model, the platform or an ingress failed (after the retries ran out)."""


class JobFailedError(FalQueueError):
    """The job completed with an error (fal reports failures as COMPLETED plus ``error``)."""

    def __init__(
        self,
        message: str,
        *,
        request_id: str,
        model_id: str | None = None,
        error_type: str | None = None,
        logs: Sequence[Mapping[str, Any]] = (),
        cause: APIStatusError | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id, model_id=model_id)
        self.error_type = error_type
        #: The final runner logs, when the status carried them.
        self.logs: list[Mapping[str, Any]] = list(logs)
        #: The error the result call answered with, when it was fetched.
        self.cause = cause

    @property
    def errors(self) -> list[FieldError]:
        """Field problems when the result call answered 422, else an empty list."""
        return self.cause.errors if isinstance(self.cause, ValidationError) else []

    def __str__(self) -> str:
        text = super().__str__()
        if self.error_type:
            text += f" | error_type={self.error_type}"
        return text


class JobTimeoutError(FalQueueError, TimeoutError):
    """The caller's total ``timeout`` passed before the job completed.

    The job keeps running unless ``cancelled`` is true; resume it with its ``request_id``.
    """

    def __init__(self, message: str, *, request_id: str, model_id: str | None, cancelled: bool) -> None:
        super().__init__(message, request_id=request_id, model_id=model_id)
        self.cancelled = cancelled


class DownloadError(FalQueueError):
    """A result file could not be saved (after the retries ran out). No partial file is left.

    ``transient`` says whether trying again later may succeed (a cut or truncated transfer, a 5xx)
    or not (a full disk, a redirect loop, a body that lies about its encoding, a 404).
    """

    def __init__(
        self, message: str, *, url: str, request_id: str | None = None, transient: bool = False
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.url = url
        self.transient = transient


class DownloadTimeoutError(DownloadError, TimeoutError):
    """``download(timeout=...)`` passed before every file was saved."""
