"""Request validation compiled once from ``openapi.yaml``.

The spec is read once per process; every operation gets its parameter and body validators built
up front (JSON Schema 2020-12, the dialect of OpenAPI 3.1), so a request costs a few dictionary
lookups and, for submits, one schema evaluation. Failures come out in fal's validation shape:
``{"loc": [...], "msg": ..., "type": ..., "ctx": ..., "input": ...}``.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import jsonschema
import jsonschema.exceptions
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

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

_SPEC_URI = "urn:fal-queue:openapi"
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_INTEGER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)")
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


def _is_uri(checker: object, value: object) -> bool:
    return not isinstance(value, str) or _URI_RE.fullmatch(value) is not None


_FORMAT_CHECKER = jsonschema.FormatChecker(formats=())
_FORMAT_CHECKER.checks("uri")(functools.partial(_is_uri, None))


@dataclass(frozen=True, slots=True)
class ParamSpec:
    name: str
    location: Location
    required: bool
    schema: Mapping[str, Any]
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
            if self.required:
                return None, [{"loc": loc, "msg": "Field required", "type": "missing", "input": None}]
            return None, []
        if len(values) > 1:
            return None, [
                {
                    "loc": loc,
                    "msg": "Input should be a single value, not a list",
                    "type": f"{self.kind}_type",
                    "input": list(values),
                }
            ]
        raw = values[0]
        if self.fast is not None and self.fast(raw):
            return raw, []
        value: Any = raw
        if self.kind == "number":
            if _NUMBER_RE.fullmatch(raw.strip()) is None:
                return None, [
                    {
                        "loc": loc,
                        "msg": "Input should be a valid number, unable to parse string as a number",
                        "type": "float_parsing",
                        "input": raw,
                    }
                ]
            value = float(raw)
        elif self.kind == "integer":
            if _INTEGER_RE.fullmatch(raw.strip()) is None:
                return None, [
                    {
                        "loc": loc,
                        "msg": "Input should be a valid integer, unable to parse string as an integer",
                        "type": "int_parsing",
                        "input": raw,
                    }
                ]
            value = int(raw)
        elif self.kind == "boolean":
            lowered = raw.strip().lower()
            if lowered not in ("true", "false", "1", "0"):
                return None, [
                    {
                        "loc": loc,
                        "msg": "Input should be a valid boolean, unable to interpret input",
                        "type": "bool_parsing",
                        "input": raw,
                    }
                ]
            value = lowered in ("true", "1")
        problems = _errors_to_items(self.validator.iter_errors(value), [self.location, self.name])
        return value, problems


@dataclass(frozen=True, slots=True)
class OperationSpec:
    operation_id: str
    method: str
    path: str
    params: tuple[ParamSpec, ...]
    body_validator: jsonschema.protocols.Validator | None
    body_required: bool
    body_schema_name: str | None = None
    body_properties: frozenset[str] | None = None
    """Top-level input fields the body schema declares (None: free-form)."""

    def param(self, location: Location, name: str) -> ParamSpec | None:
        for p in self.params:
            if p.location == location and p.name.lower() == name.lower():
                return p
        return None


@dataclass(frozen=True, slots=True)
class SpecIndex:
    raw: Mapping[str, Any]
    submits: Mapping[str, OperationSpec]
    """Spec'd submit operations by model id (``fal-ai/flux-1/dev``)."""
    queue: Mapping[str, OperationSpec]
    """``status``, ``stream``, ``result`` and ``cancel``."""
    generic_submit: OperationSpec
    """Submit of a model the spec does not list: the shared parameters, any JSON object as body."""
    path_patterns: Mapping[str, re.Pattern[str]] = field(default_factory=dict)


