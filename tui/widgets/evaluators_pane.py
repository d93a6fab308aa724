"""Evaluators pane: uploaded rules on top, local evaluator functions (with sync state) below."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from ..backend.models import Rule
from .column_fit import ColumnFit, FixedColumnsTable
from .formatting import ago, rate

SyncState = Literal["not uploaded", "in sync", "changed", "unknown"]


@dataclass(frozen=True)
class LocalFunction:
    """One evaluator function found in a local file (by AST, never executed)."""

    path: Path
    name: str
    lineno: int
    end_lineno: int
    signature: str | None  # "method1" | "method2" | None
    is_async: bool
    is_judge: bool
    sync: SyncState = "not uploaded"

    @property
    def key(self) -> str:
        return f"{self.path}::{self.name}"

    @property
    def kind(self) -> str:
        # Imported here: the loader is not needed for the first frame.
        from ..backend.loader import function_kind

        return function_kind(self.signature, self.is_async, self.is_judge)


_SYNC_STYLE = {"in sync": "green", "changed": "yellow", "not uploaded": "dim", "unknown": "red"}


def _matches(needle: str, *fields: str) -> bool:
    return not needle or any(needle in f.lower() for f in fields)


RULE_COLUMNS = {"Name": 22, "Bound to": 30, "Rate": 5, "On": 3, "Updated": 9}
LOCAL_COLUMNS = {"Function": 24, "Kind": 11, "State": 12, "File": 22}


class EvaluatorsPane(Vertical):
    """Two tables; highlighting a row posts `RuleHighlighted` or `LocalHighlighted`."""

    BORDER_TITLE = "Evaluators"

    class RuleHighlighted(Message):
        def __init__(self, rule: Rule) -> None:
            super().__init__()
            self.rule = rule

    class LocalHighlighted(Message):
        def __init__(self, function: LocalFunction) -> None:
            super().__init__()
            self.function = function

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._rules: list[Rule] = []
        self._local: list[LocalFunction] = []
        self._filter = ""
        self._drawn: dict[str, tuple] = {}  # what each table shows now: skip identical redraws

    def _unchanged(self, table_id: str, rows: tuple) -> bool:
        """True when `rows` is what the table already shows (a redraw would only flicker)."""
        if self._drawn.get(table_id) == rows:
            return True
        self._drawn[table_id] = rows
        return False

    def compose(self) -> ComposeResult:
        yield Static("Uploaded rules", id="rules-title", classes="section-title")
        rules = FixedColumnsTable(id="rules-table", cursor_type="row", zebra_stripes=True,
                                  fit=ColumnFit(RULE_COLUMNS, flexible="Bound to", minimum=12))
        # Fixed widths: columns that resize as rows arrive make the layout jump (and snapshots flaky).
        for label, width in RULE_COLUMNS.items():
            rules.add_column(label, width=width)
        yield rules
        yield Static("Local files", id="local-title", classes="section-title")
        local = FixedColumnsTable(id="local-table", cursor_type="row", zebra_stripes=True,
                                  fit=ColumnFit(LOCAL_COLUMNS, flexible="File", minimum=8))
        for label, width in LOCAL_COLUMNS.items():
            local.add_column(label, width=width)
        yield local

    # -- data ------------------------------------------------------------------------
    @property
    def rules(self) -> list[Rule]:
        return list(self._rules)

    @property
    def local_functions(self) -> list[LocalFunction]:
        return list(self._local)

    def show_rules(self, rules: list[Rule]) -> None:
        self._rules = sorted(rules, key=lambda r: (r.name.lower(), r.id))
        self._render_rules()

    def show_local(self, functions: list[LocalFunction], directory: Path) -> None:
        self._local = functions
        self.query_one("#local-title", Static).update(f"Local files · {directory}")
        self._render_local()

    def set_filter(self, text: str) -> None:
        self._filter = text.strip().lower()
        self._render_rules()
        self._render_local()

    def show_loading(self, loading: bool) -> None:
        self.query_one("#rules-table").loading = loading

    def rule_named(self, name: str) -> Rule | None:
        return next((r for r in self._rules if r.name == name), None)

    def local_named(self, name: str) -> LocalFunction | None:
        return next((f for f in self._local if f.name == name), None)

    # -- rendering -------------------------------------------------------------------
    def _render_rules(self) -> None:
        table = self.query_one("#rules-table", DataTable)
        shown = [
            r for r in self._rules if _matches(self._filter, r.name, r.target_label)
        ]
        title = f"Uploaded rules ({len(shown)}" + (f" of {len(self._rules)})" if self._filter else ")")
        self.query_one("#rules-title", Static).update(title)
        if self._unchanged("rules", tuple(shown)):
            return
        table.clear()
        for r in shown:
            table.add_row(
                Text(r.name),
                Text(r.target_label),
                rate(r.sampling_rate),
                "on" if r.is_enabled else "off",
                ago(r.updated_at or r.created_at),
                key=r.id,
            )

    def _render_local(self) -> None:
        table = self.query_one("#local-table", DataTable)
        shown = [f for f in self._local if _matches(self._filter, f.name, f.path.name, f.kind, f.sync)]
        if self._unchanged("local", tuple((f.key, f.name, f.kind, f.sync, f.path) for f in shown)):
            return
        table.clear()
        for f in shown:
            style = _SYNC_STYLE.get(f.sync, "")
            table.add_row(
                Text(f.name), f.kind, Text(f.sync, style=style), Text(f.path.name), key=f.key
            )

    # -- events ----------------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        key = event.row_key.value if event.row_key else None
        if key is None:
            return
        if event.data_table.id == "rules-table":
            rule = next((r for r in self._rules if r.id == key), None)
            if rule:
                self.post_message(self.RuleHighlighted(rule))
        else:
            fn = next((f for f in self._local if f.key == key), None)
            if fn:
                self.post_message(self.LocalHighlighted(fn))

    def on_descendant_focus(self, event) -> None:
        # Focusing a table re-announces its current row so the source viewer follows focus.
        table = event.widget
        if isinstance(table, DataTable) and table.row_count:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            table.post_message(
                DataTable.RowHighlighted(table, table.cursor_row, row_key)
            )
