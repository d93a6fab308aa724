"""Workspace evaluators as LangSmith returns them (`OnlineEvaluator`), read into the shared model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.backend.core.models import WorkspaceEvaluator


def _binding(rule: dict) -> str | None:
    if rule.get("dataset_id") or rule.get("dataset_name"):
        return f"dataset: {rule.get('dataset_name') or rule.get('dataset_id')}"
    if rule.get("session_id") or rule.get("session_name"):
        return f"project: {rule.get('session_name') or rule.get('session_id')}"
    return None


def evaluator_from_payload(raw: dict, parse_time: Callable[[Any], Any] = lambda v: v) -> WorkspaceEvaluator:
    code = raw.get("code_evaluator") or {}
    llm = raw.get("llm_evaluator") or {}
    bindings = tuple(b for b in (_binding(r) for r in raw.get("run_rules") or []) if b)
    mapping = llm.get("variable_mapping")
    return WorkspaceEvaluator(
        id=str(raw.get("id") or ""),
        name=raw.get("name") or "",
        type=str(raw.get("type") or ("code" if code else "llm")),
        feedback_keys=tuple(raw.get("feedback_keys") or ()),
        code=code.get("code"),
        language=(code.get("language") or "python").lower() if code else None,
        dependencies=code.get("dependencies"),
        build_status=code.get("evaluator_build_status"),
        build_error=code.get("evaluator_build_error"),
        prompt_repo=llm.get("prompt_repo_handle"),
        prompt_commit=llm.get("commit_hash_or_tag"),
        variable_mapping=dict(mapping) if isinstance(mapping, dict) else None,
        bindings=bindings,
        created_at=parse_time(raw.get("created_at")),
        updated_at=parse_time(raw.get("updated_at")),
    )


def evaluator_json(ev: WorkspaceEvaluator) -> dict[str, Any]:
    """The CLI's `--json` shape."""
    return {
        "id": ev.id,
        "name": ev.name,
        "type": ev.type,
        "feedback_keys": list(ev.feedback_keys),
        "language": ev.language,
        "build_status": ev.build_status,
        "build_error": ev.build_error,
        "dependencies": ev.dependencies,
        "prompt_repo": ev.prompt_repo,
        "prompt_commit": ev.prompt_commit,
        "variable_mapping": ev.variable_mapping,
        "bound_to": list(ev.bindings),
        "code": ev.code,
        "updated_at": ev.updated_at.isoformat() if hasattr(ev.updated_at, "isoformat") else ev.updated_at,
    }
