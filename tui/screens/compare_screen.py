"""Two experiments compared example by example (A the baseline, B the candidate): per score key the
paired line (`exact_match +0.08 [+0.02, +0.15], 9 better, 3 worse, p=0.04`: `runs.paired_stats`), then
the regressed examples side by side; Enter opens one (`PairedResultModal`). Of the two experiments
marked, the older is the baseline."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui.backend.core.errors import EvaltuiError
from tui.backend.core.models import Experiment
from tui.backend.runs.compare import PairedComparison, paired_comparison
from tui.widgets.backend_access import require_backend
from tui.widgets.formatting import one_line
from tui.widgets.results_grid import score_cell
from tui.widgets.screen_box import ScreenBox


def _mean(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _delta(value: float | None) -> Text:
    if value is None:
        return Text("—", style="dim")
    if abs(value) < 0.005:
        return Text(f"{value:+.2f}", style="dim")
    return Text(f"{value:+.2f}", style="green" if value > 0 else "red")


def _ci(low: float | None, high: float | None) -> Text:
    if low is None or high is None:
        return Text("—", style="dim")
    style = "green" if low > 0 else "red" if high < 0 else ""
    return Text(f"[{low:+.2f}, {high:+.2f}]", style=style)


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
    CompareScreen #compare-regressed {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="compare.back"),
        Binding("enter", "open", "Open", id="compare.open", tooltip="Both results of the highlighted example"),
    ]

    def __init__(self, experiment_a: str, experiment_b: str) -> None:
        super().__init__()
        self.ids = (experiment_a, experiment_b)
        self.comparison: PairedComparison | None = None
        self.experiments: tuple[Experiment, Experiment] | None = None
        self._regressed: list[tuple[str, str]] = []  # (key, example id) per row of the regressed table

    def compose(self) -> ComposeResult:
        with ScreenBox(id="compare-box") as box:
            box.border_title = "Compare experiments"
            yield Static("loading…", id="compare-heading", markup=False)
            yield DataTable(id="compare-metrics", cursor_type="row", zebra_stripes=True)
            yield Static("Regressed examples (enter: both results)", classes="section-title", id="compare-title")
            yield DataTable(id="compare-regressed", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        metrics = self.query_one("#compare-metrics", DataTable)
        for label in ("key", "n", "A", "B", "Δ (B − A)", "95 % CI", "better", "worse", "p", "only A/B"):
            metrics.add_column(label, key=label)
        regressed = self.query_one("#compare-regressed", DataTable)
        for label, width in (("key", None), ("A", None), ("B", None), ("inputs", 30), ("A output", 22),
                             ("B output", 22), ("B comment", 30)):
            regressed.add_column(label, width=width)
        regressed.loading = True
        self.run_worker(self._load, thread=True, exclusive=True, group="compare-load", exit_on_error=False)

    def _load(self) -> None:
        try:
            backend = require_backend(self)
            a, b = (backend.get_experiment(i) for i in self.ids)
            if a.created_at and b.created_at and a.created_at > b.created_at:
                a, b = b, a  # the older experiment is the baseline
            comparison = paired_comparison(backend.list_results(a.id), backend.list_results(b.id))
        except EvaltuiError as exc:
            self.app.call_from_thread(self.notify, str(exc), title="Compare failed", severity="error")
            return
        self.app.call_from_thread(self._show, a, b, comparison)

    def _show(self, a: Experiment, b: Experiment, comparison: PairedComparison) -> None:
        from tui.backend.runs.paired_stats import format_p

        self.comparison, self.experiments = comparison, (a, b)
        lines = [f"A (baseline): {a.name} ({a.status})", f"B (candidate): {b.name} ({b.status})"]
        lines += [k.line() for k in comparison.keys] or ["No scores to compare."]
        self.query_one("#compare-heading", Static).update("\n".join(lines))
        metrics = self.query_one("#compare-metrics", DataTable)
        for k in comparison.keys:
            p = Text("—", style="dim") if k.p_value is None else Text(format_p(k.p_value).removeprefix("p="))
            metrics.add_row(k.key, str(k.n), _mean(k.mean_a), _mean(k.mean_b), _delta(k.diff), _ci(k.ci_low, k.ci_high),
                            str(len(k.improved)), str(len(k.regressed)), p,
                            f"{len(k.missing_in_b)}/{len(k.missing_in_a)}", key=k.key)
        table = self.query_one("#compare-regressed", DataTable)
        table.loading = False
        self._regressed = comparison.regressions()
        for key, example_id in self._regressed:
            ra, rb = comparison.rows_a.get(example_id), comparison.rows_b.get(example_id)
            sb = comparison.score("b", example_id, key)
            table.add_row(key, score_cell(comparison.score("a", example_id, key)), score_cell(sb),
                          one_line((rb or ra).inputs, 30), one_line(ra.outputs if ra else None, 22),
                          one_line(rb.outputs if rb else None, 22), (sb.error or sb.comment or "") if sb else "")
        self.query_one("#compare-title", Static).update(
            f"Regressed examples: {len(self._regressed)} (enter: both results)")
        if not self._regressed:
            table.add_row("", "", "", Text("no example regressed", style="dim"), "", "", "")
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "compare-regressed":  # enter on a row (the table takes the key first)
            event.stop()
            self.action_open()

    def action_open(self) -> None:
        table = self.query_one("#compare-regressed", DataTable)
        if self.comparison is None or not self._regressed or not 0 <= table.cursor_row < len(self._regressed):
            return
        from tui.modals.paired_result_modal import PairedResultModal

        key, example_id = self._regressed[table.cursor_row]
        c, (a, b) = self.comparison, self.experiments
        self.app.push_screen(PairedResultModal(key, example_id, [
            (a.name, c.rows_a.get(example_id), c.score("a", example_id, key)),
            (b.name, c.rows_b.get(example_id), c.score("b", example_id, key)),
        ]))

    def action_back(self) -> None:
        self.dismiss(None)
