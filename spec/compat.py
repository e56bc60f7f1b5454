"""Compatibility gate: compare openapi.yaml with the last published snapshot in spec/published/.

Run as `.venv/bin/python spec/compat.py` (`make spec-compat`, part of `make lint`). Exit status 0 when
the spec is acceptable, 1 when it is not, 2 on a usage error.

Rules
-----
* `info.version` is MAJOR.MINOR.PATCH. A published snapshot (`spec/published/openapi-<version>.yaml`)
  is frozen: when openapi.yaml differs from the newest snapshot in any way, `info.version` must be
  higher than the snapshot's and `spec/CHANGELOG.md` must have a `## <version>` entry.
* Every difference is classified, and the bump must be at least that large:
  - major: something published was removed or narrowed (see below);
  - minor: something was added or widened compatibly, or the contract changed in a way this checker
    does not classify (review those by hand);
  - patch: documentation only (description, summary, title, examples, x-* extensions, contact, ...).
* A media type's `schema` (the whole body) and OpenAPI 3.2's `itemSchema` (each item of a stream)
  are compared alike; a text body (`type: string`) replaced by an `itemSchema` is a narrowing.
* Schemas are compared in the direction data flows. In a *request* (parameters and request bodies the
  client sends; the responses a webhook receiver sends back) narrowing breaks clients: a type, enum,
  bound, length, pattern or format that accepts fewer values, a property that became required, a
  closed `additionalProperties`, a removed `oneOf`/`anyOf` member. In a *response* (what the client
  reads, including webhook payloads) widening breaks clients: a new type or enum value (the generated
  Python client raises on unknown enum values) or a property that is no longer always present.
  Removing a path, operation, response status, media type, parameter, header, link, property, component
  schema or security scheme is breaking in both directions, and so is changing an operationId or the
  first tag (generated clients name functions after the one and modules after the other).

`--publish` copies openapi.yaml to spec/published/openapi-<version>.yaml after a passing check.
"""

from __future__ import annotations

import argparse
import enum
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
SNAPSHOT = re.compile(r"^openapi-(.+)\.ya?ml$")
DOC_ONLY_KEYS = frozenset(
    {"description", "summary", "title", "example", "examples", "externalDocs", "contact"}
)
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains")

Json = Any
LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
Version = tuple[int, int, int]


class Level(enum.IntEnum):
    PATCH = 1
    MINOR = 2
    MAJOR = 3


class Flow(enum.Enum):
    REQUEST = "request"
    RESPONSE = "response"


@dataclass(frozen=True)
class Change:
    level: Level
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.level.name.lower():5}  {self.where}: {self.what}"


class SpecError(Exception):
    """The inputs cannot be compared (unreadable file, bad version, ...)."""


def parse_version(text: object) -> Version:
    m = SEMVER.match(str(text))
    if not m:
        raise SpecError(f"version {text!r} is not MAJOR.MINOR.PATCH")
    return int(m[1]), int(m[2]), int(m[3])


def bump_level(old: Version, new: Version) -> Level | None:
    """The size of the step from old to new, or None when new is not higher."""
    if new <= old:
        return None
    if new[0] > old[0]:
        return Level.MAJOR
    if new[1] > old[1]:
        return Level.MINOR
    return Level.PATCH


def next_version(old: Version, level: Level) -> str:
    if level is Level.MAJOR:
        return f"{old[0] + 1}.0.0"
    if level is Level.MINOR:
        return f"{old[0]}.{old[1] + 1}.0"
    return f"{old[0]}.{old[1]}.{old[2] + 1}"


def load(path: Path) -> dict[str, Json]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)  # noqa: S506 (LOADER is a safe loader)
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{path} is not an OpenAPI document")
    return data


def _canon(value: Json) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def strip_docs(node: Json) -> Json:
    """The document without documentation-only keys (the parts a patch release may change)."""
    if isinstance(node, dict):
        return {
            k: strip_docs(v)
            for k, v in node.items()
            if k not in DOC_ONLY_KEYS and not (isinstance(k, str) and k.startswith("x-"))
        }
    if isinstance(node, list):
        return [strip_docs(v) for v in node]
    return node


