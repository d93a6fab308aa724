"""The runner pane's side of the results grid's views: the keys (show errors / failing / all,
sort by the score under the cursor, jump to the next error) and the view line above the grid.

`GridViewKeys` is a mixin of `RunnerPane` (its `grid`); the keys are declared in `runner_keys`.
"""

from __future__ import annotations

from textual.widgets import Static

from tui.widgets.results_grid import ResultsGrid


class GridViewLine(Static):
    """"showing 3 of 24: errors only · sorted by …"; hidden while all rows show in run order."""

    DEFAULT_CSS = """
    GridViewLine {
        height: auto;
        padding: 0 1;
        color: $accent;
    }
    GridViewLine.-empty {
        color: $warning;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.display = False

    def show(self, text: str, empty: bool) -> None:
        self.update(text)
        self.display = bool(text)
        self.set_class(empty, "-empty")


class GridViewKeys:
    """What the grid's view keys do (`runner_keys.GRID_KEYS`); palette entries reach them too,
    so each one focuses the grid first."""

    def _focused_grid(self) -> ResultsGrid:
        grid: ResultsGrid = self.grid  # type: ignore[attr-defined]
        if not grid.has_focus:
            grid.focus()
        return grid

    def action_cycle_view(self) -> None:
        self._focused_grid().cycle_view()

    def action_sort_by_column(self) -> None:
        problem = self._focused_grid().sort_by_cursor_column()
        if problem:
            self.notify(problem, timeout=3)  # type: ignore[attr-defined]

    def action_next_error(self) -> None:
        problem = self._focused_grid().next_error()
        if problem:
            self.notify(problem, timeout=3)  # type: ignore[attr-defined]

    def on_results_grid_view_changed(self, event: ResultsGrid.ViewChanged) -> None:
        self.query_one(GridViewLine).show(event.text, event.empty)  # type: ignore[attr-defined]
