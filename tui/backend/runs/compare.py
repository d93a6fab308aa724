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


# -- paired: the same examples on both sides ----------------------------------------------------


def score_maps(
    a: Sequence[ExperimentResult], b: Sequence[ExperimentResult]
) -> tuple[list[str], dict[str, dict[str, float | None]], dict[str, dict[str, float | None]], list[dict[str, str]]]:
    """What `paired_stats.compare_paired` takes: per side `{label: {example_id: numeric score or
    None}}` (an evaluator error or a non-numeric score is None), the labels of both sides in order
    first seen, and per side `label -> Score.ident`.

    Each side's columns are labelled as that experiment's grid, summary and export label them
    (`core.score_columns`): a key one evaluator writes is its bare key, so `exact_match` pairs with
    `exact_match` when the evaluator behind it changed (that may be the change being judged);
    `key · evaluator` (two evaluators writing one key) pairs with the same label on the other side.
    """
    sides = []
    for results in (a, b):
        labels = columns_of(results).labels()
        maps: dict[str, dict[str, float | None]] = {label: {} for label in labels.values()}
        for result in results:
            for score in result.scores:
                maps[labels[score.ident]][result.example_id] = None if score.error else numeric_score(score.score)
        sides.append((maps, {label: ident for ident, label in labels.items()}))
    (map_a, idents_a), (map_b, idents_b) = sides
    return list(dict.fromkeys([*map_a, *map_b])), map_a, map_b, [idents_a, idents_b]


@dataclass
class PairedComparison:
    """Per key the paired statistics, and both sides' rows by example id (to show them side by side)."""

    keys: list  # list[PairedKey]
    rows_a: dict[str, ExperimentResult]
    rows_b: dict[str, ExperimentResult]
    idents: list[dict[str, str]] = field(default_factory=list)  # per side: column label -> `Score.ident`
    #: per side, what the statistics read: `{label: {example_id: numeric score or None}}`
    values_a: dict[str, dict[str, float | None]] = field(default_factory=dict)
    values_b: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def score(self, side: str, example_id: str, label: str):
        """The `Score` shown under column `label` for one example of side "a" or "b", or None."""
        row = (self.rows_a if side == "a" else self.rows_b).get(example_id)
        if row is None:
            return None
        ident = (self.idents[0 if side == "a" else 1] if self.idents else {}).get(label, label)
        return next((s for s in row.scores if s.ident == ident), None)

    def key(self, label: str):
        return next((k for k in self.keys if k.key == label), None)

    def regressions(self) -> list[tuple[str, str]]:
        """`(key, example_id)` of every regressed example, key by key."""
        return [(k.key, example_id) for k in self.keys for example_id in k.regressed]


def paired_comparison(
    a: Sequence[ExperimentResult],
    b: Sequence[ExperimentResult],
    *,
    keys: Sequence[str] | None = None,
    seed: int = 0,
    resamples: int = 10_000,
) -> PairedComparison:
    """`a` (baseline) vs `b` (candidate), paired over the examples both scored. `keys` names
    column labels; one that neither side has is refused, naming those it has."""
    from tui.backend.core import errors
    from tui.backend.runs.paired_stats import compare_paired

    labels, map_a, map_b, idents = score_maps(a, b)
    if keys:
        unknown = [k for k in keys if k not in labels]
        if unknown:
            known = ", ".join(labels) or "none"
            hint = errors.suggest(unknown[0], labels)
            raise errors.InvalidInput(
                f"No score key {unknown[0]!r} in these experiments"
                + (f" (did you mean {', '.join(repr(h) for h in hint)}?)" if hint else "")
                + f"; their keys: {known}."
            )
    stats = compare_paired(map_a, map_b, keys=list(keys) if keys else labels, seed=seed, resamples=resamples)
    return PairedComparison(stats, {r.example_id: r for r in a}, {r.example_id: r for r in b}, idents, map_a, map_b)
