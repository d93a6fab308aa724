"""Datasets pane: every dataset with its example count and last change."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable

from tui.backend.core.models import Dataset
from tui.widgets.column_fit import DistinctLabel
from tui.widgets.delayed_loading import DelayedLoading
from tui.widgets.fitted_table import FittedTable
from tui.widgets.formatting import ago

HIGHLIGHT_DEBOUNCE_S = 0.2


COLUMNS = {"Name": 30, "Examples": 8, "Modified": 9}
DROP = ("Modified", "Examples")  # when the pane is narrow: the name matters most

# The pane's keys (the footer shows them while it has the focus; `n` and `d` mean "new evaluator"
# and "delete rule" elsewhere). Each action is the main screen's `dataset_*` (main_datasets).
DATASET_KEYS = [
    Binding("n", "dataset('new')", "New dataset", id="datasets.new", tooltip="Create an empty dataset"),
    Binding("i", "dataset('import')", "Import", id="datasets.import",
            tooltip="Import a JSONL or CSV file into the highlighted dataset or a new one"),
    Binding("x", "dataset('export')", "Export dataset", id="datasets.export",
            tooltip="Write the highlighted dataset (latest, a tag or a time) to a JSONL or CSV file"),
    Binding("d", "dataset('delete')", "Delete dataset", id="datasets.delete",
            tooltip="Delete the highlighted dataset with its examples and experiments (asks first)"),
]


class DatasetsPane(Vertical):
    """Posts `DatasetChosen` once the cursor rests on a dataset (debounced while scrolling)."""

    BORDER_TITLE = "Datasets"
    BINDINGS = DATASET_KEYS
    ALLOW_MAXIMIZE = True  # `m` gives the whole pane the screen, not only its focused widget

    @dataclass
    class DatasetChosen(Message):
        dataset: Dataset

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, DatasetsPane.DatasetChosen)  # the examples of the latest one

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._datasets: list[Dataset] = []
        self._filter = ""
        self._pending: Timer | None = None
        self._announced: str | None = None
        self._loading: DelayedLoading | None = None
        self._highlight_next: str | None = None  # a dataset name to put the cursor on after the next show

    def action_dataset(self, verb: str) -> None:
        getattr(self.screen, f"dataset_{verb}")()

    def highlight_after_load(self, name: str | None) -> None:
        self._highlight_next = name

    def compose(self) -> ComposeResult:
        yield FittedTable(COLUMNS, DROP, minimum=14, id="datasets-table", cursor_type="row", zebra_stripes=True)

    @property
    def datasets(self) -> list[Dataset]:
        return list(self._datasets)

    @property
    def current(self) -> Dataset | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return next((d for d in self._datasets if d.id == key.value), None)

    def show(self, datasets: list[Dataset]) -> None:
        self._datasets = sorted(datasets, key=lambda d: d.name.lower())
        self._render_rows()
        name, self._highlight_next = self._highlight_next, None
        wanted = next((d for d in self._datasets if d.name == name), None) if name else None
        table = self.query_one(DataTable)
        if wanted is not None and wanted.id in table.rows:
            table.move_cursor(row=table.get_row_index(wanted.id))
        if self._announced is None and table.row_count:
            self._announce_soon()  # after a refresh: the examples of the dataset under the cursor again

    def set_filter(self, text: str) -> None:
        self._filter = text.strip().lower()
        self._render_rows()

    def show_loading(self, loading: bool) -> None:
        if self._loading is None:
            self._loading = DelayedLoading(self.query_one(DataTable))
        self._loading.set(loading)

    def _render_rows(self) -> None:
        table = self.query_one(FittedTable)
        shown = [d for d in self._datasets if not self._filter or self._filter in d.name.lower()]
        names = [d.name for d in shown]
        table.set_empty_text(f"No dataset matches “{self._filter}”" if self._filter
                             else "No datasets in this workspace")
        table.show_rows((d.id, (DistinctLabel(d.name, names), f"{d.example_count:,}", ago(d.modified_at)))
                        for d in shown)
        suffix = f" ({len(shown)} of {len(self._datasets)})" if self._filter else f" ({len(shown)})"
        self.border_title = "Datasets" + suffix

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._announce_soon()

    def _announce_soon(self) -> None:
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        self._pending = self.set_timer(HIGHLIGHT_DEBOUNCE_S, self._announce)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._announced = None
        self._announce()

    def _announce(self) -> None:
        dataset = self.current
        if dataset is not None and dataset.id != self._announced:
            self._announced = dataset.id
            self.post_message(self.DatasetChosen(dataset))

    def forget_announced(self) -> None:
        """Make the next highlight reload the examples (after a refresh)."""
        self._announced = None
