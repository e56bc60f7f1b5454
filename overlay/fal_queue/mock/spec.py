"""The mock's route index over ``openapi.yaml``, and fal's validation shape for what fails.

Every operation gets its parameter validators built up front, so a request costs a few dictionary
lookups and, for submits, one schema evaluation. The rules themselves come from ``fal_queue._schema``:
the same parsed document and the same compiled input validators the SDK and the CLI use (and
nothing of the SDK's URL rules, so the mock stays an independent check on them). Failures come
out in fal's validation shape: ``{"loc": [...], "msg": ..., "type": ..., "ctx": ..., "input": ...}``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import jsonschema

from fal_queue._schema import Contract, InputSchema, Problem, problems_of_errors
from fal_queue._schema import contract as packaged_contract

if TYPE_CHECKING:
    import jsonschema.protocols

__all__ = [
    "OperationSpec",
    "ParamSpec",
    "SpecIndex",
    "ValidationItem",
    "load_spec_index",
    "validate_body",
]

ValidationItem = dict[str, Any]
Location = Literal["path", "query", "header"]

_PARSERS: dict[str, tuple[re.Pattern[str], str, str, Callable[[str], Any]]] = {
    "number": (
        re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?"),
        "float_parsing",
        "Input should be a valid number, unable to parse string as a number",
        float,
    ),
    "integer": (
        re.compile(r"-?(?:0|[1-9][0-9]*)"),
        "int_parsing",
        "Input should be a valid integer, unable to parse string as an integer",
        int,
    ),
    "boolean": (
        re.compile("true|false|1|0"),
        "bool_parsing",
        "Input should be a valid boolean, unable to interpret input",
        lambda text: text in ("true", "1"),
    ),
}
"""How a query or header value becomes a number, an integer or a boolean (of lowered, stripped text);
a number must be finite (``1e999`` is not)."""
_URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f]*")

_TYPE_ERRORS = {
    "integer": ("int_type", "Input should be a valid integer"),
    "number": ("float_type", "Input should be a valid number"),
    "string": ("string_type", "Input should be a valid string"),
    "boolean": ("bool_type", "Input should be a valid boolean"),
    "array": ("list_type", "Input should be a valid list"),
    "object": ("dict_type", "Input should be a valid dictionary"),
    "null": ("none_required", "Input should be None"),
}


def problem(
    loc: list[str | int], type_: str, msg: str, value: Any, ctx: dict[str, Any] | None = None
) -> ValidationItem:
    """One problem in fal's (pydantic's) validation shape."""
    if ctx is None:
        return {"loc": loc, "msg": msg, "type": type_, "input": value}
    return {"loc": loc, "msg": msg, "type": type_, "ctx": ctx, "input": value}


_FORMAT_CHECKER = jsonschema.FormatChecker(formats=())


@_FORMAT_CHECKER.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or _URI_RE.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class ParamSpec:
    name: str
    location: Location
    required: bool
    validator: jsonschema.protocols.Validator
    kind: str
    """The schema's scalar type: ``string``, ``number``, ``integer`` or ``boolean``."""
    fast: Callable[[str], bool] | None = None
    """A cheap test that proves a raw string valid (a fallback to the full validator explains failures)."""

    @property
    def key(self) -> str:
        return self.name.lower() if self.location == "header" else self.name

    def check(self, values: Sequence[str]) -> tuple[Any, list[ValidationItem]]:
        """Convert and validate the raw values of this parameter; returns (value, problems)."""
        loc: list[str | int] = [self.location, self.name]
        if not values:
            return None, [problem(loc, "missing", "Field required", None)] if self.required else []
        if len(values) > 1:
            msg = "Input should be a single value, not a list"
            return None, [problem(loc, f"{self.kind}_type", msg, list(values))]
        raw = values[0]
        if self.fast is not None and self.fast(raw):
            return raw, []
        value: Any = raw
        parse = _PARSERS.get(self.kind)
        if parse is not None:
            pattern, type_, msg, convert = parse
            text = raw.strip().lower()
            if pattern.fullmatch(text) is None or abs(value := convert(text)) == math.inf:
                return None, [problem(loc, type_, msg, raw)]
        found = _items(problems_of_errors(self.validator.iter_errors(value)), loc)
        return value, [{**item, "input": raw} for item in found]  # as sent, like fal


