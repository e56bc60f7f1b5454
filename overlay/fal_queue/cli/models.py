"""What the spec says about the typed models: parameters, types, ranges, enums, defaults.

The CLI reads ``openapi.yaml`` shipped inside the package, so ``fal-queue models`` always
matches the SDK it runs with. The same schemas check ``-p`` values (type, enum, range) before
anything is sent, and tell ``-p key=value`` whether a value is text or JSON.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .errors import EXIT_ENV, CliError

__all__ = ["ModelInfo", "Param", "check_values", "load_spec", "model_info", "parse_value", "typed_models"]

_DEFAULT = re.compile(r"\s*Default:\s*(.+?)\.?\s*$")


@functools.cache
def load_spec() -> dict[str, Any]:
    """The packaged OpenAPI document (parsed once per process)."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml is part of the cli extra
        raise CliError(
            "reading the model catalogue needs PyYAML: pip install 'fal-queue[cli]'", EXIT_ENV
        ) from None
    try:
        text = (resources.files("fal_queue") / "openapi.yaml").read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"the packaged openapi.yaml is unreadable: {exc}", EXIT_ENV) from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    if not isinstance(data, dict):
        raise CliError("the packaged openapi.yaml is not an OpenAPI document", EXIT_ENV)
    return data


def _resolve(schema: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
    """A schema with its ``$ref`` followed; sibling keywords (3.1) override the target's."""
    if not isinstance(schema, Mapping):
        return {}
    seen = 0
    result = dict(schema)
    while "$ref" in result and seen < 20:
        ref = result.pop("$ref")
        target: Any = spec
        for part in str(ref).lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        result = {**(target if isinstance(target, Mapping) else {}), **result}
        seen += 1
    return result


def _type_text(schema: Mapping[str, Any], spec: Mapping[str, Any]) -> str:
    s = _resolve(schema, spec)
    for key in ("oneOf", "anyOf"):
        if key in s:
            return " or ".join(_type_text(m, spec) for m in s[key])
    if "enum" in s:
        return "enum"
    kind = s.get("type", "any")
    if kind == "array":
        return f"list of {_type_text(s.get('items', {}), spec)}"
    if kind == "object" and isinstance(s.get("properties"), Mapping):
        return "{" + ", ".join(s["properties"]) + "}"
    return str(kind)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool
    description: str
    default: str | None
    choices: tuple[str, ...]
    minimum: float | None
    maximum: float | None
    schema: Mapping[str, Any]

    @property
    def constraints(self) -> str:
        parts = []
        if self.choices:
            parts.append(" | ".join(self.choices))
        if self.minimum is not None or self.maximum is not None:
            low = "" if self.minimum is None else f"{self.minimum:g}"
            high = "" if self.maximum is None else f"{self.maximum:g}"
            parts.append(f"{low}..{high}")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "default": self.default,
            "choices": list(self.choices),
            "minimum": self.minimum,
            "maximum": self.maximum,
            "description": self.description,
        }


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    summary: str
    description: str
    input_schema: str
    params: tuple[Param, ...]

    @property
    def required(self) -> list[str]:
        return [p.name for p in self.params if p.required]

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model_id,
            "summary": self.summary,
            "description": self.description,
            "input_schema": self.input_schema,
            "parameters": [p.to_json() for p in self.params],
        }


def _choices(schema: Mapping[str, Any], spec: Mapping[str, Any]) -> tuple[str, ...]:
    s = _resolve(schema, spec)
    if "enum" in s:
        return tuple(str(v) for v in s["enum"])
    found: list[str] = []
    for key in ("oneOf", "anyOf"):
        for member in s.get(key, []):
            found.extend(_choices(member, spec))
    return tuple(found)


def _param(name: str, schema: Any, required: bool, spec: Mapping[str, Any]) -> Param:
    s = _resolve(schema, spec)
    text = str(s.get("description") or "").strip()
    default = None
    match = _DEFAULT.search(text)
    if match:
        default = match.group(1).strip().strip("`")
        text = text[: match.start()].rstrip()
    minimum = s.get("minimum")
    maximum = s.get("maximum")
    return Param(
        name=name,
        type=_type_text(s, spec),
        required=required,
        description=text,
        default=default,
        choices=_choices(s, spec),
        minimum=float(minimum) if isinstance(minimum, int | float) else None,
        maximum=float(maximum) if isinstance(maximum, int | float) else None,
        schema=s,
    )


