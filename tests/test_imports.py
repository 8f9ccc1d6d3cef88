"""The house's one rule: imports flow one way. Every import in the package counts, those inside
functions too (a lazy import hides a circle, it does not remove it)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "digitgen"

# Lowest first, as docs/design.md draws them: a room may import only rooms before it in this list.
ROOMS = [
    "layout", "images", "malloc", "card", "draw", "style", "data", "models", "checkpoint", "cuda_graph", "hub",
    "sample", "handwriting", "dataset", "evaluate", "capture", "train", "cli", "__init__",
]  # fmt: skip


def imports_of(path: Path) -> set[str]:
    """The digitgen modules that ``path`` imports anywhere in its body, and every outside package."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
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


def graph() -> dict[str, set[str]]:
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    return {p.stem: imports_of(p) & modules for p in PACKAGE.glob("*.py")}


def test_every_module_has_a_place_in_the_design():
    assert set(graph()) == set(ROOMS)


def test_rooms_import_only_lower_rooms():
    rank = {room: i for i, room in enumerate(ROOMS)}
    assert [(room, other) for room, deps in graph().items() for other in deps if rank[other] >= rank[room]] == []


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
