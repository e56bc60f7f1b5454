"""Derive the OpenAPI 3.1 view of openapi.yaml for the tools that read only 3.1.

Run as `.venv/bin/python spec/views.py --output build/openapi-3.1.json` (make does, before `generate`,
`check-generated`, `ts`, `check-ts` and `lint`). Exit status 0 on success, 1 when openapi.yaml uses a
3.2 feature this view cannot express, 2 on a usage error.

Why two documents
-----------------
openapi.yaml is the published contract and is OpenAPI 3.2, because only 3.2 can describe the status
stream: `itemSchema` on `text/event-stream` gives the schema of *each event* (an object whose `data`
is `contentMediaType: application/json` with `contentSchema: RequestStatus`), which is what
schemathesis validates every streamed event against. In 3.1 a media type's `schema` describes the
whole body, which for a stream is just text.

openapi-python-client 0.29.1 refuses any document that is not 3.1 and, given a 3.1 event-object
schema instead, generates a parser that raises on every stream. openapi-typescript 7.13 reads 3.2
but ignores `itemSchema` (the stream body becomes `unknown`). Both therefore read this view: the same
document with `openapi: 3.1.0` and each `itemSchema` replaced by `schema: {type: string}` (the body
as the text it is). Nothing else differs, and the view refuses to build when openapi.yaml uses any
other 3.2-only feature, so the view never silently drops part of the contract. The linters
(openapi-spec-validator, redocly, spectral) read the published 3.2 document itself; `make lint` also
validates the view as 3.1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
VIEW_VERSION = "3.1.0"
STREAM_BODY_DESCRIPTION = (
    "The event stream as text (OpenAPI 3.1 view). The published 3.2 document describes each event "
    "with `itemSchema`: {itemSchema}"
)

# 3.2 additions with no 3.1 spelling: the view refuses them rather than drop them.
PATH_ITEM_ONLY_32 = frozenset({"query", "additionalOperations"})
MEDIA_TYPE_ONLY_32 = frozenset({"itemEncoding", "prefixEncoding"})
EXAMPLE_ONLY_32 = frozenset({"dataValue", "serializedValue"})
TAG_ONLY_32 = frozenset({"parent", "kind"})

Json = Any


class ViewError(Exception):
    """openapi.yaml uses a 3.2 feature the 3.1 view cannot express."""


def _walk_media_types(doc: dict[str, Json]) -> list[tuple[str, dict[str, Json]]]:
    """(JSON pointer, media type object) of every `content` entry in the document."""
    found: list[tuple[str, dict[str, Json]]] = []

    def walk(node: Json, at: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                step = f"{at}/{str(key).replace('~', '~0').replace('/', '~1')}"
                if key == "content" and isinstance(value, dict):
                    found.extend(
                        (f"{step}/{str(m).replace('~', '~0').replace('/', '~1')}", obj)
                        for m, obj in value.items()
                        if isinstance(obj, dict)
                    )
                walk(value, step)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{at}/{index}")

    walk(doc, "#")
    return found


def _refuse_other_32_features(doc: dict[str, Json]) -> None:
    problems: list[str] = []
    for path, item in (doc.get("paths") or {}).items():
        if isinstance(item, dict):
            problems += [f"paths/{path}: {k}" for k in sorted(PATH_ITEM_ONLY_32 & set(item))]
            for method, op in item.items():
                for param in (op.get("parameters") or []) if isinstance(op, dict) else []:
                    if isinstance(param, dict) and param.get("in") == "querystring":
                        problems.append(f"paths/{path}/{method}: a parameter in querystring")
    for name, param in ((doc.get("components") or {}).get("parameters") or {}).items():
        if isinstance(param, dict) and param.get("in") == "querystring":
            problems.append(f"components/parameters/{name}: in querystring")
    for at, media in _walk_media_types(doc):
        problems += [f"{at}: {k}" for k in sorted(MEDIA_TYPE_ONLY_32 & set(media))]
        if "itemSchema" in media and "schema" in media:
            problems.append(f"{at}: both schema and itemSchema")
    for name, example in ((doc.get("components") or {}).get("examples") or {}).items():
        if isinstance(example, dict):
            problems += [f"components/examples/{name}: {k}" for k in sorted(EXAMPLE_ONLY_32 & set(example))]
    for tag in doc.get("tags") or []:
        if isinstance(tag, dict):
            problems += [f"tags/{tag.get('name')}: {k}" for k in sorted(TAG_ONLY_32 & set(tag))]
    if "$self" in doc:
        problems.append("$self")
    if problems:
        raise ViewError("openapi.yaml uses 3.2 features the 3.1 view cannot express: " + "; ".join(problems))


def derive(doc: dict[str, Json]) -> dict[str, Json]:
    """The 3.1 view of a 3.2 document (a new object; the input is not changed)."""
    version = str(doc.get("openapi", ""))
    if not version.startswith("3.2"):
        raise ViewError(f"openapi.yaml says openapi {version!r}; the view is derived from a 3.2 document")
    view: dict[str, Json] = json.loads(json.dumps(doc))
    _refuse_other_32_features(view)
    view["openapi"] = VIEW_VERSION
    for _at, media in _walk_media_types(view):
        if "itemSchema" in media:
            item = media.pop("itemSchema")
            ref = item.get("$ref") if isinstance(item, dict) else None
            summary = (
                ref if isinstance(ref, str) else str(item.get("description", "see the published document"))
            )
            media["schema"] = {
                "type": "string",
                "description": STREAM_BODY_DESCRIPTION.format(itemSchema=summary),
            }
    return view


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spec", type=Path, default=ROOT / "openapi.yaml", help="the published 3.2 document")
    parser.add_argument("--output", type=Path, required=True, help="where to write the 3.1 view (JSON)")
    args = parser.parse_args(argv)
    try:
        doc = yaml.load(args.spec.read_text(encoding="utf-8"), Loader=LOADER)  # noqa: S506 (safe loader)
        if not isinstance(doc, dict):
            raise ViewError(f"{args.spec} is not an OpenAPI document")
        view = derive(doc)
    except (OSError, yaml.YAMLError) as exc:
        print(f"views: cannot read {args.spec}: {exc}", file=sys.stderr)
        return 2
    except ViewError as exc:
        print(f"views: {exc}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(view, indent=1, ensure_ascii=False) + "\n"
    if not args.output.is_file() or args.output.read_text(encoding="utf-8") != text:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