@dataclass(frozen=True, slots=True)
class OperationSpec:
    params: tuple[ParamSpec, ...]
    body: InputSchema | None = None
    """The compiled input schema of the body (``fal_queue._schema``); None: any JSON object."""

    @property
    def body_properties(self) -> frozenset[str] | None:
        """Top-level input fields the body schema declares (None: free-form)."""
        return None if self.body is None else self.body.fields or None


@dataclass(frozen=True, slots=True)
class SpecIndex:
    raw: Mapping[str, Any]
    submits: Mapping[str, OperationSpec]
    """Spec'd submit operations by model id (``fal-ai/flux-1/dev``)."""
    queue: Mapping[str, OperationSpec]
    """``status``, ``stream``, ``result`` and ``cancel``."""
    generic_submit: OperationSpec
    """Submit of a model the spec does not list: the shared parameters, any JSON object as body."""
    path_params: Mapping[str, ParamSpec]
    """The queue paths' ``owner``, ``app`` and ``request_id``: the submit path's segments follow them too."""


def _fast_check(schema: Mapping[str, Any]) -> Callable[[str], bool] | None:
    """A shortcut for plain string schemas with only ``enum`` or ``pattern`` (or nothing) to check."""
    if schema.get("type") != "string" or set(schema) - {"type", "enum", "pattern", "example", "description"}:
        return None
    if "enum" in schema and "pattern" in schema:
        return None
    if "enum" in schema:
        return frozenset(v for v in schema["enum"] if isinstance(v, str)).__contains__
    if "pattern" in schema:
        search = re.compile(schema["pattern"]).search
        return lambda value: search(value) is not None
    return lambda value: True


def _build_params(contract: Contract, nodes: Iterable[Any]) -> tuple[ParamSpec, ...]:
    params: list[ParamSpec] = []
    for node in nodes:
        p = contract.resolve(node)
        location = p["in"]
        if location not in ("path", "query", "header"):
            continue
        schema = contract.resolve(p.get("schema", {}))
        params.append(
            ParamSpec(
                name=p["name"],
                location=location,
                required=bool(p.get("required", location == "path")),
                validator=contract.validator(schema, format_checker=_FORMAT_CHECKER),
                kind=kind if (kind := schema.get("type")) in ("number", "integer", "boolean") else "string",
                fast=_fast_check(schema),
            )
        )
    return tuple(params)


def _build(raw: Mapping[str, Any]) -> SpecIndex:
    """The index of another document than the packaged one (a contract with imported models)."""
    return _index(Contract(raw))


def _index(contract: Contract) -> SpecIndex:
    raw = contract.document
    submits: dict[str, OperationSpec] = {}
    queue: dict[str, OperationSpec] = {}
    names = {
        "get_status": "status",
        "stream_status": "stream",
        "get_result": "result",
        "cancel_request": "cancel",
    }
    for path, item in raw["paths"].items():
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            params = _build_params(contract, [*item.get("parameters", []), *op.get("parameters", [])])
            if op["operationId"] in names:
                queue[names[op["operationId"]]] = OperationSpec(params)
            elif method == "post" and "{" not in path:
                body = contract.input_schema(path.strip("/"))
                if body is None and "requestBody" in op:
                    raise ValueError(f"POST {path}: the body is not a component schema")
                submits[path.strip("/")] = OperationSpec(params, body)
    if set(queue) != set(names.values()) or not submits:
        raise ValueError("openapi.yaml lacks the queue operations the mock serves")
    generic = OperationSpec(next(iter(submits.values())).params)
    path = {p.name: p for p in queue["status"].params if p.location == "path"}
    return SpecIndex(raw=raw, submits=submits, queue=queue, generic_submit=generic, path_params=path)


