"""The package's layers: no module imports a layer above its own, and no import cycle.

Checked on the source with :mod:`ast` (every ``import`` and ``from … import``, including those
inside functions), so a hidden import cannot escape the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import workbench

PACKAGE = Path(workbench.__file__).resolve().parent

#: Lower layers first; a module may import its own layer and the layers before it.
LAYERS = ["core", "data", "referential", "domain", "store", "services", "reports", "apps", "cli"]
RANK = {name: i for i, name in enumerate(LAYERS)}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, node.lineno))
            out += [(f"{node.module}.{a.name}", node.lineno) for a in node.names]
    return [(m, line) for m, line in out if m == "workbench" or m.startswith("workbench.")]


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else None


SOURCES = sorted(p for p in PACKAGE.rglob("*.py"))
MODULES = {_module_name(p) for p in SOURCES}


def test_every_module_belongs_to_a_layer():
    loose = sorted(m for m in MODULES if m.count(".") >= 1 and _layer(m) is None
                   and m not in ("workbench.__main__",))
    assert loose == [], f"modules hors des couches {LAYERS}: {loose}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_upward_import(path: Path):
    me = _layer(_module_name(path))
    if me is None:
        return
    upward = [(m, line) for m, line in _imports(path)
              if _layer(m) is not None and RANK[_layer(m)] > RANK[me]]
    assert upward == [], f"{path.relative_to(PACKAGE)} ({me}) importe une couche supérieure : {upward}"


def test_no_import_cycle():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for path in SOURCES:
        me = _module_name(path)
        for target, _ in _imports(path):
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != me and not me.startswith(target + "."):
                graph[me].add(target)
    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert cycles == [], f"cycles d'import : {cycles}"
