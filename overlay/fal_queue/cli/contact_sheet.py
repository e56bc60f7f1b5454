"""``index.html``: a contact sheet of a batch (or of one job's images) in its output folder.

People who generate a batch of images would rather look than read. The sheet is one static HTML
file with relative links only (it works offline and when the folder is moved), a thumbnail per
saved image, and per job its prompt, model, seed, size, request id and timings; lines that did
not finish show their status and error. Every value is escaped: a prompt holding ``<script>``
stays text. The file is written atomically (``saving.write_atomic``), so a reader never sees half of it.
"""

from __future__ import annotations

import collections
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

SHEET_NAME = "index.html"
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif", ".bmp"}
_VIDEO_SUFFIXES = {".mp4", ".webm", ".mov"}

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;background:#fafafa;color:#222}
h1{font-size:1.3rem;margin:0 0 .3rem}
.counts{margin:0 0 1rem;color:#555}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:1rem}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5rem}
figure.failed,figure.uncertain{border-color:#c62828;background:#fff5f5}
figure.pending,figure.unfinished,figure.refused{border-style:dashed;color:#666}
.thumbs{display:flex;flex-wrap:wrap;gap:4px}
.thumbs img,.thumbs video{width:100%;height:auto;border-radius:4px;background:#eee}
.thumbs.many img{width:calc(50% - 2px)}
figcaption{margin-top:.4rem;word-wrap:break-word}
.prompt{font-weight:600}
dl{display:grid;grid-template-columns:auto 1fr;gap:0 .5rem;margin:.3rem 0 0;font-size:12px;color:#555}
dt{font-weight:600}dd{margin:0;word-break:break-all}
.error{color:#c62828;font-size:12px;margin-top:.3rem}
"""


@dataclass
class SheetEntry:
    """One tile: a job (or a line that has none yet) and the files it saved."""

    label: str
    status: str  # done | failed | uncertain | unfinished | refused | pending
    prompt: str | None = None
    model: str | None = None
    seed: object = None
    size: str | None = None
    request_id: str | None = None
    timings: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # relative to the sheet's folder
    error: str | None = None


def _size_of(result: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    images = result.get("images")
    if isinstance(images, list):
        sizes = {
            f"{i.get('width')}x{i.get('height')}"
            for i in images
            if isinstance(i, Mapping) and isinstance(i.get("width"), int) and isinstance(i.get("height"), int)
        }
        if sizes:
            return ", ".join(sorted(sizes))
    asked = arguments.get("image_size")
    if isinstance(asked, Mapping):
        return f"{asked.get('width')}x{asked.get('height')}"
    return str(asked) if isinstance(asked, str) else None


def entry_from_result(
    label: str,
    model: str,
    arguments: Mapping[str, Any],
    result: Mapping[str, Any],
    request_id: str | None,
    files: Sequence[str],
    elapsed: float | None = None,
) -> SheetEntry:
    """A done job's tile from its arguments and its result JSON."""
    timings: dict[str, Any] = {}
    raw_timings = result.get("timings")
    if isinstance(raw_timings, Mapping):
        timings.update({str(k): v for k, v in raw_timings.items() if isinstance(v, int | float)})
    if elapsed is not None:
        timings["wall"] = round(elapsed, 2)
    prompt = arguments.get("prompt", result.get("prompt"))
    return SheetEntry(
        label=label,
        status="done",
        prompt=prompt if isinstance(prompt, str) else None,
        model=model,
        seed=result.get("seed", arguments.get("seed")),
        size=_size_of(result, arguments),
        request_id=request_id,
        timings=timings,
        files=[f for f in files if not f.endswith(".json")],
    )


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _href(path: str) -> str:
    return quote(PurePosixPath(path).as_posix(), safe="/")


def _thumbs(files: Sequence[str]) -> str:
    tags = []
    for path in files:
        suffix = PurePosixPath(path).suffix.lower()
        link = _href(path)
        if suffix in _IMAGE_SUFFIXES:
            tags.append(f'<a href="{link}"><img src="{link}" alt="{_e(path)}" loading="lazy"></a>')
        elif suffix in _VIDEO_SUFFIXES:
            tags.append(f'<video src="{link}" controls preload="metadata"></video>')
        else:
            tags.append(f'<a href="{link}">{_e(path)}</a>')
    if not tags:
        return ""
    many = " many" if len(tags) > 1 else ""
    return f'<div class="thumbs{many}">' + "".join(tags) + "</div>"


def _tile(entry: SheetEntry) -> str:
    facts: list[tuple[str, object]] = [("status", entry.status)]
    for name, value in (
        ("model", entry.model),
        ("seed", entry.seed),
        ("size", entry.size),
        ("request id", entry.request_id),
    ):
        if value is not None and value != "":
            facts.append((name, value))
    if entry.timings:
        facts.append(("timings", ", ".join(f"{k} {v:g}s" for k, v in entry.timings.items())))
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    prompt = f'<div class="prompt">{_e(entry.prompt)}</div>' if entry.prompt is not None else ""
    error = f'<div class="error">{_e(entry.error)}</div>' if entry.error else ""
    return (
        f'<figure class="{_e(entry.status)}" id="{_e(entry.label)}">{_thumbs(entry.files)}'
        f"<figcaption><div>{_e(entry.label)}</div>{prompt}<dl>{rows}</dl>{error}</figcaption></figure>"
    )


def render_sheet(title: str, entries: Sequence[SheetEntry], note: str = "") -> str:
    """The whole page; every value escaped, every link relative."""
    counts = collections.Counter(entry.status for entry in entries)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    tiles = "\n".join(_tile(e) for e in entries)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body><h1>{_e(title)}</h1>"
        f'<p class="counts">{_e(summary)}{(" · " + _e(note)) if note else ""}</p>\n'
        f'<main class="grid">\n{tiles}\n</main></body></html>\n'
    )
