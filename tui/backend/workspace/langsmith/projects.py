"""Tracing projects of a LangSmith workspace (what a rule can be bound to besides a dataset)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tui.backend.core.models import Project
from tui.backend.workspace.langsmith.client import LangSmithSession


def _project(p: Any) -> Project:
    return Project(id=str(p.id), name=p.name)


class LangSmithProjects(LangSmithSession):
    """The projects part of `LangSmithBackend`."""

    def list_projects(self) -> Iterator[Project]:
        for p in self._iterate(lambda: self.client.list_projects()):
            yield _project(p)

    def get_project(self, name_or_id: str) -> Project:
        return _project(self._find(
            "Project",
            name_or_id,
            lambda: self.client.read_project(project_id=name_or_id),
            lambda: self.client.list_projects(name=name_or_id),
            lambda: (p.name for p in self.list_projects()),
        ))
