"""Fixed column widths that follow the table's width.

Auto-width columns grow as rows arrive, so the layout jumps while data loads (and snapshots
differ by timing). Fixed widths do not jump, but a width right for 200 columns hides columns at
80. `fit_columns` keeps every column fixed and gives one flexible column what is left.
"""

from __future__ import annotations

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
