"""The house rules that keep rtlab simple to live in, checked on its own source.

- no module imports another module's underscore names (shared internals live in internal
  modules with plain names);
- no import cycle between modules (``rtlab/__init__`` resolves names lazily, so it is left out).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from _helpers import ROOT

PACKAGE = ROOT / "rtlab"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):  # imports for type checkers only do not run
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
        out[_module_name(path)] = tree
    return out


def _imports(name: str, tree: ast.Module, modules: dict) -> tuple[set[str], list[str]]:
    """(modules imported, underscore names reached in other modules)."""
    package = (
        name if name in {"rtlab", "rtlab.widgets", "rtlab.realtime"} else name.rpartition(".")[0]
    )
    imported: set[str] = set()
    private: list[str] = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            if not base.startswith("rtlab"):
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in modules:
                    imported.add(full)
                    aliases[alias.asname or alias.name] = full
                else:
                    imported.add(base)
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        private.append(f"{name} imports {base}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("rtlab"):
                    imported.add(alias.name)
                    aliases[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            target = aliases[node.value.id]
            if target != name and f"{target}.{node.attr}" not in modules:
                private.append(f"{name} uses {target}.{node.attr}")
    imported.discard(name)
    return imported, private


def test_no_module_reaches_into_another_modules_private_names():
    modules = _modules()
    crossings = [c for name, tree in modules.items() for c in _imports(name, tree, modules)[1]]
    assert crossings == []


def test_modules_import_without_cycles():
    modules = _modules()
    graph = defaultdict(set)
    for name, tree in modules.items():
        if name == "rtlab":  # lazy (PEP 562): resolves names on first use
            continue
        graph[name] = {m for m in _imports(name, tree, modules)[0] if m in modules and m != "rtlab"}
    # depth-first search for a back edge
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []
