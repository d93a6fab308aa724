"""Tracing projects of the local workspace (what a rule can be bound to besides a dataset)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

from tui.backend.core.errors import InvalidInput
from tui.backend.core.models import Project
from tui.backend.workspace.local.rows import now
from tui.backend.workspace.local.store import LocalStore


def insert_project(conn: sqlite3.Connection, name: str) -> str:
    project_id = str(uuid.uuid4())
    conn.execute("INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)", (project_id, name, now()))
    return project_id


def _project(row: Any) -> Project:
    return Project(id=row[0], name=row[1])


class LocalProjects(LocalStore):
    """The projects part of `LocalBackend`."""

    def list_projects(self) -> Iterator[Project]:
        rows = self._read(lambda c: c.execute("SELECT id, name FROM projects ORDER BY created_at, rowid").fetchall())
        return iter([_project(r) for r in rows])

    def get_project(self, name_or_id: str) -> Project:
        return self._lookup(
            "Project",
            name_or_id,
            "SELECT id, name FROM projects WHERE id = ? OR name = ? ORDER BY (id = ?) DESC, created_at LIMIT 1",
            _project,
            "SELECT name FROM projects",
        )

    def add_project(self, name: str) -> Project:
        if not name or not name.strip():
            raise InvalidInput("A project needs a non-empty name.")
        with self._write() as conn:
            project_id = insert_project(conn, name)
        return Project(id=project_id, name=name)
