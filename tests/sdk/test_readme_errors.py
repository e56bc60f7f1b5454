"""The README's errors table lists every error type a caller can see (issue 10's done-when)."""

from __future__ import annotations

import re
from pathlib import Path

import fal_queue
from fal_queue import errors as E

README = Path(__file__).resolve().parents[2] / "README.md"
#: Bases that the prose above the table names; nothing raises them directly.
BASES = {"FalQueueError", "APIError"}


def _table_names() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`(\w+)`", row.split("|")[1])}


def test_every_exported_error_type_is_in_the_table() -> None:
    raised = {
        name
        for name in E.__all__
        if isinstance(getattr(E, name), type)
        and issubclass(getattr(E, name), Exception)
        and not issubclass(getattr(E, name), Warning)
    }
    assert raised - BASES <= _table_names(), sorted(raised - BASES - _table_names())
    assert all(hasattr(fal_queue, name) for name in raised)  # importable from the package too
    assert "FalQueueError" in README.read_text(encoding="utf-8").split("\n## Errors\n", 1)[1][:400]
