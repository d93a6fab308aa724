"""`LangSmithBackend`: the `Backend` protocol on a real `langsmith.Client`, assembled from its parts."""

from __future__ import annotations

from tui.backend.workspace.base import Capabilities
from tui.backend.workspace.langsmith.datasets import LangSmithDatasets
from tui.backend.workspace.langsmith.experiments import LangSmithExperiments
from tui.backend.workspace.langsmith.projects import LangSmithProjects
from tui.backend.workspace.langsmith.prompts import LangSmithPrompts
from tui.backend.workspace.langsmith.rules import LangSmithRules
from tui.backend.workspace.langsmith.workspace_evaluators import LangSmithWorkspaceEvaluators


class LangSmithBackend(
    LangSmithDatasets, LangSmithProjects, LangSmithRules, LangSmithWorkspaceEvaluators, LangSmithPrompts,
    LangSmithExperiments,
):
    """LangSmith workspace behind the Backend protocol. Synchronous; call it from worker threads.
    The constructor's settings (timeouts, retries, upload wait) are `LangSmithSession`'s."""

    kind = "langsmith"
    capabilities = Capabilities(applies_rules=True, traces_runs=True,
                                scoring_rule_kinds=("python", "javascript", "llm"), example_batch=5000)

    def describe(self) -> str:
        where = f"LangSmith {self.endpoint}"
        return f"{where} (workspace {self.workspace_id})" if self.workspace_id else where

    def check(self) -> None:
        self._request("GET", "/sessions", params={"limit": 1})
