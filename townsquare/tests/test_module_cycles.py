"""No two files import each other, directly or around a loop.

A cycle between modules works only while the right import stays inside a function; the
day it moves to the top, the site fails to start. Every module under townsquare/ is read
with `ast` (imports at the top and inside functions, relative ones resolved) into a graph
of module -> modules it imports, and any loop in it fails here with its files named.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules under `root` it imports. `from a import b` is an edge to a.b
    when b is a module, else to a; a name outside `root` (Django, the standard library)
    is no edge."""
    files = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path

    def nearest(name: str) -> str | None:
        while name not in files and "." in name:
            name = name.rsplit(".", 1)[0]
        return name if name in files else None

    graph = {}
    for module, path in files.items():
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        names = []
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    above = package[:len(package) - (node.level - 1)]
                    base = ".".join(above + ([node.module] if node.module else []))
                names += [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                          for alias in node.names]
        graph[module] = {target for name in names
                         if (target := nearest(name)) is not None and target != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One loop (its first module repeated at the end) for each group of modules that
    reach each other, found as the graph's strongly connected components (Tarjan)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(start: str) -> None:
        # Iterative, so that a long chain of imports cannot exhaust Python's recursion.
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(_loop_through(graph, group) for group in groups)


def _loop_through(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """The shortest loop from the group's first module back to it (breadth first)."""
    start = min(group)
    came_from = {start: None}
    queue = [start]
    for node in queue:
        for child in sorted(graph[node] & group):
            if child == start:
                path = [node]
                while came_from[path[-1]] is not None:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError(f"no loop through {sorted(group)}")


def test_no_module_imports_itself_around_a_loop():
    found = [" -> ".join(name.replace(".", "/") + ".py" for name in loop)
             for loop in cycles(module_graph())]
    assert found == []


def test_the_graph_sees_relative_imports_and_imports_inside_functions():
    graph = module_graph()
    # `from .actions import extraction, sources, stories` at the top of tasks.py.
    assert "townsquare.newsdesk.actions.sources" in graph["townsquare.newsdesk.tasks"]
    # `from .tasks import send_digest_batch` inside a function of actions.py.
    assert "townsquare.newsletter.tasks" in graph["townsquare.newsletter.actions"]


@pytest.mark.parametrize("files", [
    # Directly, both at the top.
    {"a.py": "from pkg import b\n", "b.py": "import pkg.a\n"},
    # Around three files, one import inside a function, one relative.
    {"a.py": "from .b import thing\n",
     "b.py": "def f():\n    from pkg.sub import c\n",
     "sub/__init__.py": "", "sub/c.py": "from .. import a\n"},
    # A package's __init__ importing a module that imports the package back.
    {"__init__.py": "from .a import x\n", "a.py": "from pkg import something\n"},
])
def test_a_planted_cycle_is_found(tmp_path, files):
    root = tmp_path / "pkg"
    for name, source in {"__init__.py": "", "clean.py": "import os\nfrom . import b\n",
                         **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(source)
    (root / "b.py").touch()
    loops = cycles(module_graph(root))
    assert len(loops) == 1
    loop = loops[0]
    assert loop[0] == loop[-1] and len(set(loop)) == len(loop) - 1 >= 2
    assert "pkg.clean" not in loop


def test_a_tree_without_loops_passes(tmp_path):
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("from . import b\nimport pkg.c\n")
    (root / "b.py").write_text("def f():\n    from .c import x\n")
    (root / "c.py").write_text("import os\nfrom django.db import models\n")
    assert cycles(module_graph(root)) == []
