"""The one summary of an experiment's rows: per score column (an evaluator key, or `key · evaluator`
when two evaluators write one key: `core.score_columns`) the mean score (bools count 1/0), how many
numeric scores and errors it has, plus the number of rows and target errors.

`ScoreTally` folds rows one at a time (and can take one back out, for a row that is replaced),
so the same arithmetic serves a finished experiment (`summarize`), the runner pane's running means
(`RunStats`), the CLI's progress line and the comparison of two experiments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tui.backend.core.events import ExperimentStarted
from tui.backend.core.models import ExperimentResult, numeric_score
from tui.backend.core.score_columns import ScoreColumns

#: The `first_errors` key of a target failure (evaluator keys name the others).
TARGET_KEY = "target"


class ScoreTally:
    """Running counts over experiment rows; `add(row)` / `add(row, -1)` keep them up to date."""

    __slots__ = ("examples", "target_errors", "evaluator_errors", "sums", "columns", "_first_errors")

    def __init__(self) -> None:
        self.examples = 0
        self.target_errors = 0
        self.evaluator_errors = 0
        #: `Score.ident` -> [sum of numeric scores, number of numeric scores, number of errors]
        self.sums: dict[str, list[float]] = {}
        self.columns = ScoreColumns()
        #: the first error message seen per score ident (`TARGET_KEY` for the target), in order seen
        self._first_errors: dict[str, str] = {}

    @property
    def first_errors(self) -> dict[str, str]:
        """The first error per column label (`TARGET_KEY` for the target), in the order seen."""
        return {self.columns.label(k) if k != TARGET_KEY else k: v for k, v in self._first_errors.items()}

    def add(self, result: ExperimentResult, sign: int = 1) -> None:
        """Fold one row in (`sign=1`) or back out (`sign=-1`); first errors are only ever added."""
        self.examples += sign
        if result.error:
            self.target_errors += sign
            if sign > 0:
                self._first_errors.setdefault(TARGET_KEY, result.error)
        sums = self.sums
        for score in result.scores:
            ident = score.ident
            entry = sums.get(ident)
            if entry is None:
                entry = sums[ident] = [0.0, 0.0, 0.0]
                self.columns.add(score)
            if score.error:
                entry[2] += sign
                self.evaluator_errors += sign
                if sign > 0:
                    self._first_errors.setdefault(ident, score.error)
                continue
            value = numeric_score(score.score)
            if value is not None:
                entry[0] += sign * value
                entry[1] += sign

    def clear(self) -> None:
        self.__init__()

    def _labelled(self) -> list[tuple[str, list[float]]]:
        label = self.columns.label
        return sorted((label(ident), entry) for ident, entry in self.sums.items())

    def means(self) -> dict[str, tuple[float | None, int, int]]:
        """Per column label, sorted: `(mean or None, numeric scores, errors)`."""
        return {k: ((s / n) if n else None, int(n), int(e)) for k, (s, n, e) in self._labelled()}

    def summary(self) -> dict[str, float | None]:
        """Per column label, sorted: the mean score, or None when the column has no numeric score."""
        return {k: (s / n if n else None) for k, (s, n, _) in self._labelled()}

    def counts(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "target_errors": self.target_errors,
            "evaluator_errors": self.evaluator_errors,
            "keys": {k: {"n": int(n), "errors": int(e)} for k, (_, n, e) in self._labelled()},
        }


def summarize(results: Iterable[ExperimentResult]) -> tuple[dict[str, float | None], dict[str, Any]]:
    """Per evaluator key: mean score (bools count 1/0), plus counts of rows, scores and errors.

    Returns `(summary, counts)` with `summary[key] = mean or None` and
    `counts = {"examples", "target_errors", "evaluator_errors", "keys": {key: {"n", "errors"}}}`.
    """
    tally = ScoreTally()
    for result in results:
        tally.add(result)
    return tally.summary(), tally.counts()


@dataclass
class RunStats:
    """What the runner pane shows of a run, folded from its events (no Textual: cheap and testable).

    `done` and `target_errors` count this pass; the means (`tally`) also hold the rows loaded
    before it (retry / re-score keep the experiment's other rows).
    """

    experiment_id: str | None = None
    name: str = ""
    total: int = 0
    done: int = 0
    target_errors: int = 0
    url: str | None = None
    rules: tuple[str, ...] = ()
    rules_run_by: str = "local"
    started_at: float | None = None
    finished_at: float | None = None
    status: str = "idle"  # idle | running | cancelling | done | cancelled | failed
    message: str = ""
    results: dict[str, ExperimentResult] = field(default_factory=dict)
    tally: ScoreTally = field(default_factory=ScoreTally)

    @property
    def sums(self) -> dict[str, list[float]]:
        """`Score.ident` -> [sum, n, errors] of the shown rows (`ScoreTally.sums`)."""
        return self.tally.sums

    def begin(self, event: ExperimentStarted, now: float, keep_rows: bool) -> None:
        if not keep_rows:
            self.clear_rows()
        self.experiment_id, self.name, self.total = event.experiment_id, event.name, event.total
        self.url, self.rules, self.rules_run_by = event.url, event.rules, event.rules_run_by
        self.done = self.target_errors = 0
        self.started_at, self.finished_at = now, None
        self.status, self.message = "running", ""

    def clear_rows(self) -> None:
        self.results.clear()
        self.tally.clear()

    def store(self, result: ExperimentResult) -> None:
        """Add (or replace) one example's row in the running means."""
        old = self.results.get(result.example_id)
        if old is not None:
            self.tally.add(old, -1)
        self.results[result.example_id] = result
        self.tally.add(result)

    def means(self) -> dict[str, tuple[float | None, int, int]]:
        return self.tally.means()

    def rate(self, now: float) -> float | None:
        if self.started_at is None or self.done == 0:
            return None
        elapsed = (self.finished_at or now) - self.started_at
        return self.done / elapsed if elapsed > 0 else None

    def eta(self, now: float) -> float | None:
        rate = self.rate(now)
        if rate is None or self.status != "running":
            return None
        return max(self.total - self.done, 0) / rate
