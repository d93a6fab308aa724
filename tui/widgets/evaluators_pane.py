"""Evaluators pane: uploaded rules on top, local evaluator functions (with sync state) in the
middle, the workspace's evaluators (code and LLM, read-only) below."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from tui.backend.core.models import Rule, WorkspaceEvaluator
from tui.backend.source.functions import LocalFunction
from tui.widgets.column_fit import DistinctLabel
from tui.widgets.fitted_table import FittedTable
from tui.widgets.formatting import ago, rate

_SYNC_STYLE = {"in sync": "green", "changed": "yellow", "not uploaded": "dim", "unknown": "red"}

_KIND_SHORT = {"python": "py", "javascript": "js", "llm": "LLM"}
_KIND_STYLE = {"python": "", "javascript": "yellow", "llm": "magenta", "actions": "cyan"}


def rule_kind_short(rule: Rule) -> str:
    """The Kind cell: `py`, `js`, `LLM` (with `+` when the rule also has side actions), `hook` for
    a webhook-only rule, `actions` for other actions-only rules."""
    if rule.kind == "actions":
        hooks_only = rule.side_actions and all(a.startswith("webhook ") for a in rule.side_actions)
        return "hook" if hooks_only else "actions"
    short = _KIND_SHORT.get(rule.kind, rule.kind)
    return f"{short}+" if rule.side_actions else short


def workspace_type_short(ev: WorkspaceEvaluator) -> str:
    """The Type cell of a workspace evaluator: `py` / `js` for code, `LLM`, else the type."""
    if ev.type == "code":
        return _KIND_SHORT.get(ev.language or "python", ev.language or "code")
    if ev.type == "llm":
        return "LLM"
    return ev.type


def _build_cell(ev: WorkspaceEvaluator) -> Text:
    if ev.type != "code":
        return Text("—", style="dim")
    status = (ev.build_status or "unknown").lower()
    style = {"ready": "green", "failed": "red"}.get(status, "yellow")
    return Text(status, style=style)


def _matches(needle: str, *fields: str) -> bool:
    return not needle or any(needle in f.lower() for f in fields)


def bound_to(rule: Rule) -> str:
    """The Bound to cell: a dataset by its name (the usual case), a project as `project: name`."""
    if rule.dataset_id or rule.dataset_name:
        return rule.dataset_name or rule.dataset_id or ""
    return rule.target_label


def _empty_text(filtered: str, matches: str, none: str) -> str:
    return f"{matches} “{filtered}”" if filtered else none


def _name(text: str, style: str = "") -> Text:
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


# Widths of every column; `DROP` says which ones go first when a table is too narrow for them all
# (the first column of each table is the flexible one and always stays).
RULE_COLUMNS = {"Name": 22, "Kind": 7, "Bound to": 13, "Rate": 5, "On": 3, "Updated": 9}
RULE_DROP = ("Updated", "On", "Rate", "Bound to")  # what tells rules apart stays longest
LOCAL_COLUMNS = {"Function": 24, "Kind": 11, "State": 12, "File": 16}
LOCAL_DROP = ("File", "Kind")
WORKSPACE_COLUMNS = {"Name": 26, "Type": 4, "Keys": 12, "Build": 8, "Bound to": 16}
WORKSPACE_DROP = ("Bound to", "Build", "Keys")
class EvaluatorsPane(Vertical):
    """Three tables; highlighting a row posts `RuleHighlighted`, `LocalHighlighted` or
    `WorkspaceHighlighted`."""

    BORDER_TITLE = "Evaluators"
    ALLOW_MAXIMIZE = True  # `m` gives the whole pane the screen, not only its focused widget

    # A newer highlight supersedes one still queued: only the row the cursor rests on matters.
    @dataclass
    class RuleHighlighted(Message):
        rule: Rule

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, EvaluatorsPane.RuleHighlighted)

    @dataclass
    class LocalHighlighted(Message):
        function: LocalFunction

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, EvaluatorsPane.LocalHighlighted)

    @dataclass
    class WorkspaceHighlighted(Message):
        evaluator: WorkspaceEvaluator

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, EvaluatorsPane.WorkspaceHighlighted)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._rules: list[Rule] = []
        self._local: list[LocalFunction] = []
        self._workspace: list[WorkspaceEvaluator] = []
        self._local_dir: Path | None = None  # the folder listed in Local files, once scanned
        self._filter = ""
        self._drawn: dict[str, tuple] = {}  # what each table shows now: skip identical redraws
        self._active_table: str | None = None  # the table the user last focused: only it selects

    def _unchanged(self, table_id: str, rows: tuple) -> bool:
        """True when `rows` is what the table already shows (a redraw would only flicker)."""
        if self._drawn.get(table_id) == rows:
            return True
        self._drawn[table_id] = rows
        return False

    def compose(self) -> ComposeResult:
        # Fixed widths: columns that resize as rows arrive make the layout jump (and snapshots flaky).
        yield Static("Uploaded rules", id="rules-title", classes="section-title", markup=False)
        yield FittedTable(RULE_COLUMNS, RULE_DROP, id="rules-table", cursor_type="row", zebra_stripes=True)
        yield Static("Local files", id="local-title", classes="section-title", markup=False)
        yield FittedTable(LOCAL_COLUMNS, LOCAL_DROP, id="local-table", cursor_type="row", zebra_stripes=True)
        yield Static("Workspace evaluators", id="workspace-title", classes="section-title", markup=False)
        yield FittedTable(WORKSPACE_COLUMNS, WORKSPACE_DROP, id="workspace-table", cursor_type="row",
                          zebra_stripes=True)

    # -- data ------------------------------------------------------------------------
    @property
    def rules(self) -> list[Rule]:
        return list(self._rules)

    @property
    def local_functions(self) -> list[LocalFunction]:
        return list(self._local)

    @property
    def workspace_evaluators(self) -> list[WorkspaceEvaluator]:
        return list(self._workspace)

    def show_rules(self, rules: list[Rule]) -> None:
        self._rules = sorted(rules, key=lambda r: (r.name.lower(), r.id))
        self._render_rules()

    def show_local(self, functions: list[LocalFunction], directory: Path) -> None:
        self._local = functions
        self._local_dir = directory
        title = self.query_one("#local-title", Static)
        title.update(f"Local files · {directory}")
        title.tooltip = str(directory)
        self._render_local()

    def show_workspace(self, evaluators: list[WorkspaceEvaluator]) -> None:
        self._workspace = sorted(evaluators, key=lambda e: (e.name.lower(), e.id))
        self._render_workspace()

    def set_filter(self, text: str) -> None:
        self._filter = text.strip().lower()
        self._render_rules()
        self._render_local()
        self._render_workspace()

    def show_loading(self, loading: bool) -> None:
        self.query_one("#rules-table").loading = loading

    def show_workspace_loading(self, loading: bool) -> None:
        self.query_one("#workspace-table").loading = loading

    def rule_named(self, name: str) -> Rule | None:
        return next((r for r in self._rules if r.name == name), None)

    def local_named(self, name: str) -> LocalFunction | None:
        return next((f for f in self._local if f.name == name), None)

    # -- rendering -------------------------------------------------------------------
    @staticmethod
    def _title(label: str, shown: int, total: int, filtered: bool) -> str:
        return f"{label} ({shown}" + (f" of {total})" if filtered else ")")

    def _render_rules(self) -> None:
        shown = [
            r for r in self._rules
            if _matches(self._filter, r.name, r.target_label, r.kind_label, rule_kind_short(r))
        ]
        self.query_one("#rules-title", Static).update(
            self._title("Uploaded rules", len(shown), len(self._rules), bool(self._filter))
        )
        table = self.query_one("#rules-table", FittedTable)
        table.set_empty_text(_empty_text(self._filter, "No uploaded rule matches",
                                         "No rules yet: u uploads one"))
        if self._unchanged("rules", tuple(shown)):
            return
        targets = [bound_to(r) for r in shown]
        table.show_rows(
            (
                r.id,
                (
                    _name(r.name, "" if r.is_enabled else "dim"),
                    Text(rule_kind_short(r), style=_KIND_STYLE.get(r.kind, "")),
                    DistinctLabel(bound_to(r), targets),
                    rate(r.sampling_rate),
                    "on" if r.is_enabled else "off",
                    ago(r.updated_at or r.created_at),
                ),
            )
            for r in shown
        )

    def _render_local(self) -> None:
        self._show_local_empty_text()
        shown = [f for f in self._local if _matches(self._filter, f.name, f.path.name, f.kind, f.state)]
        if self._unchanged("local", tuple((f.key, f.name, f.kind, f.state, f.path) for f in shown)):
            return

        def same_file(key: str) -> str | None:  # a file that broke or was mended: the cursor stays in it
            return next((f.key for f in shown if key.startswith(f"{f.path}::")), None)

        self.query_one("#local-table", FittedTable).show_rows(
            ((f.key, (_name(f.name), f.kind, _name(f.state, _SYNC_STYLE.get(f.sync, "")), _name(f.path.name)))
             for f in shown),
            successor=same_file,
        )

    def _show_local_empty_text(self) -> None:
        directory = self._local_dir
        if directory is None:
            none = ""
        elif not directory.is_dir():
            none = f"The folder does not exist (evaltui --dir FOLDER picks one): {directory}"
        else:
            none = f"No evaluator functions here (n creates a file from a template): {directory}"
        self.query_one("#local-table", FittedTable).set_empty_text(
            _empty_text(self._filter, "No local function matches", none))

    def _render_workspace(self) -> None:
        shown = [
            e for e in self._workspace
            if _matches(self._filter, e.name, e.type, workspace_type_short(e), *e.feedback_keys, *e.bindings)
        ]
        self.query_one("#workspace-title", Static).update(
            self._title("Workspace evaluators", len(shown), len(self._workspace), bool(self._filter))
        )
        table = self.query_one("#workspace-table", FittedTable)
        table.set_empty_text(_empty_text(self._filter, "No workspace evaluator matches",
                                         "No evaluators defined in this workspace"))
        if self._unchanged("workspace", tuple(shown)):
            return
        table.show_rows(
            (
                e.id,
                (
                    _name(e.name),
                    Text(workspace_type_short(e), style="magenta" if e.type == "llm" else ""),
                    _name(", ".join(e.feedback_keys) or "—"),
                    _build_cell(e),
                    _name(", ".join(e.bindings) or "—", "" if e.bindings else "dim"),
                ),
            )
            for e in shown
        )

    def select_local(self, key: str) -> None:
        """Focus the local functions and put the cursor on `key` (path::function), if listed."""
        table = self.query_one("#local-table", FittedTable)
        keys = [row.value for row in table.rows]
        if key in keys:
            self._active_table = "local-table"
            table.focus()
            with table.prevent(DataTable.RowHighlighted):  # the caller shows it in Source itself
                table.move_cursor(row=keys.index(key))

    # -- events ----------------------------------------------------------------------
    def selection_under_cursor(self) -> Rule | LocalFunction | WorkspaceEvaluator | None:
        """What the cursor of the table the user last worked in is on (None before any focus)."""
        if self._active_table is None:
            return None
        table = self.query_one(f"#{self._active_table}", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        items = {"rules-table": [(r.id, r) for r in self._rules],
                 "workspace-table": [(e.id, e) for e in self._workspace],
                 "local-table": [(f.key, f) for f in self._local]}.get(self._active_table, [])
        return next((item for k, item in items if k == key), None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        key = event.row_key.value if event.row_key else None
        if key is None:
            return
        table_id = event.data_table.id
        if event.data_table.has_focus:  # focus may be reported after the first highlight
            self._active_table = table_id
        if self._active_table is not None and table_id != self._active_table:
            return  # another table redrew: what the user works on stays selected
        if table_id == "rules-table":
            rule = next((r for r in self._rules if r.id == key), None)
            if rule:
                self.post_message(self.RuleHighlighted(rule))
        elif table_id == "workspace-table":
            # Only when asked for: the first row arriving (after the local files) must not take
            # the source viewer away from the function shown there.
            ev = next((e for e in self._workspace if e.id == key), None)
            if ev and event.data_table.has_focus:
                self.post_message(self.WorkspaceHighlighted(ev))
        else:
            fn = next((f for f in self._local if f.key == key), None)
            if fn:
                self.post_message(self.LocalHighlighted(fn))

    def on_descendant_focus(self, event) -> None:
        # Focusing a table re-announces its current row so the source viewer follows focus.
        table = event.widget
        if isinstance(table, DataTable):
            self._active_table = table.id
        if isinstance(table, DataTable) and table.row_count:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            table.post_message(
                DataTable.RowHighlighted(table, table.cursor_row, row_key)
            )
