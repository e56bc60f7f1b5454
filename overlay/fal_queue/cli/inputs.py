"""Building a job's arguments from the command line (or a batch file's lines), and checking them
before anything is sent: typed models by the SDK's own validator (``fal_queue._schema``), so the CLI
refuses exactly what the SDK would, plus hints that are no schema rule (other clients' options, half an
``image_size``). A local image stays a ``Path``: the SDK reads and encodes it when it submits.
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import _constants as C
from .. import errors as E
from .._inputs import prepare_input
from .._schema import InputSchema, closest, input_schema, unknown_value_message
from ..images import encode_image, is_image_field, is_local_file
from ..urls import validate_model_id
from .errors import CliError
from .models import one_edit_from_typed

#: Options of other clients that people pass as inputs; what to use here instead.
CLIENT_OPTIONS = {
    "with_logs": "with_logs is fal-client's option, not a model input: pass --logs",
    "logs": "logs is an option, not a model input: pass --logs",
}


def parse_value(raw: str, schema: InputSchema | None, name: str) -> Any:
    """The value of ``-p name=raw``: JSON when it parses, else the text itself.

    A field the contract types as text (``prompt``, ``safety_tolerance``) always keeps the raw
    text, so ``-p prompt=42`` sends ``"42"`` and ``-p safety_tolerance=2`` sends ``"2"``.
    """
    if schema is not None and schema.wants_text(name):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def read_text(path: str, what: str) -> str:
    """A user's UTF-8 file (``-`` reads stdin), or a usage error naming it (nothing was sent)."""
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        return raw.decode("utf-8-sig")
    except OSError as exc:
        raise CliError(f"{what}{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{what}{path}: not UTF-8 text (byte {exc.start})") from None


def load_json_object(path: str, what: str = "--input") -> dict[str, Any]:
    """A JSON object from a file (``-`` reads stdin)."""
    text = read_text(path, f"{what} ")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{what} {path}: invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CliError(f"{what} {path}: expected a JSON object, got {type(data).__name__}")
    return data


def parse_params(model_id: str, pairs: Sequence[str]) -> dict[str, Any]:
    """``-p key=value`` pairs; values are JSON when they parse (unless the spec says text)."""
    schema = input_schema(model_id)
    found: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CliError(f"-p {pair!r}: expected key=value, e.g. -p seed=42")
        if key in found:
            raise CliError(f"-p {key}=...: given twice")
        if key in CLIENT_OPTIONS:  # another client's option, never a model input
            raise CliError(f"-p {key}: {CLIENT_OPTIONS[key]}")
        # A name the contract does not know is checked with the rest (warned, or refused by --strict).
        found[key] = parse_value(raw, schema, key)
    return found


#: A local image above this many bytes gets an "encoding <file>" progress step before its submit.
LARGE_IMAGE_BYTES = 1_000_000
#: What a job sends instead of a local image while its other fields are checked.
_STAND_IN = "data:,"


def _stand_in(value: Any) -> Any:
    if isinstance(value, list):
        return [_stand_in(item) for item in value]
    return _STAND_IN if isinstance(value, Path) else value


def image_value(text: str, base: Path | None = None) -> str | Path:
    """A URL or data URI as given; anything else names a local file (relative to ``base``)."""
    if text.startswith(("http://", "https://", "data:")):
        return text
    path = Path(text).expanduser()
    return path if base is None else base / path


def image_arguments(model_id: str, values: Sequence[str | Path], flag: str = "--image-url") -> dict[str, Any]:
    """``--image``/``--image-url`` values as ``image_url`` or ``image_urls``, whichever the model takes."""
    if not values:
        return {}
    schema = input_schema(model_id)
    if schema is None:
        return {"image_url": values[0]} if len(values) == 1 else {"image_urls": list(values)}
    if "image_urls" in schema.fields:
        return {"image_urls": list(values)}
    if "image_url" in schema.fields:
        if len(values) > 1:
            raise CliError(f"{model_id} takes one {flag}, got {len(values)}")
        return {"image_url": values[0]}
    raise CliError(f"{model_id} takes no input image ({flag})")


