"""Imports flow one way: each app may import only the apps in the layers below its own.

`core` is the ground floor and imports no feature app; the feature apps hand data up; `pages`
alone assembles pages from them; the demo loader sits on top. An import that goes sideways or
up (the start of a cycle) fails here the day it is written, wherever it sits in a module:
at the top, inside a function, or in a management command.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. An app may import the apps of any lower layer, none of its own or above.
LAYERS = [
    ["core"],
    ["live"],           # the event broker and presence: transport, knowing no feature
    ["accounts"],
    ["drafts"],
    ["uploads"],
    ["forum"],          # the heart: categories, topics, posts, quotes, the visibility rule
    ["notifications"],
    ["reactions"],
    ["newsdesk", "newsletter", "dumps"],
    ["pages"],          # assembles pages (and live pushes) from what the apps below supply
    ["demo"],
]
RANK = {app: level for level, apps in enumerate(LAYERS) for app in apps}


def app_imports():
    """(importing app, imported app, file, line) for every import of another app."""
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if len(parts) < 2 or parts[0] == "tests" or "tests" in parts[1:]:
            continue
        app = parts[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                bits = name.split(".")
                if bits[0] == "townsquare" and len(bits) > 1 and bits[1] != app:
                    yield app, bits[1], path.relative_to(ROOT).as_posix(), node.lineno


def test_every_app_has_a_layer():
    apps = {p.name for p in ROOT.iterdir() if (p / "apps.py").exists()}
    assert apps - RANK.keys() == set(), "give each new app a place in LAYERS"


def test_apps_import_only_the_layers_below_them():
    wrong = sorted(f"{file}:{line}: {app} imports {other}"
                   for app, other, file, line in app_imports()
                   if RANK.get(other, -1) >= RANK[app])
    assert wrong == []


@pytest.mark.parametrize("source", [
    "from townsquare.forum.models import Post\n",
    "def f():\n    import townsquare.pages.views\n",
])
def test_an_import_from_core_upwards_is_caught(tmp_path, monkeypatch, source):
    app = tmp_path / "core"
    app.mkdir()
    (app / "apps.py").write_text("")
    (app / "bad.py").write_text(source)
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    found = [(a, b) for a, b, _, _ in app_imports()]
    assert found and all(RANK[b] > RANK[a] for a, b in found)

