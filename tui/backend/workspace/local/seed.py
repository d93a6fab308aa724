"""What a new local workspace starts with: the demo datasets, project and workspace evaluators
(`seed_data`) inserted in the transaction that creates the schema, and the sample evaluator files
(`samples/`) copied next to the database."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from tui.backend.core.errors import WorkspaceError
from tui.backend.workspace.local.datasets import insert_dataset
from tui.backend.workspace.local.projects import insert_project
from tui.backend.workspace.local.prompts import insert_prompt
from tui.backend.workspace.local.workspace_evaluators import insert_workspace_evaluator

# tui/backend/workspace/samples/ (package data), beside this package.
SAMPLES_DIR = Path(__file__).parent.with_name("samples")


def insert_seed(conn: sqlite3.Connection) -> None:
    from tui.backend.workspace.seed_data import DEMO_PROJECT, DEMO_PROMPTS, DEMO_WORKSPACE_EVALUATORS, demo_datasets

    for dataset in demo_datasets():
        insert_dataset(conn, dataset.name, dataset.description,  # one version each, holding the examples
                       [(ex.inputs, ex.outputs, ex.metadata) for ex in dataset.examples])
    insert_project(conn, DEMO_PROJECT)
    for evaluator in DEMO_WORKSPACE_EVALUATORS:
        insert_workspace_evaluator(conn, evaluator)
    for handle, manifest in DEMO_PROMPTS.items():
        insert_prompt(conn, handle, manifest)


def copy_samples(directory: Path) -> None:
    """Copy the sample evaluator files to `directory`/evaluators, unless that directory exists."""
    target = directory / "evaluators"
    if target.exists() or not SAMPLES_DIR.is_dir():
        return
    try:
        target.mkdir(mode=0o700)
        os.chmod(target, 0o700)
        for source in sorted(SAMPLES_DIR.glob("*.py")):
            destination = target / source.name
            fd = os.open(destination, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out)
    except FileExistsError:
        pass  # another process is copying them at the same moment
    except OSError as exc:
        raise WorkspaceError(
            f"Cannot write the sample evaluators to {target}: {exc.strerror or exc}."
        ) from None