def local_images(arguments: Mapping[str, Any]) -> list[tuple[str, Path]]:
    """(field, path) of every local file in the image fields of ``arguments``."""
    found = []
    for name, value in arguments.items():
        if is_image_field(name):
            items = value if isinstance(value, list) else [value]
            found += [(name, item) for item in items if isinstance(item, Path)]
    return found


def show_encoding(path: Path, show: Callable[[str], None]) -> None:
    """``encoding photo.jpg (12.3 MB)`` for a local image big enough that encoding it takes a moment."""
    try:
        size = path.stat().st_size
    except OSError:
        return  # the encoder says why it cannot read it
    if size > LARGE_IMAGE_BYTES:
        show(f"encoding {path} ({size / 1e6:.1f} MB)")


def check_images(
    arguments: Mapping[str, Any],
    max_bytes: int,
    verdicts: dict[Path, str | None],
    notice: Callable[[str], None],
) -> list[str]:
    """What the SDK's encoder refuses among the local images (not an image, unreadable, too big).

    Each file is encoded once (``verdicts`` remembers it by absolute path) and the data thrown away:
    the submit encodes it again, so a batch never holds its images in memory.
    """
    problems = []
    for name, path in local_images(arguments):
        key = path.absolute()
        if key not in verdicts:
            show_encoding(path, notice)
            try:
                encode_image(path, max_bytes=max_bytes)
                verdicts[key] = None
            except E.InvalidInputError as exc:
                verdicts[key] = exc.message
        if verdicts[key] is not None:
            problems.append(f"{name}: {verdicts[key]}")
    return problems


def build_arguments(
    model_id: str,
    *,
    input_path: str | None,
    prompt: str | None,
    image_urls: Sequence[str],
    images: Sequence[str],
    params: Sequence[str],
) -> dict[str, Any]:
    """The arguments from --input, --prompt, --image-url, --image and -p (not yet validated)."""
    try:
        validate_model_id(model_id)
    except E.InvalidInputError as exc:
        raise CliError(exc.message) from None
    base = load_json_object(input_path) if input_path else {}
    flags: dict[str, Any] = {}
    if prompt is not None:
        flags["prompt"] = prompt
    given = [*image_urls, *(image_value(text) for text in images)]
    flags.update(image_arguments(model_id, given, "--image" if images else "--image-url"))
    for key, value in parse_params(model_id, params).items():
        if key in flags:
            raise CliError(f"{key} given twice (-p {key}=... and its own flag)")
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
    # Local images are checked by their encoder (``check_images``, or the submit itself).
    arguments = {name: _stand_in(value) for name, value in arguments.items()}
    problems = [f"{name}: {CLIENT_OPTIONS[name]}" for name in arguments if name in CLIENT_OPTIONS]
    schema = input_schema(model_id)
    if schema is not None:
        problems += schema.problems(arguments)  # field (with its path), value and limit named
        problems += _half_size(schema, arguments)
        if strict:
            for name in [n for n in schema.unknown_fields(arguments) if n not in CLIENT_OPTIONS]:
                close = closest(name, schema.names)
                hint = f"; did you mean {close}?" if close else f"; known: {', '.join(schema.names)}"
                problems.append(f"{name}: unknown parameter for {model_id}{hint}")
            for name in sorted(set(arguments) & schema.fields):
                known = schema.unknown_value(name, arguments[name])
                if known is not None:
                    problems.append(unknown_value_message(model_id, name, arguments[name], known))
    if problems:
        return problems
    # The SDK's own gate, which runs the same validator (and what only it checks, such as JSON
    # that cannot be sent); its warnings about unknown names and values are shown once each.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", E.UnknownFieldWarning)
        try:
            prepare_input(model_id, arguments, strict=strict)
        except E.InvalidInputError as exc:
            return [exc.message]
    if warn is not None:
        for item in caught:
            if issubclass(item.category, E.UnknownFieldWarning):
                warn(f"{item.message} (sent as given; --strict refuses it)")
    return []


