"""The embedded local workspace: a `Backend` on one SQLite file.

- WAL journal, `busy_timeout`, short explicit `BEGIN IMMEDIATE` write transactions: several
  threads (one shared connection behind a lock) and several processes can use one file at once.
- The schema is versioned with `PRAGMA user_version`; `_MIGRATIONS[n]` upgrades n -> n+1.
- A fresh file is seeded with the demo datasets and project (`seed_data.py`), in the same
  transaction that creates the schema, so two processes opening a new file seed it once.
- Files are user-only: the directory 0700, the database (and its -wal/-shm, which SQLite
  creates with the database's mode) 0600.
- Every sqlite3 error leaves as `errors.WorkspaceError` (or NotFound/InvalidInput) naming the file.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from tui.backend.core.errors import InvalidInput, NotFound, WorkspaceError
from tui.backend.core.models import (
    Dataset,
    Example,
    Experiment,
    ExperimentResult,
    Project,
    Rule,
    RuleSpec,
    Score,
    WorkspaceEvaluator,
)
from tui.backend.rules.rule_payload import create_body, kind_of, replace_body, rule_from_payload, settings_from_payload
from tui.backend.workspace.base import Capabilities
from tui.backend.workspace.workspace_evaluators import evaluator_from_payload

T = TypeVar("T")

SCHEMA_VERSION = 2
EXPERIMENT_STATUSES = ("running", "done", "cancelled", "failed")
SAMPLES_DIR = Path(__file__).with_name("samples")
_PAGE = 500  # rows fetched per query when iterating examples without a limit

_SCHEMA_V1 = """
CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    modified_at TEXT NOT NULL
);
CREATE INDEX datasets_name ON datasets(name);
CREATE TABLE examples (
    id TEXT PRIMARY KEY,
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX examples_page ON examples(dataset_id, position);
CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX projects_name ON projects(name);
CREATE TABLE rules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    code TEXT,
    sampling_rate REAL NOT NULL DEFAULT 1.0,
    is_enabled INTEGER NOT NULL DEFAULT 1,
    dataset_id TEXT REFERENCES datasets(id) ON DELETE SET NULL,
    project_id TEXT REFERENCES projects(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX rules_name ON rules(name);
CREATE TABLE experiments (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running',
    created_at TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    example_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX experiments_dataset ON experiments(dataset_id, created_at);
CREATE INDEX experiments_name ON experiments(name);
CREATE TABLE results (
    experiment_id TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    example_id TEXT NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT,
    reference_outputs TEXT NOT NULL,
    error TEXT,
    latency_ms REAL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (experiment_id, example_id)
);
-- `score` has no declared type so ints stay ints and floats stay floats, `is_bool` restores bools.
CREATE TABLE scores (
    experiment_id TEXT NOT NULL,
    example_id TEXT NOT NULL,
    key TEXT NOT NULL,
    score,
    is_bool INTEGER NOT NULL DEFAULT 0,
    comment TEXT,
    error TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (experiment_id, example_id, key),
    FOREIGN KEY (experiment_id, example_id) REFERENCES results(experiment_id, example_id) ON DELETE CASCADE
);
"""

# Rules keep their whole request-shape body (filters, side actions, LLM judges...) in `body`, so a
# replace carries them over as on LangSmith; workspace evaluators mirror /api/v1/platform/evaluators.
_SCHEMA_V2 = """
ALTER TABLE rules ADD COLUMN body TEXT NOT NULL DEFAULT '{}';
ALTER TABLE rules ADD COLUMN evaluator_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE rules ADD COLUMN evaluator_id TEXT;
CREATE TABLE workspace_evaluators (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""

# _MIGRATIONS[n] takes a database at user_version n to n + 1.
_MIGRATIONS: dict[int, str] = {0: _SCHEMA_V1, 1: _SCHEMA_V2}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _exists(conn: sqlite3.Connection, table: str, row_id: str) -> bool:
    return conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone() is not None


def _suggest(name: str, candidates: Iterable[str]) -> list[str]:
    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.5)
    return [by_lower[c] for c in close]


class LocalBackend:
    """`Backend` on an SQLite file (created and seeded on first open)."""

    kind = "local"
    # Locally evaltui's runner runs Python and LLM-judge rules; JavaScript ones are LangSmith's.
    capabilities = Capabilities(applies_rules=False, traces_runs=False, scoring_rule_kinds=("python", "llm"))

    def __init__(self, db_path: Path | str, *, busy_timeout_ms: int = 5000, seed: bool = True):
        self.db_path = Path(db_path).expanduser()
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._seed = seed
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._open()

    # -- opening, errors, transactions ------------------------------------------------------
    def _open(self) -> None:
        self._ensure_directory()
        self._ensure_file()
        try:
            conn = sqlite3.connect(
                str(self.db_path),
                timeout=self._busy_timeout_ms / 1000,
                isolation_level=None,  # autocommit; transactions are explicit
                check_same_thread=False,  # shared across worker threads behind self._lock
            )
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        self._conn = conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            conn.execute("PRAGMA foreign_keys = ON")
            self._enable_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            seeded = self._migrate()
        except sqlite3.Error as exc:
            self.close()
            raise self._error(exc) from None
        except WorkspaceError:
            self.close()
            raise
        self._restrict_sidecars()
        if seeded and self._seed:
            self._copy_samples()

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        """Switch to WAL, retrying while another process holds the lock (two first starts at once).

        SQLite answers a journal-mode change that meets a lock with "database is locked" or the old
        mode, without waiting on busy_timeout; retry until that timeout has passed.
        """
        deadline = time.monotonic() + self._busy_timeout_ms / 1000
        while True:
            locked: sqlite3.OperationalError | None = None
            try:
                mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                locked, mode = exc, "locked"
            if mode == "wal":
                return
            if time.monotonic() >= deadline:
                if locked is not None:
                    raise locked
                raise WorkspaceError(f"The workspace file {self.db_path} could not switch to WAL mode (got {mode!r}).")
            time.sleep(0.01)

    def _ensure_directory(self) -> bool:
        directory = self.db_path.parent
        if directory.is_dir():
            return False
        try:
            directory.mkdir(parents=True, mode=0o700)
            os.chmod(directory, 0o700)
        except FileExistsError:
            if not directory.is_dir():
                raise WorkspaceError(
                    f"The workspace directory {directory} exists but is not a directory."
                ) from None
            return False
        except OSError as exc:
            raise WorkspaceError(
                f"Cannot create the workspace directory {directory}: {exc.strerror or exc}."
            ) from None
        return True

    def _ensure_file(self) -> None:
        """Create the db file ourselves with mode 0600; SQLite gives -wal/-shm the same mode."""
        if self.db_path.is_dir():
            raise WorkspaceError(f"The workspace path {self.db_path} is a directory, not a database file.")
        try:
            fd = os.open(self.db_path, os.O_CREAT | os.O_RDWR, 0o600)
        except OSError as exc:
            raise WorkspaceError(
                f"Cannot open the workspace file {self.db_path}: {exc.strerror or exc}."
            ) from None
        os.close(fd)

    def _restrict_sidecars(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            path = Path(str(self.db_path) + suffix)
            try:
                if path.exists() and (path.stat().st_mode & 0o077):
                    os.chmod(path, 0o600)
            except OSError:
                pass  # not ours to fix (e.g. owned by someone else); SQLite already opened it

    def _error(self, exc: sqlite3.Error) -> WorkspaceError:
        text = str(exc)
        low = text.lower()
        path = self.db_path
        if "not a database" in low or "malformed" in low or "corrupt" in low:
            return WorkspaceError(
                f"The workspace file {path} is corrupted ({text}). Move it away "
                f"(for example `mv {path} {path}.broken`) and evaltui will create a fresh one."
            )
        if "locked" in low or "busy" in low:
            return WorkspaceError(
                f"The workspace file {path} is locked by another process; close other evaltui "
                "windows or commands using it and try again."
            )
        if "readonly" in low or "read-only" in low or "unable to open" in low or "disk i/o" in low:
            return WorkspaceError(
                f"The workspace file {path} cannot be written ({text}); check that its directory "
                "is writable and the disk is not full."
            )
        if "disk is full" in low or "full" in low:
            return WorkspaceError(f"The workspace file {path} cannot grow: the disk is full.")
        return WorkspaceError(f"The workspace file {path} could not be used: {text}.")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise WorkspaceError(f"The workspace {self.db_path} is closed.")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction (BEGIN IMMEDIATE takes the write lock up front, so
        concurrent writers wait on busy_timeout instead of failing on lock upgrade)."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._error(exc) from None
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc) from None
                raise

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            conn = self._connection()
            try:
                return fn(conn)
            except sqlite3.Error as exc:
                raise self._error(exc) from None

    def _migrate(self) -> bool:
        """Bring the schema to SCHEMA_VERSION; returns True when this call seeded a new file."""
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise WorkspaceError(
                    f"The workspace file {self.db_path} was written by a newer evaltui "
                    f"(schema {version}, this version understands {SCHEMA_VERSION}); upgrade evaltui."
                )
            fresh = version == 0
            while version < SCHEMA_VERSION:
                for statement in _MIGRATIONS[version].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
            if fresh and self._seed:
                self._insert_seed(conn)
            return fresh

    # -- seeding ----------------------------------------------------------------------------
    def _insert_seed(self, conn: sqlite3.Connection) -> None:
        from tui.backend.workspace.seed_data import DEMO_PROJECT, DEMO_WORKSPACE_EVALUATORS, demo_datasets

        for dataset in demo_datasets():
            dataset_id = self._insert_dataset(conn, dataset.name, dataset.description)
            self._insert_examples(
                conn,
                dataset_id,
                [(ex.inputs, ex.outputs, ex.metadata) for ex in dataset.examples],
            )
        self._insert_project(conn, DEMO_PROJECT)
        for evaluator in DEMO_WORKSPACE_EVALUATORS:
            self._insert_workspace_evaluator(conn, evaluator)

    def _copy_samples(self) -> None:
        """Copy the sample evaluator files next to the db, unless that directory exists."""
        target = self.db_path.parent / "evaluators"
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

    # -- identity -----------------------------------------------------------------------------
    def describe(self) -> str:
        return f"Local workspace {self.db_path}"

    def check(self) -> None:
        def probe(conn: sqlite3.Connection) -> None:
            result = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
            if result != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed: {result}")

        self._read(probe)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                finally:
                    self._conn = None

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- datasets and examples -------------------------------------------------------------
    _DATASET_SELECT = (
        "SELECT d.id, d.name, d.description, d.modified_at, "
        "(SELECT COUNT(*) FROM examples e WHERE e.dataset_id = d.id) FROM datasets d"
    )

    @staticmethod
    def _dataset(row: Sequence[Any]) -> Dataset:
        return Dataset(
            id=row[0], name=row[1], description=row[2], modified_at=_parse_time(row[3]), example_count=row[4]
        )

    def list_datasets(self) -> Iterator[Dataset]:
        rows = self._read(
            lambda c: c.execute(self._DATASET_SELECT + " ORDER BY d.created_at, d.rowid").fetchall()
        )
        return iter([self._dataset(r) for r in rows])

    def get_dataset(self, name_or_id: str) -> Dataset:
        def find(conn: sqlite3.Connection) -> Dataset | list[str]:
            row = conn.execute(
                self._DATASET_SELECT + " WHERE d.id = ? OR d.name = ? ORDER BY (d.id = ?) DESC, d.created_at LIMIT 1",
                (name_or_id, name_or_id, name_or_id),
            ).fetchone()
            if row:
                return self._dataset(row)
            return [r[0] for r in conn.execute("SELECT name FROM datasets")]

        found = self._read(find)
        if isinstance(found, Dataset):
            return found
        raise NotFound("Dataset", name_or_id, _suggest(name_or_id, found))

    def add_dataset(
        self,
        name: str,
        examples: Iterable[dict[str, Any] | tuple] = (),
        description: str = "",
    ) -> Dataset:
        """Create a dataset with examples (each `{"inputs", "outputs", "metadata"?}` or a tuple)."""
        if not name or not name.strip():
            raise InvalidInput("A dataset needs a non-empty name.")
        rows = [self._example_row(e) for e in examples]
        with self._write() as conn:
            dataset_id = self._insert_dataset(conn, name, description)
            self._insert_examples(conn, dataset_id, rows)
        return self.get_dataset(dataset_id)

    def add_examples(self, dataset_id: str, examples: Iterable[dict[str, Any] | tuple]) -> int:
        """Append examples to a dataset in one transaction; returns how many were added."""
        rows = [self._example_row(e) for e in examples]
        with self._write() as conn:
            if not _exists(conn, "datasets", dataset_id):
                raise NotFound("Dataset", dataset_id)
            self._insert_examples(conn, dataset_id, rows)
        return len(rows)

    @staticmethod
    def _example_row(example: dict[str, Any] | tuple) -> tuple[dict, dict, dict]:
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

    @staticmethod
    def _insert_dataset(conn: sqlite3.Connection, name: str, description: str) -> str:
        dataset_id = str(uuid.uuid4())
        now = _now()
        conn.execute(
            "INSERT INTO datasets (id, name, description, created_at, modified_at) VALUES (?, ?, ?, ?, ?)",
            (dataset_id, name, description, now, now),
        )
        return dataset_id

    @staticmethod
    def _insert_examples(
        conn: sqlite3.Connection, dataset_id: str, rows: Sequence[tuple[dict, dict, dict]]
    ) -> None:
        start = conn.execute(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM examples WHERE dataset_id = ?", (dataset_id,)
        ).fetchone()[0]
        now = _now()
        conn.executemany(
            "INSERT INTO examples (id, dataset_id, position, inputs, outputs, metadata, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (str(uuid.uuid4()), dataset_id, start + i, _dumps(inp), _dumps(out), _dumps(meta), now)
                for i, (inp, out, meta) in enumerate(rows)
            ),
        )
        conn.execute("UPDATE datasets SET modified_at = ? WHERE id = ?", (now, dataset_id))

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
                yield Example(
                    id=row[0],
                    dataset_id=row[1],
                    inputs=_loads(row[2]),
                    outputs=_loads(row[3]),
                    metadata=_loads(row[4]) or {},
                    created_at=_parse_time(row[5]),
                )
            if len(rows) < size:
                return
            offset += len(rows)
            if remaining is not None:
                remaining -= len(rows)

    def count_examples(self, dataset_id: str) -> int:
        return self._read(
            lambda c: c.execute("SELECT COUNT(*) FROM examples WHERE dataset_id = ?", (dataset_id,)).fetchone()[0]
        )

    # -- projects ----------------------------------------------------------------------------
    def list_projects(self) -> Iterator[Project]:
        rows = self._read(lambda c: c.execute("SELECT id, name FROM projects ORDER BY created_at, rowid").fetchall())
        return iter([Project(id=r[0], name=r[1]) for r in rows])

    def get_project(self, name_or_id: str) -> Project:
        def find(conn: sqlite3.Connection) -> Project | list[str]:
            row = conn.execute(
                "SELECT id, name FROM projects WHERE id = ? OR name = ? ORDER BY (id = ?) DESC, created_at LIMIT 1",
                (name_or_id, name_or_id, name_or_id),
            ).fetchone()
            if row:
                return Project(id=row[0], name=row[1])
            return [r[0] for r in conn.execute("SELECT name FROM projects")]

        found = self._read(find)
        if isinstance(found, Project):
            return found
        raise NotFound("Project", name_or_id, _suggest(name_or_id, found))

    def add_project(self, name: str) -> Project:
        if not name or not name.strip():
            raise InvalidInput("A project needs a non-empty name.")
        with self._write() as conn:
            project_id = self._insert_project(conn, name)
        return Project(id=project_id, name=name)

    @staticmethod
    def _insert_project(conn: sqlite3.Connection, name: str) -> str:
        project_id = str(uuid.uuid4())
        conn.execute("INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)", (project_id, name, _now()))
        return project_id

    # -- rules -------------------------------------------------------------------------------
    _RULE_SELECT = (
        "SELECT r.id, r.name, r.code, r.sampling_rate, r.is_enabled, r.dataset_id, d.name, "
        "r.project_id, p.name, r.created_at, r.updated_at, r.body, r.evaluator_version, r.evaluator_id "
        "FROM rules r LEFT JOIN datasets d ON d.id = r.dataset_id LEFT JOIN projects p ON p.id = r.project_id"
    )

    @staticmethod
    def _rule(row: Sequence[Any]) -> Rule:
        """The stored body in the LangSmith payload shape, so both backends read rules alike."""
        body = _loads(row[11]) or {}
        if row[2] is not None and not body.get("code_evaluators"):
            body["code_evaluators"] = [{"code": row[2], "language": "python"}]  # a v1 workspace row
        payload = {
            **body,
            "id": row[0],
            "display_name": row[1],
            "sampling_rate": float(row[3]),
            "is_enabled": bool(row[4]),
            "dataset_id": row[5],
            "dataset_name": row[6],
            "session_id": row[7],
            "session_name": row[8],
            "created_at": row[9],
            "updated_at": row[10],
            "evaluator_version": row[12],
            "evaluator_id": row[13],
        }
        return rule_from_payload(payload, parse_time=_parse_time)

    def list_rules(self, name: str | None = None) -> list[Rule]:
        def query(conn: sqlite3.Connection) -> list[Rule]:
            if name is None:
                rows = conn.execute(self._RULE_SELECT + " ORDER BY r.created_at, r.rowid").fetchall()
            else:
                rows = conn.execute(
                    self._RULE_SELECT + " WHERE r.name = ? ORDER BY r.created_at, r.rowid", (name,)
                ).fetchall()
            return [self._rule(r) for r in rows]

        return self._read(query)

    def get_rule(self, rule_id: str) -> Rule:
        row = self._read(lambda c: c.execute(self._RULE_SELECT + " WHERE r.id = ?", (rule_id,)).fetchone())
        if row is None:
            raise NotFound("Rule", rule_id)
        return self._rule(row)

    def _validate_body(self, conn: sqlite3.Connection, body: dict[str, Any]) -> None:
        name = body.get("display_name")
        if not name or not str(name).strip():
            raise InvalidInput("A rule needs a non-empty name.")
        rate = body.get("sampling_rate")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or math.isnan(rate) or not 0 <= rate <= 1:
            raise InvalidInput(f"Sampling rate must be a number between 0 and 1, got {rate!r}.")
        dataset_id, project_id = body.get("dataset_id"), body.get("session_id")
        if dataset_id and project_id:
            raise InvalidInput("A rule is bound to a dataset or a project, not both.")
        if dataset_id and not _exists(conn, "datasets", dataset_id):
            raise NotFound("Dataset", dataset_id)
        if project_id and not _exists(conn, "projects", project_id):
            raise NotFound("Project", project_id)

    def _store_rule(self, conn: sqlite3.Connection, rule_id: str, body: dict[str, Any], *, new: bool) -> None:
        """Write a rule body (request shape, as LangSmith's POST / full-replace PATCH take it)."""
        self._validate_body(conn, body)
        kind, code, _ = kind_of(settings_from_payload(body))
        stored = {k: v for k, v in body.items() if k not in ("evaluator_version",)}
        values = (
            body["display_name"], code if kind == "python" else None, float(body["sampling_rate"]),
            int(body.get("is_enabled", True)), body.get("dataset_id") or None, body.get("session_id") or None,
            _dumps(stored), body.get("evaluator_id"),
        )
        if new:
            now = _now()
            conn.execute(
                "INSERT INTO rules (name, code, sampling_rate, is_enabled, dataset_id, project_id, body, "
                "evaluator_id, id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, rule_id, now, now),
            )
            return
        row = conn.execute("SELECT evaluator_version FROM rules WHERE id = ?", (rule_id,)).fetchone()
        if row is None:
            raise NotFound("Rule", rule_id)
        if body.get("evaluator_version") not in (None, row[0]):
            raise InvalidInput(
                f"Rule {body['display_name']!r} was changed by someone else since evaltui read it; "
                "nothing was replaced. Run the command again to see the new version."
            )
        conn.execute(
            "UPDATE rules SET name = ?, code = ?, sampling_rate = ?, is_enabled = ?, dataset_id = ?, "
            "project_id = ?, body = ?, evaluator_id = ?, updated_at = ?, "
            "evaluator_version = evaluator_version + 1 WHERE id = ?",
            (*values, _now(), rule_id),
        )

    def add_rule(self, body: dict[str, Any]) -> Rule:
        """Store a rule of any kind from its LangSmith create body (webhook-only, LLM judge...)."""
        rule_id = str(uuid.uuid4())
        with self._write() as conn:
            self._store_rule(conn, rule_id, dict(body), new=True)
        return self.get_rule(rule_id)

    def create_rule(self, spec: RuleSpec) -> Rule:
        return self.add_rule(create_body(spec, require_target=False))

    def update_rule(self, rule_id: str, spec: RuleSpec, base: Rule | None = None) -> Rule:
        with self._write() as conn:
            current = base
            if current is None:
                row = conn.execute(self._RULE_SELECT + " WHERE r.id = ?", (rule_id,)).fetchone()
                if row is None:
                    raise NotFound("Rule", rule_id)
                current = self._rule(row)
            self._store_rule(conn, rule_id, replace_body(current, spec, require_target=False), new=False)
        return self.get_rule(rule_id)

    def delete_rule(self, rule_id: str) -> None:
        with self._write() as conn:
            if conn.execute("DELETE FROM rules WHERE id = ?", (rule_id,)).rowcount == 0:
                raise NotFound("Rule", rule_id)

    # -- workspace evaluators --------------------------------------------------------------------
    @staticmethod
    def _insert_workspace_evaluator(conn: sqlite3.Connection, body: dict[str, Any]) -> str:
        evaluator_id = str(uuid.uuid4())
        now = _now()
        conn.execute(
            "INSERT INTO workspace_evaluators (id, name, type, body, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (evaluator_id, body["name"], body.get("type", "code"), _dumps(body), now, now),
        )
        return evaluator_id

    def add_workspace_evaluator(self, body: dict[str, Any]) -> WorkspaceEvaluator:
        """Store one from its LangSmith OnlineEvaluator shape (name, type, code_evaluator / llm_evaluator)."""
        with self._write() as conn:
            evaluator_id = self._insert_workspace_evaluator(conn, body)
        return next(e for e in self.list_workspace_evaluators() if e.id == evaluator_id)

    def list_workspace_evaluators(self) -> list[WorkspaceEvaluator]:
        def query(conn: sqlite3.Connection) -> list[WorkspaceEvaluator]:
            rules: dict[str, list[dict]] = {}
            for evaluator_id, dataset, project in conn.execute(
                "SELECT r.evaluator_id, d.name, p.name FROM rules r LEFT JOIN datasets d ON d.id = r.dataset_id "
                "LEFT JOIN projects p ON p.id = r.project_id WHERE r.evaluator_id IS NOT NULL"
            ):
                rules.setdefault(evaluator_id, []).append({"dataset_name": dataset, "session_name": project})
            rows = conn.execute(
                "SELECT id, body, created_at, updated_at FROM workspace_evaluators ORDER BY name, id"
            ).fetchall()
            return [
                evaluator_from_payload(
                    {**(_loads(body) or {}), "id": ev_id, "created_at": created, "updated_at": updated,
                     "run_rules": rules.get(ev_id, [])},
                    _parse_time,
                )
                for ev_id, body, created, updated in rows
            ]

        return self._read(query)

    # -- experiments ---------------------------------------------------------------------------
    _EXPERIMENT_SELECT = (
        "SELECT id, name, dataset_id, status, created_at, example_count, metadata FROM experiments"
    )

    @staticmethod
    def _experiment(row: Sequence[Any]) -> Experiment:
        return Experiment(
            id=row[0],
            name=row[1],
            dataset_id=row[2],
            status=row[3],
            created_at=_parse_time(row[4]),
            example_count=row[5],
            metadata=_loads(row[6]) or {},
        )

    def create_experiment(self, name: str, dataset_id: str, metadata: dict | None = None) -> Experiment:
        if not name or not name.strip():
            raise InvalidInput("An experiment needs a non-empty name.")
        experiment_id = str(uuid.uuid4())
        with self._write() as conn:
            if not _exists(conn, "datasets", dataset_id):
                raise NotFound("Dataset", dataset_id)
            conn.execute(
                "INSERT INTO experiments (id, name, dataset_id, status, created_at, metadata) "
                "VALUES (?, ?, ?, 'running', ?, ?)",
                (experiment_id, name, dataset_id, _now(), _dumps(metadata or {})),
            )
        return self.get_experiment(experiment_id)

    def record_results(self, results: Iterable[ExperimentResult]) -> None:
        """Upsert a batch of rows (and their scores, by key) in one transaction."""
        batch = list(results)
        if not batch:
            return
        now = _now()
        result_rows = [
            (r.experiment_id, r.example_id, _dumps(r.inputs or {}),
             None if r.outputs is None else _dumps(r.outputs), _dumps(r.reference_outputs or {}),
             r.error, r.latency_ms, now)
            for r in batch
        ]
        score_rows = [
            (r.experiment_id, r.example_id, s.key, *self._score_value(s.score), s.comment, s.error, i)
            for r in batch
            for i, s in enumerate(r.scores)
        ]
        experiment_ids = sorted({r.experiment_id for r in batch})
        with self._write() as conn:
            known = {
                row[0]
                for row in conn.execute(
                    f"SELECT id FROM experiments WHERE id IN ({','.join('?' * len(experiment_ids))})",
                    experiment_ids,
                )
            }
            missing = [e for e in experiment_ids if e not in known]
            if missing:
                raise NotFound("Experiment", missing[0])
            conn.executemany(
                "INSERT INTO results (experiment_id, example_id, inputs, outputs, reference_outputs, error, "
                "latency_ms, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (experiment_id, example_id) DO UPDATE SET inputs = excluded.inputs, "
                "outputs = excluded.outputs, reference_outputs = excluded.reference_outputs, "
                "error = excluded.error, latency_ms = excluded.latency_ms, recorded_at = excluded.recorded_at",
                result_rows,
            )
            conn.executemany(
                "INSERT INTO scores (experiment_id, example_id, key, score, is_bool, comment, error, position) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (experiment_id, example_id, key) DO UPDATE SET score = excluded.score, "
                "is_bool = excluded.is_bool, comment = excluded.comment, error = excluded.error, "
                "position = excluded.position",
                score_rows,
            )
            conn.executemany(
                "UPDATE experiments SET example_count = "
                "(SELECT COUNT(*) FROM results WHERE experiment_id = ?) WHERE id = ?",
                [(e, e) for e in experiment_ids],
            )

    @staticmethod
    def _score_value(score: float | bool | None) -> tuple[Any, int]:
        if isinstance(score, bool):
            return int(score), 1
        if score is None or isinstance(score, (int, float)):
            return score, 0
        try:
            return float(score), 0
        except (TypeError, ValueError):
            raise InvalidInput(f"A score must be a number, a bool or None, got {score!r}.") from None

    def finish_experiment(self, experiment_id: str, status: str) -> None:
        if status not in EXPERIMENT_STATUSES:
            raise InvalidInput(f"Unknown experiment status {status!r}: use one of {', '.join(EXPERIMENT_STATUSES)}.")
        with self._write() as conn:
            if conn.execute("UPDATE experiments SET status = ? WHERE id = ?", (status, experiment_id)).rowcount == 0:
                raise NotFound("Experiment", experiment_id)

    def list_experiments(self, dataset_id: str | None = None) -> list[Experiment]:
        def query(conn: sqlite3.Connection) -> list[Experiment]:
            if dataset_id is None:
                rows = conn.execute(self._EXPERIMENT_SELECT + " ORDER BY created_at DESC, rowid DESC").fetchall()
            else:
                rows = conn.execute(
                    self._EXPERIMENT_SELECT + " WHERE dataset_id = ? ORDER BY created_at DESC, rowid DESC",
                    (dataset_id,),
                ).fetchall()
            return [self._experiment(r) for r in rows]

        return self._read(query)

    def get_experiment(self, name_or_id: str) -> Experiment:
        def find(conn: sqlite3.Connection) -> Experiment | list[str]:
            row = conn.execute(
                self._EXPERIMENT_SELECT + " WHERE id = ? OR name = ? "
                "ORDER BY (id = ?) DESC, created_at DESC, rowid DESC LIMIT 1",
                (name_or_id, name_or_id, name_or_id),
            ).fetchone()
            if row:
                return self._experiment(row)
            return [r[0] for r in conn.execute("SELECT DISTINCT name FROM experiments")]

        found = self._read(find)
        if isinstance(found, Experiment):
            return found
        raise NotFound("Experiment", name_or_id, _suggest(name_or_id, found))

    def list_results(self, experiment_id: str) -> list[ExperimentResult]:
        """Rows in the dataset's example order (then in the order they were recorded)."""

        def query(conn: sqlite3.Connection) -> tuple[list, list]:
            rows = conn.execute(
                "SELECT r.example_id, r.inputs, r.outputs, r.reference_outputs, r.error, r.latency_ms "
                "FROM results r LEFT JOIN examples e ON e.id = r.example_id "
                "WHERE r.experiment_id = ? ORDER BY e.position IS NULL, e.position, r.rowid",
                (experiment_id,),
            ).fetchall()
            scores = conn.execute(
                "SELECT example_id, key, score, is_bool, comment, error FROM scores "
                "WHERE experiment_id = ? ORDER BY example_id, position, key",
                (experiment_id,),
            ).fetchall()
            return rows, scores

        rows, score_rows = self._read(query)
        scores: dict[str, list[Score]] = {}
        for example_id, key, value, is_bool, comment, error in score_rows:
            if is_bool and value is not None:
                value = bool(value)
            scores.setdefault(example_id, []).append(Score(key=key, score=value, comment=comment, error=error))
        return [
            ExperimentResult(
                experiment_id=experiment_id,
                example_id=row[0],
                inputs=_loads(row[1]) or {},
                outputs=_loads(row[2]),
                reference_outputs=_loads(row[3]) or {},
                error=row[4],
                latency_ms=row[5],
                scores=tuple(scores.get(row[0], ())),
            )
            for row in rows
        ]
