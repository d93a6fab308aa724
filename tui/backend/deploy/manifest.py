"""`evaltui.toml`: the workspace's rules as configuration, read and checked with the line of each error.

```toml
[[rule]]
name = "Exact match"                                       # the rule's name in the workspace
source = "evaluators/skills_evaluators.py:exact_match"     # file:function (code or LLM judge), from this file's folder
dataset = "Skills: Final Response"                         # or: project = "prod-agent"
sampling_rate = 1.0                                        # 0..1, default 1.0
enabled = true                                             # default true
[rule.filters]                                             # optional; when given, exactly these
filter = 'eq(is_root, true)'
```
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.backend.core.errors import InvalidInput
from tui.backend.rules.rule_payload import FILTER_COLUMNS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MANIFEST_NAME = "evaltui.toml"
RULE_KEYS = ("name", "source", "dataset", "project", "sampling_rate", "enabled", "filters")
_RULE_HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]")


class ManifestError(InvalidInput):
    """The manifest is wrong; the message names the file and the line."""


@dataclass(frozen=True)
class ManifestRule:
    name: str
    path: Path  # the source file, resolved from the manifest's folder
    function: str
    source: str  # as written
    dataset: str | None = None
    project: str | None = None
    sampling_rate: float = 1.0
    enabled: bool = True
    filters: dict[str, str] | None = None
    line: int = 0  # of its [[rule]] header
    target_line: int = 0  # of its `dataset = …` or `project = …`

    @property
    def target_label(self) -> str:
        return f"dataset: {self.dataset}" if self.dataset else f"project: {self.project}"


@dataclass(frozen=True)
class Manifest:
    path: Path
    rules: tuple[ManifestRule, ...] = field(default_factory=tuple)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def by_name(self) -> dict[str, ManifestRule]:
        return {r.name: r for r in self.rules}


def find_manifest(start: Path | str | None = None) -> Path:
    """`evaltui.toml` in `start` (a file or a folder, default the current one) or a folder above it."""
    where = Path(start or Path.cwd()).expanduser().resolve()
    if where.is_file() or where.suffix == ".toml":
        if not where.is_file():
            raise InvalidInput(f"{where}: no such manifest; `evaltui init` writes one.")
        return where
    for folder in (where, *where.parents):
        if (folder / MANIFEST_NAME).is_file():
            return folder / MANIFEST_NAME
    raise InvalidInput(f"No {MANIFEST_NAME} in {where} or a folder above it; `evaltui init` writes one.")


def _lines_of_rules(text: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), start=1) if _RULE_HEADER.match(line)]


def _key_line(lines: list[str], start: int, key: str) -> int:
    """The line of `key = …` in the rule table whose header is line `start` (else the header's)."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for i in range(start, len(lines)):  # lines[start] is the line after the header
        if _RULE_HEADER.match(lines[i]):
            break
        if pattern.match(lines[i]):
            return i + 1
    return start


def load_manifest(path: Path | str) -> Manifest:
    path = Path(path).expanduser().resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such manifest; `evaltui init` writes one.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc}).") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: not valid TOML: {exc}.") from None
    unknown = [k for k in data if k != "rule"]
    if unknown:
        raise ManifestError(f"{path}: unknown table {unknown[0]!r}; the manifest holds [[rule]] tables only.")
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        raise ManifestError(f"{path}: `rule` must be [[rule]] tables.")
    starts = _lines_of_rules(text)
    lines = text.splitlines()
    rules: list[ManifestRule] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables):
        start = starts[index] if index < len(starts) else 1
        rule = _rule(path, lines, table, start)
        if rule.name in seen:
            raise ManifestError(f"{path}:{start}: a second rule named {rule.name!r} (the first is on line "
                                f"{seen[rule.name]}); rule names must be unique.")
        seen[rule.name] = start
        rules.append(rule)
    return Manifest(path, tuple(rules))


def _rule(path: Path, lines: list[str], table: dict[str, Any], start: int) -> ManifestRule:
    def fail(key: str | None, message: str) -> ManifestError:
        line = _key_line(lines, start, key) if key else start
        return ManifestError(f"{path}:{line}: {message}")

    for key in table:
        if key in FILTER_COLUMNS:
            raise fail(key, f"{key!r} is a filter: it goes in the rule's filters table, "
                            f"[rule.filters] on its own line, then {key} = '…'.")
        if key not in RULE_KEYS:
            raise fail(key, f"unknown key {key!r} (a rule has {', '.join(RULE_KEYS)}).")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("name" if "name" in table else None, "a rule needs a `name` (text).")
    label = f"rule {name!r}"
    source = table.get("source")
    if not isinstance(source, str) or ":" not in source:
        raise fail("source" if "source" in table else None,
                   f"{label} needs `source = \"path/to/file.py:function\"`.")
    file_part, _, function = source.rpartition(":")
    if not file_part or not function.isidentifier():
        raise fail("source", f"{label}: `source` must be file.py:function, not {source!r}.")
    file = (path.parent / file_part).expanduser()
    if not file.is_file():
        raise fail("source", f"{label}: no file {file_part!r} (looked in {path.parent}).")
    dataset, project = table.get("dataset"), table.get("project")
    if (dataset is None) == (project is None):
        raise fail(None, f"{label} needs exactly one of `dataset` or `project`.")
    for key, value in (("dataset", dataset), ("project", project)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise fail(key, f"{label}: `{key}` must be a name (text).")
    rate = table.get("sampling_rate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise fail("sampling_rate", f"{label}: `sampling_rate` must be a number from 0 to 1, not {rate!r}.")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("enabled", f"{label}: `enabled` must be true or false, not {enabled!r}.")
    filters = table.get("filters")
    if filters is not None:
        if not isinstance(filters, dict):
            raise fail("filters", f"{label}: `filters` must be a table: [rule.filters] on its own line, "
                                  f"then one filter a line ({', '.join(FILTER_COLUMNS)}), e.g. filter = 'eq(is_root, true)'.")
        for key, value in filters.items():
            if key not in FILTER_COLUMNS:
                raise fail(key, f"{label}: unknown filter {key!r} (use {', '.join(FILTER_COLUMNS)}).")
            if not isinstance(value, str):
                raise fail(key, f"{label}: filter {key!r} must be text.")
    return ManifestRule(
        name=name.strip(), path=file.resolve(), function=function, source=source,
        dataset=dataset.strip() if dataset else None, project=project.strip() if project else None,
        sampling_rate=float(rate), enabled=enabled, filters=dict(filters) if filters is not None else None,
        line=start, target_line=_key_line(lines, start, "dataset" if dataset else "project"),
    )


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render_rule(rule: dict[str, Any]) -> str:
    """One [[rule]] table (keys in the documented order) as `init` writes it."""
    lines = ["[[rule]]"]
    for key in ("name", "source", "dataset", "project"):
        if rule.get(key):
            lines.append(f"{key} = {_toml_string(str(rule[key]))}")
    lines.append(f"sampling_rate = {float(rule.get('sampling_rate', 1.0))!r}")
    lines.append(f"enabled = {'true' if rule.get('enabled', True) else 'false'}")
    if rule.get("filters"):
        lines.append("[rule.filters]")
        lines += [f"{k} = {_toml_string(v)}" for k, v in rule["filters"].items()]
    return "\n".join(lines) + "\n"
