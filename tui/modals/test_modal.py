"""Test an evaluator on known-good and known-bad pairs (same logic as `evaltui test`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Label, Select, Static

from tui.backend.core.errors import EvaltuiError
from tui.modals.close_modal import CloseModal
from tui.widgets.backend_access import current_backend

TEST_LIMIT = 10


def _score(value: float | None) -> Text:
    if value is None:
        return Text("—", style="dim")
    return Text(f"{value:.2f}")


class TestModal(CloseModal):
    """Runs the test in a thread worker as soon as it opens and whenever the dataset changes."""

    FOCUS_ON_OPEN = "#test-table"

    __test__ = False  # not a pytest test class

    BINDINGS = [
        Binding("escape", "close", "Close", id="test.close"),
        Binding("ctrl+t", "rerun", "Run again", id="test.rerun"),
    ]

    @dataclass
    class TestFinished(Message):
        dataset: str
        report: Any = None
        error: str | None = None

    def __init__(self, path: Path | None, function: str, datasets: list[str], dataset: str | None,
                 timeout: float | None = None, rule: str | None = None, workspace: str | None = None) -> None:
        """`timeout` per evaluator call; None reads EVALTUI_TEST_TIMEOUT (default 30 s). With `rule`,
        the workspace rule of that name is tested (code, or an LLM judge through ChatOpenAI); with
        `workspace`, the workspace evaluator of that name (code, or its prompt-hub prompt)."""
        super().__init__(classes="modal")
        self.path, self.function, self.datasets = path, function, datasets
        self.rule, self.workspace = rule, workspace
        self._rows: list = []  # the last report's rows, for the notes of the highlighted one
        self.timeout = timeout
        self.dataset = dataset if dataset in datasets else (datasets[0] if datasets else None)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide-dialog") as dialog:
            dialog.border_title = (f"Test rule {self.rule}" if self.rule
                                   else f"Test workspace evaluator {self.workspace}" if self.workspace
                                   else f"Test {self.function}() · {self.path.name}")
            with Horizontal(id="test-controls"):
                yield Label("Dataset ")
                yield Select([(d, d) for d in self.datasets], value=self.dataset or Select.NULL,
                             id="test-dataset", prompt="choose a dataset", compact=True)
            yield Static("", id="test-summary", markup=False)
            table = DataTable(id="test-table", cursor_type="row", zebra_stripes=True)
            table.add_columns("#", "Inputs", "Good", "Bad", "Notes")
            yield table
            yield Static("", id="test-detail", markup=False)  # the highlighted row's notes, in full
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.action_rerun()  # then CloseModal focuses the table

    def action_rerun(self) -> None:
        if not self.dataset:
            self.query_one("#test-summary", Static).update("There is no dataset to test with.")
            return
        self.query_one("#test-table").loading = True
        self.query_one("#test-summary", Static).update(f"Testing on {self.dataset}…")
        self.run_test(self.dataset)

    @work(thread=True, exclusive=True, group="test", exit_on_error=False)
    def run_test(self, dataset: str) -> None:
        from tui.backend.rules.tester import test_evaluator, test_rule, test_workspace_evaluator

        try:
            timeout = self.timeout or self.app.settings.test_timeout_s
            backend = current_backend(self)
            if self.rule:
                report = test_rule(backend, self.rule, dataset, limit=TEST_LIMIT, timeout=timeout)
            elif self.workspace:
                report = test_workspace_evaluator(backend, self.workspace, dataset, limit=TEST_LIMIT,
                                                  timeout=timeout)
            else:
                report = test_evaluator(backend, self.path, self.function, dataset, limit=TEST_LIMIT,
                                        timeout=timeout)
            self.post_message(self.TestFinished(dataset, report=report))
        except EvaltuiError as err:
            self.post_message(self.TestFinished(dataset, error=str(err)))
        except Exception as err:  # an evaluator bug must not take the app down
            self.post_message(self.TestFinished(dataset, error=f"Unexpected {type(err).__name__}: {err}"))

    def on_test_modal_test_finished(self, event: TestFinished) -> None:
        if event.dataset != self.dataset:
            return
        table = self.query_one("#test-table", DataTable)
        table.loading = False
        table.clear()
        summary = self.query_one("#test-summary", Static)
        if event.error:
            summary.update(f"✖ {event.error}")
            summary.set_class(True, "failed")
            return
        report = event.report
        self._rows = list(report.rows)
        for i, row in enumerate(report.rows, start=1):
            notes = Text(row.notes, style="red" if row.errored else "")
            table.add_row(str(i), Text(row.input_preview), _score(row.good), _score(row.bad), notes)
        mg = "—" if report.mean_good is None else f"{report.mean_good:.2f}"
        mb = "—" if report.mean_bad is None else f"{report.mean_bad:.2f}"
        mark = "✔" if report.ok else "✖"
        summary.update(f"{mark} mean good {mg} · mean bad {mb} · {report.message}")
        summary.set_class(not report.ok, "failed")
        first_error = next((i for i, row in enumerate(report.rows) if row.errored), 0)
        if report.rows:
            table.move_cursor(row=first_error)
            self._show_detail(first_error)

    def _show_detail(self, index: int) -> None:
        row = self._rows[index] if 0 <= index < len(self._rows) else None
        detail = self.query_one("#test-detail", Static)
        detail.update(f"#{index + 1}: {row.notes}" if row is not None and row.notes else "")
        detail.set_class(bool(row and row.errored), "failed")

    @on(DataTable.RowHighlighted, "#test-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    @on(Select.Changed, "#test-dataset")
    def _dataset_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.dataset:
            self.dataset = str(event.value)
            self.action_rerun()
