"""`.env.example` documents every variable of the one registry (`config.VARIABLES`), and the code
reads no variable the registry does not declare (issues 3 and 12)."""

from __future__ import annotations

import re
from pathlib import Path

from tui.backend.core.config import VARIABLES

ROOT = Path(__file__).resolve().parents[2]
VARIABLE = re.compile(r"\b((?:EVALTUI|LANGSMITH|OPENAI)_[A-Z_]+)\b")
READ = re.compile(r"(?:environ(?:\.get)?\(|getenv\(|environ\[|_from_env\()\s*[\"']([A-Z_]+)[\"']")


def _read_by_code() -> set[str]:
    found: set[str] = set()
    for package in ("tui", "evaluators"):
        for path in (ROOT / package).rglob("*.py"):
            if "samples" in path.parts:
                continue  # user-facing sample files, not evaltui's own settings
            found.update(READ.findall(path.read_text(encoding="utf-8")))
    return {v for v in found if VARIABLE.fullmatch(v)}


def test_env_example_documents_every_declared_variable():
    documented = set(VARIABLE.findall((ROOT / ".env.example").read_text(encoding="utf-8")))
    declared = {v.name for v in VARIABLES}
    assert declared - documented == set(), f".env.example does not mention {sorted(declared - documented)}"
    assert {"LANGSMITH_API_KEY", "LANGSMITH_ENDPOINT", "LANGSMITH_WORKSPACE_ID",
            "OPENAI_API_KEY", "OPENAI_BASE_URL", "EVALTUI_HOME", "EVALTUI_TEST_TIMEOUT"} <= declared


def test_the_code_reads_only_declared_variables():
    undeclared = _read_by_code() - {v.name for v in VARIABLES}
    assert not undeclared, f"read but not declared in config.VARIABLES: {sorted(undeclared)}"


def test_every_declared_variable_says_what_it_does():
    assert all(v.meaning.strip() for v in VARIABLES)
    assert len({v.name for v in VARIABLES}) == len(VARIABLES)
