"""Fixed column widths that follow the table's width.

Auto-width columns grow as rows arrive, so the layout jumps while data loads (and snapshots
differ by timing). Fixed widths do not jump, but a width right for 200 columns hides columns at
80. `fit_columns` keeps every column fixed and gives the flexible column(s) what is left.
`FixedColumnsTable` also draws a line instead of a blank table when it has no rows, and
`DistinctLabel` cells shorten themselves to their column keeping labels told apart.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
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
        self.empty_text = ""  # drawn under the header while there are no rows ("No datasets…")

    def set_empty_text(self, text: str) -> None:
        """The line shown instead of a blank table when it has no rows (empty: none)."""
        if text != self.empty_text:
            self.empty_text = text
            self.refresh(layout=True)

    @property
    def shows_empty_text(self) -> bool:
        return bool(self.empty_text) and not self.row_count

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # A table sized to its rows (height: auto) keeps a line for its empty text.
        return super().get_content_height(container, viewport, width) + (1 if self.shows_empty_text else 0)

    def render_line(self, y: int) -> Strip:
        header = self.header_height if self.show_header else 0
        if y == header and self.shows_empty_text:
            text = Text(" " + self.empty_text, style=self.rich_style + Style(dim=True), no_wrap=True)
            text.truncate(self.size.width, overflow="ellipsis", pad=True)
            return Strip(text.render(self.app.console), self.size.width)
        return super().render_line(y)

    def clear(self, columns: bool = False) -> FixedColumnsTable:
        had_rows = bool(self.row_count)
        super().clear(columns)
        if had_rows and self.empty_text:
            self.refresh(layout=True)
        return self

    def on_resize(self) -> None:
        if self.fit is not None:
            f = self.fit
            fit_columns(self, f.widths, f.flexible, minimum=f.minimum, maximum=f.maximum)

    def _update_dimensions(self, new_rows: Iterable[Any]) -> None:
        new_rows = list(new_rows)
        if self.empty_text and self.row_count == len(new_rows):
            self.refresh(layout=True)  # the first rows replace the empty text
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


# -- labels that stay told apart when shortened ----------------------------------------------


def shorten_distinct(text: str, group: Sequence[str], width: int) -> str:
    """`text` in at most `width` cells, shortened the way that keeps it told apart from the other
    labels of `group` (its column): the words it shares with another label go first ("Skills:
    Single Step" next to "Skills: Trajectory" -> "…Single Step", for every label starting with them
    when one of them is too long), else it is cut on the right, else (when that would look like
    another label cut on the right) on the left."""
    if width < 2:
        return text
    others = set(group) - {text}
    # The words it shares with the others go when one of those labels does not fit (all alike).
    shared = max((_shared_words(text, other) for other in others), key=len, default="")
    if shared and any(cell_len(label) > width for label in (text, *others) if label.startswith(shared)):
        return _cut_right("…" + text[len(shared):], width)
    if cell_len(text) <= width:
        return text
    right = _cut_right(text, width)
    if any(_cut_right(other, width) == right for other in others):
        return "…" + set_cell_size(text[::-1], width - 1)[::-1]
    return right


def _shared_words(a: str, b: str) -> str:
    """The whole words (up to a space, `:` or `/`) `a` and `b` both start with."""
    prefix = os.path.commonprefix([a, b])
    return prefix[: max(prefix.rfind(" "), prefix.rfind(":"), prefix.rfind("/")) + 1]


def _cut_right(label: str, width: int) -> str:
    return label if cell_len(label) <= width else set_cell_size(label, width - 1) + "…"


class DistinctLabel(Text):
    """A cell that shortens itself to its column's width with `shorten_distinct`, told apart from
    the other labels of its column (`group`). Its `plain` text stays whole (filters, tests)."""

    def __init__(self, text: str, group: Sequence[str], style: str = "") -> None:
        super().__init__(text, style=style, no_wrap=True, overflow="ellipsis", end="")
        self.group = tuple(group)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        short = shorten_distinct(self.plain, self.group, options.max_width)
        yield Text(short, style=self.style, no_wrap=True, overflow="ellipsis", end="")
