"""Workspace evaluators of the local workspace, stored in LangSmith's OnlineEvaluator shape
(as /api/v1/platform/evaluators returns them) with the rules that bind them."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from tui.backend.core.models import WorkspaceEvaluator
from tui.backend.workspace.local.rows import dumps, loads, now, parse_time
from tui.backend.workspace.local.store import LocalStore
from tui.backend.workspace.workspace_evaluators import evaluator_from_payload


def insert_workspace_evaluator(conn: sqlite3.Connection, body: dict[str, Any]) -> str:
    evaluator_id = str(uuid.uuid4())
    stamp = now()
    conn.execute(
        "INSERT INTO workspace_evaluators (id, name, type, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        (evaluator_id, body["name"], body.get("type", "code"), dumps(body), stamp, stamp),
    )
    return evaluator_id


def _bindings(conn: sqlite3.Connection) -> dict[str, list[dict]]:
    """Evaluator id -> the datasets / projects its rules are bound to, in the API's run_rules shape."""
    rules: dict[str, list[dict]] = {}
    for evaluator_id, dataset, project in conn.execute(
        "SELECT r.evaluator_id, d.name, p.name FROM rules r LEFT JOIN datasets d ON d.id = r.dataset_id "
        "LEFT JOIN projects p ON p.id = r.project_id WHERE r.evaluator_id IS NOT NULL"
    ):
        rules.setdefault(evaluator_id, []).append({"dataset_name": dataset, "session_name": project})
    return rules


class LocalWorkspaceEvaluators(LocalStore):
    """The workspace-evaluators part of `LocalBackend`."""

    def add_workspace_evaluator(self, body: dict[str, Any]) -> WorkspaceEvaluator:
        """Store one from its LangSmith OnlineEvaluator shape (name, type, code_evaluator / llm_evaluator)."""
        with self._write() as conn:
            evaluator_id = insert_workspace_evaluator(conn, body)
        return next(e for e in self.list_workspace_evaluators() if e.id == evaluator_id)

    def list_workspace_evaluators(self) -> list[WorkspaceEvaluator]:
        def query(conn: sqlite3.Connection) -> list[WorkspaceEvaluator]:
            rules = _bindings(conn)
            rows = conn.execute(
                "SELECT id, body, created_at, updated_at FROM workspace_evaluators ORDER BY name, id"
            ).fetchall()
            return [
                evaluator_from_payload(
                    {**(loads(body) or {}), "id": ev_id, "created_at": created, "updated_at": updated,
                     "run_rules": rules.get(ev_id, [])},
                    parse_time,
                )
                for ev_id, body, created, updated in rows
            ]

        return self._read(query)
