"""A result's notebook HTML, rendered by a real headless Chromium: the images load at their size.

``make test`` installs Debian's chromium where it can (``make browser``); elsewhere this is skipped
with the reason.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fal_queue import Client, File

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (make browser installs it as root)"
)

_PROBE = """<script>
window.addEventListener("load", () => {
  document.title = JSON.stringify([...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight]));
});
</script>"""


def _rendered_images(page: str, tmp_path: Path) -> list[list[Any]]:
    html_file = tmp_path / "result.html"
    html_file.write_text(
        f"<!doctype html><html><head><title>pending</title></head><body>{page}{_PROBE}</body></html>"
    )
    done = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            html_file.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    found = re.search(r"<title>(.*?)</title>", done.stdout, re.S)
    assert found, f"chromium printed no DOM: {done.stderr[-2000:]}"
    images: list[list[Any]] = json.loads(found.group(1).replace("&quot;", '"'))
    return images


def test_a_results_html_shows_its_images_at_their_size(gateway: Any, tmp_path: Path) -> None:
    with Client(gateway.base_url, gateway.key) as client:
        result = client.subscribe(
            "fal-ai/flux-1/schnell",
            {"prompt": "a cat", "num_images": 2, "image_size": {"width": 96, "height": 64}},
            timeout=30,
        )
    inline = File(url=_png_uri(), width=7, height=5)
    page = result._repr_html_() + inline._repr_html_()
    assert _rendered_images(page, tmp_path) == [[True, 96, 64], [True, 96, 64], [True, 7, 5]]


def _png_uri() -> str:
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (7, 5), "green").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
