"""pytest fixtures for the fake LangSmith server (registered as a plugin by tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.langsmith_server import FakeLangSmith


@pytest.fixture
def fake_langsmith() -> Iterator[FakeLangSmith]:
    """A started fake LangSmith server on 127.0.0.1, stopped after the test."""
    server = FakeLangSmith().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def langsmith_env(fake_langsmith: FakeLangSmith, monkeypatch: pytest.MonkeyPatch) -> FakeLangSmith:
    """The fake server with LANGSMITH_API_KEY / LANGSMITH_ENDPOINT pointing at it."""
    monkeypatch.setenv("LANGSMITH_API_KEY", fake_langsmith.api_key)
    monkeypatch.setenv("LANGSMITH_ENDPOINT", fake_langsmith.url)
    monkeypatch.delenv("LANGSMITH_WORKSPACE_ID", raising=False)
    return fake_langsmith
