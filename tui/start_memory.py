"""What the start form remembers: the last experiment started on each dataset (target, evaluators,
prefix, concurrency, timeout, judge cache) and the last dataset, in `$EVALTUI_HOME/start_form.json`.
An unreadable file is forgotten, never an error."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

FILE = "start_form.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def recall(home: Path, request_type: type, dataset: str | None = None) -> Any | None:
    """The last request on `dataset` (or on the last dataset used), as `request_type`, or None."""
    data = _read(home / FILE)
    key = dataset or data.get("last")
    saved = (data.get("datasets") or {}).get(key) if key else None
    if not isinstance(saved, dict):
        return None
    known = {f.name for f in fields(request_type)}
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in saved.items() if k in known}
    try:
        return request_type(**values)
    except TypeError:
        return None


def remember(home: Path, request: Any) -> None:
    path = home / FILE
    data = _read(path)
    saved = asdict(request)
    by_dataset = data.setdefault("datasets", {})
    for key in {request.dataset, getattr(request, "dataset_id", "")} - {""}:
        by_dataset[key] = saved  # found again by the dataset's name or id
    data["last"] = request.dataset
    try:
        home.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
        os.replace(tmp, path)
    except OSError:
        pass  # remembering is a convenience: a read-only home just forgets
