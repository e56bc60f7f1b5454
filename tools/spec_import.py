"""Merge fal's per-endpoint OpenAPI document for one model into openapi.yaml (a maintainer's tool).

Run from a checkout: ``.venv/bin/python tools/spec_import.py DOCUMENT`` (``--model-id``,
``--replace``, ``--spec``), then ``make generate ts lint``.

fal publishes ``openapi: 3.0.x`` documents that already use 3.1 keywords (``examples`` arrays in
schemas); they are read as published. The contract is hand-written with YAML anchors and comments,
so the merge inserts text blocks (the submit path, its ``Queued*`` response with links, the input
schemas) instead of re-dumping the file, then bumps the minor version and adds a changelog entry.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import yaml
from fal_queue.errors import InvalidInputError
from fal_queue.urls import app_id, validate_model_id

__all__ = ["ImportRefused", "ImportResult", "import_model", "main"]

_REFUSED = ("discriminator", "not", "if", "then", "else", "patternProperties", "dependentSchemas", "xml")
_DROPPED = ("title", "x-fal-order-properties", "x-fal-metadata")
_STANDARD_ERRORS = ("400", "401", "403", "404", "422", "429", "500", "502", "503", "504")
_ERROR_REFS = {
    "400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound",
    "422": "ValidationFailed", "429": "RateLimited", "500": "ServerError", "502": "BadGateway",
    "503": "ServiceUnavailable", "504": "GatewayTimeout",
}  # fmt: skip


class ImportRefused(click.ClickException):
    """A document the importer cannot merge; nothing was written."""

    exit_code = 2


@dataclass
class ImportResult:
    model_id: str
    operation_id: str
    input_schema: str
    added_schemas: list[str] = field(default_factory=list)
    reused_schemas: list[str] = field(default_factory=list)
    version: str = ""
    replaced: bool = False


def _pascal(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def _snake(text: str) -> str:
    return "_".join(p.lower() for p in re.split(r"[^A-Za-z0-9]+", text) if p)


def _yaml_load(text: str) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ImportRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else _yaml_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ImportRefused(f"{path} is neither JSON nor YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not str(data.get("openapi", "")).startswith(("3.0", "3.1")):
        raise ImportRefused(f"{path} is not an OpenAPI 3.0/3.1 document (no 'openapi: 3.x' field)")
    return data


def _find_model(doc: Mapping[str, Any], model_id: str | None) -> tuple[str, dict[str, Any]]:
    """(model id, the POST operation that submits it)."""
    posts = {
        path.strip("/"): item["post"]
        for path, item in (doc.get("paths") or {}).items()
        if isinstance(item, dict) and isinstance(item.get("post"), dict) and "/requests/" not in path
    }
    meta = (doc.get("info") or {}).get("x-fal-metadata") or {}
    wanted = model_id or meta.get("endpointId")
    if wanted:
        if wanted not in posts:
            raise ImportRefused(f"the document has no submit path for {wanted!r}; it has {sorted(posts)}")
        return str(wanted), posts[wanted]
    if len(posts) != 1:
        raise ImportRefused(f"the document submits {sorted(posts)}: name one with --model-id")
    return next(iter(posts.items()))


def _ref_name(ref: Any, where: str) -> str:
    if not isinstance(ref, str) or not ref.startswith("#/components/schemas/"):
        raise ImportRefused(f"{where}: $ref {ref!r} is not a local component schema; cannot convert it")
    return ref.rsplit("/", 1)[1]


def _body_schema(op: Mapping[str, Any], where: str) -> str:
    try:
        schema = op["requestBody"]["content"]["application/json"]["schema"]
    except (KeyError, TypeError):
        raise ImportRefused(f"{where} has no application/json request body schema") from None
    return _ref_name(schema.get("$ref"), f"{where} requestBody")


def _convert(node: Any, where: str, rename: Mapping[str, str]) -> Any:
    """One schema, 3.0 -> 3.1, in the project's conventions (defaults stated in descriptions)."""
    if isinstance(node, list):
        return [_convert(item, f"{where}[{i}]", rename) for i, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    for keyword in _REFUSED:
        if keyword in node:
            raise ImportRefused(f"{where}: the keyword {keyword!r} is not supported by the importer")
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED:
            continue
        if key == "$ref":
            out["$ref"] = f"#/components/schemas/{rename[_ref_name(value, where)]}"
        elif key == "properties":
            out[key] = {name: _convert(sub, f"{where}.{name}", rename) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "allOf", "anyOf", "oneOf"):
            out[key] = _convert(value, f"{where}.{key}", rename)
        elif key == "example":
            out.setdefault("examples", [value])
        elif key == "examples":
            out["examples"] = value if isinstance(value, list) else [value]
        elif key in ("nullable", "default"):
            continue
        else:
            out[key] = value
    if node.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif "$ref" in out or "anyOf" in out or "allOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    if "default" in node:
        text = str(out.get("description") or node.get("title") or "").rstrip()
        stated = json.dumps(node["default"]) if not isinstance(node["default"], str) else node["default"]
        out["description"] = (text + (" " if text and text.endswith(".") else ". " if text else "")) + (
            f"Default: {stated}."
        )
    if "description" not in out and "$ref" not in out and node.get("title"):
        out["description"] = str(node["title"])
    return out


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _example(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A request example from the properties' first ``examples`` entries (required ones at least)."""
    value: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and isinstance(prop.get("examples"), list) and prop["examples"]:
            value[name] = prop["examples"][0]
    return value


def _dump(data: Mapping[str, Any], indent: int) -> str:
    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    text = yaml.dump(
        dict(data), Dumper=NoAliases, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def _same_schema(a: Any, b: Any) -> bool:
    """Equal as JSON Schema: ``additionalProperties: true`` says what its absence says."""

    def norm(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: norm(v) for k, v in node.items() if not (k == "additionalProperties" and v is True)}
        if isinstance(node, list):
            return [norm(v) for v in node]
        return node

    return bool(norm(a) == norm(b))


def _remove_block(text: str, key_line: str, indent: int) -> str:
    lines = text.splitlines(keepends=True)
    try:
        start = next(i for i, line in enumerate(lines) if line.rstrip("\n") == key_line)
    except StopIteration:
        return text
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith(" " * (indent + 1))):
        end += 1
    return "".join(lines[:start] + lines[end:])


def _insert_before_line(text: str, anchor: str, block: str) -> str:
    lines = text.splitlines(keepends=True)
    index = next((i for i, line in enumerate(lines) if line.rstrip("\n") == anchor), None)
    if index is None:
        raise ImportRefused(f"openapi.yaml has no line {anchor!r} to insert before")
    return "".join(lines[:index]) + block + "".join(lines[index:])


def _bump_minor(text: str) -> tuple[str, str]:
    match = re.search(r"^(  version: )(\d+)\.(\d+)\.(\d+)\s*$", text, flags=re.M)
    if match is None:
        raise ImportRefused("openapi.yaml has no 'info.version: X.Y.Z' line")
    version = f"{match.group(2)}.{int(match.group(3)) + 1}.0"
    return text[: match.start()] + f"{match.group(1)}{version}" + text[match.end() :], version


def _read_contract(spec_path: Path) -> str:
    try:
        return spec_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ImportRefused(f"cannot read the contract {spec_path}: {exc.strerror or exc}") from None


def _needed(source: Mapping[str, Any], root: str) -> set[str]:
    """The input schema and every schema it reaches through ``$ref``."""
    needed: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        if name not in source:
            raise ImportRefused(f"the document references schema {name!r} but does not define it")
        needed.add(name)
        todo.extend(_refs(source[name]))
    return needed


def _drop_replaced(spec_text: str, existing: dict[str, Any], base: str, input_name: str) -> str:
    """Remove the schemas an earlier import of the model added (its input and its prefixed ones)."""
    for name in [n for n in existing if n == input_name or n.startswith(base)]:
        existing.pop(name)
        spec_text = _remove_block(spec_text, f"    {name}:", 4)
    return spec_text


def _convert_all(
    source: Mapping[str, Any], needed: set[str], root: str, rename: Mapping[str, str], model: str
) -> dict[str, Any]:
    converted = {n: _convert(source[n], f"components.schemas.{n}", rename) for n in sorted(needed)}
    converted[root].setdefault("type", "object")
    converted[root]["additionalProperties"] = True  # open, like fal's (and the contract's) inputs
    converted[root].setdefault("description", f"Input of {model}.")
    return converted


def _new_schemas(
    source: Mapping[str, Any], root: str, existing: Mapping[str, Any], base: str, result: ImportResult
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the converted input schema, the schemas to add under their contract names).

    A schema identical to an existing component is reused; a different one of the same name gets
    the model's prefix."""
    needed = _needed(source, root)
    rename = {root: result.input_schema}
    rename.update({n: f"{base}{n}" if n in existing else n for n in needed - {root}})
    converted = _convert_all(source, needed, root, rename, result.model_id)
    result.reused_schemas = sorted(
        n for n in needed - {root} if n in existing and _same_schema(existing[n], converted[n])
    )
    if result.reused_schemas:
        rename.update({n: n for n in result.reused_schemas})
        converted = _convert_all(source, needed, root, rename, result.model_id)
    added = {rename[n]: converted[n] for n in sorted(needed) if n not in result.reused_schemas}
    for name in added:
        if name in existing:
            raise ImportRefused(f"schema {name} already exists in the contract and differs; pass --replace")
    result.added_schemas = sorted(added)
    return converted[root], added


def _response_name(spec: Mapping[str, Any], model: str, base: str) -> tuple[str, bool]:
    """(the ``Queued*`` response of the model's app, whether it must be added)."""
    app_name = app_id(model).split("/", 1)[1]
    responses = spec.get("components", {}).get("responses", {})
    name = f"Queued{_pascal(app_name.replace('/', '-'))}"
    if name not in responses:
        return name, True
    links = responses[name].get("links", {})
    if all(link.get("parameters", {}).get("app") == app_name.split("/")[-1] for link in links.values()):
        return name, False
    name = f"Queued{base}"
    return name, name not in responses


def _operation_text(
    doc: Mapping[str, Any], op: Mapping[str, Any], result: ImportResult, example: Any, response: str
) -> str:
    """The submit path's YAML, with the contract's shared parameters (an anchor) and error responses."""
    model = result.model_id
    summary = str(op.get("summary") or doc.get("info", {}).get("title") or model)
    description = " ".join(
        str(op.get("description") or doc.get("info", {}).get("description") or summary).split()
    )
    operation = {
        "operationId": result.operation_id,
        "summary": f"Queue a {summary} job" if not summary.lower().startswith("queue") else summary,
        "description": f"{description} Results live under `{app_id(model)}/requests/...`.",
        "tags": ["submit"],
    }
    body = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{result.input_schema}"},
                "examples": {"default": {"summary": f"A {model} request", "value": example}},
            }
        },
    }
    responses = {"200": {"$ref": f"#/components/responses/{response}"}}
    responses.update({s: {"$ref": f"#/components/responses/{_ERROR_REFS[s]}"} for s in _STANDARD_ERRORS})
    return (
        _dump({f"/{model}": {"post": operation}}, 2)
        + "      parameters: *submitParameters\n"
        + _dump({"requestBody": body}, 6)
        + _dump({"responses": responses}, 6)
        + "\n"
    )


