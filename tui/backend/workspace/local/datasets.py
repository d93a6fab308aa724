"""Datasets and their examples in the local workspace, with versions as LangSmith keeps them.

- Examples keep their insertion order (`position`); the latest state pages through the
  `examples_live` index by position, without per-row subqueries.
- Every write (examples created, edited, soft-deleted, split changes) makes exactly one version
  of the dataset, named by its time: UTC with microseconds, strictly increasing per dataset.
  `examples` keeps the versions that created / last changed / deleted an example, `example_history`
  the content an edit replaced, so a read `as_of` a version is the dataset exactly as it was then.
- Splits live in `metadata["dataset_split"]` (a list, LangSmith's shape); an example written
  without a split is in LangSmith's default split "base".
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from tui.backend.core.errors import InvalidInput, NotFound
from tui.backend.core.models import SPLIT_KEY, Dataset, DatasetVersion, Example, NewExample, splits_of
from tui.backend.workspace.local.rows import dumps, exists, loads, parse_time
from tui.backend.workspace.local.schema import version_stamp
from tui.backend.workspace.local.store import LocalStore

_PAGE = 500  # rows fetched per query when iterating examples without a limit
_CHUNK = 500  # ids per `IN (...)` query

#: The split LangSmith puts an example in when it is written without one.
DEFAULT_SPLIT = "base"
#: The tag the newest version always carries (never stored, never set by hand).
LATEST = "latest"

_DATASET_SELECT = (
    "SELECT d.id, d.name, d.description, d.modified_at, "
    "(SELECT COUNT(*) FROM examples e WHERE e.dataset_id = d.id AND e.deleted_at IS NULL) FROM datasets d"
)
_EXAMPLE_COLUMNS = "id, dataset_id, inputs, outputs, metadata, created_at, COALESCE(modified_at, created_at), position"
# The examples' content as of :v — those whose current content was in force then, and the replaced
# content that was — each after position :p; `{splits}` keeps those in the splits asked for.
_AS_OF_SELECT = (
    "SELECT " + _EXAMPLE_COLUMNS + " FROM examples WHERE dataset_id = :ds AND position > :p "
    "AND created_at <= :v AND (deleted_at IS NULL OR deleted_at > :v) "
    "AND (modified_at IS NULL OR modified_at <= :v){splits} "
    "UNION ALL "
    "SELECT example_id, dataset_id, inputs, outputs, metadata, created_at, valid_from, position "
    "FROM example_history WHERE dataset_id = :ds AND position > :p "
    "AND valid_from <= :v AND valid_to > :v{splits}"
)
_LATEST_SELECT = (
    "SELECT " + _EXAMPLE_COLUMNS + " FROM examples "
    "WHERE dataset_id = :ds AND deleted_at IS NULL AND position > :p{splits}"
)
_HISTORY_INSERT = (
    "INSERT INTO example_history (example_id, dataset_id, position, inputs, outputs, metadata, created_at, "
    "valid_from, valid_to) SELECT id, dataset_id, position, inputs, outputs, metadata, created_at, "
    "COALESCE(modified_at, created_at), ? FROM examples WHERE id = ?"
)

ExampleRow = tuple[dict, dict, dict]  # inputs, outputs, metadata
_Encoded = tuple[str, str, str, str]  # id, inputs, outputs, metadata as stored


# -- writing, inside a transaction ----------------------------------------------------------------

def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_version(conn: sqlite3.Connection, dataset_id: str) -> str:
    """Make the dataset's next version (now, or 1 µs after its newest if the clock has not moved
    past it) and return its stamp; the dataset's `modified_at` becomes it."""
    last = conn.execute("SELECT MAX(as_of) FROM dataset_versions WHERE dataset_id = ?", (dataset_id,)).fetchone()[0]
    when = _utc_now()
    if last is not None:
        when = max(when, datetime.fromisoformat(last) + timedelta(microseconds=1))
    stamp = version_stamp(when)
    conn.execute("INSERT INTO dataset_versions (dataset_id, as_of) VALUES (?, ?)", (dataset_id, stamp))
    conn.execute("UPDATE datasets SET modified_at = ? WHERE id = ?", (stamp, dataset_id))
    return stamp


def insert_dataset(conn: sqlite3.Connection, name: str, description: str,
                   rows: Sequence[ExampleRow] = ()) -> str:
    """A new dataset with its first version (its creation), holding `rows` (metadata as given)."""
    return _insert_dataset(conn, name, description, _encode(rows))


