"""Two experiments side by side: per-metric means and deltas, and the examples whose score changed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui.backend.core.errors import EvaltuiError
from tui.backend.core.models import Experiment
from tui.backend.runs.compare import Comparison, compare_results
from tui.widgets.backend_access import require_backend
from tui.widgets.formatting import one_line
from tui.widgets.screen_box import ScreenBox


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

    def __init__(self, experiment_a: str, experiment_b: str) -> None:
        super().__init__()
        self.ids = (experiment_a, experiment_b)
        self.comparison: Comparison | None = None

    def compose(self) -> ComposeResult:
        with ScreenBox(id="compare-box") as box:
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
            backend = require_backend(self)
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