def without_version(doc: dict[str, Json]) -> dict[str, Json]:
    info = {k: v for k, v in (doc.get("info") or {}).items() if k != "version"}
    return {**doc, "info": info}


def _dict(value: Json) -> dict[str, Json]:
    return value if isinstance(value, dict) else {}


class Comparer:
    def __init__(self, old: dict[str, Json], new: dict[str, Json]) -> None:
        self.old = old
        self.new = new
        self.changes: dict[tuple[str, str], Level] = {}
        self._seen: set[tuple[str, str, Flow]] = set()

    # ---- bookkeeping ----
    def add(self, level: Level, where: str, what: str) -> None:
        key = (where, what)
        self.changes[key] = max(level, self.changes.get(key, Level.PATCH))

    def narrowed(self, flow: Flow, where: str, what: str) -> None:
        level = Level.MAJOR if flow is Flow.REQUEST else Level.MINOR
        self.add(level, where, f"{what} (narrowed, in a {flow.value})")

    def widened(self, flow: Flow, where: str, what: str) -> None:
        level = Level.MAJOR if flow is Flow.RESPONSE else Level.MINOR
        self.add(level, where, f"{what} (widened, in a {flow.value})")

    def result(self) -> list[Change]:
        out = [Change(level, where, what) for (where, what), level in self.changes.items()]
        return sorted(out, key=lambda c: (-c.level, c.where, c.what))

    # ---- $ref handling ----
    @staticmethod
    def _pointer(doc: dict[str, Json], ref: str) -> Json:
        if not ref.startswith("#/"):
            raise SpecError(f"only local references are supported, got {ref!r}")
        node: Json = doc
        for raw in ref[2:].split("/"):
            key = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and key.isdigit():
                node = node[int(key)]
            elif isinstance(node, dict) and key in node:
                node = node[key]
            else:
                raise SpecError(f"unresolvable reference {ref!r}")
        return node

    def resolve(self, doc: dict[str, Json], node: Json) -> Json:
        """Follow $ref chains; sibling keys of a $ref (allowed in 3.1) override the target's."""
        hops = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            hops += 1
            if hops > 50:
                raise SpecError(f"reference loop at {node['$ref']!r}")
            target = self._pointer(doc, node["$ref"])
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **siblings} if siblings and isinstance(target, dict) else target
        return node

    # ---- whole document ----
    def compare(self) -> list[Change]:
        if str(self.old.get("openapi")) != str(self.new.get("openapi")):
            # The API is the same; tools that read only the old OpenAPI version need a view of it.
            self.add(
                Level.MINOR,
                "(document)",
                f"OpenAPI version {self.old.get('openapi')} -> {self.new.get('openapi')}",
            )
        old_paths, new_paths = _dict(self.old.get("paths")), _dict(self.new.get("paths"))
        for path, old_item in old_paths.items():
            if path not in new_paths:
                self.add(Level.MAJOR, path, "path removed")
                continue
            self._path_item(path, _dict(old_item), _dict(new_paths[path]), Flow.REQUEST, Flow.RESPONSE)
        for path in new_paths.keys() - old_paths.keys():
            self.add(Level.MINOR, path, "path added")

        old_hooks, new_hooks = _dict(self.old.get("webhooks")), _dict(self.new.get("webhooks"))
        for name, old_item in old_hooks.items():
            where = f"webhook {name}"
            if name not in new_hooks:
                self.add(Level.MAJOR, where, "webhook removed")
                continue
            # fal sends the webhook; the client's receiver reads it and answers.
            self._path_item(where, _dict(old_item), _dict(new_hooks[name]), Flow.RESPONSE, Flow.REQUEST)
        for name in new_hooks.keys() - old_hooks.keys():
            self.add(Level.MINOR, f"webhook {name}", "webhook added")

        old_comp, new_comp = _dict(self.old.get("components")), _dict(self.new.get("components"))
        old_schemas, new_schemas = _dict(old_comp.get("schemas")), _dict(new_comp.get("schemas"))
        for name in old_schemas.keys() - new_schemas.keys():
            self.add(Level.MAJOR, f"#/components/schemas/{name}", "component schema removed")
        for name in new_schemas.keys() - old_schemas.keys():
            self.add(Level.MINOR, f"#/components/schemas/{name}", "component schema added")
        old_sec, new_sec = _dict(old_comp.get("securitySchemes")), _dict(new_comp.get("securitySchemes"))
        for name, scheme in old_sec.items():
            where = f"#/components/securitySchemes/{name}"
            if name not in new_sec:
                self.add(Level.MAJOR, where, "security scheme removed")
            elif _canon(strip_docs(scheme)) != _canon(strip_docs(new_sec[name])):
                self.add(Level.MAJOR, where, "security scheme changed")
        for name in new_sec.keys() - old_sec.keys():
            self.add(Level.MINOR, f"#/components/securitySchemes/{name}", "security scheme added")

        if not self.changes and _canon(strip_docs(without_version(self.old))) != _canon(
            strip_docs(without_version(self.new))
        ):
            self.add(Level.MINOR, "(document)", "contract changed in a way this checker does not classify")
        return self.result()

    # ---- operations ----
    def _path_item(
        self, path: str, old: dict[str, Json], new: dict[str, Json], req: Flow, resp: Flow
    ) -> None:
        for method in METHODS:
            if method not in old:
                if method in new:
                    self.add(Level.MINOR, f"{method.upper()} {path}", "operation added")
                continue
            where = f"{method.upper()} {path}"
            if method not in new:
                self.add(Level.MAJOR, where, "operation removed")
                continue
            self._operation(where, old, new, _dict(old[method]), _dict(new[method]), req, resp)

    def _security(self, doc: dict[str, Json], op: dict[str, Json]) -> set[str]:
        reqs = op.get("security", doc.get("security", []))
        return {_canon(sorted(_dict(r))) for r in reqs or []} or {_canon([])}

    def _parameters(
        self, doc: dict[str, Json], item: dict[str, Json], op: dict[str, Json]
    ) -> dict[str, Json]:
        out: dict[str, Json] = {}
        for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
            param = _dict(self.resolve(doc, raw))
            name = str(param.get("name"))
            where = str(param.get("in"))
            out[f"{where} {name.lower() if where == 'header' else name}"] = param
        return out

    def _operation(
        self,
        where: str,
        old_item: dict[str, Json],
        new_item: dict[str, Json],
        old: dict[str, Json],
        new: dict[str, Json],
        req: Flow,
        resp: Flow,
    ) -> None:
        if old.get("operationId") != new.get("operationId"):
            self.add(
                Level.MAJOR,
                where,
                f"operationId changed {old.get('operationId')!r} -> {new.get('operationId')!r}",
            )
        old_tags, new_tags = old.get("tags") or [], new.get("tags") or []
        if old_tags[:1] != new_tags[:1]:
            self.add(Level.MAJOR, where, f"first tag changed {old_tags[:1]} -> {new_tags[:1]}")
        elif old_tags != new_tags:
            self.add(Level.MINOR, where, "tags changed")

        old_sec, new_sec = self._security(self.old, old), self._security(self.new, new)
        for alt in sorted(old_sec - new_sec):
            self.add(Level.MAJOR, where, f"security alternative {alt} removed")
        for alt in sorted(new_sec - old_sec):
            self.add(Level.MINOR, where, f"security alternative {alt} added")

        old_params = self._parameters(self.old, old_item, old)
        new_params = self._parameters(self.new, new_item, new)
        for key, param in old_params.items():
            pwhere = f"{where} parameter {key}"
            if key not in new_params:
                self.add(Level.MAJOR, pwhere, "parameter removed")
                continue
            other = new_params[key]
            if not param.get("required") and other.get("required"):
                self.add(
                    Level.MAJOR if req is Flow.REQUEST else Level.MINOR, pwhere, "parameter became required"
                )
            elif param.get("required") and not other.get("required"):
                self.add(
                    Level.MAJOR if req is Flow.RESPONSE else Level.MINOR, pwhere, "parameter became optional"
                )
            for key2 in ("style", "explode", "allowReserved"):
                if param.get(key2) != other.get(key2):
                    self.add(Level.MAJOR, pwhere, f"serialization `{key2}` changed")
            self.schema(param.get("schema"), other.get("schema"), req, pwhere)
        for key, param in new_params.items():
            if key not in old_params:
                level = Level.MAJOR if param.get("required") and req is Flow.REQUEST else Level.MINOR
                self.add(
                    level,
                    f"{where} parameter {key}",
                    "required parameter added" if param.get("required") else "optional parameter added",
                )

        self._request_body(where, old.get("requestBody"), new.get("requestBody"), req)

        old_resp, new_resp = _dict(old.get("responses")), _dict(new.get("responses"))
        for status, response in old_resp.items():
            rwhere = f"{where} response {status}"
            if status not in new_resp:
                self.add(Level.MAJOR, rwhere, "response status removed")
                continue
            self._response(rwhere, response, new_resp[status], resp)
        for status in new_resp.keys() - old_resp.keys():
            self.add(Level.MINOR, f"{where} response {status}", "response status added")

    def _content(self, where: str, old: Json, new: Json, flow: Flow) -> None:
        old_c, new_c = _dict(old), _dict(new)
        for media, mt in old_c.items():
            if media not in new_c:
                self.add(Level.MAJOR, where, f"media type {media} removed")
                continue
            self._media_schemas(f"{where} ({media})", _dict(mt), _dict(new_c[media]), flow)
        for media in new_c.keys() - old_c.keys():
            self.add(Level.MINOR, where, f"media type {media} added")

    def _media_schemas(self, where: str, old: dict[str, Json], new: dict[str, Json], flow: Flow) -> None:
        """`schema` (the whole body) and 3.2's `itemSchema` (each item of a stream, e.g. an SSE event)."""
        o_body, n_body = old.get("schema"), new.get("schema")
        o_item, n_item = old.get("itemSchema"), new.get("itemSchema")
        if o_item is None and n_item is not None and n_body is None and _dict(o_body).get("type") == "string":
            # A stream once described as plain text now has a schema per item: only narrower.
            self.narrowed(flow, where, "stream body described per item (itemSchema) instead of as text")
            return
        if o_item is not None and n_item is None:
            self.widened(flow, where, "itemSchema removed")
            return
        self.schema(o_body, n_body, flow, where)
        self.schema(o_item, n_item, flow, f"{where} itemSchema")

    def _request_body(self, where: str, old_raw: Json, new_raw: Json, flow: Flow) -> None:
        bwhere = f"{where} requestBody"
        if old_raw is None and new_raw is None:
            return
        if new_raw is None:
            self.add(Level.MAJOR, bwhere, "request body removed")
            return
        new = _dict(self.resolve(self.new, new_raw))
        if old_raw is None:
            breaking = new.get("required") and flow is Flow.REQUEST
            self.add(Level.MAJOR if breaking else Level.MINOR, bwhere, "request body added")
            return
        old = _dict(self.resolve(self.old, old_raw))
        if not old.get("required") and new.get("required"):
            self.add(
                Level.MAJOR if flow is Flow.REQUEST else Level.MINOR, bwhere, "request body became required"
            )
        self._content(bwhere, old.get("content"), new.get("content"), flow)

    def _response(self, where: str, old_raw: Json, new_raw: Json, flow: Flow) -> None:
        old = _dict(self.resolve(self.old, old_raw))
        new = _dict(self.resolve(self.new, new_raw))
        self._content(where, old.get("content"), new.get("content"), flow)
        old_h, new_h = _dict(old.get("headers")), _dict(new.get("headers"))
        for name, header in old_h.items():
            match = next((k for k in new_h if k.lower() == name.lower()), None)
            if match is None:
                self.add(Level.MAJOR, where, f"header {name} removed")
                continue
            old_hdr = _dict(self.resolve(self.old, header))
            new_hdr = _dict(self.resolve(self.new, new_h[match]))
            self.schema(old_hdr.get("schema"), new_hdr.get("schema"), flow, f"{where} header {name}")
        for name in new_h:
            if not any(k.lower() == name.lower() for k in old_h):
                self.add(Level.MINOR, where, f"header {name} added")
        old_l, new_l = _dict(old.get("links")), _dict(new.get("links"))
        for name, link in old_l.items():
            if name not in new_l:
                self.add(Level.MAJOR, where, f"link {name} removed")
                continue
            old_link = _dict(self.resolve(self.old, link))
            new_link = _dict(self.resolve(self.new, new_l[name]))
            if _canon(strip_docs(old_link)) != _canon(strip_docs(new_link)):
                self.add(Level.MAJOR, where, f"link {name} changed")
        for name in new_l.keys() - old_l.keys():
            self.add(Level.MINOR, where, f"link {name} added")

    # ---- schemas ----
    @staticmethod
    def _ref_name(node: Json) -> str | None:
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            return str(node["$ref"])
        return None

    @staticmethod
    def _types(schema: dict[str, Json]) -> set[str] | None:
        t = schema.get("type")
        if t is None:
            return None
        return {t} if isinstance(t, str) else {str(x) for x in t}

    @staticmethod
    def _lost(old: set[str] | None, new: set[str] | None) -> set[str]:
        """Types the old set accepted that the new one does not (integer is inside number)."""
        if new is None:
            return set()
        if old is None:
            return {"any type"}
        return {t for t in old if t not in new and not (t == "integer" and "number" in new)}

    def schema(self, old_raw: Json, new_raw: Json, flow: Flow, where: str) -> None:
        if old_raw is None and new_raw is None:
            return
        if old_raw is None:
            self.narrowed(flow, where, "schema added")
            return
        if new_raw is None:
            self.widened(flow, where, "schema removed")
            return
        old_ref, new_ref = self._ref_name(old_raw), self._ref_name(new_raw)
        if old_ref is not None and new_ref is not None:
            key = (old_ref, new_ref, flow)
            if key in self._seen:
                return
            self._seen.add(key)
            if old_ref == new_ref and len(old_raw) == 1 and len(new_raw) == 1:
                where = old_ref  # report a shared schema once, where it is defined
        old = self.resolve(self.old, old_raw)
        new = self.resolve(self.new, new_raw)
        if isinstance(old, bool) or isinstance(new, bool):
            if old is not new and old is not True and new is True:
                self.widened(flow, where, "schema opened")
            elif old is not new and new is False:
                self.narrowed(flow, where, "schema closed")
            return
        self._schema_body(_dict(old), _dict(new), flow, where)

    def _schema_body(self, old: dict[str, Json], new: dict[str, Json], flow: Flow, where: str) -> None:
        old_t, new_t = self._types(old), self._types(new)
        lost, gained = self._lost(old_t, new_t), self._lost(new_t, old_t)
        if lost:
            self.narrowed(flow, where, f"type no longer accepts {sorted(lost)}")
        if gained:
            self.widened(flow, where, f"type now also accepts {sorted(gained)}")

        self._enum(old, new, flow, where)
        for key in LOWER_BOUNDS:
            o, n = old.get(key), new.get(key)
            if isinstance(o, bool) or isinstance(n, bool) or o == n:
                continue
            if n is not None and (o is None or n > o):
                self.narrowed(flow, where, f"{key} raised {o} -> {n}")
            elif o is not None and (n is None or n < o):
                self.widened(flow, where, f"{key} lowered {o} -> {n}")
        for key in UPPER_BOUNDS:
            o, n = old.get(key), new.get(key)
            if isinstance(o, bool) or isinstance(n, bool) or o == n:
                continue
            if n is not None and (o is None or n < o):
                self.narrowed(flow, where, f"{key} lowered {o} -> {n}")
            elif o is not None and (n is None or n > o):
                self.widened(flow, where, f"{key} raised {o} -> {n}")
        for key in ("pattern", "format", "multipleOf", "contentMediaType", "contentEncoding"):
            o, n = old.get(key), new.get(key)
            if o == n:
                continue
            if key == "pattern" and o is None and self._pattern_replaces_enum(old, new):
                continue  # the enum's removal is reported; the pattern accepts every old value
            if n is None:
                self.widened(flow, where, f"{key} {o!r} removed")
            else:
                self.narrowed(flow, where, f"{key} {o!r} -> {n!r}")
        if not old.get("uniqueItems") and new.get("uniqueItems"):
            self.narrowed(flow, where, "uniqueItems turned on")
        elif old.get("uniqueItems") and not new.get("uniqueItems"):
            self.widened(flow, where, "uniqueItems turned off")
        old_default, new_default = old.get("default"), new.get("default")
        if ("default" in old or "default" in new) and _canon(old_default) != _canon(new_default):
            self.add(Level.MINOR, where, f"default changed {old_default!r} -> {new_default!r}")

        self._object(old, new, flow, where)
        for key in ("items", "contains", "not", "propertyNames"):
            if key in old or key in new:
                if key == "not":
                    # `not` inverts the direction: a wider `not` accepts fewer values.
                    inverted = Flow.RESPONSE if flow is Flow.REQUEST else Flow.REQUEST
                    self.schema(old.get(key), new.get(key), inverted, f"{where}/{key}")
                else:
                    self.schema(old.get(key), new.get(key), flow, f"{where}/{key}")
        self._members(old, new, flow, where)

    @staticmethod
    def _pattern_replaces_enum(old: dict[str, Json], new: dict[str, Json]) -> bool:
        """True when an enum of strings gave way to a pattern that every one of them matches."""
        values, pattern = old.get("enum"), new.get("pattern")
        if "enum" in new or not isinstance(values, list) or not isinstance(pattern, str):
            return False
        try:
            compiled = re.compile(pattern)
        except re.error:
            return False
        return all(isinstance(v, str) and compiled.search(v) for v in values)

    def _enum(self, old: dict[str, Json], new: dict[str, Json], flow: Flow, where: str) -> None:
        def values(s: dict[str, Json]) -> dict[str, Json] | None:
            if "const" in s:
                return {_canon(s["const"]): s["const"]}
            if isinstance(s.get("enum"), list):
                return {_canon(v): v for v in s["enum"]}
            return None

        o, n = values(old), values(new)
        if o is None and n is None:
            return
        if o is None:
            self.narrowed(flow, where, "values restricted to an enum")
            return
        if n is None:
            self.widened(flow, where, "enum restriction removed")
            return
        for key in o.keys() - n.keys():
            self.narrowed(flow, where, f"enum value {o[key]!r} removed")
        for key in n.keys() - o.keys():
            self.widened(flow, where, f"enum value {n[key]!r} added")

    def _object(self, old: dict[str, Json], new: dict[str, Json], flow: Flow, where: str) -> None:
        old_p, new_p = _dict(old.get("properties")), _dict(new.get("properties"))
        old_r, new_r = set(old.get("required") or []), set(new.get("required") or [])
        for name, prop in old_p.items():
            pwhere = f"{where}/properties/{name}"
            if name not in new_p:
                self.add(Level.MAJOR, pwhere, f"property removed (in a {flow.value})")
                continue
            self.schema(prop, new_p[name], flow, pwhere)
        for name in new_p.keys() - old_p.keys():
            self.add(Level.MINOR, f"{where}/properties/{name}", f"property added (in a {flow.value})")
        for name in sorted(new_r - old_r):
            level = Level.MAJOR if flow is Flow.REQUEST else Level.MINOR
            self.add(level, f"{where}/properties/{name}", f"property became required (in a {flow.value})")
        for name in sorted(old_r - new_r):
            level = Level.MAJOR if flow is Flow.RESPONSE else Level.MINOR
            self.add(level, f"{where}/properties/{name}", f"property no longer required (in a {flow.value})")

        o_ap, n_ap = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if o_ap is not False and n_ap is False:
            self.narrowed(flow, where, "additionalProperties closed")
        elif o_ap is False and n_ap is not False:
            self.widened(flow, where, "additionalProperties opened")
        elif isinstance(o_ap, dict) or isinstance(n_ap, dict):
            self.schema(
                o_ap if isinstance(o_ap, dict) else {},
                n_ap if isinstance(n_ap, dict) else {},
                flow,
                f"{where}/additionalProperties",
            )

    def _member_keys(self, members: list[Json]) -> dict[str, Json]:
        out: dict[str, Json] = {}
        counts: dict[str, int] = {}
        for member in members:
            ref = self._ref_name(member)
            if ref is not None:
                key = ref
            else:
                t = _canon(_dict(member).get("type"))
                counts[t] = counts.get(t, 0) + 1
                key = f"type {t} #{counts[t]}"
            out[key] = member
        return out

    @staticmethod
    def _is_object(schema: Json) -> bool:
        return isinstance(schema, dict) and (schema.get("type") == "object" or "properties" in schema)

    @staticmethod
    def _catch_all_pins(schema: Json) -> dict[str, Json] | None:
        """The properties a catch-all member (like GenericOutput) pins, or None when it is none.

        A catch-all accepts every JSON object except those whose optional `properties` it lists have
        another shape (GenericOutput pins `images` and `video`).
        """
        if not isinstance(schema, dict) or schema.get("type") != "object":
            return None
        constraining = set(schema) - DOC_ONLY_KEYS - {"type", "additionalProperties", "properties"}
        if constraining or schema.get("additionalProperties", True) is not True:
            return None
        return _dict(schema.get("properties"))

    def _covered_by(self, pins: dict[str, Json], member: Json) -> bool:
        """A new object member the catch-all already accepted: it pins the same properties alike."""
        if not self._is_object(member):
            return False
        props = _dict(_dict(member).get("properties"))
        return all(name in props and _canon(props[name]) == _canon(pin) for name, pin in pins.items())

    def _member_pairs(
        self, old: dict[str, Json], new: dict[str, Json], flow: Flow, where: str
    ) -> list[tuple[str, Json, Json]]:
        """(keyword, old members, new members); a switch between oneOf and anyOf keeps them paired."""
        o_one, o_any, n_one, n_any = old.get("oneOf"), old.get("anyOf"), new.get("oneOf"), new.get("anyOf")
        if o_one is not None and o_any is None and n_one is None and n_any is not None:
            # anyOf accepts every value oneOf did (and values matching several members too).
            self.widened(flow, where, "oneOf relaxed to anyOf")
            return [("anyOf", o_one, n_any)]
        if o_any is not None and o_one is None and n_any is None and n_one is not None:
            self.narrowed(flow, where, "anyOf tightened to oneOf")
            return [("oneOf", o_any, n_one)]
        return [("oneOf", o_one, n_one), ("anyOf", o_any, n_any)]

    def _members(self, old: dict[str, Json], new: dict[str, Json], flow: Flow, where: str) -> None:
        for key, o_list, n_list in self._member_pairs(old, new, flow, where):
            if o_list is None and n_list is None:
                continue
            if n_list is None:
                self.narrowed(flow, where, f"{key} replaced by a single schema")
                continue
            if o_list is None:
                self.widened(flow, where, f"schema turned into a {key}")
                continue
            o_m, n_m = self._member_keys(o_list), self._member_keys(n_list)
            for k in o_m.keys() - n_m.keys():
                self.narrowed(flow, where, f"{key} member {k} removed")
            pins = [self._catch_all_pins(self.resolve(self.old, m)) for m in o_m.values()]
            catch_alls = [p for p in pins if p is not None]
            for k in n_m.keys() - o_m.keys():
                added = self.resolve(self.new, n_m[k])
                if any(self._covered_by(p, added) for p in catch_alls):
                    # e.g. a new model's output next to GenericOutput: readers already accepted it.
                    self.add(
                        Level.MINOR, where, f"{key} member {k} added (an old member accepted any such object)"
                    )
                else:
                    self.widened(flow, where, f"{key} member {k} added")
            for k in o_m.keys() & n_m.keys():
                self.schema(o_m[k], n_m[k], flow, f"{where}/{key}[{k}]")
        o_all, n_all = old.get("allOf") or [], new.get("allOf") or []
        for i, (o, n) in enumerate(zip(o_all, n_all, strict=False)):
            self.schema(o, n, flow, f"{where}/allOf/{i}")
        if len(n_all) > len(o_all):
            self.narrowed(flow, where, "allOf member added")
        elif len(n_all) < len(o_all):
            self.widened(flow, where, "allOf member removed")


