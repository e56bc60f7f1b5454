"""Call plans: one SDK call as data (which generated operation, with which arguments, how to turn
the answer into a value or a typed error). The sync and async shells only execute plans, so both
behave identically by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Generic, TypeVar

from . import _constants as C
from . import errors as E
from ._answers import Answer, Context, error_from_answer, parse_json_object, parse_status, unusable_answer
from ._inputs import TYPED_MODELS, generated_models, generated_operation, prepare_input, raw_request
from ._transport import Secret
from .types import KEPT_HEADERS, Completed, Result, Status
from .urls import app_id, queue_urls, rewrite_url, validate_request_id

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """Through the generated client: ``operation.(a)sync_detailed(client=..., **kwargs)``; raw
    (``method`` ``url``) where it cannot go (untyped models, three-segment apps)."""

    kwargs: Mapping[str, Any]
    operation: ModuleType | None = None
    method: str = ""
    url: str = ""


@dataclass(frozen=True)
class Plan(Generic[T]):
    """One SDK call as data: what to send, and how to turn the answer into a value or an error.

    The shells send ``call`` (sync or async) and hand the Answer to ``complete``.
    """

    ctx: Context
    call: Call
    finish: Callable[[Answer], T]
    ok: frozenset[int] = field(default=frozenset({200}))

    def complete(self, answer: Answer) -> T:
        if answer.status_code not in self.ok:
            raise error_from_answer(answer.status_code, answer.headers, answer.content, self.ctx)
        return self.finish(answer)


@dataclass(frozen=True)
class Submitted:
    """What a submit returned (or a rebuilt handle knows), URLs rewritten to the gateway."""

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
    sent: Mapping[str, Any],
    *,
    strict: bool = False,
    max_image_bytes: int = C.DEFAULT_MAX_IMAGE_BYTES,
) -> Plan[Submitted]:
    model, body = prepare_input(model_id, arguments, strict=strict, max_image_bytes=max_image_bytes)
    ctx = Context("submit", model_id=model_id, secret=secret, shape="QueueSubmitResponse")

    def finish(answer: Answer) -> Submitted:
        raw = parse_json_object(answer.content)
        response_cls = generated_models().QueueSubmitResponse
        parsed = answer.parsed if isinstance(answer.parsed, response_cls) else response_cls.from_dict(raw)
        try:
            request_id = validate_request_id(parsed.request_id)
        except E.InvalidInputError:
            # The gateway accepted (and may bill) a job we cannot address: keep its whole answer.
            text = f"the gateway queued a job but answered with an unusable request id {parsed.request_id!r}"
            raise unusable_answer(answer, ctx, f"{text}; its raw answer is in .body") from None
        position = parsed.queue_position if isinstance(parsed.queue_position, int) else None
        return submitted(base_url, model_id, request_id, raw, position)

    if model is not None:
        call = Call({"body": model, **sent}, TYPED_MODELS[model_id][0])
    else:
        headers, params = raw_request(sent)
        call = Call({"json": body, "headers": headers, "params": params}, method="POST", url=f"/{model_id}")
    # fal answers 200; a gateway that says 201/202 has still queued (and will bill) the job.
    return Plan(ctx, call, finish, ok=frozenset({200, 201, 202}))


def submitted(
    base_url: str, model_id: str, request_id: str, raw: Mapping[str, Any], position: int | None = None
) -> Submitted:
    """A job's handle data: the URLs of ``raw`` rewritten to the gateway, or built from the request id
    when it has none (as fal's documents allow for a submit's answer: a paid job must stay reachable)."""
    urls = {
        k: rewrite_url(raw[k], base_url) if isinstance(raw.get(k), str) and raw[k] else built
        for k, built in queue_urls(base_url, model_id, request_id).items()
    }
    return Submitted(model_id, request_id, queue_position=position, raw={**raw, **urls}, **urls)


def _queue_call(
    operation: str, method: str, suffix: str, model_id: str, request_id: str, **kwargs: Any
) -> Call:
    """A queue operation through the generated client; raw only for three-segment apps."""
    app = app_id(model_id)
    validate_request_id(request_id)
    parts = app.split("/")
    if len(parts) == 2:
        return Call(
            {"owner": parts[0], "app": parts[1], "request_id": request_id, **kwargs},
            generated_operation(f"queue.{operation}"),
        )
    params = {"logs": kwargs["logs"]} if "logs" in kwargs else {}
    return Call({"params": params}, method=method, url=f"/{app}/requests/{request_id}{suffix}")


def status_plan(base_url: str, secret: Secret, model_id: str, request_id: str, logs: bool) -> Plan[Status]:
    ctx = Context("status", model_id=model_id, request_id=request_id, secret=secret, shape="RequestStatus")
    call = _queue_call("get_status", "GET", "/status", model_id, request_id, logs="1" if logs else "0")

    def finish(answer: Answer) -> Status:
        return parse_status(
            parse_json_object(answer.content), request_id=request_id, base_url=base_url, secret=secret
        )

    return Plan(ctx, call, finish, ok=frozenset({200, 202}))


def result_plan(secret: Secret, model_id: str, request_id: str) -> Plan[Result]:
    # The loosest result shape (any object, but `images` a list of files and `video` a file): the
    # generated parser refuses what breaks it, and the message says which field and what it must be.
    ctx = Context("result", model_id=model_id, request_id=request_id, secret=secret, shape="GenericOutput")
    call = _queue_call("get_result", "GET", "", model_id, request_id)

    def finish(answer: Answer) -> Result:
        raw = parse_json_object(answer.content)
        kept = {k.lower(): v for k, v in answer.headers.items() if k.lower() in KEPT_HEADERS}
        return Result(request_id=request_id, model_id=model_id, raw=raw, parsed=answer.parsed, headers=kept)

    return Plan(ctx, call, finish)


def cancel_plan(secret: Secret, model_id: str, request_id: str) -> Plan[str]:
    """fal's queue answers a ``status``; fal's per-endpoint documents answer ``{"success": bool}``,
    which comes back as ``CANCELLATION_REQUESTED`` or ``NOT_CANCELLED``."""
    ctx = Context("cancel", model_id=model_id, request_id=request_id, secret=secret, shape="CancelResponse")
    call = _queue_call("cancel_request", "PUT", "/cancel", model_id, request_id)

    def finish(answer: Answer) -> str:
        body = parse_json_object(answer.content)
        status, success = body.get("status"), body.get("success")
        if answer.status_code == 400 and status != "ALREADY_COMPLETED":
            raise error_from_answer(answer.status_code, answer.headers, answer.content, ctx)
        if isinstance(status, str) and status:
            return status
        if isinstance(success, bool):
            return "CANCELLATION_REQUESTED" if success else "NOT_CANCELLED"
        raise unusable_answer(answer, ctx, f"the answer has neither a status nor success: {body!r:.200}")

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
