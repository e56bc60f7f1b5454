"""Building a job's arguments from the command line, and checking them before anything is sent.

``--input file.json`` gives a base object; ``--prompt``, ``--image-url`` and ``-p key=value``
add to it (a key given twice on the command line is an error). Typed models are checked
against the spec (unknown and missing fields, types, enums, ranges); other models take any
JSON object.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import errors as E
from .._core import prepare_input
from ..urls import validate_model_id
from .errors import EXIT_USAGE, CliError
from .models import (
    CLIENT_OPTIONS,
    check_values,
    model_info,
    one_edit_from_typed,
    parse_value,
    unknown_field_problem,
)

__all__ = [
    "build_arguments",
    "image_arguments",
    "load_json_object",
    "model_typo_warning",
    "parse_params",
    "problems_of",
]


def load_json_object(path: str, what: str = "--input") -> dict[str, Any]:
    """A JSON object from a file (``-`` reads stdin)."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{what} {path}: {exc.strerror or exc}", EXIT_USAGE) from None
    except UnicodeDecodeError:
        raise CliError(f"{what} {path}: not UTF-8 text", EXIT_USAGE) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{what} {path}: invalid JSON: {exc}", EXIT_USAGE) from None
    if not isinstance(data, dict):
        raise CliError(f"{what} {path}: expected a JSON object, got {type(data).__name__}", EXIT_USAGE)
    return data


def parse_params(model_id: str, pairs: Sequence[str]) -> dict[str, Any]:
    """``-p key=value`` pairs; values are JSON when they parse (unless the spec says text)."""
    info = model_info(model_id)
    found: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CliError(f"-p {pair!r}: expected key=value, e.g. -p seed=42", EXIT_USAGE)
        if key in found:
            raise CliError(f"-p {key}=...: given twice", EXIT_USAGE)
        if key in CLIENT_OPTIONS:  # another client's option, never a model input
            known = [p.name for p in info.params] if info is not None else []
            raise CliError(f"-p {unknown_field_problem(model_id, key, known)}", EXIT_USAGE)
        # A name the contract does not know is checked with the rest (warned, or refused by --strict).
        found[key] = parse_value(raw, info.param(key) if info is not None else None)
    return found


def image_arguments(model_id: str, urls: Sequence[str]) -> dict[str, Any]:
    """``--image-url`` values as ``image_url`` or ``image_urls``, whichever the model takes."""
    if not urls:
        return {}
    info = model_info(model_id)
    if info is None:
        return {"image_url": urls[0]} if len(urls) == 1 else {"image_urls": list(urls)}
    if info.param("image_urls") is not None:
        return {"image_urls": list(urls)}
    if info.param("image_url") is not None:
        if len(urls) > 1:
            raise CliError(f"{model_id} takes one --image-url, got {len(urls)}", EXIT_USAGE)
        return {"image_url": urls[0]}
    raise CliError(f"{model_id} takes no input image (--image-url)", EXIT_USAGE)


def build_arguments(
    model_id: str,
    *,
    input_path: str | None,
    prompt: str | None,
    image_urls: Sequence[str],
    params: Sequence[str],
) -> dict[str, Any]:
    """The arguments from --input, --prompt, --image-url and -p (not yet validated)."""
    try:
        validate_model_id(model_id)
    except E.InvalidInputError as exc:
        raise CliError(exc.message, EXIT_USAGE) from None
    base = load_json_object(input_path) if input_path else {}
    flags: dict[str, Any] = {}
    if prompt is not None:
        flags["prompt"] = prompt
    for key, value in image_arguments(model_id, image_urls).items():
        flags[key] = value
    for key, value in parse_params(model_id, params).items():
        if key in flags:
            raise CliError(f"{key} given twice (-p {key}=... and its own flag)", EXIT_USAGE)
        flags[key] = value
    return {**base, **flags}


def problems_of(
    model_id: str,
    arguments: Mapping[str, Any],
    *,
    strict: bool = True,
    warn: Callable[[str], None] | None = None,
) -> list[str]:
    """Everything wrong with ``arguments`` that can be known without sending them.

    ``strict``: a field or value a typed model does not know is a problem (with the nearest known
    name). Otherwise it is sent as given, like the SDK does, and ``warn`` gets one line for it.
    """
    if not arguments:
        return ["no input: pass --prompt, -p key=value or --input FILE"]
    by_spec = check_values(model_id, arguments, unknown_names=strict)  # field, value and limit named
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", E.UnknownFieldWarning)
        try:
            prepare_input(model_id, arguments, strict=strict)
        except E.InvalidInputError as exc:
            # The checks above say the same problems more precisely (field, value, limit, nearest name).
            return by_spec or [exc.message]
    if warn is not None and not by_spec:
        for item in caught:
            if issubclass(item.category, E.UnknownFieldWarning):
                warn(f"{item.message} (sent as given; --strict refuses it)")
    return by_spec


def model_typo_warning(model_id: str) -> str | None:
    """A warning when ``model_id`` is one edit away from a typed model id (a likely typo)."""
    near = one_edit_from_typed(model_id)
    if near is None:
        return None
    return (
        f"{model_id} is not a typed model, but {near} is: did you mean {near}? "
        "(sending it as given, unchecked)"
    )
