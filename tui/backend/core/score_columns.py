"""The score columns of a set of rows: one per (key, evaluator), in the order first seen, each
labelled by its key alone unless two evaluators share that key (then `key · evaluator`).

One owner for the grid's columns, the summaries' keys, the export's columns and the comparison.
"""

from __future__ import annotations

from collections.abc import Iterable

from tui.backend.core.models import ExperimentResult, Score


class ScoreColumns:
    """`add(score)` records a column; `label(ident)` names it for people."""

    __slots__ = ("_keys", "_evaluators")

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}  # ident -> key, in the order first seen
        self._evaluators: dict[str, int] = {}  # key -> how many idents carry it

    def add(self, score: Score) -> bool:
        """Record the column of `score`; True when it is new (which may change other labels)."""
        ident = score.ident
        if ident in self._keys:
            return False
        self._keys[ident] = score.key
        self._evaluators[score.key] = self._evaluators.get(score.key, 0) + 1
        return True

    def add_rows(self, results: Iterable[ExperimentResult]) -> bool:
        new = False
        for result in results:
            for score in result.scores:
                new = self.add(score) or new
        return new

    @property
    def idents(self) -> list[str]:
        return list(self._keys)

    def key(self, ident: str) -> str:
        return self._keys.get(ident, ident)

    def label(self, ident: str) -> str:
        key = self._keys.get(ident, ident)
        return ident if self._evaluators.get(key, 0) > 1 else key

    def labels(self) -> dict[str, str]:
        return {ident: self.label(ident) for ident in self._keys}

    def clear(self) -> None:
        self._keys.clear()
        self._evaluators.clear()

    def __len__(self) -> int:
        return len(self._keys)


def columns_of(results: Iterable[ExperimentResult]) -> ScoreColumns:
    columns = ScoreColumns()
    columns.add_rows(results)
    return columns
