"""Small text helpers shared by the panes: relative times, one-line JSON, truncation."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """`just now`, `5m ago`, `3h ago`, `2d ago`, else the ISO date (stable for old data)."""
    if when is None:
        return "—"
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    seconds = (now - when).total_seconds()
    if seconds < 0:
        return when.date().isoformat()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h ago"
    if seconds < 30 * 86400:
        return f"{int(seconds // 86400)}d ago"
    return when.date().isoformat()


def one_line(value: Any, width: int = 60) -> str:
    """Compact JSON on one line, cut to `width` characters with an ellipsis."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    except (TypeError, ValueError):
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def pretty_json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, indent=2, default=str)
    except (TypeError, ValueError):
        return repr(value)


def rate(value: float) -> str:
    return f"{value * 100:.0f}%" if value * 100 == int(value * 100) else f"{value:.3g}"
