"""tui.backend and evaluators never import textual; importing the app module stays light."""

from __future__ import annotations

import subprocess
import sys

BACKEND_MODULES = [
    "tui.backend", "tui.backend.models", "tui.backend.errors", "tui.backend.base",
    "tui.backend.config", "tui.backend.local", "tui.backend.loader", "tui.backend.bundle",
    "tui.backend.ops", "tui.backend.tester", "tui.backend.langsmith", "evaluators",
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
