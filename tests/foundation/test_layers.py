"""The package's imports follow the layer table of docs/architecture.md: downwards only, no circles.

The table is the one list of layers; this test reads it, so moving a module means editing the doc.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "overlay" / "fal_queue"
TOOLS = ("cli", "mock", "testing")


def layers() -> dict[str, int]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`" in line]
    found: dict[str, int] = {}
    for index, row in enumerate(rows):
        for name in re.findall(r"`([\w.]+)`", row.split("|")[2]):
            found[name] = index
    return found


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """The fal_queue modules ``path`` imports (relative imports resolved), as module names."""
    package = list(path.relative_to(PACKAGE).parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            if node.module:
                found.add(".".join([*base, node.module]))
            else:
                found.update(".".join([*base, alias.name]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fal_queue."):
            found.add(node.module.removeprefix("fal_queue."))  # type: ignore[union-attr]
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix("fal_queue.") for a in node.names if a.name.startswith("fal_queue.")
            )
    return {name or "__init__" for name in found}


def _has_code(path: Path) -> bool:
    """Whether a file holds more than a docstring (an empty package marker has no layer)."""
    body = ast.parse(path.read_text()).body
    return any(not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)) for node in body)


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py") if _has_code(p)}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for target in imports_of(path):
            while target not in modules and "." in target:  # `from .x import name` names a module attribute
                target = target.rsplit(".", 1)[0]
            if target in modules and target != name:
                targets.add(target)
        edges[name] = targets
    return edges


def layer_of(module: str, table: dict[str, int]) -> int:
    top = module.split(".", 1)[0]
    if top in TOOLS:
        return table[top]
    return table[module]


def test_every_module_has_a_layer() -> None:
    table = layers()
    missing = sorted(m for m in graph() if m.split(".", 1)[0] not in TOOLS and m not in table)
    assert missing == [], f"modules missing from the layer table of docs/architecture.md: {missing}"


def test_imports_only_run_downwards() -> None:
    table = layers()
    upward = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        for target in targets
        if layer_of(target, table) > layer_of(module, table)
        or (layer_of(target, table) == layer_of(module, table) and module.split(".")[0] not in TOOLS)
    ]
    assert upward == []


def test_no_import_circles() -> None:
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_mock_keeps_its_own_url_rules() -> None:
    assert not [m for m, targets in graph().items() if m.startswith("mock") and "urls" in targets]