def _resolve(raw: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise ValueError(f"unsupported reference {ref!r}")
        target: Any = raw
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _anchor(node: Any) -> Any:
    """Copy a schema with its local references pointed at the spec document."""
    if isinstance(node, Mapping):
        return {
            k: (_SPEC_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _anchor(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_anchor(v) for v in node]
    return node


def _validator(registry: Registry[Any], schema: Mapping[str, Any]) -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(_anchor(schema), registry=registry, format_checker=_FORMAT_CHECKER)


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


def _scalar_kind(raw: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    schema = _resolve(raw, schema)
    kind = schema.get("type", "string")
    return kind if kind in ("string", "number", "integer", "boolean") else "string"


def _build_params(
    raw: Mapping[str, Any], registry: Registry[Any], nodes: Iterable[Any]
) -> tuple[ParamSpec, ...]:
    params: list[ParamSpec] = []
    for node in nodes:
        p = _resolve(raw, node)
        location = p["in"]
        if location not in ("path", "query", "header"):
            continue
        schema = _resolve(raw, p.get("schema", {}))
        params.append(
            ParamSpec(
                name=p["name"],
                location=location,
                required=bool(p.get("required", location == "path")),
                schema=schema,
                validator=_validator(registry, schema),
                kind=_scalar_kind(raw, schema),
                fast=_fast_check(schema),
            )
        )
    return tuple(params)


def _declared_properties(raw: Mapping[str, Any], schema: Any, depth: int = 0) -> set[str]:
    """Property names of an object schema, following ``$ref`` and ``allOf``/``anyOf``/``oneOf``."""
    schema = _resolve(raw, schema)
    if not isinstance(schema, Mapping) or depth > 8:
        return set()
    names = set(schema.get("properties", {}))
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, ()):
            names |= _declared_properties(raw, part, depth + 1)
    return names


def _build(raw: Mapping[str, Any]) -> SpecIndex:
    registry: Registry[Any] = Registry().with_resource(
        _SPEC_URI, Resource.from_contents(dict(raw), default_specification=DRAFT202012)
    )
    submits: dict[str, OperationSpec] = {}
    queue: dict[str, OperationSpec] = {}
    names = {
        "get_status": "status",
        "stream_status": "stream",
        "get_result": "result",
        "cancel_request": "cancel",
    }
    for path, item in raw["paths"].items():
        shared = item.get("parameters", [])
        for method in ("get", "put", "post", "delete", "patch"):
            op = item.get(method)
            if op is None:
                continue
            params = _build_params(raw, registry, [*shared, *op.get("parameters", [])])
            body_validator = None
            body_required = False
            body_schema_name = None
            body_properties = None
            body = op.get("requestBody")
            if body is not None:
                body = _resolve(raw, body)
                body_required = bool(body.get("required", False))
                schema = body["content"]["application/json"]["schema"]
                ref = schema.get("$ref", "")
                body_schema_name = ref.rsplit("/", 1)[-1] if ref else None
                body_validator = _validator(registry, schema)
                body_properties = frozenset(_declared_properties(raw, schema)) or None
            spec = OperationSpec(
                operation_id=op["operationId"],
                method=method.upper(),
                path=path,
                params=params,
                body_validator=body_validator,
                body_required=body_required,
                body_schema_name=body_schema_name,
                body_properties=body_properties,
            )
            if op["operationId"] in names:
                queue[names[op["operationId"]]] = spec
            elif method == "post" and "{" not in path:
                submits[path.strip("/")] = spec
    if set(queue) != set(names.values()) or not submits:
        raise ValueError("openapi.yaml lacks the queue operations the mock serves")
    first = next(iter(submits.values()))
    generic = OperationSpec(
        operation_id="submit_generic",
        method="POST",
        path="/{owner}/{app}/{...}",
        params=first.params,
        body_validator=None,
        body_required=True,
    )
    patterns: dict[str, re.Pattern[str]] = {}
    for p in queue["status"].params:
        if p.location == "path" and isinstance(p.schema.get("pattern"), str):
            patterns[p.name] = re.compile(p.schema["pattern"])
    return SpecIndex(raw=raw, submits=submits, queue=queue, generic_submit=generic, path_patterns=patterns)


def spec_text() -> str:
    return (importlib.resources.files("fal_queue") / "openapi.yaml").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def load_spec_index() -> SpecIndex:
    """Parse and compile the packaged ``openapi.yaml`` (once per process)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(spec_text(), Loader=loader)  # noqa: S506 - a safe loader
    return _build(raw)


def validate_body(op: OperationSpec, body: Any) -> list[ValidationItem]:
    if op.body_validator is None:
        if not isinstance(body, dict):
            return [_type_item(["body"], "object", body)]
        return []
    return _errors_to_items(op.body_validator.iter_errors(body), ["body"])


# ---- jsonschema errors -> fal's validation items ----


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
    return {"loc": loc, "msg": msg, "type": type_, "input": value}


def _best(
    errors: Iterable[jsonschema.exceptions.ValidationError],
) -> jsonschema.exceptions.ValidationError | None:
    best: jsonschema.exceptions.ValidationError | None = jsonschema.exceptions.best_match(errors)
    return best


def _errors_to_items(
    errors: Iterable[jsonschema.exceptions.ValidationError], prefix: list[str | int]
) -> list[ValidationItem]:
    items: list[ValidationItem] = []
    for error in errors:
        items.extend(_error_items(error, prefix))
    items.sort(key=lambda item: json.dumps(item["loc"]))
    return items


def _error_items(
    error: jsonschema.exceptions.ValidationError, prefix: list[str | int]
) -> list[ValidationItem]:
    loc: list[str | int] = [*prefix, *error.absolute_path]
    value: Any = error.instance
    keyword: Any = error.validator
    constraint: Any = error.validator_value
    if keyword == "required":
        if not isinstance(value, dict):
            return [_type_item(loc, "object", value)]
        return [
            {"loc": [*loc, name], "msg": "Field required", "type": "missing", "input": value}
            for name in constraint
            if name not in value
        ]
    if keyword == "additionalProperties":
        declared = set((error.schema or {}).get("properties", {}) if isinstance(error.schema, dict) else {})
        extras = [k for k in value if k not in declared] if isinstance(value, dict) else []
        return [
            {
                "loc": [*loc, k],
                "msg": "Extra inputs are not permitted",
                "type": "extra_forbidden",
                "input": value[k],
            }
            for k in extras
        ] or [{"loc": loc, "msg": error.message, "type": "extra_forbidden", "input": value}]
    if keyword == "type":
        return [_type_item(loc, constraint, value)]
    if keyword in ("oneOf", "anyOf"):
        context = list(error.context or [])
        # Skip the branches whose type does not even fit the value: their complaint is noise.
        misfits = {
            e.relative_schema_path[0] if e.relative_schema_path else None
            for e in context
            if e.validator == "type" and not e.relative_path
        }
        fitting = [
            e
            for e in context
            if (e.relative_schema_path[0] if e.relative_schema_path else None) not in misfits
        ]
        if fitting:
            return [item for e in fitting for item in _error_items(e, prefix)]
        best = _best(context)
        if best is not None:
            return _error_items(best, prefix)
        return [
            {
                "loc": loc,
                "msg": "Input should match exactly one allowed shape",
                "type": "union_tag_invalid",
                "input": value,
            }
        ]
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        type_, key, words = {
            "minimum": ("greater_than_equal", "ge", "greater than or equal to"),
            "maximum": ("less_than_equal", "le", "less than or equal to"),
            "exclusiveMinimum": ("greater_than", "gt", "greater than"),
            "exclusiveMaximum": ("less_than", "lt", "less than"),
        }[keyword]
        return [
            {
                "loc": loc,
                "msg": f"Input should be {words} {_fmt(constraint)}",
                "type": type_,
                "ctx": {key: constraint},
                "input": value,
            }
        ]
    if keyword in ("enum", "const"):
        options = constraint if keyword == "enum" else [constraint]
        expected = _expected(options)
        return [
            {
                "loc": loc,
                "msg": f"Input should be {expected}",
                "type": "literal_error",
                "ctx": {"expected": expected},
                "input": value,
            }
        ]
    if keyword in ("minItems", "maxItems", "minLength", "maxLength"):
        short = keyword.startswith("min")
        is_list = keyword.endswith("Items")
        actual = len(value) if isinstance(value, list | str) else 0
        unit = "item" if is_list else "character"
        plural = "" if constraint == 1 else "s"
        words = "at least" if short else "at most"
        type_ = (
            ("too_short" if short else "too_long")
            if is_list
            else ("string_too_short" if short else "string_too_long")
        )
        ctx: dict[str, Any] = {("min_length" if short else "max_length"): constraint}
        if is_list:
            ctx.update({"field_type": "List", "actual_length": actual})
        return [
            {
                "loc": loc,
                "msg": f"{'List' if is_list else 'String'} should have {words} {constraint} {unit}{plural}",
                "type": type_,
                "ctx": ctx,
                "input": value,
            }
        ]
    if keyword == "pattern":
        return [
            {
                "loc": loc,
                "msg": f"String should match pattern '{constraint}'",
                "type": "string_pattern_mismatch",
                "ctx": {"pattern": constraint},
                "input": value,
            }
        ]
    if keyword == "format":
        return [
            {
                "loc": loc,
                "msg": f"Input should be a valid {constraint}",
                "type": f"{constraint}_parsing",
                "input": value,
            }
        ]
    return [{"loc": loc, "msg": error.message, "type": str(keyword), "input": value}]


def is_uri(value: str) -> bool:
    return _URI_RE.fullmatch(value) is not None and bool(urlsplit(value).scheme)
