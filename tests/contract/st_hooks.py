"""Schemathesis hooks for the contract run (loaded through ``hooks`` in schemathesis.toml).

Two narrow workarounds, both printed to stderr when they apply:

1. openapi.yaml describes ``text/event-stream`` of ``stream_status`` as ``type: string``: in OpenAPI
   3.1 a media type's schema describes the whole body, and an event-object schema there makes
   openapi-python-client generate a parser that crashes (``from_dict(response.text)``), so the spec
   keeps the string on purpose. schemathesis, however, reads that schema as the schema of *each
   event*, an object ``{"data": ..., "event": ...}``, so every correct event would "violate" it. The
   run therefore validates events, in memory only, against the event object below: ``data`` is
   JSON holding a ``RequestStatus`` (stricter than the spec's string).
2. schemathesis 4.32.5 re-validates header values as the wire spells them (strings) when it judges
   whether an added undeclared header was the only negation; a number header such as
   ``X-Fal-Request-Timeout: 30`` then looks invalid and a correct 200 is reported as ST201. It already
   reads booleans back from their wire spelling; numbers get the same treatment here.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import schemathesis
import schemathesis.specs.openapi.checks as st_checks

EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "event": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"$ref": "#/components/schemas/RequestStatus"},
        },
    },
}


@schemathesis.hook
def before_load_schema(context: Any, raw_schema: dict[str, Any]) -> None:
    for item in raw_schema.get("paths", {}).values():
        operation = item.get("get") if isinstance(item, dict) else None
        if not isinstance(operation, dict) or operation.get("operationId") != "stream_status":
            continue
        media = operation.get("responses", {}).get("200", {}).get("content", {}).get("text/event-stream", {})
        schema = media.get("schema")
        if isinstance(schema, dict) and schema.get("type") == "string" and "itemSchema" not in media:
            media["schema"] = EVENT_SCHEMA
            print(
                "st_hooks: openapi.yaml declares stream_status events as `type: string`; "
                "validating each event against the event object schema instead (see st_hooks.py)",
                file=sys.stderr,
            )


_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_original_wire_spelling = st_checks._boolean_from_wire_spelling


def _wire_spelling(value: object, schema: Any, validator_cls: Any) -> object:
    value = _original_wire_spelling(value, schema, validator_cls)
    if isinstance(value, str) and isinstance(schema, dict) and schema.get("type") in ("number", "integer"):
        text = value.strip()
        if _NUMBER.fullmatch(text):
            number = float(text)
            return int(number) if schema["type"] == "integer" and number.is_integer() else number
    return value


st_checks._boolean_from_wire_spelling = _wire_spelling
