"""pytest fixtures for the fake OpenAI server (owned by the evaluator-library work)."""