@functools.cache
def _catalogue() -> dict[str, ModelInfo]:
    from .._core import TYPED_MODELS

    spec = load_spec()
    paths = spec.get("paths", {})
    found: dict[str, ModelInfo] = {}
    for model_id in sorted(TYPED_MODELS):
        op = (paths.get(f"/{model_id}") or {}).get("post") or {}
        body = ((op.get("requestBody") or {}).get("content") or {}).get("application/json") or {}
        ref = str((body.get("schema") or {}).get("$ref", ""))
        schema = _resolve(body.get("schema"), spec)
        required = set(schema.get("required", []))
        props = schema.get("properties") or {}
        params = [_param(n, props[n], n in required, spec) for n in props]
        params.sort(key=lambda p: not p.required)  # required first, then spec order (stable)
        found[model_id] = ModelInfo(
            model_id=model_id,
            summary=str(op.get("summary") or ""),
            description=str(op.get("description") or ""),
            input_schema=ref.rsplit("/", 1)[-1],
            params=tuple(params),
        )
    return found


def typed_models() -> list[ModelInfo]:
    return list(_catalogue().values())


def model_info(model_id: str) -> ModelInfo | None:
    from .._core import TYPED_MODELS

    if model_id not in TYPED_MODELS:
        return None
    return _catalogue().get(model_id)


# ---- values ----------------------------------------------------------------------------------


def _wants_text(schema: Mapping[str, Any], spec: Mapping[str, Any]) -> bool:
    s = _resolve(schema, spec)
    for key in ("anyOf", "oneOf"):  # a setting: known values or any string, all of them text
        if isinstance(s.get(key), list) and s[key]:
            return all(_wants_text(member, spec) for member in s[key])
    if "enum" in s:
        return all(isinstance(v, str) for v in s["enum"])
    return s.get("type") == "string"


