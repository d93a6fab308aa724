"""Two experiments side by side: per-metric means and deltas, and the examples whose score changed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui.backend.core.errors import EvaltuiError, InvalidInput
from tui.backend.core.models import Experiment, ExperimentResult, numeric_score
from tui.widgets.formatting import one_line


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


def _display(result: ExperimentResult | None, key: str) -> tuple[str, float | None]:
    if result is None:
        return "—", None
    if result.error:
        return "target error", None
    for score in result.scores:
        if score.key == key:
            if score.error:
                return "error", None
            value = numeric_score(score.score)
            return ("—" if value is None else f"{value:.2f}"), value
    return "—", None


def compare_results(a: Sequence[ExperimentResult], b: Sequence[ExperimentResult]) -> Comparison:
    """Means per key for both sides (rows of each experiment) and per-example changes (shared examples)."""
    from tui.backend.runs.runner import summarize

    summary_a, _ = summarize(a)
    summary_b, _ = summarize(b)
    keys = sorted(set(summary_a) | set(summary_b))
    comparison = Comparison(metrics=[MetricDelta(k, summary_a.get(k), summary_b.get(k)) for k in keys])
    by_a = {r.example_id: r for r in a}
    by_b = {r.example_id: r for r in b}
    comparison.only_a = len(by_a.keys() - by_b.keys())
    comparison.only_b = len(by_b.keys() - by_a.keys())
    for example_id, ra in by_a.items():
        rb = by_b.get(example_id)
        if rb is None:
            continue
        for key in keys:
            text_a, _ = _display(ra, key)
            text_b, _ = _display(rb, key)
            if text_a != text_b:
                comparison.changed.append(ChangedScore(example_id, ra.inputs, key, text_a, text_b))
    return comparison


def _mean(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _delta(value: float | None) -> Text:
    if value is None:
        return Text("—", style="dim")
    if abs(value) < 0.005:
        return Text("±0.00", style="dim")
    return Text(f"{value:+.2f}", style="green" if value > 0 else "red")


class CompareScreen(Screen[None]):
    DEFAULT_CSS = """
    CompareScreen #compare-box {
        border: round $accent;
        border-title-style: bold;
        height: 1fr;
    }
    CompareScreen #compare-heading {
        height: auto;
        padding: 0 1;
    }
    CompareScreen #compare-metrics {
        height: auto;
        max-height: 12;
    }
    CompareScreen .section-title {
        height: 1;
        padding: 0 1;
        margin-top: 1;
        text-style: bold;
        color: $text-muted;
    }
    CompareScreen #compare-changed {
        height: 1fr;
    }
    """

    BINDINGS = [Binding("escape", "back", "Back", id="compare.back")]

    def __init__(self, backend_getter: Callable[[], Any], experiment_a: str, experiment_b: str) -> None:
        super().__init__()
        self.backend_getter = backend_getter
        self.ids = (experiment_a, experiment_b)
        self.comparison: Comparison | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="compare-box") as box:
            box.border_title = "Compare experiments"
            yield Static("loading…", id="compare-heading", markup=False)
            yield DataTable(id="compare-metrics", cursor_type="row", zebra_stripes=True)
            yield Static("Examples whose score changed", classes="section-title")
            yield DataTable(id="compare-changed", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        metrics = self.query_one("#compare-metrics", DataTable)
        for label in ("metric", "A", "B", "Δ (B − A)"):
            metrics.add_column(label)
        changed = self.query_one("#compare-changed", DataTable)
        for label, width in (("example", 48), ("metric", None), ("A", None), ("B", None)):
            changed.add_column(label, width=width)
        changed.loading = True
        self.run_worker(self._load, thread=True, exclusive=True, group="compare-load", exit_on_error=False)

    def _load(self) -> None:
        try:
            backend = self.backend_getter()
            if backend is None:
                raise InvalidInput("The workspace is not open yet; try again in a moment.")
            a, b = (backend.get_experiment(i) for i in self.ids)
            comparison = compare_results(backend.list_results(a.id), backend.list_results(b.id))
        except EvaltuiError as exc:
            self.app.call_from_thread(self.notify, str(exc), title="Compare failed", severity="error")
            return
        self.app.call_from_thread(self._show, a, b, comparison)

    def _show(self, a: Experiment, b: Experiment, comparison: Comparison) -> None:
        self.comparison = comparison
        heading = f"A: {a.name} ({a.status})\nB: {b.name} ({b.status})"
        if comparison.only_a or comparison.only_b:
            heading += f"\nonly in A: {comparison.only_a} examples · only in B: {comparison.only_b}"
        self.query_one("#compare-heading", Static).update(heading)
        metrics = self.query_one("#compare-metrics", DataTable)
        for m in comparison.metrics:
            metrics.add_row(m.key, _mean(m.mean_a), _mean(m.mean_b), _delta(m.delta), key=m.key)
        changed = self.query_one("#compare-changed", DataTable)
        changed.loading = False
        for c in comparison.changed:
            changed.add_row(one_line(c.inputs, 48), c.key, c.a, c.b)
        if not comparison.changed:
            changed.add_row(Text("no example changed score", style="dim"), "", "", "")
        changed.focus()

    def action_back(self) -> None:
        self.dismiss(None)
