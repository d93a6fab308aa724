from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.fakes.langsmith_fixtures", "tests.fakes.openai_fixtures"]

# Never let a developer's real keys or endpoints leak into a test run.
for _var in (
    "LANGSMITH_API_KEY",
    "LANGSMITH_ENDPOINT",
    "LANGSMITH_API_URL",
    "LANGSMITH_WORKSPACE_ID",
    "LANGCHAIN_API_KEY",
    "LANGCHAIN_ENDPOINT",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "EVALTUI_BACKEND",
):
    os.environ.pop(_var, None)
os.environ["LANGSMITH_TRACING"] = "false"
os.environ["LANGCHAIN_TRACING_V2"] = "false"


@pytest.fixture(autouse=True)
def _environment_restored():
    """Each test gets the environment back as it found it. evaltui loads `.env` files into
    os.environ by design (python-dotenv), which monkeypatch cannot undo: a test's `.env` must not
    change what later tests see (e.g. an OPENAI_API_KEY makes the start form tick judges)."""
    saved = dict(os.environ)
    yield
    for name in set(os.environ) - set(saved):
        del os.environ[name]
    for name, value in saved.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


@pytest.fixture
def evaltui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty EVALTUI_HOME for one test; cwd moved there so no stray .env is read."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("EVALTUI_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return home
