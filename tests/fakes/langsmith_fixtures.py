"""pytest fixtures for the fake LangSmith server (owned by the fake-LangSmith work)."""
