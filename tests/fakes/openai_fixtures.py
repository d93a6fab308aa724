"""pytest fixtures for the fake OpenAI server (owned by the evaluator-library work)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.openai_server import FakeOpenAIServer

FAKE_OPENAI_KEY = "sk-fake-test-key-0000"


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    """A running fake OpenAI-compatible server (see tests/fakes/openai_server.py)."""
    server = FakeOpenAIServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def openai_env(fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    """The fake server plus OPENAI_BASE_URL=<url>/v1, a fake OPENAI_API_KEY and fast judge retries."""
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_OPENAI_KEY)
    monkeypatch.setenv("EVALTUI_JUDGE_MAX_RETRIES", "2")
    monkeypatch.delenv("EVALTUI_JUDGE_MODEL", raising=False)
    yield fake_openai
