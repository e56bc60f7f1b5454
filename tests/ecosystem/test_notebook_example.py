"""examples/notebook.py runs as a script against the mock and renders what a notebook would show."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_notebook_tour_runs_and_renders_every_result(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "notebook.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    page = (tmp_path / "notebook.html").read_text(encoding="utf-8")
    assert len(re.findall(r"<img ", page)) == 4  # two generated, one edit, the edit's file on its own
    assert page.count("seed ") == 2 and "fal-ai/flux-pro/kontext" in page
    assert "edited image: (320, 240)" in done.stdout
    assert len(list(tmp_path.glob("*.jpg"))) == 2
