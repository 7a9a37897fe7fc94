"""The import graph of `press/`: layers that only look down, and no package cycle.

Every import counts, including those inside functions. A unit is a package under `press/` (an area, the
outbox) or a single module beside them (`press/forms.py`, `press/tokens.py`, ...).
"""
import ast
import pathlib
from collections import defaultdict

import press

PACKAGE = pathlib.Path(press.__file__).parent

# The areas, lowest first: an area may import the areas before it, never one after it.
AREAS = ("accounts", "releases", "contacts", "newsroom", "distribution", "bounces", "enquiries", "audit_views")
# What assembles the app from every area; nothing below may import these.
TOP = ("__init__", "factory", "cli", "demo")


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: pathlib.Path) -> set[str]:
    """Every `press...` module a file imports, with relative imports made absolute."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "press":
                # `from press import clock` imports the module press.clock, not the package's __init__.
                found.update(f"press.{alias.name}" for alias in node.names)
            else:
                found.add(module)
    return {module for module in found if module.startswith("press.")}


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        source = unit(module_name(path))
        edges[source].update(unit(module) for module in imported(path))
        edges[source].discard(source)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one unit (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(set(edges) | {n for targets in edges.values() for n in targets}):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_areas_and_the_outbox():
    edges = graph()
    assert "outbox" in edges["distribution"] and "contacts" in edges["enquiries"], edges
    assert set(AREAS) <= set(edges)


def test_no_package_cycle():
    assert cycles(graph()) == []


def test_the_outbox_and_base_modules_import_no_area():
    edges = graph()
    base = {source for source in edges if source not in AREAS and source not in TOP}
    assert "outbox" in base and "templating" in base and "forms" in base
    wrong = {source: sorted(edges[source] & set(AREAS + TOP)) for source in base if edges[source] & set(AREAS + TOP)}
    assert wrong == {}


def test_areas_import_only_areas_below_them():
    edges = graph()
    wrong = {
        area: sorted(target for target in edges[area] if target in TOP or target in AREAS[AREAS.index(area):])
        for area in AREAS
    }
    assert {area: targets for area, targets in wrong.items() if targets} == {}


def test_the_walk_finds_a_cycle_when_there_is_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
