"""Examples of the chosen dataset, loaded a page at a time as the cursor nears the end."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from tui.backend.core.models import Dataset, Example
from tui.widgets.column_fit import ColumnFit, FixedColumnsTable
from tui.widgets.delayed_loading import DelayedLoading
from tui.widgets.formatting import one_line

PAGE_SIZE = 200
CELL_CHARS = 120  # text kept per cell; the column (sized to the pane) shows what fits
COLUMNS = {"#": 5, "Inputs": 30, "Reference outputs": 30}
PREFETCH_MARGIN = 40  # rows from the end at which the next page is requested

# The pane's keys; each action is the main screen's `example_*` (main_datasets).
EXAMPLE_KEYS = [
    Binding("a", "example('add')", "Add example", id="examples.add",
            tooltip="Write a new example of the shown dataset in $VISUAL / $EDITOR (as JSON)"),
    Binding("e", "example('edit')", "Edit example", id="examples.edit",
            tooltip="Edit the highlighted example in $VISUAL / $EDITOR (as JSON)"),
    Binding("d", "example('delete')", "Delete example", id="examples.delete",
            tooltip="Delete the highlighted example (asks first)"),
]


class ExamplesPane(Vertical):
    """Posts `PageWanted` when more rows are needed and `ExampleOpened` on enter."""

    BORDER_TITLE = "Examples"
    BINDINGS = EXAMPLE_KEYS
    ALLOW_MAXIMIZE = True  # `m` gives the whole pane the screen, not only its focused widget

    @dataclass
    class PageWanted(Message):
        dataset_id: str
        offset: int

    @dataclass
    class ExampleOpened(Message):
        example: Example
        index: int

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dataset: Dataset | None = None
        self.total = 0
        self._examples: list[Example] = []
        self._requested = 0  # offset of the last page asked for
        self._filter = ""
        self._loading: DelayedLoading | None = None

    def compose(self) -> ComposeResult:
        yield Static("Choose a dataset to see its examples.", id="examples-hint")
        fit = ColumnFit(COLUMNS, flexible=("Inputs", "Reference outputs"), minimum=12, maximum=CELL_CHARS)
        table = FixedColumnsTable(id="examples-table", cursor_type="row", zebra_stripes=True, fit=fit)
        for label, key in (("#", "index"), ("Inputs", "inputs"), ("Reference outputs", "outputs")):
            table.add_column(label, key=key, width=COLUMNS[label])
        table.display = False
        yield table

    def action_example(self, verb: str) -> None:
        getattr(self.screen, f"example_{verb}")()

    @property
    def current(self) -> tuple[Example, int] | None:
        """The highlighted example and its index in the dataset, or None."""
        table = self.query_one(DataTable)
        if self.dataset is None or not table.row_count:
            return None
        key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        index = int(key.value)
        return self._examples[index], index

    def clear(self) -> None:
        """No dataset shown (the one shown was deleted)."""
        self.dataset, self.total, self._examples, self._requested = None, 0, [], 0
        table = self.query_one(FixedColumnsTable)
        table.clear()
        table.display = False
        self._show_loading(False)
        self.query_one("#examples-hint").display = True
        self._update_title()

    @property
    def loaded(self) -> int:
        return len(self._examples)

    def start(self, dataset: Dataset) -> None:
        """Forget the old rows; the caller loads the first page."""
        self.dataset, self.total, self._examples, self._requested = dataset, 0, [], 0
        table = self.query_one(FixedColumnsTable)
        table.clear()
        table.set_empty_text("")  # until the first page says how many there are
        table.display = True
        self._show_loading(True)
        self.query_one("#examples-hint").display = False
        self._update_title()

    def add_page(self, dataset_id: str, offset: int, examples: list[Example], total: int) -> None:
        if self.dataset is None or dataset_id != self.dataset.id or offset != len(self._examples):
            return  # a stale page for a dataset no longer shown
        table = self.query_one(DataTable)
        self._show_loading(False)
        self.total = total
        start = len(self._examples)
        self._examples.extend(examples)
        width = CELL_CHARS
        for i, ex in enumerate(examples, start=start):
            if self._filter and not self._row_matches(ex):
                continue
            table.add_row(
                str(i + 1), Text(one_line(ex.inputs, width)), Text(one_line(ex.outputs, width)), key=str(i)
            )
        self._update_title()
        self._update_empty_text()

    def page_failed(self) -> None:
        self._show_loading(False)
        self._requested = len(self._examples)

    def _show_loading(self, loading: bool) -> None:
        if self._loading is None:
            self._loading = DelayedLoading(self.query_one(DataTable))
        self._loading.set(loading)

    def set_filter(self, text: str) -> None:
        """Filter the rows loaded so far (the title says how many are loaded)."""
        self._filter = text.strip().lower()
        table = self.query_one(DataTable)
        table.clear()
        width = CELL_CHARS
        for i, ex in enumerate(self._examples):
            if self._filter and not self._row_matches(ex):
                continue
            table.add_row(
                str(i + 1), Text(one_line(ex.inputs, width)), Text(one_line(ex.outputs, width)), key=str(i)
            )
        self._update_title()
        self._update_empty_text()

    def _update_empty_text(self) -> None:
        table = self.query_one(FixedColumnsTable)
        if self._filter:
            table.set_empty_text(f"No loaded example matches “{self._filter}”")
        else:
            table.set_empty_text("This dataset has no examples" if self.dataset is not None and not self.total else "")

    def _row_matches(self, ex: Example) -> bool:
        return self._filter in (one_line(ex.inputs, 10_000) + one_line(ex.outputs, 10_000)).lower()

    def _update_title(self) -> None:
        if self.dataset is None:
            self.border_title = "Examples"
            return
        shown = f"{self.loaded:,} of {self.total:,}" if self.loaded < self.total else f"{self.total:,}"
        filt = f" · filter: {self._filter}" if self._filter else ""
        self.border_title = f"Examples · {self.dataset.name} ({shown}){filt}"

    def _maybe_want_more(self, row: int) -> None:
        if self.dataset is None or self.loaded >= self.total:
            return
        if row >= self.query_one(DataTable).row_count - PREFETCH_MARGIN and self._requested < self.loaded:
            self._requested = self.loaded
            self.post_message(self.PageWanted(self.dataset.id, self.loaded))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._maybe_want_more(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        index = int(event.row_key.value)
        self.post_message(self.ExampleOpened(self._examples[index], index))
