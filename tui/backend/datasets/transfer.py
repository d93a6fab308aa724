"""Moving examples in and out of a workspace: import a file, export a version, add examples.

An import is all or nothing as the user sees it. The file is read once to check every line (bad
lines are named with their numbers and nothing is written), then streamed again in batches, so
memory holds one batch whatever the file's size. If the server fails, the user presses Ctrl+C or
the cancel event is set midway, what this import made is taken out again — the dataset it
created is deleted, or the examples it added are (soft-)deleted — and the error says so; if even
that fails, it says exactly which of the file's examples are in.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from tui.backend.core.errors import EvaltuiError, InvalidInput, NotFound, describe_error
from tui.backend.core.models import Dataset, DatasetVersion, Example, NewExample
from tui.backend.datasets.dataset_file import CsvWriter, FileFormat, KeyLists, check_file, jsonl_line, read_examples

#: Examples per undo request (soft deletes; a write takes the workspace's `example_batch`).
BATCH_SIZE = 500
#: Examples between two progress reports on export.
EXPORT_TICK = 500


@dataclass(frozen=True)
class Progress:
    phase: str  # "checking" | "importing" | "exporting" | "undoing"
    done: int
    total: int | None


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class ImportReport:
    dataset: Dataset
    created_dataset: bool
    added: int
    version: DatasetVersion | None


@dataclass(frozen=True)
class ExportReport:
    dataset: Dataset
    count: int
    path: Path | None
    version: DatasetVersion
    keys: KeyLists | None = None  # CSV: the key lists that import the file back


class ImportFailed(EvaltuiError):
    """The import broke off midway; the message says what was undone or exactly what is in."""


class ImportCancelled(ImportFailed):
    exit_code = 130


def _notify(on_progress: ProgressCallback | None, phase: str, done: int, total: int | None) -> None:
    if on_progress is not None:
        on_progress(Progress(phase, done, total))


def _batches(items: Iterable[NewExample], size: int) -> Iterator[list[NewExample]]:
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


def find_dataset(backend, name: str, *, create: bool) -> tuple[Dataset | None, bool]:
    """The dataset named `name`, or (None, True) when it is missing and `create` allows making it."""
    try:
        return backend.get_dataset(name), False
    except NotFound as exc:
        if not create:
            exc.args = (f"{exc} Pass --create to make a new dataset {name!r}.",)
            raise
        return None, True


def import_examples(
    backend,
    path: Path | str,
    dataset: str,
    *,
    create: bool = False,
    fmt: FileFormat | None = None,
    input_keys: Sequence[str] = (),
    output_keys: Sequence[str] = (),
    metadata_keys: Sequence[str] = (),
    split: str | None = None,
    batch_size: int | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> ImportReport:
    path = Path(path).expanduser()
    keys = KeyLists(tuple(input_keys), tuple(output_keys), tuple(metadata_keys))
    found, must_create = find_dataset(backend, dataset, create=create)
    _notify(on_progress, "checking", 0, None)
    check = check_file(path, fmt=fmt, keys=keys, split=split)
    check.raise_if_bad()
    total = check.count
    if must_create:
        found = backend.create_dataset(dataset)
    assert found is not None
    added: list[str] = []
    _notify(on_progress, "importing", 0, total)
    try:
        size = batch_size or backend.capabilities.example_batch
        for batch in _batches(read_examples(path, fmt=fmt, keys=keys, split=split), size):
            if cancel is not None and cancel.is_set():
                raise KeyboardInterrupt
            added.extend(backend.create_examples(found.id, batch))
            _notify(on_progress, "importing", len(added), total)
    except BaseException as exc:  # KeyboardInterrupt too: nothing half-made is left behind
        raise _undo(backend, found, must_create, added, total, exc, on_progress) from None
    versions = backend.list_dataset_versions(found.id)
    return ImportReport(backend.get_dataset(found.id), must_create, len(added), versions[0] if versions else None)


def _undo(backend, dataset: Dataset, created: bool, added: list[str], total: int, exc: BaseException,
          on_progress: ProgressCallback | None) -> ImportFailed:
    cancelled = isinstance(exc, KeyboardInterrupt)
    why = "cancelled" if cancelled else f"failed after {len(added)} of {total} examples: {describe_error(exc)}"
    kind = ImportCancelled if cancelled else ImportFailed
    _notify(on_progress, "undoing", 0, len(added))
    try:
        if created:
            backend.delete_dataset(dataset.id)
            undone = f"the dataset {dataset.name!r} it created was deleted"
        elif added:
            for start in range(0, len(added), BATCH_SIZE):
                backend.delete_examples(dataset.id, added[start:start + BATCH_SIZE])
            undone = f"the {len(added)} examples it had added to {dataset.name!r} were deleted again"
        else:
            undone = f"nothing had been written to {dataset.name!r}"
    except BaseException as undo_exc:  # noqa: BLE001 - the user must learn what is in, whatever broke
        where = f"dataset {dataset.name!r}" + (" (created by this import)" if created else "")
        return kind(
            f"Import {why}. Undoing it failed too ({describe_error(undo_exc)}): the first {len(added)} "
            f"examples of the file are in {where}, the other {total - len(added)} are not."
        )
    return kind(f"Import {why}; {undone}.")


def add_to_dataset(backend, dataset: str, examples: Sequence[NewExample], *,
                   create: bool = False) -> tuple[Dataset, list[str]]:
    """Add `examples` (e.g. failing rows kept as regression cases) to `dataset`, made if `create`."""
    if not examples:
        raise InvalidInput("No examples to add.")
    found, must_create = find_dataset(backend, dataset, create=create)
    if must_create:
        found = backend.create_dataset(dataset)
    assert found is not None
    ids: list[str] = []
    try:
        for batch in _batches(examples, backend.capabilities.example_batch):
            ids.extend(backend.create_examples(found.id, batch))
    except BaseException as exc:
        raise _undo(backend, found, must_create, ids, len(examples), exc, None) from None
    return backend.get_dataset(found.id), ids


# -- export -------------------------------------------------------------------------------------

def export_examples(
    backend,
    dataset: str,
    path: Path | str | None = None,
    *,
    fmt: FileFormat = "jsonl",
    as_of: str | datetime | None = None,
    tag: str | None = None,
    stream: IO[str] | None = None,
    on_progress: ProgressCallback | None = None,
) -> ExportReport:
    """Write the dataset (as of a version or tag; default the latest) to `path`, atomically
    (a temporary file renamed into place), or to `stream`. Examples are streamed page by page."""
    if (path is None) == (stream is None):
        raise InvalidInput("Export needs exactly one of a path or a stream.")
    found = backend.get_dataset(dataset)
    version = backend.resolve_dataset_version(found.id, as_of=as_of, tag=tag)
    total = backend.count_examples(found.id, as_of=version.as_of)

    def examples() -> Iterator[Example]:
        return backend.list_examples(found.id, as_of=version.as_of)

    def write(out: IO[str]) -> tuple[int, KeyLists | None]:
        count = 0
        keys = None
        _notify(on_progress, "exporting", 0, total)
        if fmt == "csv":
            writer = CsvWriter(out, examples())  # one pass for the header's columns
            keys = writer.keys
            emit = writer.write
        else:
            def emit(example: Example) -> None:
                out.write(jsonl_line(example) + "\n")
        for example in examples():
            emit(example)
            count += 1
            if count % EXPORT_TICK == 0:
                _notify(on_progress, "exporting", count, total)
        _notify(on_progress, "exporting", count, total)
        return count, keys

    if stream is not None:
        count, keys = write(stream)
        stream.flush()
        return ExportReport(found, count, None, version, keys)
    target = Path(path).expanduser()  # type: ignore[arg-type]
    count, keys = _write_atomically(target, write)
    return ExportReport(found, count, target, version, keys)


def _write_atomically(target: Path, write: Callable[[IO[str]], tuple[int, KeyLists | None]]):
    if target.is_dir():
        raise InvalidInput(f"{target} is a directory; give a file name.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise InvalidInput(f"Cannot write {target}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            result = write(out)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return result
