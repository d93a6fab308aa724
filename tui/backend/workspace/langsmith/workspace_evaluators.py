"""Workspace evaluators of a LangSmith workspace (GET /api/v1/platform/evaluators, read-only)."""

from __future__ import annotations

from tui.backend.core.models import WorkspaceEvaluator
from tui.backend.workspace.langsmith.client import LangSmithSession
from tui.backend.workspace.langsmith.values import parse_time
from tui.backend.workspace.workspace_evaluators import evaluator_from_payload


class LangSmithWorkspaceEvaluators(LangSmithSession):
    """The workspace-evaluators part of `LangSmithBackend`."""

    def list_workspace_evaluators(self) -> list[WorkspaceEvaluator]:
        """GET /api/v1/platform/evaluators, every offset page (the server caps `limit` at 100)."""
        found: list[WorkspaceEvaluator] = []
        offset = 0
        while True:
            page = self._request(
                "GET", "/api/v1/platform/evaluators", params={"limit": 100, "offset": offset}
            ) or {}
            items = page.get("evaluators") or []
            found += [evaluator_from_payload(raw, parse_time) for raw in items]
            offset += len(items)
            if not items or offset >= int(page.get("total") or 0):
                return found
