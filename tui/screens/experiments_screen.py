"""Experiments per dataset with summary scores; mark two to compare, export as CSV and JSON.

Keys: space marks / unmarks, c compares the two marked, e exports the marked (or highlighted)
experiments, enter opens the highlighted one in the runner pane (the screen is dismissed with its
id), escape goes back. Loading and exporting run in thread workers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui.backend.core.errors import EvaltuiError
from tui.backend.core.models import Experiment
from tui.backend.runs.export import export_experiment
from tui.widgets.backend_access import require_backend
from tui.widgets.column_fit import FixedColumnsTable
from tui.widgets.screen_box import ScreenBox


@dataclass(frozen=True)
class ExperimentRow:
    experiment: Experiment
    dataset_name: str
    results: int
    summary: dict[str, float | None]


# -- export ----------------------------------------------------------------------------------


def export_in_worker(node: DOMNode, experiment_ids: Iterable[str], directory: Path | None) -> None:
    """Export in a thread worker of `node`; the paths (or the error) come back as a notification."""
    ids = list(experiment_ids)

    def job() -> None:
        app = node.app
        try:
            backend = require_backend(node)
            written = [export_experiment(backend, i, directory) for i in ids]
        except EvaltuiError as exc:
            app.call_from_thread(app.notify, str(exc), title="Export failed", severity="error")
            return
        lines = "\n".join(f"{csv_path}\n{json_path}" for csv_path, json_path in written)
        app.call_from_thread(app.notify, f"Exported {len(written)} experiment(s) to:\n{lines}",
                             title="Export", timeout=10)

    node.run_worker(job, thread=True, group="evaltui-export", exit_on_error=False, name="export")


# -- the screen --------------------------------------------------------------------------------


def load_rows(backend: Any) -> list[ExperimentRow]:
    """Every experiment with its dataset name and per-key mean scores, grouped by dataset."""
    from tui.backend.runs.summary import summarize

    names = {d.id: d.name for d in backend.list_datasets()}
    rows = []
    for experiment in backend.list_experiments():
        results = backend.list_results(experiment.id) if getattr(backend, "kind", "local") == "local" else []
        summary, _ = summarize(results)
        rows.append(ExperimentRow(experiment, names.get(experiment.dataset_id, experiment.dataset_id),
                                  len(results) or experiment.example_count, summary))
    rows.sort(key=lambda r: (r.dataset_name, -(r.experiment.created_at.timestamp()
                                               if r.experiment.created_at else 0), r.experiment.name))
    return rows


def summary_text(summary: dict[str, float | None], width: int = 60) -> str:
    text = "  ".join(f"{k} {'—' if v is None else f'{v:.2f}'}" for k, v in summary.items())
    return text if len(text) <= width else text[: width - 1] + "…"


class ExperimentsScreen(Screen["str | None"]):
    """Dismissed with the id of an experiment to show in the runner pane, or None."""

    DEFAULT_CSS = """
    ExperimentsScreen #experiments-table {
        height: 1fr;
    }
    ExperimentsScreen #experiments-hint {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", id="experiments.back"),
        Binding("space", "mark", "Mark", id="experiments.mark", tooltip="Mark / unmark for compare or export"),
        Binding("c", "compare", "Compare", id="experiments.compare", tooltip="Compare the two marked experiments"),
        Binding("e", "export", "Export CSV+JSON", id="experiments.export",
                tooltip="Export the marked (or highlighted) experiments"),
        Binding("enter", "open", "Open", id="experiments.open", tooltip="Show it in the runner pane"),
        Binding("r", "refresh", "Refresh", id="experiments.refresh"),
    ]

    def __init__(self, *, export_dir: Path | None = None, marked: Iterable[str] = ()) -> None:
        super().__init__()
        self.export_dir = export_dir
        self.marked: list[str] = [m for m in marked if m]
        self.rows: list[ExperimentRow] = []

    def compose(self) -> ComposeResult:
        with ScreenBox(id="experiments-box") as box:
            box.border_title = "Experiments"
            yield FixedColumnsTable(id="experiments-table", cursor_type="row", zebra_stripes=True)
            yield Static("space mark · c compare two · e export · enter open · escape back", id="experiments-hint")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#experiments-table", DataTable)
        table.add_column(" ", key="mark", width=1)
        table.add_column("dataset", key="dataset")
        table.add_column("experiment", key="name")
        table.add_column("status", key="status")
        table.add_column("rows", key="rows")
        table.add_column("summary scores", key="summary")
        table.loading = True
        table.focus()
        self.load()

    def load(self) -> None:
        def job() -> None:
            try:
                rows = load_rows(require_backend(self))
            except EvaltuiError as exc:
                self.app.call_from_thread(self.notify, str(exc), severity="error")
                rows = []
            self.app.call_from_thread(self._show, rows)

        self.run_worker(job, thread=True, exclusive=True, group="experiments-load", exit_on_error=False)

    def _show(self, rows: list[ExperimentRow]) -> None:
        self.rows = rows
        table = self.query_one("#experiments-table", DataTable)
        table.loading = False
        table.clear()
        previous = None
        for row in rows:
            exp = row.experiment
            dataset = row.dataset_name if row.dataset_name != previous else ""
            previous = row.dataset_name
            status_style = {"done": "green", "cancelled": "yellow", "failed": "red"}.get(exp.status, "")
            table.add_row(self._mark_cell(exp.id), Text(dataset, style="bold"), exp.name,
                          Text(exp.status, style=status_style), str(row.results), summary_text(row.summary),
                          key=exp.id)
        table.set_empty_text("No experiments yet: start one with ctrl+r on the main screen")

    def _mark_cell(self, experiment_id: str) -> Text:
        return Text("●", style="bold cyan") if experiment_id in self.marked else Text(" ")

    def _highlighted(self) -> str | None:
        table = self.query_one("#experiments-table", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)

    def action_mark(self) -> None:
        experiment_id = self._highlighted()
        if experiment_id is None:
            return
        if experiment_id in self.marked:
            self.marked.remove(experiment_id)
        else:
            self.marked.append(experiment_id)
            if len(self.marked) > 2:
                dropped = self.marked.pop(0)
                self._refresh_mark(dropped)
        self._refresh_mark(experiment_id)

    def _refresh_mark(self, experiment_id: str) -> None:
        table = self.query_one("#experiments-table", DataTable)
        if experiment_id in table.rows:
            table.update_cell(experiment_id, "mark", self._mark_cell(experiment_id))

    def action_compare(self) -> None:
        if len(self.marked) != 2:
            self.notify("Mark exactly two experiments with space, then press c.", severity="warning")
            return
        from tui.screens.compare_screen import CompareScreen

        self.app.push_screen(CompareScreen(self.marked[0], self.marked[1]))

    def action_export(self) -> None:
        ids = list(self.marked) or [i for i in [self._highlighted()] if i]
        if not ids:
            self.notify("There is no experiment to export.", severity="warning")
            return
        export_in_worker(self, ids, self.export_dir)

    def action_open(self) -> None:
        experiment_id = self._highlighted()
        if experiment_id is not None:
            self.dismiss(experiment_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(str(event.row_key.value))

    def action_refresh(self) -> None:
        self.query_one("#experiments-table", DataTable).loading = True
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)
