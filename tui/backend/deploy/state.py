"""`.evaltui/state.json` beside the manifest: what the last apply left on the server, per rule name
(its id and `evaluator_version`), so a plan can tell a rule changed on the server since (drift)."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.backend.core.models import Rule

STATE_DIR = ".evaltui"
STATE_FILE = "state.json"


@dataclass
class DeployState:
    path: Path
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, manifest) -> DeployState:
        path = manifest.folder / STATE_DIR / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            rules = data.get("rules") if isinstance(data, dict) else None
        except (OSError, ValueError):
            rules = None
        return cls(path, dict(rules) if isinstance(rules, dict) else {})

    def record(self, rule: Rule) -> None:
        self.rules[rule.name] = {"id": rule.id, "evaluator_version": rule.evaluator_version}

    def forget(self, name: str) -> None:
        self.rules.pop(name, None)

    def save(self) -> None:
        """Written whole into a temporary file renamed into place: a crash never leaves half a file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".state.", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"rules": self.rules}, out, indent=2, sort_keys=True)
        os.replace(tmp, self.path)
