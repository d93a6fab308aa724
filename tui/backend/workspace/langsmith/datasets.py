"""Datasets and examples of a LangSmith workspace, through the SDK's paginated generators
(consumed lazily)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from tui.backend.core.models import Dataset, Example
from tui.backend.workspace.langsmith.client import LangSmithSession


def _dataset(ds: Any) -> Dataset:
    return Dataset(
        id=str(ds.id),
        name=ds.name,
        description=ds.description or "",
        example_count=ds.example_count or 0,
        modified_at=ds.modified_at,
    )


def _example(ex: Any) -> Example:
    return Example(
        id=str(ex.id),
        dataset_id=str(ex.dataset_id),
        inputs=dict(ex.inputs or {}),
        outputs=dict(ex.outputs or {}),
        metadata=dict(ex.metadata or {}),
        created_at=ex.created_at,
    )


class LangSmithDatasets(LangSmithSession):
    """The datasets and examples part of `LangSmithBackend`."""

    def list_datasets(self) -> Iterator[Dataset]:
        for ds in self._iterate(lambda: self.client.list_datasets()):
            yield _dataset(ds)

    def get_dataset(self, name_or_id: str) -> Dataset:
        return _dataset(self._find(
            "Dataset",
            name_or_id,
            lambda: self.client.read_dataset(dataset_id=name_or_id),
            lambda: self.client.list_datasets(dataset_name=name_or_id),
            lambda: (d.name for d in self.list_datasets()),
        ))

    def list_examples(
        self, dataset_id: str, offset: int = 0, limit: int | None = None
    ) -> Iterator[Example]:
        def make() -> Iterable[Any]:
            return self.client.list_examples(dataset_id=dataset_id, offset=offset, limit=limit)

        for ex in self._iterate(make):
            yield _example(ex)

    def count_examples(self, dataset_id: str) -> int:
        return self._call(self.client.read_dataset, dataset_id=dataset_id).example_count or 0
