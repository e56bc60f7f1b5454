"""What a submit's body must hold, by fal's rules, and its media lifecycle header.

Problems come out in fal's validation shape (`spec.problem`), refused before a job exists, so that
no accepted job holds a value its answers cannot carry.
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

from fal_queue.mock.spec import OperationSpec, ValidationItem, problem, validate_body

__all__ = ["lifecycle_ttl", "read_inputs"]


def lifecycle_ttl(value: str | None) -> float | None:
    """The seconds an ``X-Fal-Object-Lifecycle-Preference`` asks media to live; None when unreadable."""
    if not value:
        return None
    with contextlib.suppress(ValueError, RecursionError):
        data = json.loads(value)
        if isinstance(data, dict):
            seconds = data.get("expiration_duration_seconds")
            if isinstance(seconds, int | float) and not isinstance(seconds, bool) and 0 < seconds < 10**9:
                return float(seconds)
    return None


def read_inputs(
    op: OperationSpec, body: bytes, content_type: str, *, strict: bool
) -> tuple[dict[str, Any], list[ValidationItem]]:
    """The body's inputs (read as JSON when no Content-Type says otherwise, as FastAPI does) and their
    problems; unknown top-level fields are 422 only with ``strict`` (fal ignores them)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind and kind != "application/json" and not kind.endswith("+json"):
        msg = "Input should be a valid dictionary or object to extract fields from"
        return {}, [problem(["body"], "model_attributes_type", msg, body.decode("utf-8", "replace")[:200])]
    if not body.strip():
        return {}, [problem(["body"], "missing", "Field required", None)]
    try:
        inputs = json.loads(body, parse_constant=reject_constant)
    except (ValueError, RecursionError) as exc:
        ctx = {"error": getattr(exc, "msg", "Invalid JSON")}
        return {}, [problem(["body", getattr(exc, "pos", 0)], "json_invalid", "JSON decode error", {}, ctx)]
    problems = _unusable_values(inputs, ["body"]) or _checked(op, inputs, strict)
    return (inputs if isinstance(inputs, dict) else {}), problems


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _checked(op: OperationSpec, inputs: Any, strict: bool) -> list[ValidationItem]:
    """Schema problems (the contract leaves unknown top-level fields to the caller)."""
    problems = validate_body(op, inputs)
    if strict and op.body_properties is not None and isinstance(inputs, dict):
        msg = "Extra inputs are not permitted"
        unknown = [k for k in inputs if k not in op.body_properties]
        problems.extend(problem(["body", k], "extra_forbidden", msg, inputs[k]) for k in unknown)
        problems.sort(key=lambda item: json.dumps(item["loc"]))
    return problems


def _unusable_values(value: Any, loc: list[str | int]) -> list[ValidationItem]:
    """Strings that are not valid Unicode (lone surrogates) and numbers out of float range (``1e999``)."""
    found: list[ValidationItem] = []
    stack: list[tuple[Any, list[str | int]]] = [(value, loc)]
    while stack and len(found) < 20:
        item, where = stack.pop()
        if isinstance(item, str) and not _encodable(item):
            msg = "Input should be a valid string: lone surrogates are not Unicode"
            found.append(problem(where, "string_unicode", msg, _escaped(item)))
        elif isinstance(item, float) and not math.isfinite(item):
            found.append(problem(where, "finite_number", "Input should be a finite number", str(item)))
        elif isinstance(item, dict):
            for key, child in item.items():
                if _encodable(key):
                    stack.append((child, [*where, key]))
                else:
                    msg = "Field names should be valid strings: lone surrogates are not Unicode"
                    found.append(problem([*where, _escaped(key)], "string_unicode", msg, _escaped(key)))
        elif isinstance(item, list):
            stack.extend((child, [*where, i]) for i, child in enumerate(item))
    found.sort(key=lambda i: json.dumps(i["loc"]))
    return found


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escaped(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
