"""`make docs`: the HTML reference works offline and carries the whole spec; the bundle is one file."""

from __future__ import annotations

import html
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi.yaml"
DOCS_OPTIONS = "--openapi.schemaDefinitionsTagName=Schemas"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
Runner = Callable[[list[str]], subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, node_bin: Callable[[str], str], run: Runner
) -> tuple[str, Path]:
    """Build the page and the bundle the way `make docs` does, into a temporary folder."""
    out = tmp_path_factory.mktemp("docs")
    page, bundle = out / "index.html", out / "openapi.bundled.yaml"
    redocly = node_bin("redocly")
    for cmd in (
        [redocly, "build-docs", str(SPEC), "--inlineBundle", "--output", str(page), DOCS_OPTIONS],
        [redocly, "bundle", str(SPEC), "--output", str(bundle)],
    ):
        proc = run(cmd)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return page.read_text(encoding="utf-8"), bundle


def _operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    ops = []
    for section in ("paths", "webhooks"):
        for item in (doc.get(section) or {}).values():
            ops.extend(item[m] for m in METHODS if m in item)
    return ops


def test_makefile_builds_what_this_test_builds() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert (
        "redocly build-docs openapi.yaml --inlineBundle --output build/docs/index.html $(DOCS_OPTIONS)"
        in makefile
    )
    assert f"DOCS_OPTIONS := {DOCS_OPTIONS}" in makefile
    assert "redocly bundle openapi.yaml --output build/openapi.bundled.yaml" in makefile


def test_page_loads_nothing_from_the_network(built: tuple[str, Path]) -> None:
    page, _ = built
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", page, re.IGNORECASE)
    assert not re.search(r"@import\s+url\([\"']?(https?:)?//", page, re.IGNORECASE)
    assert "fonts.googleapis" not in page
    assert '"disableTelemetry":true' in page  # REDOCLY_TELEMETRY=off reaches the page


def test_page_names_every_operation(built: tuple[str, Path], spec_doc: dict[str, Any]) -> None:
    page, _ = built
    for op in _operations(spec_doc):
        assert op["operationId"] in page
        assert json.dumps(op["summary"])[1:-1] in page, op["summary"]


def test_page_embeds_the_whole_spec(built: tuple[str, Path], spec_doc: dict[str, Any]) -> None:
    """Every model, parameter and example reaches the page: it renders from this embedded copy."""
    page, _ = built
    m = re.search(r"const __redoc_definition = (\{.*?\});\s*const __redoc_options", page, re.DOTALL)
    assert m, "the page no longer embeds the definition where this test expects it"
    embedded = json.loads(m.group(1))
    assert embedded == json.loads(json.dumps(spec_doc))


def test_prerendered_intro_shows_the_gateway_rules(built: tuple[str, Path]) -> None:
    page, _ = built
    body = page[page.index("<body") : page.index('<script type="module">')]
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    for needle in (
        "URL rewriting",
        "Result expiry",
        "Authorization: Bearer",
        "https://queue.fal.run",
        "expire",
    ):
        assert needle in text, needle
    menu = text[: text.index("API docs by")]
    for section in ("submit", "queue", "Schemas"):  # sidebar: the two tags and every component schema
        assert section in menu, section


def test_bundle_is_one_self_contained_file(built: tuple[str, Path], spec_doc: dict[str, Any]) -> None:
    _, bundle = built
    text = bundle.read_text(encoding="utf-8")
    refs = re.findall(r"\$ref:\s*['\"]?([^'\"\s]+)", text)
    assert refs and all(ref.startswith("#/") for ref in refs)
    assert "&" not in "".join(re.findall(r"^\s*[\w-]+:\s*&\w+", text, re.MULTILINE))  # no YAML anchors left
    doc = yaml.safe_load(text)
    assert doc["info"]["version"] == spec_doc["info"]["version"]
    assert [op["operationId"] for op in _operations(doc)] == [
        op["operationId"] for op in _operations(spec_doc)
    ]
