"""Prompt-hub prompts of a LangSmith workspace (`GET /commits/{owner}/{repo}/{commit}`), read for
the workspace LLM evaluators that point at them."""

from __future__ import annotations

from typing import Any

from tui.backend.core import errors
from tui.backend.workspace.langsmith.client import LangSmithSession


class LangSmithPrompts(LangSmithSession):
    """The prompts part of `LangSmithBackend`."""

    def get_prompt_manifest(self, identifier: str) -> dict[str, Any]:
        # `dangerously_pull_public_prompt`: the SDK guards owner/name pulls because a manifest may
        # hold serialized objects; evaltui reads it as data only (rules/hub_judge.py), never loads it.
        try:
            commit = self._call(lambda: self.client.pull_prompt_commit(
                identifier, include_model=True, skip_cache=True, dangerously_pull_public_prompt=True))
        except errors.NotFound:
            raise errors.NotFound("Prompt", identifier) from None
        manifest = getattr(commit, "manifest", None)
        if not isinstance(manifest, dict):
            raise errors.ConnectionFailed(f"LangSmith returned no manifest for the prompt {identifier!r}.")
        return manifest
