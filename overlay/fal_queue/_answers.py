"""What an answer means: typed errors from error answers and broken exchanges, statuses from bodies.

The key is redacted from every message, header and body kept on an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from . import errors as E
from ._checks import finite
from ._schema import contract, problems_of_errors
from ._transport import NEVER_SENT, CallState, Secret, is_submit
from .types import Completed, InProgress, Queued, Status, UnknownStatus
from .urls import rewrite_url


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
    secret: Secret
    model_id: str | None = None
    request_id: str | None = None
    #: The contract's schema a successful answer must fit: it names what is wrong with one that does not.
    shape: str | None = None


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
        k: ctx.secret.redact(v)
        for k, v in headers.items()
        if k.lower() not in {"set-cookie", "authorization"}
    }


_ERRORS: dict[int, type[E.APIStatusError]] = {
    400: E.BadRequestError,
    401: E.AuthenticationError,
    403: E.PermissionDeniedError,
    404: E.NotFoundError,
    422: E.ValidationError,
    429: E.RateLimitError,
}


def error_from_answer(
    status_code: int, headers: Mapping[str, str], content: bytes, ctx: Context
) -> E.APIStatusError:
    """The typed error for an error status, with the server's detail, error type and request ids."""
    headers = safe_headers(headers, ctx)
    lowered = {k.lower(): v for k, v in headers.items()}
    content = _scrubbed(content, ctx)
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = content.decode("utf-8", "replace")[:2000]
    fields = body if isinstance(body, Mapping) else {}
    detail = fields.get("detail")
    error_type = _str_or_none(fields.get("error_type") or lowered.get("x-fal-error-type"))
    text = _detail_text(detail)
    if not text:
        text = body.strip()[:200] if isinstance(body, str) and body.strip() else f"{ctx.operation} failed"
        if isinstance(body, str) and "<html" in body.lower():
            kind = lowered.get("content-type", "").split(";")[0].strip() or "no content type"
            text = f"HTTP {status_code} with an HTML page ({kind}), not a gateway's JSON answer " + (
                "(an ingress in front of the gateway answered: usually transient)"
                if status_code in (502, 503, 504)
                else "(is the base URL a fal queue gateway?)"
            )
    kwargs: dict[str, Any] = {}
    if status_code == 422:
        kwargs["errors"] = E.FieldError.list_from(detail)
    elif status_code == 429:
        kwargs["retry_after"] = finite(lowered.get("retry-after", ""))
    error = _ERRORS.get(status_code) or (E.ServerError if status_code >= 500 else E.APIStatusError)
    return error(
        ctx.secret.redact(f"{ctx.operation}: {text}"),
        status_code=status_code,
        headers=headers,
        body=body,
        detail=detail,
        error_type=error_type,
        request_id=ctx.request_id,
        model_id=ctx.model_id,
        server_request_id=lowered.get("x-fal-request-id"),
        **kwargs,
    )


def _scrubbed(content: bytes, ctx: Context) -> bytes:
    """A body to keep on an error: as received, unless it holds the key (some servers echo it)."""
    text = content.decode("utf-8", "replace")
    redacted = ctx.secret.redact(text)
    return content if redacted == text else redacted.encode()


def unusable_answer(answer: Answer, ctx: Context, text: str) -> E.APIResponseValidationError:
    """A success status whose body cannot be used: the whole answer is kept on the error."""
    return E.APIResponseValidationError(
        ctx.secret.redact(f"{ctx.operation}: {text}"),
        status_code=answer.status_code,
        body=_scrubbed(answer.content, ctx),
        headers=safe_headers(answer.headers, ctx),
        request_id=ctx.request_id,
        model_id=ctx.model_id,
        server_request_id=answer.headers.get("x-fal-request-id"),
    )


def error_from_exception(exc: BaseException, ctx: Context, state: CallState) -> E.FalQueueError:
    """Map what escaped an HTTP call (after retries) to the SDK's hierarchy."""
    common: dict[str, Any] = {"request_id": ctx.request_id, "model_id": ctx.model_id}
    reason = ctx.secret.redact(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, httpx.TransportError):
        try:
            request: httpx.Request | None = exc.request
        except RuntimeError:  # raised without a request
            request = None
        attempts = f" after {state.attempts} attempt(s)" if state.attempts else ""
        if request is not None and is_submit(request) and not isinstance(exc, NEVER_SENT):
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
        answer = Answer(0, {}, b"") if raw is None else Answer(raw.status_code, raw.headers, _content_of(raw))
        if answer.status_code >= 400:
            return error_from_answer(answer.status_code, answer.headers, answer.content, ctx)
        problems = shape_problems(answer.content, ctx.shape) if raw is not None and ctx.shape else []
        why = "; ".join(problems[:5]) if problems else reason
        return unusable_answer(answer, ctx, f"the gateway's answer is not the documented shape ({why})")
    if isinstance(exc, httpx.HTTPError):
        return E.APIConnectionError(f"{ctx.operation}: {reason}", **common)
    raise exc


def shape_problems(content: bytes, schema_name: str) -> list[str]:
    """What a JSON answer breaks of one of the contract's schemas, one message per broken rule.

    A ``null`` for a named property inside an item (fal sends ``"file_name": null``) is not reported:
    the generated models take it, so it never is why an answer was refused.
    """
    try:
        data = json.loads(content)
    except ValueError:
        return []
    validator = contract().validator({"$ref": f"#/components/schemas/{schema_name}"})
    return [
        p.message.removeprefix("input: ")  # a problem of the whole body
        for p in problems_of_errors(validator.iter_errors(data))
        if not (p.rule == "type" and p.value is None and len(p.path) > 1 and isinstance(p.path[-1], str))
    ]


def _content_of(response: httpx.Response) -> bytes:
    try:
        return response.content
    except httpx.ResponseNotRead:
        return b""


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_URL_KEYS = ("status_url", "response_url", "cancel_url")


def parse_status(data: object, *, request_id: str, base_url: str, secret: Secret | None = None) -> Status:
    """A typed status from a status body or stream event; never raises on odd input.

    ``secret``: scrubbed from the refused answer kept on a RequestIdMismatchError.
    """
    if not isinstance(data, Mapping):
        return UnknownStatus(request_id=request_id, status=f"<{type(data).__name__}>", raw={})
    raw = dict(data)
    urls = {k: rewrite_url(raw[k], base_url) for k in _URL_KEYS if isinstance(raw.get(k), str)}
    raw.update(urls)
    named = raw.get("request_id")
    if isinstance(named, str) and named and named != request_id:
        scrub = secret.redact if secret is not None else str
        raise E.RequestIdMismatchError(
            scrub(f"status: asked about request {request_id!r}, the gateway answered about {named!r} ")
            + "(not followed)",
            expected=request_id,
            received=scrub(named),
            status_code=200,
            body=scrub(json.dumps(raw, default=str)).encode(),
        )
    logs_value = raw.get("logs")
    logs = tuple(x for x in logs_value if isinstance(x, Mapping)) if isinstance(logs_value, list) else ()
    common: dict[str, Any] = {
        "request_id": request_id,
        "logs": logs,
        "raw": raw,
        **{k: urls.get(k) for k in _URL_KEYS},
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
