"""`LocalBackend`: the `Backend` protocol on one SQLite file, assembled from its parts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tui.backend.workspace.base import Capabilities
from tui.backend.workspace.local.datasets import LocalDatasets
from tui.backend.workspace.local.experiments import LocalExperiments
from tui.backend.workspace.local.projects import LocalProjects
from tui.backend.workspace.local.prompts import LocalPrompts
from tui.backend.workspace.local.rules import LocalRules
from tui.backend.workspace.local.seed import copy_samples, insert_seed
from tui.backend.workspace.local.workspace_evaluators import LocalWorkspaceEvaluators


class LocalBackend(LocalDatasets, LocalProjects, LocalRules, LocalWorkspaceEvaluators, LocalPrompts,
                   LocalExperiments):
    """`Backend` on an SQLite file (created and seeded on first open)."""

    kind = "local"
    # Locally evaltui's runner runs Python and LLM-judge rules; JavaScript ones are LangSmith's.
    capabilities = Capabilities(applies_rules=False, traces_runs=False, scoring_rule_kinds=("python", "llm"))

    def __init__(self, db_path: Path | str, *, busy_timeout_ms: int = 5000, seed: bool = True):
        super().__init__(db_path, busy_timeout_ms=busy_timeout_ms, on_create=insert_seed if seed else None)
        if self._created and seed:
            copy_samples(self.db_path.parent)

    def describe(self) -> str:
        return f"Local workspace {self.db_path}"

    def check(self) -> None:
        def probe(conn: sqlite3.Connection) -> None:
            result = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
            if result != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed: {result}")

        self._read(probe)

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
