"""A table whose columns always fit its width, dropping the least important ones first; the rows
are kept, so a resize that changes which columns fit redraws them with those."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from textual.widgets import DataTable

from tui.widgets.bulk_rows import append_rows
from tui.widgets.column_fit import CELL_PADDING, SCROLLBAR, ColumnFit, FixedColumnsTable

NAME_MINIMUM = 16


class FittedTable(FixedColumnsTable):
    """A table whose columns always fit its width: the least important columns are left out
    (in `drop` order) when there is no room for them, so nothing needs a horizontal scrollbar.

    Rows are given with a cell for every column (`show_rows`); the table keeps them and redraws
    with the columns that fit whenever its width changes which columns those are.
    """

    def __init__(self, columns: dict[str, int], drop: Sequence[str], minimum: int = NAME_MINIMUM,
                 **kwargs: Any) -> None:
        self.all_columns = dict(columns)
        self.flexible = next(iter(columns))
        self.minimum, self.drop = minimum, tuple(drop)
        super().__init__(fit=ColumnFit(dict(columns), self.flexible, minimum=minimum), **kwargs)
        self.shown: tuple[str, ...] = tuple(columns)
        self._rows: list[tuple[str, tuple]] = []
        for label, width in columns.items():
            self.add_column(label, width=width, key=label)

    def columns_for(self, width: int) -> tuple[str, ...]:
        """The columns that fit `width` cells, the flexible one at its minimum or wider."""
        shown = list(self.all_columns)
        for label in (None, *self.drop):
            if label is not None:
                shown.remove(label)
            fixed = sum(self.all_columns[c] for c in shown if c != self.flexible)
            if SCROLLBAR + CELL_PADDING * len(shown) + fixed + self.minimum <= width:
                break
        return tuple(shown)

    def show_rows(self, rows: Iterable[tuple[str, tuple]],
                  successor: Callable[[str], str | None] | None = None) -> None:
        """Replace the rows: `(key, cells)` with one cell per column of `all_columns`.

        A refresh (after an upload, replace or delete) is no new highlight: the cursor stays on
        the row it was on (or on the row `successor` names for it, or the row that took its place);
        only a row that changed under the cursor is announced, and the pane listens only to the
        table the user works in.
        """
        first = not self._rows
        before = self._cursor_key() if self.row_count else None
        index = self.cursor_row
        self._rows = list(rows)
        if first:
            self._draw(columns=False)
            return
        with self.prevent(DataTable.RowHighlighted):
            self._draw(columns=False)
            keys = [key for key, _ in self._rows]
            if keys:
                stay = before
                if stay is not None and stay not in keys and successor is not None:
                    stay = successor(stay) or stay
                self.move_cursor(row=keys.index(stay) if stay in keys else min(index, len(keys) - 1),
                                 animate=False)
        after = self._cursor_key() if self.row_count else None
        if after is not None and after != before:
            self.post_message(DataTable.RowHighlighted(self, self.cursor_row, self.coordinate_to_cell_key(
                self.cursor_coordinate).row_key))

    def _cursor_key(self) -> str | None:
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def _draw(self, columns: bool) -> None:
        indices = [i for i, label in enumerate(self.all_columns) if label in self.shown]
        self.clear(columns=columns)
        if columns:
            for label in self.shown:
                self.add_column(label, width=self.all_columns[label], key=label)
        append_rows(self, [([cells[i] for i in indices], key) for key, cells in self._rows])

    def on_resize(self) -> None:
        # Runs before FixedColumnsTable.on_resize, which then fits the widths of what is shown.
        if self.size.width <= 0:
            return
        shown = self.columns_for(self.size.width)
        if shown == self.shown:
            return
        current = None
        if self.row_count:
            current = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        self.shown = shown
        self.fit = ColumnFit({c: self.all_columns[c] for c in shown}, self.flexible, minimum=self.minimum)
        # A redraw is no new highlight: the row under the cursor stays the selected one.
        with self.prevent(DataTable.RowHighlighted):
            self._draw(columns=True)
            keys = [key for key, _ in self._rows]
            if current in keys:
                self.move_cursor(row=keys.index(current), animate=False)