def _half_size(schema: InputSchema, arguments: Mapping[str, Any]) -> list[str]:
    """Half an explicit size is refused (no schema rule): which default a gateway fills in is a guess."""
    size = arguments.get("image_size")
    if (
        "image_size" not in schema.fields
        or not isinstance(size, Mapping)
        or not {"width", "height"} & set(size)
    ):
        return []
    return [
        f"image_size: missing {k!r} (give both width and height)"
        for k in ("width", "height")
        if k not in size
    ]


def warn_model_typo(model_id: str, warn: Callable[[str], None]) -> None:
    """Warn when ``model_id`` is one edit away from a typed model id (a likely typo)."""
    near = one_edit_from_typed(model_id)
    if near is not None:
        warn(
            f"{model_id} is not a typed model, but {near} is: did you mean {near}? "
            "(sending it as given, unchecked)"
        )


# ---- batch files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchLine:
    no: int  # 1-based physical line number in the input file
    arguments: dict[str, Any]
    digest: str


def line_digest(model_id: str, arguments: Mapping[str, Any]) -> str:
    """The line as written (a local image by its name), to tell a resumed batch's lines apart."""
    blob = json.dumps(
        {"model": model_id, "arguments": arguments}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _local_file(value: Any, base: Path) -> Any:
    """A string naming an existing file relative to ``base`` as that ``Path``; other values as given."""
    if isinstance(value, list):
        return [_local_file(item, base) for item in value]
    if not isinstance(value, str) or not value:
        return value
    found = image_value(value, base)
    return found if isinstance(found, Path) and is_local_file(found) else value


def read_batch_file(
    path: str,
    model_id: str,
    common: Mapping[str, Any],
    *,
    strict: bool = True,
    warn: Callable[[str], None] | None = None,
    max_image_bytes: int = C.DEFAULT_MAX_IMAGE_BYTES,
    notice: Callable[[str], None] = lambda text: None,
) -> list[BatchLine]:
    """Parse and check every line; raise one usage error listing every bad line (line numbers).

    A line is a JSON object of arguments, or a JSON string (the prompt). Blank lines and lines
    starting with ``#`` are skipped. ``common`` (from -p/--image/--input) is under each line.
    """
    text = read_text(path, "")
    base = Path(path).parent
    verdicts: dict[Path, str | None] = {}  # each local image is checked once
    problems: list[str] = []
    lines: list[BatchLine] = []
    for no, row in enumerate(text.split("\n"), start=1):
        stripped = row.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            value = json.loads(stripped)
        except ValueError as exc:
            msg = getattr(exc, "msg", str(exc))
            problems.append(f"{path}:{no}: invalid JSON: {msg} (column {getattr(exc, 'colno', '?')})")
            continue
        if isinstance(value, str):
            value = {"prompt": value}
        if not isinstance(value, dict):
            problems.append(
                f"{path}:{no}: expected a JSON object or a JSON string, got {type(value).__name__}"
            )
            continue
        digest = line_digest(model_id, {**common, **value})
        value = {k: _local_file(v, base) if is_image_field(k) else v for k, v in value.items()}
        arguments = {**common, **value}
        found = problems_of(model_id, arguments, strict=strict, warn=warn)
        found = found or check_images(arguments, max_image_bytes, verdicts, notice)
        if found:
            problems.append(f"{path}:{no}: " + "; ".join(found))
            continue
        lines.append(BatchLine(no, arguments, digest))
    if problems:
        raise BatchInputError(path, problems)
    if not lines:
        raise CliError(f"{path}: no lines to run (blank lines and # comments are skipped)")
    return lines


class BatchInputError(CliError):
    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} invalid line(s) in {path}; nothing was sent")
        self.problems = problems
