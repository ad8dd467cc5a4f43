"""The package's import graph: no cycles, coordinators never reach the socket hub, a pure core.

Imports are read from the source with `ast`, all of them: module level, inside functions and
inside ``if TYPE_CHECKING:`` blocks (a type-only import is still a dependency a reader follows).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import odrchat

ROOT = Path(odrchat.__file__).parent
HUB = "odrchat.rooms.hub"
COORDINATOR_PACKAGES = ("odrchat.cases", "odrchat.offers", "odrchat.agreements")
# The pure core: state machines and the value types they decide on. They import only the
# standard library and each other.
PURE = frozenset(
    {
        "odrchat.cases.machine",
        "odrchat.cases.roles",
        "odrchat.cases.kinds",
        "odrchat.cases.texts",
        "odrchat.offers.machine",
        "odrchat.offers.terms",
        "odrchat.agreements.machine",
        "odrchat.agreements.payments",
        "odrchat.rooms.access",
        "odrchat.figures.compute",
        "odrchat.figures.report",
        "odrchat.safety.screening",
        "odrchat.control.machine",
        "odrchat.control.relay",
    }
)


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imported(name: str, path: Path) -> Iterator[str]:
    """Every module `name` imports (absolute names, relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                # `from odrchat.cases import notices` imports the module odrchat.cases.notices.
                full = f"{base}.{alias.name}"
                yield full if full in MODULES else base


def _graph() -> dict[str, set[str]]:
    return {
        name: {dep for dep in _imported(name, path) if dep in MODULES and dep != name}
        for name, path in MODULES.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph)))
    try:
        for v in sorted(graph):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return found


def _reach(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Every module reachable from `start`, each mapped to the module that imports it."""
    via: dict[str, str] = {}
    todo = [start]
    while todo:
        v = todo.pop()
        for w in graph[v]:
            if w not in via and w != start:
                via[w] = v
                todo.append(w)
    return via


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = _graph()
    # A module-level import, a TYPE_CHECKING import and an import inside a function.
    assert "odrchat.cases.unit" in graph["odrchat.cases.service"]
    assert "odrchat.rooms.service" in graph["odrchat.rooms.feed"]
    assert "odrchat.rooms.presence" in graph["odrchat.rooms.hub"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_package_has_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_no_coordinator_reaches_the_socket_hub() -> None:
    """Case, offer and agreement code records room events through `cases.unit.Feed` only."""
    graph = _graph()
    offenders = {}
    for name in graph:
        if name.startswith(COORDINATOR_PACKAGES) and not name.endswith(".routes"):
            via = _reach(graph, name)
            if HUB in via:
                chain = [HUB]
                while chain[-1] in via:
                    chain.append(via[chain[-1]])
                offenders[name] = " <- ".join(chain)
    assert offenders == {}


def test_the_pure_core_imports_only_the_standard_library_and_itself() -> None:
    offenders = []
    for name in sorted(PURE):
        for dep in _imported(name, MODULES[name]):
            top = dep.split(".")[0]
            if dep in PURE or (top != "odrchat" and top in sys.stdlib_module_names):
                continue
            if dep == "__future__":
                continue
            offenders.append((name, dep))
    assert offenders == []
