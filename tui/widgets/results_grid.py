"""The live grid of an experiment: one row per example, one column per evaluator key.

Rows arrive in batches (the runner pane flushes its event buffer on a timer), so `upsert` takes a
list and the table re-renders once per batch, not once per cell. Columns appear as new evaluator
keys are seen (one evaluator may report several keys). Cells are coloured pass / partial / fail,
errors are marked; selecting a cell posts `ResultsGrid.CellChosen` with the row and the key.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from ..backend.models import ExperimentResult, Score
from .formatting import one_line

EXAMPLE_COLUMN = "__example__"
TARGET_COLUMN = "__target__"
MISSING = Text("·", style="dim")


def score_cell(score: Score | None) -> Text:
    """A score as a short coloured label: ✓/✗ for booleans, 2 decimals for numbers, ⚠ for errors."""
    if score is None:
        return MISSING
    if score.error:
        return Text("⚠ error", style="bold red")
    value = score.score
    if isinstance(value, bool):
        return Text("✓ pass", style="green") if value else Text("✗ fail", style="red")
    if isinstance(value, (int, float)):
        number = float(value)
        style = "green" if number >= 0.999 else "red" if number <= 0.001 else "yellow"
        return Text(f"{number:.2f}", style=style)
    if value is None:
        return Text("—", style="dim")
    return Text(one_line(value, 12))


def target_cell(result: ExperimentResult) -> Text:
    if result.error:
        return Text("⚠ error", style="bold red")
    return Text("ok", style="dim")


class ResultsGrid(DataTable):
    """Examples × evaluator keys; `upsert(results)` adds or replaces rows by example id."""

    DEFAULT_CSS = """
    ResultsGrid {
        height: 1fr;
    }
    """

    class CellChosen(Message):
        """The user selected a cell: `key` is the evaluator key, or None for the example / target cell."""

        def __init__(self, example_id: str, key: str | None) -> None:
            super().__init__()
            self.example_id = example_id
            self.key = key

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="cell", zebra_stripes=True)
        self.score_keys: list[str] = []

    def on_mount(self) -> None:
        self._add_fixed_columns()

    def _add_fixed_columns(self) -> None:
        self.add_column("example", key=EXAMPLE_COLUMN, width=36)
        self.add_column("target", key=TARGET_COLUMN, width=8)

    def reset(self) -> None:
        """Drop every row and evaluator column."""
        self.clear(columns=True)
        self.score_keys = []
        self._add_fixed_columns()

    def _ensure_keys(self, results: Iterable[ExperimentResult]) -> None:
        for result in results:
            for score in result.scores:
                if score.key not in self.score_keys:
                    self.score_keys.append(score.key)
                    self.add_column(score.key, key=score.key, width=max(8, min(len(score.key), 24)),
                                    default=MISSING)

    def upsert(self, results: list[ExperimentResult]) -> None:
        """Add new examples as rows; replace the cells of examples already shown (retry, re-score)."""
        if not results:
            return
        self._ensure_keys(results)
        for result in results:
            by_key = {s.key: s for s in result.scores}
            cells = [score_cell(by_key.get(key)) for key in self.score_keys]
            if result.example_id in self.rows:
                row = result.example_id
                self.update_cell(row, TARGET_COLUMN, target_cell(result))
                for key, cell in zip(self.score_keys, cells):
                    self.update_cell(row, key, cell)
            else:
                self.add_row(Text(one_line(result.inputs, 36)), target_cell(result), *cells,
                             key=result.example_id)

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        column = event.cell_key.column_key.value
        key = None if column in (EXAMPLE_COLUMN, TARGET_COLUMN) else column
        self.post_message(self.CellChosen(str(event.cell_key.row_key.value), key))
