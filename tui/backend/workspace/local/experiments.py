"""Experiments of the local workspace: one row each, their results (upserted by example) and the
scores of every result (upserted by key and evaluator; `is_bool` keeps bools apart from 0 / 1)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from tui.backend.core.errors import InvalidInput, NotFound
from tui.backend.core.models import Experiment, ExperimentResult, Score
from tui.backend.core.run_owner import INTERRUPTED, owner_gone
from tui.backend.workspace.local.rows import dumps, exists, loads, now, parse_time
from tui.backend.workspace.local.store import LocalStore

EXPERIMENT_STATUSES = ("running", "done", "cancelled", "failed", INTERRUPTED)

_EXPERIMENT_SELECT = "SELECT id, name, dataset_id, status, created_at, example_count, metadata FROM experiments"

_UPSERT_RESULT = (
    "INSERT INTO results (experiment_id, example_id, inputs, outputs, reference_outputs, error, "
    "latency_ms, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (experiment_id, example_id) DO UPDATE SET inputs = excluded.inputs, "
    "outputs = excluded.outputs, reference_outputs = excluded.reference_outputs, "
    "error = excluded.error, latency_ms = excluded.latency_ms, recorded_at = excluded.recorded_at"
)
_UPSERT_SCORE = (
    "INSERT INTO scores (experiment_id, example_id, key, evaluator, score, is_bool, comment, error, position) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (experiment_id, example_id, key, evaluator) DO UPDATE SET score = excluded.score, "
    "is_bool = excluded.is_bool, comment = excluded.comment, error = excluded.error, "
    "position = excluded.position"
)


def _experiment(row: Sequence[Any]) -> Experiment:
    return Experiment(
        id=row[0],
        name=row[1],
        dataset_id=row[2],
        status=row[3],
        created_at=parse_time(row[4]),
        example_count=row[5],
        metadata=loads(row[6]) or {},
    )


def _score_value(score: float | bool | None) -> tuple[Any, int]:
    """The stored (score, is_bool) pair."""
    if isinstance(score, bool):
        return int(score), 1
    if score is None or isinstance(score, (int, float)):
        return score, 0
    try:
        return float(score), 0
    except (TypeError, ValueError):
        raise InvalidInput(f"A score must be a number, a bool or None, got {score!r}.") from None


def _scores_by_example(rows: Iterable[Sequence[Any]]) -> dict[str, list[Score]]:
    scores: dict[str, list[Score]] = {}
    for example_id, key, evaluator, value, is_bool, comment, error in rows:
        if is_bool and value is not None:
            value = bool(value)
        scores.setdefault(example_id, []).append(
            Score(key=key, score=value, comment=comment, error=error, evaluator=evaluator))
    return scores


def _check_experiments_exist(conn: sqlite3.Connection, experiment_ids: list[str]) -> None:
    placeholders = ",".join("?" * len(experiment_ids))
    known = {row[0] for row in conn.execute(f"SELECT id FROM experiments WHERE id IN ({placeholders})", experiment_ids)}
    missing = [e for e in experiment_ids if e not in known]
    if missing:
        raise NotFound("Experiment", missing[0])


class LocalExperiments(LocalStore):
    """The experiments part of `LocalBackend`."""

    def create_experiment(self, name: str, dataset_id: str, metadata: dict | None = None) -> Experiment:
        if not name or not name.strip():
            raise InvalidInput("An experiment needs a non-empty name.")
        experiment_id = str(uuid.uuid4())
        with self._write() as conn:
            if not exists(conn, "datasets", dataset_id):
                raise NotFound("Dataset", dataset_id)
            conn.execute(
                "INSERT INTO experiments (id, name, dataset_id, status, created_at, metadata) "
                "VALUES (?, ?, ?, 'running', ?, ?)",
                (experiment_id, name, dataset_id, now(), dumps(metadata or {})),
            )
        return self.get_experiment(experiment_id)

    def record_results(self, results: Iterable[ExperimentResult]) -> None:
        """Upsert a batch of rows in one transaction; each row's scores replace those it had."""
        batch = list(results)
        if not batch:
            return
        stamp = now()
        result_rows = [
            (r.experiment_id, r.example_id, dumps(r.inputs or {}),
             None if r.outputs is None else dumps(r.outputs), dumps(r.reference_outputs or {}),
             r.error, r.latency_ms, stamp)
            for r in batch
        ]
        score_rows = [
            (r.experiment_id, r.example_id, s.key, s.evaluator or "", *_score_value(s.score), s.comment, s.error, i)
            for r in batch
            for i, s in enumerate(r.scores)
        ]
        experiment_ids = sorted({r.experiment_id for r in batch})
        with self._write() as conn:
            _check_experiments_exist(conn, experiment_ids)
            conn.executemany(_UPSERT_RESULT, result_rows)
            # A row recorded again (retry, re-score) brings its whole set of scores: one that is
            # not in it any more (a rule not drawn this time, on outputs that changed) goes.
            conn.executemany("DELETE FROM scores WHERE experiment_id = ? AND example_id = ?",
                             [(r.experiment_id, r.example_id) for r in batch])
            conn.executemany(_UPSERT_SCORE, score_rows)
            conn.executemany(
                "UPDATE experiments SET example_count = "
                "(SELECT COUNT(*) FROM results WHERE experiment_id = ?) WHERE id = ?",
                [(e, e) for e in experiment_ids],
            )

    def finish_experiment(self, experiment_id: str, status: str) -> None:
        if status not in EXPERIMENT_STATUSES:
            raise InvalidInput(f"Unknown experiment status {status!r}: use one of {', '.join(EXPERIMENT_STATUSES)}.")
        with self._write() as conn:
            if conn.execute("UPDATE experiments SET status = ? WHERE id = ?", (status, experiment_id)).rowcount == 0:
                raise NotFound("Experiment", experiment_id)

    def _mark_interrupted(self) -> None:
        """A "running" experiment whose process has died is marked interrupted (its results stay)."""
        running = self._read(lambda conn: conn.execute(
            "SELECT id, metadata FROM experiments WHERE status = 'running'").fetchall())
        orphans = [exp_id for exp_id, metadata in running if owner_gone(loads(metadata))]
        if orphans:
            with self._write() as conn:
                conn.executemany("UPDATE experiments SET status = ? WHERE id = ? AND status = 'running'",
                                 [(INTERRUPTED, exp_id) for exp_id in orphans])

    def list_experiments(self, dataset_id: str | None = None) -> list[Experiment]:
        self._mark_interrupted()

        def query(conn: sqlite3.Connection) -> list[Experiment]:
            if dataset_id is None:
                rows = conn.execute(_EXPERIMENT_SELECT + " ORDER BY created_at DESC, rowid DESC").fetchall()
            else:
                rows = conn.execute(
                    _EXPERIMENT_SELECT + " WHERE dataset_id = ? ORDER BY created_at DESC, rowid DESC", (dataset_id,)
                ).fetchall()
            return [_experiment(r) for r in rows]

        return self._read(query)

    def get_experiment(self, name_or_id: str) -> Experiment:
        self._mark_interrupted()
        return self._lookup(
            "Experiment",
            name_or_id,
            _EXPERIMENT_SELECT + " WHERE id = ? OR name = ? ORDER BY (id = ?) DESC, created_at DESC, rowid DESC LIMIT 1",
            _experiment,
            "SELECT DISTINCT name FROM experiments",
        )

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
                "SELECT example_id, key, evaluator, score, is_bool, comment, error FROM scores "
                "WHERE experiment_id = ? ORDER BY example_id, position, key, evaluator",
                (experiment_id,),
            ).fetchall()
            return rows, scores

        rows, score_rows = self._read(query)
        scores = _scores_by_example(score_rows)
        return [
            ExperimentResult(
                experiment_id=experiment_id,
                example_id=row[0],
                inputs=loads(row[1]) or {},
                outputs=loads(row[2]),
                reference_outputs=loads(row[3]) or {},
                error=row[4],
                latency_ms=row[5],
                scores=tuple(scores.get(row[0], ())),
            )
            for row in rows
        ]
