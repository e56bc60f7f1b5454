"""The contract's input schemas, compiled once from the packaged ``openapi.yaml``.

The generated attrs models check little (a string for an integer passes ``from_dict``), so typed
inputs are validated here with jsonschema, the way the contract states them: types, ranges,
required nested fields. What fal adds without notice is let through on purpose and reported to
the caller instead: field names the contract does not know, and string values outside a field's
known set (``acceleration: "turbo"``). Loaded lazily, so ``import fal_queue`` pays nothing.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema.protocols

__all__ = ["InputSchema", "input_schema", "typed_model_ids"]

_URI = "urn:fal-queue:openapi"
_REF = "#/components/schemas/"


@dataclass(frozen=True)
class InputSchema:
    """One typed model's input, as the contract states it."""

    model_id: str
    schema: Mapping[str, Any]
    validator: jsonschema.protocols.Validator
    components: Mapping[str, Any]

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(self.schema.get("properties", {}))

    def known_values(self, field: str) -> tuple[str, ...]:
        """The string values the contract lists for ``field`` (empty when it lists none)."""
        found: list[str] = []
        for node in self._branches(self.schema.get("properties", {}).get(field, {})):
            found += [v for v in node.get("enum", ()) if isinstance(v, str)]
            if isinstance(node.get("const"), str):
                found.append(node["const"])
        return tuple(dict.fromkeys(found))

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

    def problems(self, data: Mapping[str, Any]) -> list[str]:
        """What is wrong with the known fields of ``data`` (unknown names and values aside)."""
        found = []
        for error in sorted(self.validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
            path = list(error.absolute_path)
            if error.validator == "additionalProperties":
                continue  # unknown names: the caller warns (or refuses, when strict)
            if (
                len(path) == 1
                and isinstance(path[0], str)
                and self.unknown_value(path[0], error.instance) is not None
            ):
                continue  # an unknown value: the caller warns (or refuses, when strict)
            where = ".".join(str(p) for p in path) or "<input>"
            detail = error
            if error.context:
                from jsonschema.exceptions import best_match

                detail = best_match(error.context) or error
            found.append(f"{where}: {detail.message}")
        return found


def unknown_value_message(model_id: str, field: str, value: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    hint = f", did you mean {close[0]!r}?" if close else ""
    return f"{field}: unknown value {value!r} for {model_id}{hint} (known: {', '.join(known)})"


@functools.cache
def _spec() -> Mapping[str, Any]:
    import yaml

    text = importlib.resources.files("fal_queue").joinpath("openapi.yaml").read_text("utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec: Mapping[str, Any] = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    return spec


@functools.cache
def _inputs() -> Mapping[str, str]:
    """Model id -> the component name of its input schema, from the submit operations."""
    found = {}
    for path, item in (_spec().get("paths") or {}).items():
        post = item.get("post") if isinstance(item, Mapping) else None
        body = (post or {}).get("requestBody", {}).get("content", {}).get("application/json", {})
        ref = body.get("schema", {}).get("$ref", "")
        if isinstance(ref, str) and ref.startswith(_REF):
            found[path.strip("/")] = ref[len(_REF) :]
    return found


def typed_model_ids() -> tuple[str, ...]:
    return tuple(_inputs())


@functools.cache
def input_schema(model_id: str) -> InputSchema | None:
    """The compiled input schema of a typed model, or None for a model the contract lacks."""
    name = _inputs().get(model_id)
    if name is None:
        return None
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    spec = _spec()
    resource: Resource[Any] = Resource.from_contents(dict(spec), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_URI, resource)
    validator = jsonschema.Draft202012Validator({"$ref": f"{_URI}{_REF}{name}"}, registry=registry)
    components = spec.get("components", {}).get("schemas", {})
    return InputSchema(model_id, components[name], validator, components)