def _insert_dataset(conn: sqlite3.Connection, name: str, description: str, encoded: Sequence[_Encoded]) -> str:
    dataset_id = str(uuid.uuid4())
    stamp = version_stamp(_utc_now())
    conn.execute(
        "INSERT INTO datasets (id, name, description, created_at, modified_at) VALUES (?, ?, ?, ?, ?)",
        (dataset_id, name, description, stamp, stamp),
    )
    conn.execute("INSERT INTO dataset_versions (dataset_id, as_of) VALUES (?, ?)", (dataset_id, stamp))
    _insert_encoded(conn, dataset_id, encoded, stamp)
    return dataset_id


def _encode(rows: Iterable[ExampleRow]) -> list[_Encoded]:
    return [(str(uuid.uuid4()), dumps(inp), dumps(out), dumps(meta)) for inp, out, meta in rows]


def _insert_encoded(conn: sqlite3.Connection, dataset_id: str, encoded: Sequence[_Encoded],
                    stamp: str | None = None) -> None:
    """Append encoded rows after the dataset's last example, in a new version (or in `stamp`'s)."""
    if not encoded:
        return
    if stamp is None:
        stamp = new_version(conn, dataset_id)
    start = conn.execute(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM examples WHERE dataset_id = ?", (dataset_id,)
    ).fetchone()[0]
    conn.executemany(
        "INSERT INTO examples (id, dataset_id, position, inputs, outputs, metadata, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((ex_id, dataset_id, start + i, inp, out, meta, stamp) for i, (ex_id, inp, out, meta) in enumerate(encoded)),
    )


def insert_examples(conn: sqlite3.Connection, dataset_id: str, rows: Sequence[ExampleRow],
                    stamp: str | None = None) -> list[str]:
    """Append `rows` (metadata as given) after the dataset's last example, in one new version (or
    in the version `stamp`, e.g. the creation of a dataset made with its examples); their ids."""
    encoded = _encode(rows)
    _insert_encoded(conn, dataset_id, encoded, stamp)
    return [e[0] for e in encoded]


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


def _splits(example: NewExample) -> list[str]:
    """The example's splits: its own, else those its metadata names, else LangSmith's default."""
    return list(dict.fromkeys(example.splits or splits_of(example.metadata))) or [DEFAULT_SPLIT]


def _new_row(example: NewExample, what: str) -> ExampleRow:
    """(inputs, outputs, metadata with the splits) of a checked NewExample."""
    if not isinstance(example, NewExample):
        raise InvalidInput(f"{what}: expected an example, got {type(example).__name__}.")
    if not isinstance(example.inputs, dict):
        raise InvalidInput(f"{what}: inputs must be a JSON object.")
    if example.outputs is not None and not isinstance(example.outputs, dict):
        raise InvalidInput(f"{what}: outputs must be a JSON object.")
    if not isinstance(example.metadata, dict):
        raise InvalidInput(f"{what}: metadata must be a JSON object.")
    if isinstance(example.splits, str) or not isinstance(example.splits, (tuple, list)):
        raise InvalidInput(f"{what}: splits must be a list of names.")
    splits = _splits(example)
    if any(not isinstance(s, str) or not s.strip() for s in splits):
        raise InvalidInput(f"{what}: split names must be non-empty strings.")
    metadata = {k: v for k, v in example.metadata.items() if k != SPLIT_KEY}
    metadata[SPLIT_KEY] = splits
    return example.inputs, dict(example.outputs or {}), metadata


def _live_examples(conn: sqlite3.Connection, dataset_id: str, ids: Sequence[str], columns: str) -> dict[str, tuple]:
    """The dataset's current (not deleted) examples among `ids`, by id; NotFound naming the first
    id that is not one of them."""
    found: dict[str, tuple] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        rows = conn.execute(
            f"SELECT id, {columns} FROM examples WHERE dataset_id = ? AND deleted_at IS NULL "
            f"AND id IN ({','.join('?' * len(chunk))})",
            (dataset_id, *chunk),
        ).fetchall()
        found.update((row[0], row) for row in rows)
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound("Example", missing[0])
    return found


# -- reading --------------------------------------------------------------------------------------

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
        modified_at=parse_time(row[6]),
    )


def _as_of_stamp(as_of: datetime | str | None) -> str | None:
    if as_of is None:
        return None
    if isinstance(as_of, str):
        return _parse_time(as_of)
    if not isinstance(as_of, datetime):
        raise InvalidInput(f"A version is a time, got {as_of!r}.")
    return version_stamp(as_of)


def _parse_time(text: str) -> str:
    try:
        return version_stamp(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a time: give an ISO 8601 time such as 2026-01-31T12:00:00+00:00, "
            "'latest' or a tag."
        ) from None


