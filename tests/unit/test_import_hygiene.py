"""tui.backend and evaluators never import textual; importing the app module stays light."""

from __future__ import annotations

import subprocess
import sys

BACKEND_MODULES = [
    "tui.backend", "tui.backend.core.models", "tui.backend.core.errors", "tui.backend.workspace.base",
    "tui.backend.core.config", "tui.backend.workspace.local", "tui.backend.source.loader", "tui.backend.source.bundle",
    "tui.backend.rules.ops", "tui.backend.rules.tester", "tui.backend.workspace.langsmith", "evaluators",
]


def _imported_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_backend_and_evaluators_import_no_textual():
    modules = _imported_after("; ".join(f"import {m}" for m in BACKEND_MODULES))
    assert not {m for m in modules if m == "textual" or m.startswith("textual.")}


def test_app_module_does_not_import_langsmith_or_openai():
    modules = _imported_after("import tui.app")
    heavy = {m for m in modules if m.split(".")[0] in ("langsmith", "langchain_openai", "openai")}
    assert not heavy


# -- the layering, read from every module's imports (lazy ones inside functions included) ---------
import ast  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _graph(*packages: str) -> dict[str, set[str]]:
    return {_module(p): _imports(p) for pkg in packages for p in (ROOT / pkg).rglob("*.py")
            if "samples" not in p.parts}


def _offenders(graph: dict[str, set[str]], source: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    bad = {}
    for module, imported in graph.items():
        if module == source or module.startswith(source + "."):
            hits = sorted(i for i in imported if any(i == f or i.startswith(f + ".") for f in forbidden))
            if hits:
                bad[module] = hits
    return bad


def test_layers_import_only_downwards():
    graph = _graph("tui", "evaluators")
    ui = ("tui.app", "tui.screens", "tui.widgets", "tui.modals", "textual")
    assert _offenders(graph, "tui.backend", (*ui, "tui.cli")) == {}
    assert _offenders(graph, "evaluators", ("tui",)) == {}
    for layer in ("tui.screens", "tui.widgets", "tui.modals", "tui.app"):
        assert _offenders(graph, layer, ("tui.cli",)) == {}, layer
    assert _offenders(graph, "tui.cli", ui) == {}


def test_backend_sub_packages_have_no_import_cycle():
    """core imports no other sub-package; no two sub-packages import each other at module level."""
    def top_level(path: Path) -> set[str]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        return {n.module for n in tree.body if isinstance(n, ast.ImportFrom) and n.module}

    def package(module: str) -> str | None:
        parts = module.split(".")
        return parts[2] if len(parts) > 2 and parts[:2] == ["tui", "backend"] else None

    edges: set[tuple[str, str]] = set()
    for path in (ROOT / "tui" / "backend").rglob("*.py"):
        src = package(_module(path))
        for imported in top_level(path):
            dst = package(imported)
            if src and dst and src != dst:
                edges.add((src, dst))
    assert not {(a, b) for a, b in edges if a == "core"}, edges
    assert not {(a, b) for a, b in edges if (b, a) in edges}, sorted(edges)
