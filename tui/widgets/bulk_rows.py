"""Appending many rows to a DataTable without redrawing the rows already on screen.

`DataTable.add_row` does, per row, a reactive assignment of the cursor (validation and watchers)
and bumps the table's update count, which is part of every render-cache key: after a batch of
appended rows each visible cell is rendered again (≈80 ms at 120×40), although appending changes
none of them. While results stream that cost was paid every batch, and a key pressed meanwhile
waited for it (the runner pane's p95 key latency of 84 ms).

`append_rows` does the same bookkeeping once per batch: the rows are registered, the caches that
depend on the number of rows are dropped (line offsets, and the rendered lines, since a line
below the last row turns into a row), the cursor is checked once, and the update count stays, so
the cells already rendered are reused. It relies on DataTable's internals (textual 8); on any
other layout it falls back to `add_row`.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import zip_longest
from typing import Any

from textual.widgets import DataTable
from textual.widgets._data_table import Row, RowKey

_INTERNALS = ("_row_locations", "_data", "_new_rows", "_offset_cache", "_line_cache", "_update_count")


def _supported(table: DataTable) -> bool:
    return all(hasattr(table, name) for name in _INTERNALS)


def _first_line(table: DataTable, row_index: int) -> int:
    """The line of the table's content where row `row_index` starts (rows of height 1)."""
    return row_index + (table.header_height if table.show_header else 0)


def append_rows(table: DataTable, rows: Sequence[tuple[Sequence[Any], str]], height: int = 1) -> None:
    """Add `rows` (cells, key) at the end of `table`, each `height` lines high, without labels.

    Keys must be new (as with `add_row`). An empty table takes its first row through `add_row`,
    which puts the cursor on it and posts the highlight.
    """
    if not rows:
        return
    start = 0
    if table.row_count == 0 or not _supported(table):
        first = 1 if _supported(table) else len(rows)
        for cells, key in rows[:first]:
            table.add_row(*cells, key=key, height=height)
        start = first
    if start >= len(rows):
        return
    column_keys = [column.key for column in table.ordered_columns]
    locations, data, table_rows, new_rows = table._row_locations, table._data, table.rows, table._new_rows
    index = first_new = table.row_count
    # The row order and the line offsets grow at their end: extended here, not rebuilt from all
    # rows on the next frame (O(rows) each batch).
    count = table._update_count
    ordered = table._ordered_row_cache.get((index, count))
    offsets = table._offset_cache.get(count)
    added: list[Row] = []
    for cells, key in rows[start:]:
        row_key = RowKey(key)
        if row_key in table_rows:
            raise ValueError(f"A row with key {key!r} already exists.")
        if len(cells) > len(column_keys):
            raise ValueError("More values provided than there are columns.")
        locations[row_key] = index
        data[row_key] = dict(zip_longest(column_keys, cells))
        row = table_rows[row_key] = Row(row_key, height, None, False)
        added.append(row)
        new_rows.add(row_key)
        index += 1
    table._offset_cache.clear()
    table._ordered_row_cache.clear()
    if ordered is not None and offsets is not None:
        table._ordered_row_cache[(index, count)] = [*ordered, *added]
        table._offset_cache[count] = [*offsets, *((row.key, y) for row in added for y in range(height))]
    table._line_cache.clear()
    table._require_update_dimensions = True
    table.cursor_coordinate = table.cursor_coordinate  # validated once, as add_row does per row
    table.check_idle()
    if _first_line(table, first_new) < table.scroll_offset.y + table.size.height:
        table.refresh()  # new rows show; rows below the view only move the scrollbar (virtual size)
