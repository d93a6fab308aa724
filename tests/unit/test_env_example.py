"""`.env.example` lists every variable the code reads (issue 3)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VARIABLE = re.compile(r"\b((?:EVALTUI|LANGSMITH|OPENAI)_[A-Z_]+)\b")


def _read_by_code() -> set[str]:
    found: set[str] = set()
    for package in ("tui", "evaluators"):
        for path in (ROOT / package).rglob("*.py"):
            if "samples" in path.parts:
                continue  # user-facing sample files, not evaltui's own settings
            text = path.read_text(encoding="utf-8")
            for match in re.finditer(r"(?:environ(?:\.get)?\(|getenv\(|environ\[)\s*[\"']([A-Z_]+)[\"']", text):
                found.add(match.group(1))
            for match in re.finditer(r"ENV_VARS = \((.*?)\)", text, re.S):
                found.update(VARIABLE.findall(match.group(1)))
    return {v for v in found if VARIABLE.fullmatch(v)}


def test_env_example_lists_every_variable_the_code_reads():
    documented = set(VARIABLE.findall((ROOT / ".env.example").read_text(encoding="utf-8")))
    missing = _read_by_code() - documented
    assert not missing, f".env.example does not mention {sorted(missing)}"
    assert {"LANGSMITH_API_KEY", "LANGSMITH_ENDPOINT", "LANGSMITH_WORKSPACE_ID",
            "OPENAI_API_KEY", "OPENAI_BASE_URL", "EVALTUI_HOME"} <= documented