def differences(old: Json, new: Json, where: str = "#", limit: int = 10) -> list[str]:
    """JSON pointers (at most `limit`) where two documents differ."""
    out: list[str] = []

    def walk(a: Json, b: Json, at: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in [*a, *(k for k in b if k not in a)]:
                step = str(key).replace("~", "~0").replace("/", "~1")
                walk(a.get(key), b.get(key), f"{at}/{step}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{at}/{i}")
        elif _canon(a) != _canon(b):
            out.append(at)

    walk(old, new, where)
    return out


def compare(old: dict[str, Json], new: dict[str, Json]) -> list[Change]:
    """Every classified difference between two OpenAPI documents (info.version aside)."""
    changes = Comparer(old, new).compare()
    if not changes:
        changes = [
            Change(Level.PATCH, at, "documentation changed")
            for at in differences(without_version(old), without_version(new))
        ]
    return changes


def latest_snapshot(directory: Path) -> tuple[Version, Path]:
    found: list[tuple[Version, Path]] = []
    for path in directory.glob("openapi-*.y*ml"):
        m = SNAPSHOT.match(path.name)
        if m:
            found.append((parse_version(m[1]), path))
    if not found:
        raise SpecError(f"no published snapshot (openapi-<version>.yaml) in {directory}")
    return max(found)


def changelog_has(changelog: Path, version: str) -> bool:
    if not changelog.is_file():
        return False
    pattern = re.compile(rf"^##\s+\[?v?{re.escape(version)}\]?(\s|$)", re.MULTILINE)
    return bool(pattern.search(changelog.read_text(encoding="utf-8")))


def check(spec: Path, base: Path | None, published: Path, changelog: Path) -> tuple[bool, list[str]]:
    """(ok, report lines) for spec against base (default: the newest snapshot in published)."""
    lines: list[str] = []
    snap_version: Version | None = None
    if base is None:
        snap_version, base = latest_snapshot(published)
    old, new = load(base), load(spec)
    base_version = parse_version(_dict(old.get("info")).get("version"))
    if snap_version is not None and base_version != snap_version:
        raise SpecError(f"{base} says info.version {'.'.join(map(str, base_version))}, not its file name's")
    new_text = str(_dict(new.get("info")).get("version"))
    new_version = parse_version(new_text)
    base_text = ".".join(map(str, base_version))
    lines.append(f"comparing {spec} ({new_text}) with {base} ({base_text})")

    changes = compare(old, new)
    lines.extend(f"  {c}" for c in changes)
    ok = True
    if not changes:
        if new_version == base_version:
            lines.append(f"unchanged since the published {base_text}")
            if not changelog_has(changelog, new_text):
                lines.append(f"FAIL: {changelog} has no '## {new_text}' entry")
                return False, lines
            return True, lines
        lines.append("no contract change, only info.version moved")
    required = max((c.level for c in changes), default=Level.PATCH)
    actual = bump_level(base_version, new_version)
    if changes and new_version == base_version:
        ok = False
        lines.append(
            f"FAIL: {base_text} is published and frozen; set info.version to at least "
            f"{next_version(base_version, required)} ({required.name.lower()} change) "
            "and add a changelog entry"
        )
    elif actual is None:
        ok = False
        lines.append(f"FAIL: info.version {new_text} is lower than the published {base_text}")
    elif actual < required:
        ok = False
        lines.append(
            f"FAIL: a {required.name.lower()} change needs info.version >= "
            f"{next_version(base_version, required)}, not {new_text} (a {actual.name.lower()} bump)"
        )
    if not changelog_has(changelog, new_text):
        ok = False
        lines.append(f"FAIL: {changelog} has no '## {new_text}' entry")
    if ok:
        lines.append(
            f"ok: {new_text} is a valid {(actual or Level.PATCH).name.lower()} step from {base_text}"
        )
    return ok, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spec", type=Path, default=ROOT / "openapi.yaml", help="the current spec")
    parser.add_argument("--base", type=Path, help="compare with this file instead of the newest snapshot")
    parser.add_argument("--published", type=Path, default=ROOT / "spec" / "published", help="snapshot folder")
    parser.add_argument("--changelog", type=Path, default=ROOT / "spec" / "CHANGELOG.md")
    parser.add_argument("--publish", action="store_true", help="after a passing check, snapshot the spec")
    parser.add_argument("-q", "--quiet", action="store_true", help="print failures only")
    args = parser.parse_args(argv)
    try:
        ok, lines = check(args.spec, args.base, args.published, args.changelog)
    except SpecError as exc:
        print(f"spec-compat: {exc}", file=sys.stderr)
        return 2
    for line in lines:
        if not args.quiet or line.startswith("FAIL"):
            print(line)
    if not ok:
        return 1
    if args.publish:
        version = str(_dict(load(args.spec).get("info")).get("version"))
        target = args.published / f"openapi-{version}.yaml"
        if target.exists():
            print(f"{target} already exists; published versions are frozen", file=sys.stderr)
            return 1
        shutil.copyfile(args.spec, target)
        print(f"published {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
