"""Test an evaluator on known-good and known-bad pairs (same logic as `evaltui test`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
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

    DEFAULT_CSS = """
    TestModal #test-warnings {
        height: auto;
        color: $warning;
        display: none;  /* shown when there is a warning */
    }
    TestModal #test-detail-box {
        height: auto;
        max-height: 30%;  /* a long error scrolls here, in full */
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="test.close"),
        Binding("ctrl+t", "rerun", "Run again", id="test.rerun"),
    ]

    @dataclass
    class TestFinished(Message):
        dataset: str
        report: Any = None
        error: str | None = None

    @dataclass
    class DatasetFitted(Message):
        """The keys the evaluator reads and each dataset's reference keys; `dataset` is the one to test on."""
        dataset: str
        reads: set[str]
        reference_keys: dict[str, set[str]]

    def __init__(self, path: Path | None, function: str, datasets: list[str], dataset: str | None,
                 timeout: float | None = None, rule: str | None = None, workspace: str | None = None) -> None:
        """`timeout` per evaluator call; None reads EVALTUI_TEST_TIMEOUT (default 30 s). With `rule`,
        the workspace rule of that name is tested (code, or an LLM judge through ChatOpenAI); with
        `workspace`, the workspace evaluator of that name (code, or its prompt-hub prompt)."""
        super().__init__(classes="modal")
        self.path, self.function, self.datasets = path, function, datasets
        self.rule, self.workspace = rule, workspace
        self._rows: list = []  # the last report's rows, for the notes of the highlighted one
        self._reads: set[str] = set()  # the keys the evaluator reads, once known
        self._reference_keys: dict[str, set[str]] = {}  # dataset name -> its reference-output keys
        self._fitted = False  # the dataset was chosen by the keys (done once, when the modal opens)
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
            yield Static("", id="test-warnings", markup=False)
            table = DataTable(id="test-table", cursor_type="row", zebra_stripes=True)
            table.add_columns("#", "Inputs", "Good", "Bad", "Notes")
            yield table
            with VerticalScroll(id="test-detail-box", can_focus=False):
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
        self.query_one("#test-warnings", Static).display = False
        fit_first = not self._fitted
        self._fitted = True
        self.run_test(self.dataset, fit_first)

    @work(thread=True, exclusive=True, group="test", exit_on_error=False)
    def run_test(self, dataset: str, fit_first: bool = False) -> None:
        from tui.backend.rules.tester import test_evaluator, test_rule, test_workspace_evaluator

        try:
            timeout = self.timeout or self.app.settings.test_timeout_s
            backend = current_backend(self)
            if fit_first:
                dataset = self._fit_dataset(backend, dataset)
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

    def _fit_dataset(self, backend: Any, dataset: str) -> str:
        """(In the worker) the dataset whose references hold the keys the evaluator reads."""
        from tui.backend.rules.dataset_fit import pick_dataset, reads_of, reference_keys_of

        try:
            reads = reads_of(backend, path=self.path, function=self.function, rule=self.rule,
                             workspace=self.workspace)
            reference_keys = reference_keys_of(backend, self.datasets)
        except EvaltuiError:
            return dataset  # the test itself will say what is wrong
        chosen = pick_dataset(reads, reference_keys, dataset) or dataset
        self.post_message(self.DatasetFitted(chosen, reads, reference_keys))
        return chosen

    def on_test_modal_dataset_fitted(self, event: DatasetFitted) -> None:
        self._reads, self._reference_keys = event.reads, event.reference_keys
        if event.dataset != self.dataset:
            self.dataset = event.dataset  # first: the Select's change is then not a new choice
            self.query_one("#test-dataset", Select).value = event.dataset
            self.query_one("#test-summary", Static).update(f"Testing on {self.dataset}…")

    def _warnings(self, report: Any) -> list[str]:
        from tui.backend.rules.dataset_fit import fit_warning

        name = self.rule or self.workspace or self.function
        fit = fit_warning(name, self._reads, self._reference_keys, self.dataset) if self.dataset else ""
        return ([fit] if fit else []) + list(report.warnings if report is not None else [])

    def on_test_modal_test_finished(self, event: TestFinished) -> None:
        if event.dataset != self.dataset:
            return
        table = self.query_one("#test-table", DataTable)
        table.loading = False
        table.clear()
        summary = self.query_one("#test-summary", Static)
        warnings = self._warnings(event.report)
        shown = self.query_one("#test-warnings", Static)
        shown.update("\n".join(f"⚠ {w}" for w in warnings))
        shown.display = bool(warnings)
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
        text = (row.detail or row.notes) if row is not None else ""
        detail.update(f"#{index + 1}: {text}" if text else "")
        detail.set_class(bool(row and row.errored), "failed")

    @on(DataTable.RowHighlighted, "#test-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    @on(Select.Changed, "#test-dataset")
    def _dataset_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.dataset:
            self.dataset = str(event.value)
            self.action_rerun()
