"""The live grid of an experiment: one row per example, one column per evaluator key.

Rows arrive in batches (the runner pane flushes its event buffer on a timer), so `upsert` takes a
list and the table re-renders once per batch, not once per cell. Every column has a fixed width and
every row is one line high, so the per-row measuring DataTable does on idle is skipped (it cost
more than adding the row itself: ~0.3 ms a row, most of the UI thread at 2,000 results/s). Columns appear as new evaluator
keys are seen (one evaluator may report several keys). Cells are coloured pass / partial / fail,
errors are marked; selecting a cell posts `ResultsGrid.CellChosen` with the row and the key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from tui.backend.core.models import ExperimentResult, Score
from tui.widgets.column_fit import FixedColumnsTable
from tui.widgets.formatting import one_line

EXAMPLE_COLUMN = "__example__"
TARGET_COLUMN = "__target__"
MISSING = Text("·", style="dim")


PASS = Text("✓ pass", style="green")
FAIL = Text("✗ fail", style="red")
ERROR = Text("⚠ error", style="bold red")
NO_SCORE = Text("—", style="dim")
TARGET_OK = Text("ok", style="dim")
_NUMBER_CELLS: dict[str, Text] = {}  # "0.50" -> its cell; shared, so 10,000 rows hold few Text objects


def _number_cell(number: float) -> Text:
    label = f"{number:.2f}"
    cell = _NUMBER_CELLS.get(label)
    if cell is None:
        style = "green" if number >= 0.999 else "red" if number <= 0.001 else "yellow"
        cell = Text(label, style=style)
        if len(_NUMBER_CELLS) < 4096:
            _NUMBER_CELLS[label] = cell
    return cell


def score_cell(score: Score | None) -> Text:
    """A score as a short coloured label: ✓/✗ for booleans, 2 decimals for numbers, ⚠ for errors.

    Common labels are shared `Text` objects: treat the result as read-only.
    """
    if score is None:
        return MISSING
    if score.error:
        return ERROR
    value = score.score
    if isinstance(value, bool):
        return PASS if value else FAIL
    if isinstance(value, (int, float)):
        return _number_cell(float(value))
    if value is None:
        return NO_SCORE
    return Text(one_line(value, 12))


def target_cell(result: ExperimentResult) -> Text:
    return ERROR if result.error else TARGET_OK


class ResultsGrid(FixedColumnsTable):
    """Examples × evaluator keys; `upsert(results)` adds or replaces rows by example id."""

    DEFAULT_CSS = """
    ResultsGrid {
        height: 1fr;
    }
    """

    @dataclass
    class CellChosen(Message):
        """The user selected a cell: `key` is the evaluator key, or None for the example / target cell."""

        example_id: str
        key: str | None

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
