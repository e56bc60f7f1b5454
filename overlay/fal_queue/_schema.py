"""The contract's schemas, compiled once from ``openapi.yaml``: the one validator of inputs.

The SDK (``_inputs.prepare_input``), the CLI (``fal-queue run``/``batch``, ``-p key=value``) and the
mock gateway (request bodies) all ask this module, so they cannot disagree on what an input may
be. A broken rule comes out as a :class:`Problem`: where (``image_size.width``), which rule, the
value and the limit, and one message that names them all; the mock turns the same problems into
fal's 422 items. What fal adds without notice is let through on purpose and reported to the caller
instead: field names the contract does not know, and string values outside a field's known set
(``acceleration: "turbo"``). Loaded lazily, so ``import fal_queue`` pays nothing; it needs only
jsonschema and PyYAML (SDK dependencies), never the CLI's or the mock's extras.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema.protocols
    from jsonschema.exceptions import ValidationError
    from referencing import Registry


_URI = "urn:fal-queue:openapi"
_REF = "#/components/schemas/"
_WORDS = {"integer": "a whole number", "number": "a number", "object": "an object", "array": "a list"}


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class Problem:
    """One broken rule: where, which JSON Schema keyword, the value and the keyword's limit."""

    path: tuple[str | int, ...]
    rule: str
    value: Any
    limit: Any
    message: str


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` was probably meant to be ("did you mean"), or None."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _where(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


#: What each JSON Schema keyword's problem says: ``value`` is the value shown, ``size`` its length.
_TEXTS = {
    "minimum": "{value} is below the minimum {limit}",
    "maximum": "{value} is above the maximum {limit}",
    "exclusiveMinimum": "{value} must be above {limit}",
    "exclusiveMaximum": "{value} must be below {limit}",
    "minItems": "needs at least {limit} item(s)",
    "maxItems": "takes at most {limit} item(s), got {size}",
    "minLength": "needs at least {limit} character(s)",
    "maxLength": "takes at most {limit} character(s), got {size}",
    "required": "missing {limit!r}",
    "additionalProperties": "unknown key {limit!r}",
    "pattern": "{value} does not match the pattern {limit}",
    "format": "{value} is not a valid {limit}",
}


def _problem(path: tuple[str | int, ...], rule: str, value: Any, limit: Any) -> Problem:
    if rule == "type":
        kinds = [limit] if isinstance(limit, str) else list(limit)
        expected = " or ".join(_WORDS.get(k, k) for k in dict.fromkeys(kinds))
        text = f"expected {expected}, got {_show(value)}"
    elif rule in ("enum", "const"):
        choices = [str(v) for v in (limit if rule == "enum" else [limit])]
        close = closest(str(value), choices)
        hint = f"; did you mean {close}?" if close else ""
        text = f"{_show(value)} is not one of {', '.join(choices)}{hint}"
    elif rule in _TEXTS:
        size = len(value) if isinstance(value, list | str) else 0
        text = _TEXTS[rule].format(value=_show(value), limit=limit, size=size)
    else:
        text = f"{_show(value)} breaks the rule {rule}: {_show(limit)}"
    return Problem(path, rule, value, limit, f"{_where(path) or 'input'}: {text}")


def _branch(error: ValidationError) -> object:
    return error.relative_schema_path[0] if error.relative_schema_path else None


def problems_of_errors(errors: Iterable[ValidationError]) -> list[Problem]:
    """jsonschema's errors as problems, sorted by place; a union (anyOf/oneOf) reports what is wrong
    inside the branches the value's type fits, or one type problem listing every branch's type."""
    found: list[Problem] = []
    for error in errors:
        found.extend(_error_problems(error))
    return sorted(found, key=lambda p: json.dumps([str(x) for x in p.path]))


def _error_problems(error: ValidationError) -> list[Problem]:
    path = tuple(error.absolute_path)
    rule = str(error.validator)
    value: Any = error.instance
    limit: Any = error.validator_value
    if rule == "required":
        present = value if isinstance(value, dict) else {}
        return [_problem(path, rule, value, name) for name in limit if name not in present]
    if rule == "additionalProperties":
        schema: Any = error.schema
        declared = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
        extras = [k for k in value if k not in declared] if isinstance(value, dict) else []
        return [_problem((*path, k), rule, value[k], k) for k in extras]
    if rule in ("anyOf", "oneOf"):
        context = list(error.context or [])
        misfits = {_branch(e) for e in context if e.validator == "type" and not e.relative_path}
        fitting = [e for e in context if _branch(e) not in misfits]
        if fitting:
            return [p for e in fitting for p in _error_problems(e)]
        kinds: list[str] = []
        for e in context:
            kind: Any = e.validator_value
            if e.validator == "type" and not e.relative_path:
                kinds += [kind] if isinstance(kind, str) else list(kind)
        return [_problem(path, "type", value, kinds or ["a value of another shape"])]
    return [_problem(path, rule, value, limit)]


def unknown_value_message(model_id: str, field: str, value: str, known: tuple[str, ...]) -> str:
    close = closest(value, known)
    hint = f", did you mean {close!r}?" if close else ""
    return f"{field}: unknown value {value!r} for {model_id}{hint} (known: {', '.join(known)})"


@dataclass(frozen=True)
class InputSchema:
    """One typed model's input, as the contract states it."""

    model_id: str
    schema: Mapping[str, Any]
    validator: jsonschema.protocols.Validator
    components: Mapping[str, Any]

    @property
    def names(self) -> tuple[str, ...]:
        """The top-level field names the schema declares: required first, then in its order."""
        names: list[str] = []
        for node in self._branches(self.schema):
            names += node.get("properties", {})
        required = set(self.required)
        return tuple(sorted(dict.fromkeys(names), key=lambda name: name not in required))

    @property
    def fields(self) -> frozenset[str]:
        """The top-level field names the schema declares (through ``$ref`` and unions)."""
        return frozenset(self.names)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(self.schema.get("required", ()))

    def unknown_fields(self, data: Mapping[str, Any]) -> list[str]:
        fields = self.fields
        return [name for name in data if name not in fields]

    def _field_schema(self, field: str) -> Mapping[str, Any]:
        for node in self._branches(self.schema):
            if field in node.get("properties", {}):
                found: Mapping[str, Any] = node["properties"][field]
                return found
        return {}

    def known_values(self, field: str) -> tuple[str, ...]:
        """The string values the contract lists for ``field`` (empty when it lists none)."""
        found: list[str] = []
        for node in self._branches(self._field_schema(field)):
            found += [v for v in node.get("enum", ()) if isinstance(v, str)]
            if isinstance(node.get("const"), str):
                found.append(node["const"])
        return tuple(dict.fromkeys(found))

    def wants_text(self, field: str) -> bool:
        """True when every shape the field takes is text (``prompt``, ``safety_tolerance``)."""
        nodes = self._branches(self._field_schema(field))
        leaves = [n for n in nodes if not (n.get("anyOf") or n.get("oneOf"))]
        return bool(leaves) and all(
            all(isinstance(v, str) for v in n["enum"]) if "enum" in n else n.get("type") == "string"
            for n in leaves
        )

    def _branches(self, node: Any, depth: int = 0) -> Iterator[Mapping[str, Any]]:
        if not isinstance(node, Mapping) or depth > 8:
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            yield from self._branches(self.components.get(ref[len(_REF) :], {}), depth + 1)
            return
        yield node
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in node.get(key, ()):
                yield from self._branches(branch, depth + 1)

    def unknown_value(self, field: str, value: object) -> tuple[str, ...] | None:
        """The known values when ``value`` is a string the contract does not list for ``field``."""
        known = self.known_values(field)
        if known and isinstance(value, str) and value not in known:
            return known
        return None

    def check(self, data: Any) -> list[Problem]:
        """Every rule ``data`` breaks (the validator's whole verdict), field names aside: an
        unknown top-level name is the caller's to warn about or refuse."""
        found = problems_of_errors(self.validator.iter_errors(data))
        return [p for p in found if not (p.rule == "additionalProperties" and len(p.path) == 1)]

    def problems(self, data: Mapping[str, Any]) -> list[str]:
        """What the SDK and the CLI refuse in the known fields of ``data``, one line each (missing
        fields in one): :meth:`check` less a string outside a field's known set (fal adds values;
        the caller warns, or refuses when strict)."""
        found = [
            p
            for p in self.check(data)
            if not (len(p.path) == 1 and self.unknown_value(str(p.path[0]), p.value) is not None)
        ]
        missing = [p.limit for p in found if p.rule == "required" and not p.path]
        lines = [p.message for p in found if not (p.rule == "required" and not p.path)]
        if missing:
            names = ", ".join(map(repr, missing))
            lines.append(f"missing required field(s) {names} for {self.model_id}")
        return lines


class Contract:
    """One OpenAPI document, parsed once: the registry every validator of it resolves against."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.components: Mapping[str, Any] = (document.get("components") or {}).get("schemas") or {}
        inputs: dict[str, str] = {}  # model id -> the component name of its input schema
        submits: dict[str, str] = {}  # model id -> the operationId of its submit
        for path, item in (document.get("paths") or {}).items():
            post = item.get("post") if isinstance(item, Mapping) else None
            body = (post or {}).get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "")
            if isinstance(ref, str) and ref.startswith(_REF) and "{" not in path:
                inputs[path.strip("/")] = ref[len(_REF) :]
                submits[path.strip("/")] = str((post or {})["operationId"])
        self.inputs: Mapping[str, str] = inputs
        #: The typed models: the generator names their submit modules and input classes after these.
        self.submits: Mapping[str, str] = submits
        self._compiled: dict[str, InputSchema] = {}

    def resolve(self, node: Any) -> Any:
        """``node`` with its local ``$ref`` chain followed; sibling keywords (3.1) win over the target's."""
        for _ in range(20):
            if not isinstance(node, Mapping) or "$ref" not in node:
                break
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                raise ValueError(f"unsupported reference {ref!r}")
            target: Any = self.document
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **siblings} if siblings and isinstance(target, Mapping) else target
        return node

    @functools.cached_property
    def registry(self) -> Registry[Any]:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        resource: Resource[Any] = Resource.from_contents(
            dict(self.document), default_specification=DRAFT202012
        )
        registry: Registry[Any] = Registry().with_resource(_URI, resource)
        return registry

    def validator(
        self, schema: Mapping[str, Any], *, format_checker: Any = None
    ) -> jsonschema.protocols.Validator:
        """A validator of any schema in (or written against) this document: ``#/...`` refs resolve here."""
        import jsonschema

        return jsonschema.Draft202012Validator(
            _anchor(schema), registry=self.registry, format_checker=format_checker
        )

    def input_schema(self, model_id: str) -> InputSchema | None:
        """The compiled input schema of a model the document lists (None for any other)."""
        if model_id not in self._compiled and model_id in self.inputs:
            name = self.inputs[model_id]
            validator = self.validator({"$ref": f"{_REF}{name}"})
            self._compiled[model_id] = InputSchema(
                model_id, self.components[name], validator, self.components
            )
        return self._compiled.get(model_id)


def _anchor(node: Any) -> Any:
    """A copy of a schema with its local references pointed at the document."""
    if isinstance(node, Mapping):
        return {
            k: (_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _anchor(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_anchor(v) for v in node]
    return node


@functools.cache
def contract() -> Contract:
    """The packaged ``openapi.yaml``, parsed and compiled once per process."""
    import yaml

    text = importlib.resources.files("fal_queue").joinpath("openapi.yaml").read_text("utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document: Mapping[str, Any] = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    return Contract(document)


def input_schema(model_id: str) -> InputSchema | None:
    """The packaged contract's compiled input schema of a typed model, or None."""
    return contract().input_schema(model_id)