def parse_value(raw: str, param: Param | None) -> Any:
    """The value of ``-p key=raw``: JSON when it parses, else the text itself.

    A parameter the spec types as text (``prompt``, ``safety_tolerance``) always keeps the raw
    text, so ``-p prompt=42`` sends ``"42"`` and ``-p safety_tolerance=2`` sends ``"2"``.
    """
    if param is not None and _wants_text(param.schema, load_spec()):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _kind_ok(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "null":
        return value is None
    return True


def _check(value: Any, schema: Mapping[str, Any], where: str, spec: Mapping[str, Any]) -> list[str]:
    s = _resolve(schema, spec)
    for key in ("oneOf", "anyOf"):
        if key in s:
            members = [_resolve(m, spec) for m in s[key]]
            if any(not _check(value, m, where, spec) for m in members):
                return []
            choices = _choices(s, spec)
            shaped = [m for m in members if "enum" not in m]
            if isinstance(value, dict | list) or not choices:
                # The value has the shape of a member: say what is wrong inside it.
                for member in shaped:
                    if member.get("type") == ("object" if isinstance(value, dict) else "array"):
                        return _check(value, member, where, spec)
                return [f"{where}: {json.dumps(value)} is not {_type_text(s, spec)}"]
            others = " or ".join(_type_text(m, spec) for m in shaped)
            return [_not_one_of(where, value, choices, f" (or {others})" if others else "")]
    if "enum" in s and value not in s["enum"]:
        return [_not_one_of(where, value, tuple(str(v) for v in s["enum"]), "")]
    kind = s.get("type")
    if isinstance(kind, str) and not _kind_ok(value, kind):
        return [
            f"{where}: expected {'a whole number' if kind == 'integer' else kind}, got {json.dumps(value)}"
        ]
    problems = []
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(s.get("minimum"), int | float) and value < s["minimum"]:
            problems.append(f"{where}: {value} is below the minimum {s['minimum']}")
        if isinstance(s.get("maximum"), int | float) and value > s["maximum"]:
            problems.append(f"{where}: {value} is above the maximum {s['maximum']}")
    if isinstance(value, list):
        if isinstance(s.get("minItems"), int) and len(value) < s["minItems"]:
            problems.append(f"{where}: needs at least {s['minItems']} item(s)")
        for i, item in enumerate(value):
            problems.extend(_check(item, s.get("items", {}), f"{where}[{i}]", spec))
    if isinstance(value, dict) and isinstance(s.get("properties"), Mapping):
        props = s["properties"]
        if s.get("additionalProperties") is False:
            for extra in sorted(set(value) - set(props)):
                problems.append(f"{where}: unknown key {extra!r} (known: {', '.join(props)})")
        required = list(s.get("required", []))
        if {"width", "height"} <= set(props):  # a size: a gateway's default for half of it surprises
            required += [k for k in ("width", "height") if k not in required]
        for req in required:
            if req not in value:
                problems.append(
                    f"{where}: missing {req!r} (give both width and height)"
                    if req in {"width", "height"}
                    else f"{where}: missing {req!r}"
                )
        for name, item in value.items():
            if name in props:
                problems.extend(_check(item, props[name], f"{where}.{name}", spec))
    return problems


def _not_one_of(where: str, value: Any, choices: tuple[str, ...], more: str) -> str:
    close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{where}: {json.dumps(value)} is not one of {', '.join(choices)}{more}{hint}"


#: Options of other clients that people pass as inputs; what to use here instead.
CLIENT_OPTIONS = {
    "with_logs": "with_logs is fal-client's option, not a model input: pass --logs",
    "logs": "logs is an option, not a model input: pass --logs",
}


def unknown_field_problem(model_id: str, name: str, known: Sequence[str]) -> str:
    if name in CLIENT_OPTIONS:
        return f"{name}: {CLIENT_OPTIONS[name]}"
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(known)}"
    return f"{name}: unknown parameter for {model_id}{hint}"


def check_values(model_id: str, arguments: Mapping[str, Any], *, unknown_names: bool = True) -> list[str]:
    """Unknown names (unless ``unknown_names`` is false) and type, enum and range problems of a
    typed model's arguments. Other clients' options (``with_logs``) are always named.

    Untyped models get only the check for other clients' options.
    """
    info = model_info(model_id)
    if info is None:
        return [f"{name}: {CLIENT_OPTIONS[name]}" for name in arguments if name in CLIENT_OPTIONS]
    spec = load_spec()
    problems: list[str] = []
    known = [p.name for p in info.params]
    for name, value in arguments.items():
        param = info.param(name)
        if param is None:
            if unknown_names or name in CLIENT_OPTIONS:
                problems.append(unknown_field_problem(model_id, name, known))
        else:
            problems.extend(_check(value, param.schema, name, spec))
    missing = [name for name in info.required if name not in arguments]
    if missing:
        problems.append(f"missing required field(s) {', '.join(map(repr, missing))} for {model_id}")
    return problems


# ---- model ids ---------------------------------------------------------------------------------


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute: one each)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def nearest_model(model_id: str) -> str | None:
    """The typed model id a mistyped ``model_id`` most likely meant, if any is close."""
    from .._core import TYPED_MODELS

    if model_id in TYPED_MODELS:
        return None
    ranked = sorted(TYPED_MODELS, key=lambda known: (edit_distance(model_id, known), known))
    if ranked and edit_distance(model_id, ranked[0]) <= max(2, len(model_id) // 3):
        return ranked[0]
    close = difflib.get_close_matches(model_id, sorted(TYPED_MODELS), n=1, cutoff=0.75)
    return close[0] if close else None


def one_edit_from_typed(model_id: str) -> str | None:
    """A typed model id one edit away from ``model_id`` (``fal-ai/flux-1/schnel``), or None."""
    from .._core import TYPED_MODELS

    if model_id in TYPED_MODELS:
        return None
    return next((known for known in sorted(TYPED_MODELS) if edit_distance(model_id, known) == 1), None)