def _queued_response(model: str) -> dict[str, Any]:
    """A ``Queued*`` response whose links lead to the job's status, stream, result and cancel."""
    owner, app_name = app_id(model).split("/", 1)
    params = {"owner": owner, "app": app_name.split("/")[-1], "request_id": "$response.body#/request_id"}
    links = {
        name: {"operationId": target, "description": text, "parameters": params}
        for name, target, text in (
            ("status", "get_status", "Poll the job's status."),
            ("stream", "stream_status", "Follow the job's status as Server-Sent Events."),
            ("result", "get_result", "Fetch the job's result once it has completed."),
            ("cancel", "cancel_request", "Cancel the job."),
        )
    }
    return {
        "description": (
            "The job is queued. Its URLs point at `https://queue.fal.run`; rewrite them to the gateway."
        ),
        "headers": {"X-Fal-Request-Id": {"$ref": "#/components/headers/FalRequestId"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QueueSubmitResponse"}}},
        "links": links,
    }


def _changelog_text(changelog: Path | None, result: ImportResult, today: dt.date | None) -> str | None:
    """The changelog with the import's entry above the newest one (None: no changelog to update)."""
    if changelog is None or not changelog.exists():
        return None
    day = (today or dt.datetime.now(dt.UTC).date()).isoformat()
    verb = "Replaced" if result.replaced else "Added"
    entry = (
        f"## {result.version} — {day}\n\n* {verb} `{result.model_id}` (`{result.operation_id}`, input "
        f"`{result.input_schema}`), imported from fal's endpoint document by `tools/spec_import.py`.\n\n"
    )
    current = changelog.read_text(encoding="utf-8")
    index = current.find("\n## ")
    return current + "\n" + entry if index < 0 else current[: index + 1] + entry + current[index + 1 :]


def import_model(
    document: Path,
    spec_path: Path,
    *,
    model_id: str | None = None,
    replace: bool = False,
    changelog: Path | None = None,
    today: dt.date | None = None,
) -> ImportResult:
    """Merge one fal endpoint document into ``spec_path`` (and its changelog); refusals write nothing."""
    doc = _load(document)
    model, op = _find_model(doc, model_id)
    try:
        validate_model_id(model)
    except InvalidInputError as exc:
        raise ImportRefused(exc.message) from None
    spec_text = _read_contract(spec_path)
    spec = _yaml_load(spec_text)
    path_key = f"/{model}"
    replaced = path_key in spec.get("paths", {})
    if replaced and not replace:
        raise ImportRefused(f"{model} is already in {spec_path}; pass --replace to overwrite it")
    base = _pascal(model.split("/", 1)[1])
    result = ImportResult(
        model, f"submit_{_snake(model.split('/', 1)[1])}", f"{base}Input", replaced=replaced
    )
    existing: dict[str, Any] = dict(spec.get("components", {}).get("schemas", {}))
    if replaced:
        spec_text = _remove_block(
            _drop_replaced(spec_text, existing, base, result.input_schema), f"  {path_key}:", 2
        )
    source = (doc.get("components") or {}).get("schemas") or {}
    root = _body_schema(op, f"POST {path_key}")
    input_schema, added = _new_schemas(source, root, existing, base, result)
    response, new_response = _response_name(spec, model, base)
    operation = _operation_text(doc, op, result, _example(input_schema), response)
    spec_text = _insert_before_line(spec_text, "  /{owner}/{app}/requests/{request_id}/status:", operation)
    if new_response:
        spec_text = _insert_before_line(
            spec_text, "  schemas:", _dump({response: _queued_response(model)}, 4)
        )
    if added:
        spec_text = _insert_before_line(spec_text, "  examples:", _dump(added, 4))
    spec_text, result.version = _bump_minor(spec_text)
    _yaml_load(spec_text)  # the result must still parse (anchors included)
    changelog_text = _changelog_text(changelog, result, today)
    spec_path.write_text(spec_text, encoding="utf-8")
    if changelog is not None and changelog_text is not None:
        changelog.write_text(changelog_text, encoding="utf-8")
    return result


@click.command()
@click.argument("document", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--model-id", metavar="ID", help="The model to import when the document has several.")
@click.option("--replace", is_flag=True, help="Overwrite a model that is already in the contract.")
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("openapi.yaml"),
    show_default=True,
    help="The contract to merge into; spec/CHANGELOG.md beside it gets the entry.",
)
def main(document: Path, model_id: str | None, replace: bool, spec_path: Path) -> None:
    """Merge fal's OpenAPI document for one model (DOCUMENT, JSON or YAML) into the contract."""
    changelog = spec_path.parent / "spec" / "CHANGELOG.md"
    result = import_model(document, spec_path, model_id=model_id, replace=replace, changelog=changelog)
    click.echo(
        f"{'replaced' if result.replaced else 'added'} {result.model_id} as {result.operation_id} "
        f"(input {result.input_schema}); new schemas: {', '.join(result.added_schemas) or 'none'}; "
        f"reused: {', '.join(result.reused_schemas) or 'none'}; contract version {result.version}"
    )
    click.echo("next: make generate ts   (then make lint)")


if __name__ == "__main__":
    main()
