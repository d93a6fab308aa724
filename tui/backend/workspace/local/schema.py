"""The local workspace's SQLite schema, versioned with `PRAGMA user_version`.

`MIGRATIONS[n]` is the SQL script that takes a database at user_version n to n + 1; a new file
runs them all, from 0.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone

SCHEMA_VERSION = 5

SCHEMA_V1 = """
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
SCHEMA_V2 = """
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

# Prompts of the prompt hub that workspace LLM evaluators point at: LangChain-serialized manifests
# per repo handle and commit ("latest" is the newest).
SCHEMA_V3 = """
CREATE TABLE prompts (
    repo_handle TEXT NOT NULL,
    commit_hash TEXT NOT NULL,
    manifest TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (repo_handle, commit_hash)
);
"""


def _to_v3(conn: sqlite3.Connection) -> None:
    """Add the prompts table; a workspace seeded before it gets the demo evaluators' prompts."""
    from tui.backend.workspace.local.prompts import insert_prompt
    from tui.backend.workspace.seed_data import DEMO_PROMPTS

    conn.execute(SCHEMA_V3)
    used = {row[0] for row in conn.execute("SELECT body FROM workspace_evaluators")}
    for handle, manifest in DEMO_PROMPTS.items():
        if any(handle in body for body in used):
            insert_prompt(conn, handle, manifest)


# A score is its key *and* the evaluator that gave it: two evaluators writing one key are two scores
# (they overwrote each other under the v1 key). Rows from before keep evaluator ''.
SCHEMA_V4 = """
CREATE TABLE scores_v4 (
    experiment_id TEXT NOT NULL,
    example_id TEXT NOT NULL,
    key TEXT NOT NULL,
    evaluator TEXT NOT NULL DEFAULT '',
    score,
    is_bool INTEGER NOT NULL DEFAULT 0,
    comment TEXT,
    error TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (experiment_id, example_id, key, evaluator),
    FOREIGN KEY (experiment_id, example_id) REFERENCES results(experiment_id, example_id) ON DELETE CASCADE
);
INSERT INTO scores_v4 (experiment_id, example_id, key, score, is_bool, comment, error, position)
    SELECT experiment_id, example_id, key, score, is_bool, comment, error, position FROM scores;
DROP TABLE scores;
ALTER TABLE scores_v4 RENAME TO scores;
"""

# Dataset versions (as LangSmith keeps them): every write to a dataset makes one version, named by
# its time (`version_stamp`: UTC, microseconds, so the text sorts as the times do). `examples` holds
# each example's current content with the versions that made it (`created_at`), last changed it
# (`modified_at`) and soft-deleted it (`deleted_at`); `example_history` the content it had before each
# change, in force from `valid_from` until `valid_to` (excluded). `examples_live` pages the current
# state; tags name versions ("latest" is never stored: it is the newest).
SCHEMA_V5_TABLES = """
CREATE INDEX IF NOT EXISTS examples_live ON examples(dataset_id, position) WHERE deleted_at IS NULL;
CREATE TABLE IF NOT EXISTS example_history (
    example_id TEXT NOT NULL REFERENCES examples(id) ON DELETE CASCADE,
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT NOT NULL,
    metadata TEXT NOT NULL,
    created_at TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    PRIMARY KEY (example_id, valid_from)
);
CREATE INDEX IF NOT EXISTS example_history_page ON example_history(dataset_id, position, valid_from);
CREATE TABLE IF NOT EXISTS dataset_versions (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    as_of TEXT NOT NULL,
    PRIMARY KEY (dataset_id, as_of)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dataset_tags (
    dataset_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    as_of TEXT NOT NULL,
    PRIMARY KEY (dataset_id, tag),
    FOREIGN KEY (dataset_id, as_of) REFERENCES dataset_versions(dataset_id, as_of) ON DELETE CASCADE
) WITHOUT ROWID;
"""


def version_stamp(value: str | datetime) -> str:
    """A time as the version columns keep it: UTC ISO 8601 with microseconds (naive means UTC)."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _to_v5(conn: sqlite3.Connection) -> None:
    """Add the version columns and tables; each dataset gets one version, at its `modified_at`
    (never before one of its examples), holding every example it has. Safe to run again."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(examples)")}
    for column in ("modified_at", "deleted_at"):
        if column not in columns:
            conn.execute(f"ALTER TABLE examples ADD COLUMN {column} TEXT")
    for statement in SCHEMA_V5_TABLES.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.create_function("evaltui_stamp", 1, version_stamp, deterministic=True)
    try:
        conn.execute("UPDATE examples SET created_at = evaltui_stamp(created_at)")
        conn.execute("UPDATE datasets SET created_at = evaltui_stamp(created_at), "
                     "modified_at = evaltui_stamp(modified_at)")
    finally:
        conn.create_function("evaltui_stamp", 1, None)
    conn.execute(
        "UPDATE datasets SET modified_at = MAX(modified_at, "
        "COALESCE((SELECT MAX(e.created_at) FROM examples e WHERE e.dataset_id = datasets.id), ''))"
    )
    conn.execute(
        "INSERT OR IGNORE INTO dataset_versions (dataset_id, as_of) SELECT id, modified_at FROM datasets "
        "WHERE NOT EXISTS (SELECT 1 FROM dataset_versions v WHERE v.dataset_id = datasets.id)"
    )


#: Version n -> the step to n + 1: an SQL script (statements split on ";") or a function.
MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection], None]] = {
    0: SCHEMA_V1, 1: SCHEMA_V2, 2: _to_v3, 3: SCHEMA_V4, 4: _to_v5,
}
