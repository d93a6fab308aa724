"""The live grid of an experiment: one row per example, one column per score (an evaluator key;
two evaluators writing one key get a column each, labelled `key · evaluator`).

Rows arrive in batches (the runner pane flushes its event buffer on a timer), so `upsert` takes a
list and the table re-renders once per batch, not once per cell. Every column has a fixed width and
every row is one line high, so the per-row measuring DataTable does on idle is skipped (it cost
more than adding the row itself: ~0.3 ms a row, most of the UI thread at 2,000 results/s). Columns appear as new evaluator
keys are seen (one evaluator may report several keys). Cells are coloured pass / partial / fail,
errors are marked; selecting a cell posts `ResultsGrid.CellChosen` with the row and the key.

The grid keeps every result it was given (in run order) and shows those of its view (all rows,
errors only, failing only), sorted by one score column or in run order (`results_view`). A sorted
view is re-sorted once per batch (`DataTable.sort` over cached keys: ~15-30 ms at 10,000 rows); the
cursor keeps its place meanwhile. Changing the view re-adds the rows it shows (~40 µs a row).
`ViewChanged` tells the host what the view line should say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable

from tui.backend.core.models import EVALUATOR_SEP, ExperimentResult, Score
from tui.backend.core.score_columns import ScoreColumns
from tui.widgets.bulk_rows import append_rows
from tui.widgets.column_fit import CELL_PADDING, SCROLLBAR, FixedColumnsTable
from tui.widgets.formatting import one_line
from tui.widgets.results_view import (
    SortOrder,
    View,
    describe,
    error_idents,
    grade_number,
    has_error,
    has_failure,
    next_sort,
    next_view,
    shows,
    sort_key,
)

EXAMPLE_COLUMN = "__example__"
EXAMPLE_WIDTH, EXAMPLE_MIN = 36, 16  # the example column's width, and how far it shrinks to fit
TARGET_COLUMN = "__target__"
MISSING = Text("·", style="dim")


PASS = Text("✓ pass", style="green")
FAIL = Text("✗ fail", style="red")
ERROR = Text("⚠ error", style="bold red")
NO_SCORE = Text("—", style="dim")
TARGET_OK = Text("ok", style="dim")
_GRADE_STYLES = {"pass": "green", "partial": "yellow", "fail": "red"}
_NUMBER_CELLS: dict[str, Text] = {}  # "0.50" -> its cell; shared, so 10,000 rows hold few Text objects


def _number_cell(number: float) -> Text:
    label = f"{number:.2f}"
    cell = _NUMBER_CELLS.get(label)
    if cell is None:
        style = _GRADE_STYLES[grade_number(number)]
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


HEADER_WIDTH = 24
SHARED_HEADER_WIDTH = 32  # `key · evaluator`: the evaluator part needs room


def _width(label: str) -> int:
    return max(8, min(len(label), SHARED_HEADER_WIDTH if EVALUATOR_SEP in label else HEADER_WIDTH))


def _header(label: str, key: str) -> str:
    """A column label that fits: when two evaluators share the key, the evaluator is what tells
    the columns apart, so the key gives way first (`trajec… · trajectory_evaluator`)."""
    width = SHARED_HEADER_WIDTH
    if len(label) <= width or label == key:
        return label
    evaluator = label[len(key) + len(EVALUATOR_SEP):]
    room = width - len(EVALUATOR_SEP) - len(evaluator)
    if room >= 4:
        return f"{key[:room - 1]}…{EVALUATOR_SEP}{evaluator}"
    return f"{key[:3]}…{EVALUATOR_SEP}{evaluator[:width - 8]}…"


def target_cell(result: ExperimentResult) -> Text:
    return ERROR if result.error else TARGET_OK


class _ExampleCell(Text):
    """The example column's cell; it carries its row's example id, so `DataTable.sort` (which
    hands the key function cells, not row keys) can order the rows by our results."""

    __slots__ = ("example_id",)  # as cheap to make as a plain Text (no __init__ of its own)


def _example_cell(result: ExperimentResult) -> _ExampleCell:
    cell = _ExampleCell(one_line(result.inputs, EXAMPLE_WIDTH))
    cell.example_id = result.example_id
    return cell


class ResultsGrid(FixedColumnsTable):
    """Examples × evaluator keys; `upsert(results)` adds or replaces rows by example id."""

    DEFAULT_CSS = """
    ResultsGrid {
        height: 1fr;
    }
    """

    @dataclass
    class CellChosen(Message):
        """The user selected a cell: `key` is the score's `Score.ident`, or None for the example /
        target cell."""

        example_id: str
        key: str | None

    @dataclass
    class ViewChanged(Message):
        """What the view line says ("showing 3 of 24: errors only"); "" when all rows show in run order."""

        text: str
        empty: bool = False  # a view that matches none of the rows

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="cell", zebra_stripes=True)
        self.score_columns = ScoreColumns()
        self.view: View = "all"
        self.sort_order: SortOrder | None = None
        self._results: dict[str, ExperimentResult] = {}  # every row given, in run order
        self._positions: dict[str, int] = {}  # example id -> its place in run order
        self._sort_keys: dict[str, tuple] = {}  # cache for `sort_order`, dropped per changed row
        self._view_text = ""

    @property
    def score_keys(self) -> list[str]:
        """`Score.ident` of each score column, in column order."""
        return self.score_columns.idents

    def on_mount(self) -> None:
        self._add_fixed_columns()

    def _add_fixed_columns(self) -> None:
        self.add_column("example", key=EXAMPLE_COLUMN, width=EXAMPLE_WIDTH)
        self.add_column("target", key=TARGET_COLUMN, width=8)

    def on_resize(self) -> None:
        if self._fit_example_column():
            self._clear_caches()
            self.refresh()

    def _fit_example_column(self) -> bool:
        """The example column gives way (down to EXAMPLE_MIN cells) so the score columns fit the
        width; True when its width changed."""
        if not self.size.width:
            return False
        example = self.columns.get(EXAMPLE_COLUMN)  # type: ignore[call-overload]
        if example is None:
            return False
        others = sum(c.width + CELL_PADDING for k, c in self.columns.items() if k != EXAMPLE_COLUMN)
        room = self.size.width - SCROLLBAR - others - CELL_PADDING
        width = max(EXAMPLE_MIN, min(EXAMPLE_WIDTH, room))
        if width == example.width:
            return False
        example.width = width
        self._require_update_dimensions = True
        return True

    def reset(self) -> None:
        """Drop every row and evaluator column (the view and the sort stay chosen)."""
        self.clear(columns=True)
        self.score_columns.clear()
        self._results.clear()
        self._positions.clear()
        self._sort_keys.clear()
        self._add_fixed_columns()
        self._announce()

    def _ensure_keys(self, results: Iterable[ExperimentResult]) -> None:
        columns = self.score_columns
        relabel = added = False
        for result in results:
            for score in result.scores:
                if columns.add(score):
                    added = True
                    ident = score.ident
                    self.add_column(score.key, key=ident, width=_width(score.key), default=MISSING)
                    relabel = relabel or columns.label(ident) != score.key
        if relabel:  # a second evaluator wrote a key: its columns now say whose they are
            for ident in self.score_keys:
                column = self.columns[ident]  # type: ignore[index]
                label = _header(columns.label(ident), columns.key(ident))
                if column.label.plain != label:
                    column.label = Text(label)
                    column.width = _width(label)
        if added or relabel:
            self._fit_example_column()
            self._require_update_dimensions = True
            self._clear_caches()
            self.refresh()

    def upsert(self, results: list[ExperimentResult]) -> None:
        """Add new examples as rows; replace the cells of examples already shown (retry, re-score)."""
        if not results:
            return
        self._ensure_keys(results)
        rebuild = False
        appended: list[tuple[list[Text], str]] = []
        for result in results:
            example_id = result.example_id
            known = example_id in self._results
            self._results[example_id] = result
            if not known:
                self._positions[example_id] = len(self._positions)
            self._sort_keys.pop(example_id, None)
            wanted = shows(self.view, result)
            if example_id in self.rows:
                if wanted:
                    self._update_row(result)
                else:
                    rebuild = True  # it left the view (fixed by a retry): one rebuild, not n removals
            elif wanted:
                if known:
                    rebuild = True  # back in the view: its place is among the rows already shown
                else:
                    appended.append(self._row_cells(result))
        append_rows(self, appended)  # one registration for the batch; the shown rows stay rendered
        if rebuild:
            self._rebuild()
        elif self.sort_order is not None:
            self._apply_order()
        self._announce()

    def _row_cells(self, result: ExperimentResult) -> tuple[list[Text], str]:
        by_key = {s.ident: s for s in result.scores}
        cells = [_example_cell(result), target_cell(result), *[score_cell(by_key.get(k)) for k in self.score_keys]]
        return cells, result.example_id

    def _update_row(self, result: ExperimentResult) -> None:
        by_key = {s.ident: s for s in result.scores}
        row = result.example_id
        self.update_cell(row, TARGET_COLUMN, target_cell(result))
        for key in self.score_keys:
            self.update_cell(row, key, score_cell(by_key.get(key)))

    # -- the view: which rows show, in what order ------------------------------------------

    @property
    def total(self) -> int:
        """How many rows the grid holds, shown or not."""
        return len(self._results)

    def result_at(self, row: int) -> ExperimentResult:
        row_key = self.coordinate_to_cell_key(Coordinate(row, 0)).row_key
        return self._results[str(row_key.value)]

    def highlighted(self) -> tuple[ExperimentResult, int] | None:
        """The row under the cursor and its place in run order (1-based), or None."""
        if not self.row_count:
            return None
        result = self.result_at(min(self.cursor_row, self.row_count - 1))
        return result, self._positions[result.example_id] + 1

    def failing_results(self) -> list[ExperimentResult]:
        """Every row (shown or not) with a failing score, in run order: the "failing only" view's rows."""
        return [r for r in self._results.values() if has_failure(r)]

    def _rebuild(self) -> None:
        """Show the rows of the current view again, from the results kept; the cursor stays on its
        example when that one is still shown, else at its place."""
        example, (row, column) = self._cursor_example(), self.cursor_coordinate
        self.clear()
        append_rows(self, [self._row_cells(r) for r in self._results.values() if shows(self.view, r)])
        if self.sort_order is not None:
            self._apply_order()
        if self.row_count:
            if example is not None and example in self.rows:
                row = self.get_row_index(example)
            self.move_cursor(row=min(row, self.row_count - 1), column=column)

    def _apply_order(self) -> None:
        """Sort the shown rows by `sort_order` (or back to run order); the cursor stays where it is."""
        positions, order = self._positions, self.sort_order
        if order is None:
            def key(cell: _ExampleCell) -> Any:
                return positions[cell.example_id]
        else:
            results, cache = self._results, self._sort_keys

            def key(cell: _ExampleCell) -> Any:
                example_id = cell.example_id
                found = cache.get(example_id)
                if found is None:
                    found = cache[example_id] = sort_key(results[example_id], order, positions[example_id])
                return found
        self.sort(EXAMPLE_COLUMN, key=key)

    def _cursor_example(self) -> str | None:
        if not self.row_count:
            return None
        return self.result_at(min(self.cursor_row, self.row_count - 1)).example_id

    def cycle_view(self) -> None:
        """All rows -> errors only -> failing only -> all rows (the view line says which)."""
        self.view = next_view(self.view)
        self._rebuild()
        self._announce()

    def sort_by_cursor_column(self) -> str | None:
        """Sort by the score column under the cursor: lowest first, highest first, run order
        (the view line says which). Returns why it could not, or None."""
        if not self.score_keys:
            return "No scores to sort by yet."
        ident = self._cursor_ident()
        if ident is None:
            return "Put the cursor on a score column to sort by it."
        self.sort_order = next_sort(self.sort_order, ident)
        self._sort_keys.clear()
        self._apply_order()
        if self.row_count:
            self.move_cursor(row=0)
        self._announce()
        return None

    def _cursor_ident(self) -> str | None:
        if not self.columns:
            return None
        column = self.ordered_columns[min(self.cursor_column, len(self.ordered_columns) - 1)].key.value
        return column if column in self.score_keys else None

    def next_error(self) -> str | None:
        """Move the cursor to the next shown row (after the cursor, wrapping) with a target or an
        evaluator error, onto the error's cell. Returns why it did not move, or None."""
        if not any(has_error(r) for r in self._results.values()):
            return "No errors."
        count = self.row_count
        start = self.cursor_row if count else 0
        for step in range(1, count + 1):
            row = (start + step) % count
            result = self.result_at(row)
            if has_error(result):
                column = TARGET_COLUMN if result.error else error_idents(result, self.score_keys)[0]
                self.move_cursor(row=row, column=self.get_column_index(column))
                return None
        return "No errors among the shown rows (the view hides them)."

    def _announce(self) -> None:
        label = self.score_columns.label(self.sort_order.ident) if self.sort_order else None
        text = describe(self.view, self.sort_order, label, self.row_count, self.total)
        if text != self._view_text:
            self._view_text = text
            empty = self.view != "all" and not self.row_count and bool(self._results)
            self.post_message(self.ViewChanged(text, empty))

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        column = event.cell_key.column_key.value
        key = None if column in (EXAMPLE_COLUMN, TARGET_COLUMN) else column
        self.post_message(self.CellChosen(str(event.cell_key.row_key.value), key))
