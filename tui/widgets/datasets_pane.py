"""Datasets pane: every dataset with its example count and last change."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable

from ..backend.models import Dataset
from .column_fit import FixedColumnsTable, fit_columns
from .formatting import ago

HIGHLIGHT_DEBOUNCE_S = 0.2
LOADING_DELAY_S = 0.3  # a load that ends sooner never shows the (animated, repainting) indicator


COLUMNS = {"Name": 30, "Examples": 8, "Modified": 9}


class DatasetsPane(Vertical):
    """Posts `DatasetChosen` once the cursor rests on a dataset (debounced while scrolling)."""

    BORDER_TITLE = "Datasets"

    class DatasetChosen(Message):
        def __init__(self, dataset: Dataset) -> None:
            super().__init__()
            self.dataset = dataset

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._datasets: list[Dataset] = []
        self._filter = ""
        self._pending: Timer | None = None
        self._announced: str | None = None
        self._loading_timer: Timer | None = None
        self._loading_wanted = False

    def compose(self) -> ComposeResult:
        table = FixedColumnsTable(id="datasets-table", cursor_type="row", zebra_stripes=True)
        for label, width in COLUMNS.items():
            table.add_column(label, width=width)
        yield table

    def on_resize(self) -> None:
        fit_columns(self.query_one("#datasets-table", DataTable), COLUMNS, flexible="Name", minimum=14)

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

    def set_filter(self, text: str) -> None:
        self._filter = text.strip().lower()
        self._render_rows()

    def show_loading(self, loading: bool) -> None:
        table = self.query_one(DataTable)
        self._loading_wanted = loading
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        if not loading:
            table.loading = False
            return

        def still_loading() -> None:
            # A timer that already fired can still call us after stop(): only show the indicator
            # if loading is still wanted, or the table would stay "loading" (and unfocusable).
            self._loading_timer = None
            if self._loading_wanted:
                table.loading = True

        self._loading_timer = self.set_timer(LOADING_DELAY_S, still_loading)

    def _render_rows(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        shown = [d for d in self._datasets if not self._filter or self._filter in d.name.lower()]
        for d in shown:
            table.add_row(Text(d.name), f"{d.example_count:,}", ago(d.modified_at), key=d.id)
        suffix = f" ({len(shown)} of {len(self._datasets)})" if self._filter else f" ({len(shown)})"
        self.border_title = "Datasets" + suffix

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
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
