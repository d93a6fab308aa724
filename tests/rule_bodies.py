"""What a full-replace PATCH of a plain Python code rule looks like: every replaceable column."""

from __future__ import annotations

from typing import Any


def full_replace_body(code: str, **columns: Any) -> dict[str, Any]:
    """The 17 columns of `PATCH /runs/rules/{id}` for a code rule with no other settings."""
    body: dict[str, Any] = {
        "display_name": None,
        "session_id": None,
        "dataset_id": None,
        "is_enabled": True,
        "filter": None,
        "trace_filter": None,
        "tree_filter": None,
        "sampling_rate": 1.0,
        "add_to_annotation_queue_id": None,
        "add_to_dataset_id": None,
        "evaluators": None,
        "code_evaluators": [{"code": code, "language": "python"}],
        "alerts": None,
        "webhooks": None,
        "add_to_dataset_prefer_correction": False,
        "extend_only": False,
        "include_extended_stats": False,
    }
    body.update(columns)
    return body


def without_version(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "evaluator_version"}