@functools.lru_cache(maxsize=1)
def load_spec_index() -> SpecIndex:
    """The index of the packaged ``openapi.yaml``, over the SDK's and the CLI's compiled contract."""
    return _index(packaged_contract())


def validate_body(op: OperationSpec, body: Any) -> list[ValidationItem]:
    if op.body is None:
        if not isinstance(body, dict):
            return [_type_item(["body"], "object", body)]
        return []
    return _items(op.body.check(body), ["body"])


# ---- the contract's problems -> fal's validation items ----


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _expected(values: Sequence[Any]) -> str:
    rendered = [repr(v) if isinstance(v, str) else json.dumps(v) for v in values]
    if len(rendered) <= 1:
        return "".join(rendered)
    return ", ".join(rendered[:-1]) + " or " + rendered[-1]


def _type_item(loc: list[str | int], expected: Any, value: Any) -> ValidationItem:
    kinds = expected if isinstance(expected, list) else [expected]
    kind = next((k for k in kinds if k != "null"), kinds[0] if kinds else "object")
    type_, msg = _TYPE_ERRORS.get(kind, ("type_error", f"Input should be of type {kind}"))
    return problem(loc, type_, msg, value)


def _items(problems: Iterable[Problem], prefix: list[str | int]) -> list[ValidationItem]:
    items = [_item(p, prefix) for p in problems]
    items.sort(key=lambda item: json.dumps(item["loc"]))
    return items


_BOUNDS = {
    "minimum": ("greater_than_equal", "ge", "greater than or equal to"),
    "maximum": ("less_than_equal", "le", "less than or equal to"),
    "exclusiveMinimum": ("greater_than", "gt", "greater than"),
    "exclusiveMaximum": ("less_than", "lt", "less than"),
}


def _length_item(loc: list[str | int], rule: str, limit: Any, value: Any) -> ValidationItem:
    short, is_list = rule.startswith("min"), rule.endswith("Items")
    ctx: dict[str, Any] = {("min_length" if short else "max_length"): limit}
    if is_list:
        ctx.update({"field_type": "List", "actual_length": len(value) if isinstance(value, list) else 0})
    type_ = ("" if is_list else "string_") + ("too_short" if short else "too_long")
    unit = ("item" if is_list else "character") + ("" if limit == 1 else "s")
    msg = f"{'List' if is_list else 'String'} should have {'at least' if short else 'at most'} {limit} {unit}"
    return problem(loc, type_, msg, value, ctx)


def _item(found: Problem, prefix: list[str | int]) -> ValidationItem:
    """One problem in the shape fal (pydantic) answers it."""
    loc: list[str | int] = [*prefix, *found.path]
    rule, value, limit = found.rule, found.value, found.limit
    if rule == "required":
        if not isinstance(value, dict):
            return _type_item(loc, "object", value)
        return problem([*loc, limit], "missing", "Field required", value)
    if rule == "additionalProperties":
        return problem(loc, "extra_forbidden", "Extra inputs are not permitted", value)
    if rule == "type":
        return _type_item(loc, limit, value)
    if rule in _BOUNDS:
        type_, key, words = _BOUNDS[rule]
        return problem(loc, type_, f"Input should be {words} {_fmt(limit)}", value, {key: limit})
    if rule in ("enum", "const"):
        expected = _expected(limit if rule == "enum" else [limit])
        return problem(loc, "literal_error", f"Input should be {expected}", value, {"expected": expected})
    if rule in ("minItems", "maxItems", "minLength", "maxLength"):
        return _length_item(loc, rule, limit, value)
    if rule == "pattern":
        msg = f"String should match pattern '{limit}'"
        return problem(loc, "string_pattern_mismatch", msg, value, {"pattern": limit})
    if rule == "format":
        return problem(loc, f"{limit}_parsing", f"Input should be a valid {limit}", value)
    return problem(loc, rule, found.message, value)
