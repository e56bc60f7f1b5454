"""Schemathesis hooks for the contract run (loaded through ``hooks`` in schemathesis.toml).

One narrow workaround, printed to stderr when it applies (the status stream needs none since
openapi.yaml 2.1.0 describes each event with OpenAPI 3.2's ``itemSchema``):

schemathesis 4.32.5 re-validates header values as the wire spells them (strings) when it judges
whether an added undeclared header was the only negation; a number header such as
``X-Fal-Request-Timeout: 30`` then looks invalid and a correct 200 is reported as ST201. It already
reads booleans back from their wire spelling; numbers get the same treatment here.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis.specs.openapi.checks as st_checks

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
