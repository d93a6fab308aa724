"""Example files: JSONL and CSV read as `NewExample`s (streamed, one line at a time) and written back.

JSONL lines are `{"inputs": {...}, "outputs": {...}, "metadata": {...}, "split": "train" | [...]}`
(only `inputs` is required). With `input_keys` given, a line is instead one flat object whose
keys are picked into inputs / outputs / metadata, as a CSV row is. CSV takes the key lists the
way LangSmith's `/datasets/upload` does: each listed column becomes a key of the group, values
stay text.

The writer is the reader's inverse: an exported JSONL file imports back to the same examples
(split membership travels as `split`, out of `metadata["dataset_split"]`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from tui.backend.core.errors import InvalidInput
from tui.backend.core.models import SPLIT_KEY, Example, NewExample, splits_of

FileFormat = Literal["jsonl", "csv"]
FORMATS: tuple[str, ...] = ("jsonl", "csv")
JSONL_FIELDS = ("inputs", "outputs", "metadata", "split")
MAX_PROBLEMS_SHOWN = 10


@dataclass(frozen=True)
class KeyLists:
    """Which flat keys (CSV columns, or keys of a flat JSONL object) go where."""

    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    metadata: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.inputs or self.outputs or self.metadata)

    def check(self) -> None:
        seen: dict[str, str] = {}
        for group, keys in (("input", self.inputs), ("output", self.outputs), ("metadata", self.metadata)):
            for key in keys:
                if key in seen:
                    raise InvalidInput(f"Key {key!r} is listed as both {seen[key]} and {group} key.")
                seen[key] = group


@dataclass
class FileCheck:
    """What a first pass over a file found: how many examples, and every line that is wrong."""

    path: Path
    count: int = 0
    problems: list[str] = field(default_factory=list)
    bad_lines: int = 0

    def raise_if_bad(self) -> None:
        if not self.problems:
            return
        shown = self.problems[:MAX_PROBLEMS_SHOWN]
        more = self.bad_lines - len(shown)
        tail = f"\n  … and {more} more line{'s' if more != 1 else ''}" if more > 0 else ""
        raise InvalidInput(
            f"{self.path}: {self.bad_lines} bad line{'s' if self.bad_lines != 1 else ''}, nothing was imported:\n  "
            + "\n  ".join(shown) + tail
        )


def file_format(path: Path, given: str | None = None) -> FileFormat:
    if given:
        if given not in FORMATS:
            raise InvalidInput(f"Unknown format {given!r}: use jsonl or csv.")
        return given  # type: ignore[return-value]
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix in ("csv", "tsv"):
        return "csv"
    raise InvalidInput(f"{path}: cannot tell the format from the name; use a .jsonl or .csv file.")


def parse_keys(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """`a,b` (or a list) -> ("a", "b"); blanks dropped."""
    if text is None:
        return ()
    parts = text.split(",") if isinstance(text, str) else list(text)
    return tuple(p.strip() for p in parts if p and p.strip())


def _open_text(path: Path) -> IO[str]:
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a directory, not a file.") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc}).") from None


def read_examples(
    path: Path, *, fmt: FileFormat | None = None, keys: KeyLists = KeyLists(), split: str | None = None,
    check: FileCheck | None = None,
) -> Iterator[NewExample]:
    """The file's examples in order, streamed. Bad lines are added to `check.problems` (and
    skipped) when a `check` is given; without one the first bad line raises InvalidInput."""
    fmt = file_format(path, fmt)
    keys.check()
    if fmt == "csv" and not keys.inputs:
        columns = ", ".join(csv_header(path)) or "none"
        raise InvalidInput(f"A CSV import needs --input-keys (the columns that make the inputs); "
                           f"{path.name} has the columns: {columns}.")
    extra_splits = (split,) if split else ()
    try:
        with _open_text(path) as handle:
            rows = _csv_rows(handle, keys) if fmt == "csv" else _jsonl_rows(handle, keys)
            for _line_no, parsed in rows:
                if isinstance(parsed, str):
                    if check is None:
                        raise InvalidInput(f"{path}: {parsed}; nothing was imported.")
                    check.bad_lines += 1
                    if len(check.problems) < MAX_PROBLEMS_SHOWN:
                        check.problems.append(parsed)
                    continue
                if check is not None:
                    check.count += 1
                if extra_splits:
                    parsed = NewExample(parsed.inputs, parsed.outputs, parsed.metadata,
                                        tuple(dict.fromkeys(parsed.splits + extra_splits)))
                yield parsed
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None


def check_file(path: Path, *, fmt: FileFormat | None = None, keys: KeyLists = KeyLists(),
               split: str | None = None) -> FileCheck:
    """Read the whole file once, keeping nothing but the count and the problems."""
    check = FileCheck(path)
    for _ in read_examples(path, fmt=fmt, keys=keys, split=split, check=check):
        pass
    if check.count == 0 and not check.problems:
        check.problems.append("the file holds no examples")
        check.bad_lines = 1
    return check


def csv_header(path: Path) -> list[str]:
    with _open_text(path) as handle:
        try:
            return [name.strip() for name in next(csv.reader(handle), [])]
        except (csv.Error, UnicodeDecodeError):
            return []


# -- JSONL --------------------------------------------------------------------------------------

def _jsonl_rows(handle: IO[str], keys: KeyLists) -> Iterator[tuple[int, NewExample | str]]:
    for line_no, line in enumerate(handle, start=1):
        text = line.strip()
        if not text:
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield line_no, f"line {line_no}: not JSON ({exc.msg} at column {exc.colno})"
            continue
        if not isinstance(value, dict):
            yield line_no, f"line {line_no}: expected a JSON object, got {_type_name(value)}"
            continue
        yield line_no, (_flat_example(value, keys, line_no) if keys.given else _jsonl_example(value, line_no))


def _jsonl_example(value: dict[str, Any], line_no: int) -> NewExample | str:
    unknown = [k for k in value if k not in JSONL_FIELDS]
    if unknown:
        return (f"line {line_no}: unknown field {unknown[0]!r} (a line has inputs, outputs, metadata, split; "
                "for flat objects pass --input-keys)")
    if "inputs" not in value:
        return f"line {line_no}: no \"inputs\""
    inputs, outputs, metadata = value["inputs"], value.get("outputs"), value.get("metadata")
    for name, part, optional in (("inputs", inputs, False), ("outputs", outputs, True), ("metadata", metadata, True)):
        if not isinstance(part, dict) and not (optional and part is None):
            return f"line {line_no}: \"{name}\" must be an object, not {_type_name(part)}"
    splits = _splits(value.get("split"))
    if isinstance(splits, str):
        return f"line {line_no}: {splits}"
    metadata = dict(metadata or {})
    if SPLIT_KEY in metadata:
        from_meta = _splits(metadata.pop(SPLIT_KEY))
        if isinstance(from_meta, str):
            return f"line {line_no}: metadata.{SPLIT_KEY}: {from_meta}"
        splits = tuple(dict.fromkeys(splits + from_meta))
    return NewExample(inputs=inputs, outputs=outputs, metadata=metadata, splits=splits)


def _splits(value: Any) -> tuple[str, ...] | str:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v for v in value if v)
    return f"\"split\" must be a string or a list of strings, not {_type_name(value)}"


def _flat_example(value: dict[str, Any], keys: KeyLists, line_no: int) -> NewExample | str:
    missing = [k for k in keys.inputs if k not in value]
    if missing:
        return f"line {line_no}: no input key {missing[0]!r}"
    claimed = (*keys.inputs, *keys.outputs, *keys.metadata)
    splits = _splits(value.get("split")) if "split" not in claimed else ()
    if isinstance(splits, str):
        return f"line {line_no}: {splits}"
    return NewExample(
        inputs={k: value[k] for k in keys.inputs},
        outputs={k: value[k] for k in keys.outputs if k in value},
        metadata={k: value[k] for k in keys.metadata if k in value},
        splits=splits,
    )


# -- CSV ----------------------------------------------------------------------------------------

def _csv_rows(handle: IO[str], keys: KeyLists) -> Iterator[tuple[int, NewExample | str]]:
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, f"line 1: not CSV ({exc})"
        return
    columns = {name.strip(): i for i, name in enumerate(header)}
    claimed = (*keys.inputs, *keys.outputs, *keys.metadata)
    split_column = columns.get("split") if "split" not in claimed else None  # what the CSV export writes
    absent = [k for k in claimed if k not in columns]
    if absent:
        raise InvalidInput(
            f"{handle.name}: no column {absent[0]!r} in the header (columns: {', '.join(columns) or 'none'})."
        )
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, f"line {reader.line_num}: not CSV ({exc})"
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield reader.line_num, f"line {reader.line_num}: {len(row)} cells, the header has {len(header)}"
            continue

        def pick(group: tuple[str, ...], row: list[str] = row) -> dict[str, str]:
            return {k: row[columns[k]] for k in group}

        splits = parse_keys(row[split_column]) if split_column is not None else ()
        yield reader.line_num, NewExample(inputs=pick(keys.inputs), outputs=pick(keys.outputs),
                                          metadata=pick(keys.metadata), splits=splits)


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


# -- writing --------------------------------------------------------------------------------------

def jsonl_line(example: Example) -> str:
    """One exported line: what `read_examples` reads back to the same example."""
    metadata = {k: v for k, v in (example.metadata or {}).items() if k != SPLIT_KEY}
    return json.dumps(
        {"inputs": example.inputs, "outputs": example.outputs, "metadata": metadata,
         "split": list(splits_of(example.metadata))},
        ensure_ascii=False, separators=(", ", ": "),
    )


class CsvWriter:
    """CSV with one column per key (the key lists an import takes back), JSON text for non-text
    values. The columns are every key `sample` (a first pass over the examples) holds."""

    def __init__(self, stream: IO[str], sample: Iterable[Example]):
        groups: dict[str, dict[str, None]] = {"inputs": {}, "outputs": {}, "metadata": {}}
        for ex in sample:
            for group, part in (("inputs", ex.inputs), ("outputs", ex.outputs or {}),
                                ("metadata", {k: v for k, v in (ex.metadata or {}).items() if k != SPLIT_KEY})):
                groups[group].update(dict.fromkeys(part))
        names = [k for g in groups.values() for k in g]
        clash = len(names) != len(set(names)) or "split" in names
        self.columns = [(g, k, f"{g}.{k}" if clash else k) for g, ks in groups.items() for k in ks]
        self.keys = KeyLists(*(tuple(label for g2, _, label in self.columns if g2 == g) for g in groups))
        self._writer = csv.writer(stream, lineterminator="\n")
        self._writer.writerow([label for *_, label in self.columns] + ["split"])

    def write(self, example: Example) -> None:
        parts = {"inputs": example.inputs, "outputs": example.outputs or {}, "metadata": example.metadata or {}}
        known = {(g, k) for g, k, _ in self.columns}
        for group, part in parts.items():
            for key in part:
                if group != "metadata" or key != SPLIT_KEY:
                    if (group, key) not in known:
                        raise InvalidInput(
                            f"Example {example.id} has {group} key {key!r} that the CSV header lacks; "
                            "export as jsonl to keep every key."
                        )
        row = [_cell(parts[g].get(k)) for g, k, _ in self.columns]
        self._writer.writerow(row + [",".join(splits_of(example.metadata))])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def import_hint(keys: KeyLists) -> str:
    """The flags that import a CSV written with `keys` back."""
    parts = [f"--input-keys {','.join(keys.inputs)}"] if keys.inputs else []
    if keys.outputs:
        parts.append(f"--output-keys {','.join(keys.outputs)}")
    if keys.metadata:
        parts.append(f"--metadata-keys {','.join(keys.metadata)}")
    return " ".join(parts)

