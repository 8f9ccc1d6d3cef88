"""The house's one rule: imports flow one way. Every import in the package counts, those inside
functions too (a lazy import hides a circle, it does not remove it)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "digitgen"
APP = PACKAGE / "app"

# Lowest first, as docs/design.md draws them: a room may import only rooms before it in this list.
# The web app is one room, above the library: nothing in the library imports it.
ROOMS = [
    "layout", "images", "morphometrics", "malloc", "card", "draw", "style", "data", "models", "classifier",
    "checkpoint", "cuda_graph", "hub", "encoder", "shape", "sample", "handwriting", "dataset", "evaluate", "capture",
    "train", "cli", "__init__", "app",
]  # fmt: skip
APP_ROOMS = ["files", "links", "endpoints", "page", "__init__"]  # the app's own, lowest first


def imports_of(path: Path) -> set[str]:
    """The digitgen modules that ``path`` imports anywhere in its body, and every outside package."""
    return imports_of_tree(ast.parse(path.read_text()))


def imports_of_tree(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # from .models import X / from . import models
                found |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
            elif node.module == "digitgen":  # from digitgen import sample
                found |= {a.name for a in node.names}
            elif node.module:
                found.add(node.module.removeprefix("digitgen.").split(".")[0])
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("digitgen.").split(".")[0] for a in node.names}
    return found


def library_imports(path: Path) -> set[str]:
    """An app module's imports of library rooms and packages (``digitgen.x``), not of its neighbours (``.x``)."""
    tree = ast.parse(path.read_text())
    tree.body = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom) and not getattr(n, "level", 0)]
    return imports_of_tree(tree)


def graph() -> dict[str, set[str]]:
    """Room → the rooms it imports; the app package counts as one room."""
    modules = {p.stem for p in PACKAGE.glob("*.py")} | {"app"}
    edges = {p.stem: imports_of(p) & modules for p in PACKAGE.glob("*.py")}
    edges["app"] = set().union(*(library_imports(p) for p in APP.glob("*.py"))) & modules - {"app"}
    return edges


def app_graph() -> dict[str, set[str]]:
    """Inside the app package: module → the app modules it imports (``from .files import …``)."""
    modules = {p.stem for p in APP.glob("*.py")}
    edges = {}
    for path in APP.glob("*.py"):
        tree = ast.parse(path.read_text())
        edges[path.stem] = {
            n.module.split(".")[0] if n.module else a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.level == 1
            for a in n.names
        } & modules
    return edges


def test_every_module_has_a_place_in_the_design():
    assert set(graph()) == set(ROOMS)
    assert set(app_graph()) == set(APP_ROOMS)


def test_rooms_import_only_lower_rooms():
    for rooms, edges in ((ROOMS, graph()), (APP_ROOMS, app_graph())):
        rank = {room: i for i, room in enumerate(rooms)}
        assert [(room, other) for room, deps in edges.items() for other in deps if rank[other] >= rank[room]] == []


def test_no_import_circle():
    edges, done, path = graph(), set(), []

    def visit(module: str) -> None:
        assert module not in path, f"import circle: {' -> '.join([*path[path.index(module) :], module])}"
        if module in done:
            return
        path.append(module)
        for other in edges[module]:
            visit(other)
        path.pop()
        done.add(module)

    for module in edges:
        visit(module)


def test_the_walker_sees_lazy_imports(tmp_path):
    """The test above could pass by not seeing imports: a function-level one must be found."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from .hub import x\n    from digitgen import sample\n    import digitgen.draw\n")
    assert imports_of(module) >= {"hub", "sample", "draw"}


def test_the_library_never_imports_gradio():
    assert not [p.name for p in PACKAGE.glob("*.py") if {"gradio", "gradio_client"} & imports_of(p)]
    assert {"gradio"} <= set().union(*(library_imports(p) for p in APP.glob("*.py")))  # the walker sees the app's
