"""Fixed column widths that follow the table's width.

Auto-width columns grow as rows arrive, so the layout jumps while data loads (and snapshots
differ by timing). Fixed widths do not jump, but a width right for 200 columns hides columns at
80. `fit_columns` keeps every column fixed and gives the flexible column(s) what is left.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from textual.geometry import Size
from textual.widgets import DataTable

CELL_PADDING = 2  # DataTable's default cell padding: one space on each side
SCROLLBAR = 2


def fit_columns(table: DataTable, widths: dict[str, int], flexible: str | tuple[str, ...],
                minimum: int = 10, maximum: int = 60) -> None:
    """Set each column's width from `widths` (by label); the `flexible` column(s) share what is left."""
    available = table.size.width - SCROLLBAR - CELL_PADDING * len(table.columns)
    if available <= 0:
        return
    flexible = (flexible,) if isinstance(flexible, str) else flexible
    fixed = sum(w for label, w in widths.items() if label not in flexible)
    flexible_width = max(minimum, min(maximum, (available - fixed) // len(flexible)))
    changed = False
    for column in table.columns.values():
        label = column.label.plain
        width = flexible_width if label in flexible else widths.get(label, column.width)
        if column.width != width or column.auto_width:
            column.width, column.auto_width = width, False
            changed = True
    if changed:
        # DataTable recomputes its virtual size on idle when this flag is set (textual < 9).
        table._require_update_dimensions = True
        table.refresh(layout=True)


@dataclass(frozen=True)
class ColumnFit:
    """How a table fits its columns to its width (see `fit_columns`)."""

    widths: dict[str, int]
    flexible: str | tuple[str, ...]
    minimum: int = 10
    maximum: int = 60


class FixedColumnsTable(DataTable):
    """A DataTable whose columns all have fixed widths, so new rows need no measuring.

    With `fit`, the widths follow the table's own size: every resize (including the first one
    after being hidden) refits them.

    DataTable measures every new cell to size auto-width columns (about 0.3 ms a row: 300 ms for
    1,000 rules). With fixed widths only the virtual size needs updating. Falls back to the
    default when a column is auto-width or a row has a label or automatic height (textual < 9).
    """

    def __init__(self, *args: Any, fit: ColumnFit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fit = fit

    def on_resize(self) -> None:
        if self.fit is not None:
            f = self.fit
            fit_columns(self, f.widths, f.flexible, minimum=f.minimum, maximum=f.maximum)

    def _update_dimensions(self, new_rows: Iterable[Any]) -> None:
        new_rows = list(new_rows)
        fresh = (self.rows.get(key) for key in new_rows)
        if any(column.auto_width for column in self.columns.values()) or any(
            row is not None and (row.label is not None or row.auto_height) for row in fresh
        ):
            super()._update_dimensions(new_rows)
            return
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header = self.header_height if self.show_header else 0
        size = Size(width + self._row_label_column_width, self._total_row_height + header)
        old = self.virtual_size
        if size.width == old.width and old.height > self.size.height and size.height > old.height:
            # Rows added below a full view: only the scrollbar changes. Assigning the reactive
            # would repaint every visible line (≈25 ms at 120×40, each batch while results stream).
            self.set_reactive(DataTable.virtual_size, size)
            self._scroll_update(size)
            return
        self.virtual_size = size
