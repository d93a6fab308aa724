"""Two experiments compared: per-metric means and deltas, and the shared examples whose score changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tui.backend.core.models import ExperimentResult, numeric_score
from tui.backend.core.score_columns import columns_of
from tui.backend.runs.summary import ScoreTally


@dataclass(frozen=True)
class MetricDelta:
    key: str
    mean_a: float | None
    mean_b: float | None

    @property
    def delta(self) -> float | None:
        if self.mean_a is None or self.mean_b is None:
            return None
        return self.mean_b - self.mean_a


@dataclass(frozen=True)
class ChangedScore:
    example_id: str
    inputs: dict
    key: str
    a: str  # display values: a number, "error", or "—" when missing
    b: str


@dataclass
class Comparison:
    metrics: list[MetricDelta] = field(default_factory=list)
    changed: list[ChangedScore] = field(default_factory=list)
    only_a: int = 0
    only_b: int = 0


def _display(result: ExperimentResult | None, ident: str) -> tuple[str, float | None]:
    if result is None:
        return "—", None
    if result.error:
        return "target error", None
    for score in result.scores:
        if score.ident == ident:
            if score.error:
                return "error", None
            value = numeric_score(score.score)
            return ("—" if value is None else f"{value:.2f}"), value
    return "—", None


def _means(results: Sequence[ExperimentResult]) -> dict[str, float | None]:
    """Mean per `Score.ident` (the tally's own labels depend on one side only)."""
    tally = ScoreTally()
    for result in results:
        tally.add(result)
    return {ident: (s / n if n else None) for ident, (s, n, _) in tally.sums.items()}


def compare_results(a: Sequence[ExperimentResult], b: Sequence[ExperimentResult]) -> Comparison:
    """Means per score column for both sides (rows of each experiment) and per-example changes
    (shared examples). A column is a key and its evaluator (`core.score_columns`), labelled over
    both sides, so `key · a` of one experiment is compared with `key · a` of the other."""
    columns = columns_of([*a, *b])
    labels = columns.labels()
    means_a, means_b = _means(a), _means(b)
    idents = sorted(labels, key=labels.__getitem__)
    comparison = Comparison(metrics=[MetricDelta(labels[k], means_a.get(k), means_b.get(k)) for k in idents])
    by_a = {r.example_id: r for r in a}
    by_b = {r.example_id: r for r in b}
    comparison.only_a = len(by_a.keys() - by_b.keys())
    comparison.only_b = len(by_b.keys() - by_a.keys())
    for example_id, ra in by_a.items():
        rb = by_b.get(example_id)
        if rb is None:
            continue
        for ident in idents:
            text_a, _ = _display(ra, ident)
            text_b, _ = _display(rb, ident)
            if text_a != text_b:
                comparison.changed.append(ChangedScore(example_id, ra.inputs, labels[ident], text_a, text_b))
    return comparison
