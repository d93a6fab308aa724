"""Datasets and examples of a LangSmith workspace, through the SDK's paginated generators
(consumed lazily), and the dataset writes: every write makes a new version of the dataset.

Splits live in `metadata["dataset_split"]` (LangSmith's shape); an example created or replaced
without splits is in LangSmith's default split "base".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

from tui.backend.core import errors
from tui.backend.core.models import SPLIT_KEY, Dataset, DatasetVersion, Example, NewExample, splits_of
from tui.backend.workspace.langsmith.client import LangSmithSession
from tui.backend.workspace.langsmith.http_errors import http_status
from tui.backend.workspace.langsmith.values import parse_time

#: The split LangSmith puts an example in when it is given none.
DEFAULT_SPLIT = "base"
#: Examples per `GET /examples` page (the API's limit).
_PAGE = 100
#: Example ids per soft-delete request (they travel in the query string).
_DELETE_CHUNK = 500


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
        modified_at=getattr(ex, "modified_at", None),
    )


def _raw_example(raw: dict[str, Any]) -> Example:
    return Example(
        id=str(raw["id"]),
        dataset_id=str(raw["dataset_id"]),
        inputs=raw.get("inputs") or {},
        outputs=raw.get("outputs") or {},
        metadata=raw.get("metadata") or {},
        created_at=parse_time(raw.get("created_at")),
        modified_at=parse_time(raw.get("modified_at")),
    )


def _version(v: Any) -> DatasetVersion:
    return DatasetVersion(as_of=v.as_of, tags=tuple(v.tags or ()))


def _splits(example: NewExample) -> list[str]:
    """The example's splits: its own, else those its metadata names (empty: LangSmith's default)."""
    return list(dict.fromkeys(example.splits or splits_of(example.metadata)))


def _body(example: NewExample, *, what: str) -> tuple[dict, dict | None, dict]:
    """(inputs, outputs, metadata without the splits) of a checked NewExample."""
    if not isinstance(example.inputs, dict):
        raise errors.InvalidInput(f"{what}: inputs must be a JSON object.")
    if example.outputs is not None and not isinstance(example.outputs, dict):
        raise errors.InvalidInput(f"{what}: outputs must be a JSON object.")
    if not isinstance(example.metadata, dict):
        raise errors.InvalidInput(f"{what}: metadata must be a JSON object.")
    if any(not isinstance(s, str) or not s for s in _splits(example)):
        raise errors.InvalidInput(f"{what}: split names must be non-empty strings.")
    metadata = {k: v for k, v in example.metadata.items() if k != SPLIT_KEY}
    return example.inputs, example.outputs, metadata


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
        self,
        dataset_id: str,
        offset: int = 0,
        limit: int | None = None,
        *,
        as_of: datetime | None = None,
        splits: Sequence[str] | None = None,
    ) -> Iterator[Example]:
        """`GET /examples` pages of 100, read as plain JSON: the SDK's `list_examples` builds a
        pydantic `Example` per row (and its URL) that is thrown away here; this costs ~0.8x."""
        params: dict[str, Any] = {"dataset": dataset_id}
        if as_of is not None:
            params["as_of"] = as_of.isoformat()
        if splits:
            params["splits"] = list(splits)
        return self._example_pages(params, offset, limit)

    def _example_pages(self, params: dict[str, Any], offset: int, limit: int | None) -> Iterator[Example]:
        remaining = limit
        while remaining is None or remaining > 0:
            size = _PAGE if remaining is None else min(_PAGE, remaining)
            page = self._request("GET", "/examples", params={**params, "offset": offset, "limit": size}) or []
            for raw in page:
                yield _raw_example(raw)
            if len(page) < size:
                return
            offset += len(page)
            if remaining is not None:
                remaining -= len(page)

    def count_examples(
        self, dataset_id: str, *, as_of: datetime | None = None, splits: Sequence[str] | None = None
    ) -> int:
        if as_of is None and not splits:
            return self._call(self.client.read_dataset, dataset_id=dataset_id).example_count or 0
        params: dict[str, Any] = {"dataset": dataset_id}
        if as_of is not None:
            params["as_of"] = as_of.isoformat()
        if splits:
            params["splits"] = list(splits)
        return int(self._request("GET", "/examples/count", params=params) or 0)

    # -- writes --------------------------------------------------------------------------------
    def _dataset_call(self, name: str, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        """`_call`, with a 404 named as the dataset `name` (the only thing the call names)."""
        try:
            return self._call(fn, *args, **kwargs)
        except errors.NotFound:
            raise errors.NotFound("Dataset", name) from None

    def create_dataset(self, name: str, description: str = "") -> Dataset:
        name = (name or "").strip()
        if not name:
            raise errors.InvalidInput("A dataset needs a name.")
        try:
            ds = self.client.create_dataset(name, description=description or None)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a user-facing error
            if http_status(exc) == 409:
                raise errors.InvalidInput(f"A dataset named {name!r} already exists.") from None
            raise self._translate(exc) from None
        return _dataset(ds)

    def delete_dataset(self, dataset_id: str) -> None:
        self._dataset_call(dataset_id, self.client.delete_dataset, dataset_id=dataset_id)

    def create_examples(self, dataset_id: str, examples: Sequence[NewExample]) -> list[str]:
        """One request (one version) for a batch under the SDK's 20 MB estimate, which a batch of
        <= 1000 ordinary examples is; the SDK would split a larger one into several requests."""
        if not examples:
            return []
        uploads, ids = [], []
        for n, example in enumerate(examples, 1):
            inputs, outputs, metadata = _body(example, what=f"Example {n}")
            ex_id = str(uuid.uuid4())  # ours, so the ids come back in the order given
            ids.append(ex_id)
            upload: dict[str, Any] = {"id": ex_id, "inputs": inputs, "reference_outputs": outputs,
                                      "metadata": metadata or None}
            if splits := _splits(example):
                upload["split"] = splits
            uploads.append(upload)
        self._dataset_call(dataset_id, self.client.create_examples, dataset_id=dataset_id, examples=uploads)
        return ids

    def update_example(self, example_id: str, example: NewExample) -> Example:
        inputs, outputs, metadata = _body(example, what=f"Example {example_id}")
        try:
            self._call(self.client.update_example, example_id, inputs=inputs, outputs=outputs or {},
                       metadata=metadata, split=_splits(example) or [DEFAULT_SPLIT])
            return _example(self._call(self.client.read_example, example_id))
        except errors.NotFound:
            raise errors.NotFound("Example", example_id) from None

    def delete_examples(self, dataset_id: str, example_ids: Sequence[str]) -> None:
        ids = list(dict.fromkeys(str(i) for i in example_ids))
        for start in range(0, len(ids), _DELETE_CHUNK):
            try:
                self._call(self.client.delete_examples, ids[start:start + _DELETE_CHUNK])
            except errors.NotFound:
                raise errors.NotFound("Example", ", ".join(ids[start:start + _DELETE_CHUNK][:3])
                                      + (" ..." if len(ids) - start > 3 else "")) from None

    # -- versions, tags, splits ----------------------------------------------------------------
    def list_dataset_versions(self, dataset_id: str) -> list[DatasetVersion]:
        def make() -> Iterable[Any]:
            return self.client.list_dataset_versions(dataset_id=dataset_id)

        try:
            return [_version(v) for v in self._iterate(make)]
        except errors.NotFound:
            raise errors.NotFound("Dataset", dataset_id) from None

    def resolve_dataset_version(
        self, dataset_id: str, *, as_of: str | datetime | None = None, tag: str | None = None
    ) -> DatasetVersion:
        if as_of is not None and tag is not None:
            raise errors.InvalidInput("Give a version time (--as-of) or a tag (--tag), not both.")
        when = as_of if isinstance(as_of, datetime) else None
        if isinstance(as_of, str):
            text = as_of.strip()
            when = parse_time(text) if text and text != "latest" else None
            if when is None:
                tag = text or "latest"
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)  # LangSmith reads a time without zone as UTC
        if when is None and tag is None:
            tag = "latest"
        try:
            if when is not None:
                return _version(self._call(self.client.read_dataset_version, dataset_id=dataset_id, as_of=when))
            return _version(self._call(self.client.read_dataset_version, dataset_id=dataset_id, tag=tag))
        except errors.NotFound:
            pass
        versions = self.list_dataset_versions(dataset_id)  # NotFound naming the dataset if it is gone
        wanted = when.isoformat() if when is not None else tag
        if versions:
            tags = sorted({t for v in versions for t in v.tags})
            known = (f" Its versions run from {versions[-1].as_of.isoformat()} to {versions[0].as_of.isoformat()}; "
                     f"tags: {', '.join(tags)}.")
        else:
            known = " It has no versions yet."
        err = errors.NotFound("Dataset version", str(wanted))
        err.args = (f"Dataset version {wanted!r} not found in dataset {dataset_id}.{known}",)
        raise err

    def tag_dataset_version(self, dataset_id: str, as_of: datetime, tag: str) -> None:
        tag = (tag or "").strip()
        if not tag:
            raise errors.InvalidInput("A tag needs a name.")
        if tag == "latest":
            raise errors.InvalidInput("'latest' always names the newest version; choose another tag.")
        try:
            self._call(self.client.update_dataset_tag, dataset_id=dataset_id, as_of=as_of, tag=tag)
        except errors.NotFound:
            raise errors.NotFound("Dataset version", f"{as_of.isoformat()} of dataset {dataset_id}") from None

    def update_dataset_splits(
        self, dataset_id: str, split: str, example_ids: Sequence[str], *, remove: bool = False
    ) -> None:
        split = (split or "").strip()
        if not split:
            raise errors.InvalidInput("A split needs a name.")
        ids = list(dict.fromkeys(str(i) for i in example_ids))
        if not ids:
            return
        self._dataset_call(dataset_id, self.client.update_dataset_splits, dataset_id=dataset_id,
                           split_name=split, example_ids=ids, remove=remove)
