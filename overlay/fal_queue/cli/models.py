"""What the spec says about the typed models, for people: parameters, types, ranges, enums, defaults.

The CLI describes the ``openapi.yaml`` shipped inside the package (parsed once, by
``fal_queue._schema``, which also checks inputs), so ``fal-queue models`` always matches the SDK
it runs with.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._inputs import TYPED_MODELS
from .._schema import InputSchema, contract, input_schema

_DEFAULT = re.compile(r"\s*Default:\s*(.+?)\.?\s*$")


def _resolve(schema: Any) -> Mapping[str, Any]:
    """A schema with its ``$ref`` followed (sibling keywords win), as the validator reads it."""
    found = contract().resolve(schema)
    return found if isinstance(found, Mapping) else {}


def _type_text(schema: Any) -> str:
    s = _resolve(schema)
    for key in ("oneOf", "anyOf"):
        if key in s:
            return " or ".join(_type_text(m) for m in s[key])
    if "enum" in s:
        return "enum"
    kind = s.get("type", "any")
    if kind == "array":
        return f"list of {_type_text(s.get('items', {}))}"
    if kind == "object" and isinstance(s.get("properties"), Mapping):
        return "{" + ", ".join(s["properties"]) + "}"
    return str(kind)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool
    default: str | None
    choices: tuple[str, ...]
    minimum: float | None
    maximum: float | None
    description: str

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
        return {**dataclasses.asdict(self), "choices": list(self.choices)}


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


def _param(schema: InputSchema, name: str) -> Param:
    s = _resolve(schema.schema["properties"][name])
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
        type=_type_text(s),
        required=name in schema.required,
        description=text,
        default=default,
        choices=schema.known_values(name),
        minimum=float(minimum) if isinstance(minimum, int | float) else None,
        maximum=float(maximum) if isinstance(maximum, int | float) else None,
    )


@functools.cache
def _catalogue() -> dict[str, ModelInfo]:
    """Every typed model as the packaged contract (parsed once, shared with the validator) states it."""
    found: dict[str, ModelInfo] = {}
    for model_id in sorted(TYPED_MODELS):
        schema = input_schema(model_id)
        assert schema is not None  # the typed models are the contract's
        op = contract().document["paths"][f"/{model_id}"]["post"]
        found[model_id] = ModelInfo(
            model_id=model_id,
            summary=str(op.get("summary") or ""),
            description=str(op.get("description") or ""),
            input_schema=contract().inputs[model_id],
            params=tuple(_param(schema, name) for name in schema.names),  # required first, spec order
        )
    return found


def typed_models() -> list[ModelInfo]:
    return list(_catalogue().values())


def model_info(model_id: str) -> ModelInfo | None:
    return _catalogue().get(model_id)


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


def did_you_mean(model_id: str) -> str:
    """``did you mean <id>? `` for the typed model a mistyped ``model_id`` most likely meant, or ""."""
    if model_id in TYPED_MODELS:
        return ""
    ranked = sorted(TYPED_MODELS, key=lambda known: (edit_distance(model_id, known), known))
    if ranked and edit_distance(model_id, ranked[0]) <= max(2, len(model_id) // 3):
        return f"did you mean {ranked[0]}? "
    close = difflib.get_close_matches(model_id, sorted(TYPED_MODELS), n=1, cutoff=0.75)
    return f"did you mean {close[0]}? " if close else ""


def one_edit_from_typed(model_id: str) -> str | None:
    """A typed model id one edit away from ``model_id`` (``fal-ai/flux-1/schnel``), or None."""
    if model_id in TYPED_MODELS:
        return None
    return next((known for known in sorted(TYPED_MODELS) if edit_distance(model_id, known) == 1), None)
