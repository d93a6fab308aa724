"""Datasets and their examples in the local workspace (examples keep their insertion order)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from tui.backend.core.errors import InvalidInput, NotFound
from tui.backend.core.models import Dataset, Example
from tui.backend.workspace.local.rows import dumps, exists, loads, now, parse_time
from tui.backend.workspace.local.store import LocalStore

_PAGE = 500  # rows fetched per query when iterating examples without a limit

_DATASET_SELECT = (
    "SELECT d.id, d.name, d.description, d.modified_at, "
    "(SELECT COUNT(*) FROM examples e WHERE e.dataset_id = d.id) FROM datasets d"
)

ExampleRow = tuple[dict, dict, dict]  # inputs, outputs, metadata


def insert_dataset(conn: sqlite3.Connection, name: str, description: str) -> str:
    dataset_id = str(uuid.uuid4())
    stamp = now()
    conn.execute(
        "INSERT INTO datasets (id, name, description, created_at, modified_at) VALUES (?, ?, ?, ?, ?)",
        (dataset_id, name, description, stamp, stamp),
    )
    return dataset_id


def insert_examples(conn: sqlite3.Connection, dataset_id: str, rows: Sequence[ExampleRow]) -> None:
    """Append `rows` after the dataset's last example."""
    start = conn.execute(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM examples WHERE dataset_id = ?", (dataset_id,)
    ).fetchone()[0]
    stamp = now()
    conn.executemany(
        "INSERT INTO examples (id, dataset_id, position, inputs, outputs, metadata, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (str(uuid.uuid4()), dataset_id, start + i, dumps(inp), dumps(out), dumps(meta), stamp)
            for i, (inp, out, meta) in enumerate(rows)
        ),
    )
    conn.execute("UPDATE datasets SET modified_at = ? WHERE id = ?", (stamp, dataset_id))


def _example_row(example: dict[str, Any] | tuple) -> ExampleRow:
    if isinstance(example, dict):
        inputs = example.get("inputs", {})
        outputs = example.get("outputs", {})
        metadata = example.get("metadata") or {}
    else:
        inputs, outputs, *rest = example
        metadata = rest[0] if rest else {}
    if not isinstance(inputs, dict) or not isinstance(outputs or {}, dict):
        raise InvalidInput("Each example needs dict inputs and dict outputs.")
    return inputs, dict(outputs or {}), dict(metadata or {})


def _dataset(row: Sequence[Any]) -> Dataset:
    return Dataset(
        id=row[0], name=row[1], description=row[2], modified_at=parse_time(row[3]), example_count=row[4]
    )


def _example(row: Sequence[Any]) -> Example:
    return Example(
        id=row[0],
        dataset_id=row[1],
        inputs=loads(row[2]),
        outputs=loads(row[3]),
        metadata=loads(row[4]) or {},
        created_at=parse_time(row[5]),
    )


class LocalDatasets(LocalStore):
    """The datasets and examples part of `LocalBackend`."""

    def list_datasets(self) -> Iterator[Dataset]:
        rows = self._read(lambda c: c.execute(_DATASET_SELECT + " ORDER BY d.created_at, d.rowid").fetchall())
        return iter([_dataset(r) for r in rows])

    def get_dataset(self, name_or_id: str) -> Dataset:
        return self._lookup(
            "Dataset",
            name_or_id,
            _DATASET_SELECT + " WHERE d.id = ? OR d.name = ? ORDER BY (d.id = ?) DESC, d.created_at LIMIT 1",
            _dataset,
            "SELECT name FROM datasets",
        )

    def add_dataset(
        self,
        name: str,
        examples: Iterable[dict[str, Any] | tuple] = (),
        description: str = "",
    ) -> Dataset:
        """Create a dataset with examples (each `{"inputs", "outputs", "metadata"?}` or a tuple)."""
        if not name or not name.strip():
            raise InvalidInput("A dataset needs a non-empty name.")
        rows = [_example_row(e) for e in examples]
        with self._write() as conn:
            dataset_id = insert_dataset(conn, name, description)
            insert_examples(conn, dataset_id, rows)
        return self.get_dataset(dataset_id)

    def add_examples(self, dataset_id: str, examples: Iterable[dict[str, Any] | tuple]) -> int:
        """Append examples to a dataset in one transaction; returns how many were added."""
        rows = [_example_row(e) for e in examples]
        with self._write() as conn:
            if not exists(conn, "datasets", dataset_id):
                raise NotFound("Dataset", dataset_id)
            insert_examples(conn, dataset_id, rows)
        return len(rows)

    def list_examples(self, dataset_id: str, offset: int = 0, limit: int | None = None) -> Iterator[Example]:
        """Examples in insertion order; pages through the (dataset_id, position) index lazily."""
        if offset < 0 or (limit is not None and limit < 0):
            raise InvalidInput("offset and limit must not be negative.")
        return self._iter_examples(dataset_id, offset, limit)

    def _iter_examples(self, dataset_id: str, offset: int, limit: int | None) -> Iterator[Example]:
        remaining = limit
        while remaining is None or remaining > 0:
            size = _PAGE if remaining is None else min(_PAGE, remaining)
            rows = self._read(
                lambda c: c.execute(
                    "SELECT id, dataset_id, inputs, outputs, metadata, created_at FROM examples "
                    "WHERE dataset_id = ? ORDER BY position LIMIT ? OFFSET ?",
                    (dataset_id, size, offset),  # noqa: B023 - the lambda runs at once
                ).fetchall()
            )
            for row in rows:
                yield _example(row)
            if len(rows) < size:
                return
            offset += len(rows)
            if remaining is not None:
                remaining -= len(rows)

    def count_examples(self, dataset_id: str) -> int:
        return self._read(
            lambda c: c.execute("SELECT COUNT(*) FROM examples WHERE dataset_id = ?", (dataset_id,)).fetchone()[0]
        )
