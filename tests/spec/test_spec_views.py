"""spec/views.py: the 3.1 view differs from the published 3.2 document only where 3.1 cannot follow,
and refuses 3.2 features it cannot express instead of dropping them."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
STREAM = "/{owner}/{app}/requests/{request_id}/status/stream"
Doc = dict[str, Any]


@pytest.fixture(scope="module")
def views() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fal_spec_views", ROOT / "spec" / "views.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _stream_media(doc: Doc) -> Doc:
    media: Doc = doc["paths"][STREAM]["get"]["responses"]["200"]["content"]["text/event-stream"]
    return media


def test_published_document_is_32_and_describes_each_event(spec_doc: Doc) -> None:
    assert spec_doc["openapi"].startswith("3.2.")
    media = _stream_media(spec_doc)
    assert "schema" not in media
    assert media["itemSchema"] == {"$ref": "#/components/schemas/StatusEvent"}
    data = spec_doc["components"]["schemas"]["StatusEvent"]["properties"]["data"]
    assert data["contentMediaType"] == "application/json"
    assert data["contentSchema"] == {"$ref": "#/components/schemas/RequestStatus"}


def test_view_differs_only_in_version_and_stream_body(views: ModuleType, spec_doc: Doc) -> None:
    view = views.derive(spec_doc)
    assert view["openapi"] == "3.1.0"
    media = _stream_media(view)
    assert "itemSchema" not in media and media["schema"]["type"] == "string"
    assert "#/components/schemas/StatusEvent" in media["schema"]["description"]
    # Put the two differences back: the rest is the published document, unchanged.
    restored = json.loads(json.dumps(view))
    restored["openapi"] = spec_doc["openapi"]
    restored_media = _stream_media(restored)
    del restored_media["schema"]
    restored_media["itemSchema"] = _stream_media(spec_doc)["itemSchema"]
    assert restored == json.loads(json.dumps(spec_doc))
    assert spec_doc["openapi"].startswith("3.2.")  # derive() did not touch its input


@pytest.mark.parametrize(
    ("label", "breaks"),
    [
        ("query method", lambda d: d["paths"][STREAM].__setitem__("query", {"responses": {}})),
        (
            "querystring parameter",
            lambda d: d["components"]["parameters"]["Logs"].__setitem__("in", "querystring"),
        ),
        ("itemEncoding", lambda d: _stream_media(d).__setitem__("itemEncoding", {})),
        ("schema and itemSchema", lambda d: _stream_media(d).__setitem__("schema", {"type": "string"})),
        ("example dataValue", lambda d: d["components"]["examples"]["Redux"].__setitem__("dataValue", {})),
        ("tag kind", lambda d: d["tags"][0].__setitem__("kind", "nav")),
        ("$self", lambda d: d.__setitem__("$self", "https://example.com/openapi")),
    ],
)
def test_view_refuses_32_features_it_cannot_express(
    views: ModuleType, fresh_spec: Callable[[], Doc], label: str, breaks: Callable[[Doc], None]
) -> None:
    doc = fresh_spec()
    breaks(doc)
    with pytest.raises(views.ViewError, match=r"3\.2 features"):
        views.derive(doc)


def test_view_refuses_a_31_document(views: ModuleType, fresh_spec: Callable[[], Doc]) -> None:
    doc = fresh_spec()
    doc["openapi"] = "3.1.0"
    with pytest.raises(views.ViewError, match=r"3\.2 document"):
        views.derive(doc)


def test_cli_writes_a_valid_31_document(tmp_path: Path) -> None:
    out = tmp_path / "view.json"
    done = subprocess.run(
        [str(PYTHON), str(ROOT / "spec" / "views.py"), "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    from openapi_spec_validator import OpenAPIV31SpecValidator

    OpenAPIV31SpecValidator(json.loads(out.read_text(encoding="utf-8"))).validate()


def test_makefile_feeds_the_view_to_the_generator() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "generate --path $(VIEW31)" in makefile
    assert "generate: view" in makefile and "check-generated: view" in makefile