def _split_filter(splits: Sequence[str] | None, params: dict[str, Any]) -> str:
    """The SQL condition keeping examples in any of `splits` (its values go into `params`)."""
    if splits is None:
        return ""
    if isinstance(splits, str):
        splits = [splits]
    names = list(dict.fromkeys(str(s) for s in splits))
    if not names:
        return ""
    for i, name in enumerate(names):
        params[f"s{i}"] = name
    marks = ", ".join(f":s{i}" for i in range(len(names)))
    return f" AND EXISTS (SELECT 1 FROM json_each(metadata, '$.{SPLIT_KEY}') WHERE value IN ({marks}))"


def _not_found_version(dataset: str, what: str, versions: list[DatasetVersion]) -> NotFound:
    """NotFound for a version `what` ("no tag 'x'", "no version at or before T") of `dataset`,
    naming the versions and tags it has."""
    err = NotFound("Dataset version", what)
    tags = sorted({t for v in versions for t in v.tags if t != LATEST})
    if versions:
        known = (f"Its versions run from {versions[-1].as_of.isoformat()} to {versions[0].as_of.isoformat()}; "
                 f"its tags: {', '.join([LATEST, *tags])}.")
    else:
        known = "It has no versions."
    err.args = (f"Dataset {dataset!r} has {what}. {known}",)
    return err


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

    # -- writes ----------------------------------------------------------------------------------
    def create_dataset(self, name: str, description: str = "") -> Dataset:
        name = (name or "").strip() if isinstance(name, str) else ""
        if not name:
            raise InvalidInput("A dataset needs a non-empty name.")
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM datasets WHERE name = ?", (name,)).fetchone():
                raise InvalidInput(f"A dataset named {name!r} already exists.")
            dataset_id = insert_dataset(conn, name, description or "")
        return self.get_dataset(dataset_id)

    def delete_dataset(self, dataset_id: str) -> None:
        """The dataset, its examples, versions and tags, and its experiments with their results and
        scores; rules bound to it are left unbound (`rules.dataset_id` is ON DELETE SET NULL)."""
        with self._write() as conn:
            if not exists(conn, "datasets", dataset_id):
                raise NotFound("Dataset", dataset_id)
            conn.execute("DELETE FROM experiments WHERE dataset_id = ?", (dataset_id,))
            conn.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,))

    def add_dataset(
        self,
        name: str,
        examples: Iterable[dict[str, Any] | tuple] = (),
        description: str = "",
    ) -> Dataset:
        """Create a dataset with examples (each `{"inputs", "outputs", "metadata"?}` or a tuple,
        metadata kept as given), all in its first version."""
        if not name or not name.strip():
            raise InvalidInput("A dataset needs a non-empty name.")
        encoded = _encode(_example_row(e) for e in examples)
        with self._write() as conn:
            dataset_id = _insert_dataset(conn, name, description, encoded)
        return self.get_dataset(dataset_id)

    def add_examples(self, dataset_id: str, examples: Iterable[dict[str, Any] | tuple]) -> int:
        """Append examples (metadata kept as given) in one transaction and one new version;
        returns how many were added."""
        encoded = _encode(_example_row(e) for e in examples)
        with self._write() as conn:
            if not exists(conn, "datasets", dataset_id):
                raise NotFound("Dataset", dataset_id)
            _insert_encoded(conn, dataset_id, encoded)
        return len(encoded)

    def create_examples(self, dataset_id: str, examples: Sequence[NewExample]) -> list[str]:
        """One batch in one transaction and one version, all or nothing; the new ids in order."""
        encoded = _encode(_new_row(ex, f"Example {n}") for n, ex in enumerate(examples, 1))
        with self._write() as conn:
            if not exists(conn, "datasets", dataset_id):
                raise NotFound("Dataset", dataset_id)
            _insert_encoded(conn, dataset_id, encoded)
        return [e[0] for e in encoded]

    def update_example(self, example_id: str, example: NewExample) -> Example:
        inputs, outputs, metadata = _new_row(example, f"Example {example_id}")
        with self._write() as conn:
            row = conn.execute("SELECT dataset_id FROM examples WHERE id = ? AND deleted_at IS NULL",
                               (example_id,)).fetchone()
            if row is None:
                raise NotFound("Example", example_id)
            stamp = new_version(conn, row[0])
            conn.execute(_HISTORY_INSERT, (stamp, example_id))
            conn.execute(
                "UPDATE examples SET inputs = ?, outputs = ?, metadata = ?, modified_at = ? WHERE id = ?",
                (dumps(inputs), dumps(outputs), dumps(metadata), stamp, example_id),
            )
            found = conn.execute(f"SELECT {_EXAMPLE_COLUMNS} FROM examples WHERE id = ?", (example_id,)).fetchone()
        return _example(found)

    def delete_examples(self, dataset_id: str, example_ids: Sequence[str]) -> None:
        """Soft delete in one version: the examples stay in the versions before it. NotFound (and
        nothing deleted) when one is not a current example of the dataset."""
        ids = list(dict.fromkeys(str(i) for i in example_ids))
        with self._write() as conn:
            if not exists(conn, "datasets", dataset_id):
                raise NotFound("Dataset", dataset_id)
            if not ids:
                return
            _live_examples(conn, dataset_id, ids, "position")
            stamp = new_version(conn, dataset_id)
            conn.executemany("UPDATE examples SET deleted_at = ? WHERE id = ?", ((stamp, i) for i in ids))

    def update_dataset_splits(
        self, dataset_id: str, split: str, example_ids: Sequence[str], *, remove: bool = False
    ) -> None:
        """Add the examples to `split` (or remove them from it) in one version."""
        split = split.strip() if isinstance(split, str) else ""
        if not split:
            raise InvalidInput("A split needs a non-empty name.")
        ids = list(dict.fromkeys(str(i) for i in example_ids))
        with self._write() as conn:
            if not exists(conn, "datasets", dataset_id):
                raise NotFound("Dataset", dataset_id)
            if not ids:
                return
            rows = _live_examples(conn, dataset_id, ids, "metadata")
            changed: list[tuple[str, str]] = []
            for example_id in ids:
                metadata = loads(rows[example_id][1]) or {}
                current = list(splits_of(metadata))
                new = [s for s in current if s != split] if remove else list(dict.fromkeys([*current, split]))
                if new != current or not isinstance(metadata.get(SPLIT_KEY), list):
                    metadata[SPLIT_KEY] = new
                    changed.append((dumps(metadata), example_id))
            stamp = new_version(conn, dataset_id)
            conn.executemany(_HISTORY_INSERT, ((stamp, example_id) for _, example_id in changed))
            conn.executemany("UPDATE examples SET metadata = ?, modified_at = ? WHERE id = ?",
                             ((metadata, stamp, example_id) for metadata, example_id in changed))

    # -- reads -----------------------------------------------------------------------------------
    def list_examples(
        self,
        dataset_id: str,
        offset: int = 0,
        limit: int | None = None,
        *,
        as_of: datetime | None = None,
        splits: Sequence[str] | None = None,
    ) -> Iterator[Example]:
        """Examples in insertion order (as of a version, and in any of `splits`, when given); pages
        through the (dataset_id, position) indexes lazily."""
        if offset < 0 or (limit is not None and limit < 0):
            raise InvalidInput("offset and limit must not be negative.")
        return self._iter_examples(dataset_id, offset, limit, _as_of_stamp(as_of), splits)

    def _iter_examples(self, dataset_id: str, offset: int, limit: int | None, as_of: str | None = None,
                       splits: Sequence[str] | None = None) -> Iterator[Example]:
        params: dict[str, Any] = {"ds": dataset_id, "v": as_of}
        condition = _split_filter(splits, params)
        query = (_LATEST_SELECT if as_of is None else _AS_OF_SELECT).format(splits=condition)
        query += " ORDER BY position LIMIT :n OFFSET :off"
        after, remaining = -1, limit
        while remaining is None or remaining > 0:
            size = _PAGE if remaining is None else min(_PAGE, remaining)
            page = {**params, "p": after, "n": size, "off": offset}
            rows = self._read(lambda c: c.execute(query, page).fetchall())  # noqa: B023 - runs at once
            for row in rows:
                yield _example(row)
            if len(rows) < size:
                return
            after, offset = rows[-1][7], 0  # the next page starts after this one's last position
            if remaining is not None:
                remaining -= len(rows)

    def count_examples(
        self, dataset_id: str, *, as_of: datetime | None = None, splits: Sequence[str] | None = None
    ) -> int:
        stamp = _as_of_stamp(as_of)
        params: dict[str, Any] = {"ds": dataset_id, "v": stamp, "p": -1}
        condition = _split_filter(splits, params)
        if condition:
            query = "SELECT COUNT(*) FROM (" + (_LATEST_SELECT if stamp is None else _AS_OF_SELECT).format(
                splits=condition) + ")"
        elif stamp is None:
            query = "SELECT COUNT(*) FROM examples WHERE dataset_id = :ds AND deleted_at IS NULL"
        else:
            query = ("SELECT COUNT(*) FROM examples WHERE dataset_id = :ds AND created_at <= :v "
                     "AND (deleted_at IS NULL OR deleted_at > :v)")
        return self._read(lambda c: c.execute(query, params).fetchone()[0])

    # -- versions and tags -----------------------------------------------------------------------
    def _versions(self, conn: sqlite3.Connection, dataset_id: str) -> tuple[str, list[tuple[str, DatasetVersion]]]:
        """The dataset's name and its versions, newest first, each with its stamp."""
        name = conn.execute("SELECT name FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
        if name is None:
            raise NotFound("Dataset", dataset_id)
        stamps = [r[0] for r in conn.execute(
            "SELECT as_of FROM dataset_versions WHERE dataset_id = ? ORDER BY as_of DESC", (dataset_id,))]
        tags: dict[str, list[str]] = {}
        for tag, as_of in conn.execute(
                "SELECT tag, as_of FROM dataset_tags WHERE dataset_id = ? ORDER BY tag", (dataset_id,)):
            tags.setdefault(as_of, []).append(tag)
        return name[0], [
            (s, DatasetVersion(as_of=datetime.fromisoformat(s), tags=tuple([LATEST] * (i == 0) + tags.get(s, []))))
            for i, s in enumerate(stamps)
        ]

    def list_dataset_versions(self, dataset_id: str) -> list[DatasetVersion]:
        """Newest first; the newest carries "latest" and every version its tags."""
        return [v for _, v in self._read(lambda c: self._versions(c, dataset_id))[1]]

    def resolve_dataset_version(
        self, dataset_id: str, *, as_of: str | datetime | None = None, tag: str | None = None
    ) -> DatasetVersion:
        """The version in force at `as_of` (a time: the newest at or before it; or text: "latest",
        a tag, else an ISO time), or the one `tag` names; neither: the latest."""
        if as_of is not None and tag is not None:
            raise InvalidInput("Give a version time (--as-of) or a tag (--tag), not both.")
        when: str | None = None
        text: str | None = None
        if isinstance(as_of, datetime):
            when = version_stamp(as_of)
        elif isinstance(as_of, str):
            text = as_of.strip()
            if not text:
                raise InvalidInput("An empty --as-of names no version: give an ISO 8601 time, 'latest' or a tag.")
            tag = text
        elif as_of is not None:
            raise InvalidInput(f"A version is a time or a tag, got {as_of!r}.")
        elif tag is not None:
            tag = tag.strip() or LATEST

        def find(conn: sqlite3.Connection) -> DatasetVersion:
            name, versions = self._versions(conn, dataset_id)
            at = when
            if at is None and tag is not None and tag != LATEST:
                row = conn.execute("SELECT as_of FROM dataset_tags WHERE dataset_id = ? AND tag = ?",
                                   (dataset_id, tag)).fetchone()
                if row is not None:
                    at = row[0]
                elif text is not None and _looks_like_time(text):
                    at = _parse_time(text)  # InvalidInput when it does not parse
                else:
                    raise _not_found_version(name, f"no tag {tag!r}", [v for _, v in versions])
            if at is None:
                return versions[0][1]
            for stamp, version in versions:
                if stamp <= at:
                    return version
            raise _not_found_version(name, f"no version at or before {datetime.fromisoformat(at).isoformat()}",
                                     [v for _, v in versions])

        return self._read(find)

    def tag_dataset_version(self, dataset_id: str, as_of: datetime, tag: str) -> None:
        """Point `tag` at the version in force at `as_of`, moving it if it pointed elsewhere."""
        tag = tag.strip() if isinstance(tag, str) else ""
        if not tag:
            raise InvalidInput("A tag needs a non-empty name.")
        if tag == LATEST:
            raise InvalidInput("'latest' always names the newest version and cannot be set; choose another tag.")
        when = _as_of_stamp(as_of)
        if when is None:
            raise InvalidInput("Name the version to tag by its time.")
        with self._write() as conn:
            name, versions = self._versions(conn, dataset_id)
            stamp = next((s for s, _ in versions if s <= when), None)
            if stamp is None:
                raise _not_found_version(name, f"no version at or before {datetime.fromisoformat(when).isoformat()}",
                                         [v for _, v in versions])
            conn.execute(
                "INSERT INTO dataset_tags (dataset_id, tag, as_of) VALUES (?, ?, ?) "
                "ON CONFLICT (dataset_id, tag) DO UPDATE SET as_of = excluded.as_of",
                (dataset_id, tag, stamp),
            )


def _looks_like_time(text: str) -> bool:
    """An --as-of that is meant as a time (it starts like a date), not a tag."""
    return len(text) >= 4 and text[:4].isdigit()
