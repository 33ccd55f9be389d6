"""The package's rooms and what each may import (docs/guide/development.md, "Layout"): read
from the source's import statements (``if TYPE_CHECKING:`` blocks aside), so a new import that
runs back up, a cycle, a ninth top-level module or a module grown past 300 lines fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "llc_explorer"

LOWER = {
    "errors": set(),
    "sgmcmc": {"errors"},
    "dln": {"errors", "sgmcmc"},
    "surfaces": {"errors", "sgmcmc", "dln"},
    "settings": {"errors", "sgmcmc", "dln"},
    "config": {"errors", "sgmcmc", "dln", "settings"},
    "export": {"errors", "sgmcmc", "dln", "settings", "config"},
    "result": {"errors", "sgmcmc", "dln", "settings", "config", "export"},
    "estimator": {"errors", "sgmcmc", "dln", "settings", "config", "export", "result"},
}
"""The rooms below the applications, each with the rooms it may import: a room imports only
rooms above it in this list."""

CORE = set(LOWER)
MAY_IMPORT = {
    **LOWER,
    "bench": CORE,
    "models": CORE,
    "apps": CORE | {"surfaces", "models"},  # Explorer.for_model: the model's checks, problem
    "lab": CORE | {"surfaces", "bench"},  # the lab's helpers and its stored runs: never apps
    "cli": CORE | {"bench", "apps", "llc_explorer"},
    "__main__": {"cli"},
    "llc_explorer": CORE | {"surfaces", "apps", "models"},
}
"""Every room: the benchmark (``bench``) and the applications (``apps``) sit on the core and
never on each other; the CLI on everything; the package root is the public API."""

MAX_LINES = 300
MAX_TOP_MODULES = 8


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "llc_explorer"


def imports(path: Path) -> set[str]:
    """The ``llc_explorer`` modules ``path`` imports, at any depth of its code, outside
    ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text())
    skipped = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("llc_explorer"):
            found.add(node.module or "")
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("llc_explorer")}
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {m: {t for t in imports(p) if t in MODULES and t != m} for m, p in MODULES.items()}


def test_at_most_eight_modules_at_the_top() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_module_is_short(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines < MAX_LINES, f"{module}: {lines} lines"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_room_imports_only_what_it_may(module: str) -> None:
    here = room(module)
    allowed = MAY_IMPORT[here] | {here}
    wrong = sorted(t for t in GRAPH[module] if room(t) not in allowed)
    assert not wrong, f"{module} ({here}) imports {wrong}; {here} may import {sorted(allowed)}"


def test_no_import_cycle() -> None:
    """Depth-first search over the module graph (lazy imports included)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(GRAPH[module]):
            if target == "llc_explorer" or room(target) == "llc_explorer":
                continue  # the package root re-exports; its own imports are checked above
            if state.get(target) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path, module, target]))
            if target not in state:
                visit(target, [*path, module])
        state[module] = 2

    for module in sorted(MODULES):
        if module not in state and room(module) != "llc_explorer":
            visit(module, [])


def test_every_room_is_listed() -> None:
    rooms = {room(m) for m in MODULES}
    assert rooms <= set(MAY_IMPORT), sorted(rooms - set(MAY_IMPORT))
