"""`a` in the results grid: keep the highlighted row, or every failing row, as examples of a dataset.

Each row becomes an example: the row's inputs, the run's outputs as the reference outputs, and
metadata saying where it came from (`source_experiment`, `source_example_id`). The examples are
shown as JSON in an editable text area first (fix a wrong output before it becomes a reference).
The dataset is an existing one or a new name (created). `transfer.add_to_dataset` runs in a thread
worker; an error is one line in the form, which closes with `(dataset, number added, created)`.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from tui.backend.core.errors import EvaltuiError, describe_error
from tui.backend.core.models import Dataset, ExperimentResult
from tui.backend.datasets.example_json import parse_examples, to_text
from tui.modals.form_buttons import FormButtons
from tui.widgets.backend_access import require_backend


def row_example(result: ExperimentResult, experiment: str) -> dict:
    """The example a result row becomes: its inputs, the run's outputs as reference, its origin."""
    return {"inputs": result.inputs, "outputs": result.outputs,
            "metadata": {"source_experiment": experiment, "source_example_id": result.example_id}}


class AddToDatasetModal(FormButtons, ModalScreen["tuple[Dataset, int, bool] | None"]):
    """Dismisses with (the dataset, how many were added, whether it was created), or None."""

    SUBMIT_BUTTON = "add"

    DEFAULT_CSS = """
    AddToDatasetModal #add-form {
        grid-size: 2; grid-columns: 10 1fr; grid-rows: 1; grid-gutter: 0 0; height: auto; margin-top: 1;
    }
    AddToDatasetModal #add-form Input, AddToDatasetModal #add-form Select { width: 1fr; }
    AddToDatasetModal #add-target { color: $text-muted; height: 1; }
    AddToDatasetModal #add-body { height: 1fr; min-height: 5; }
    AddToDatasetModal #add-error { color: $error; height: auto; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="add_to_dataset.cancel"),
        Binding("ctrl+s", "submit", "Add", id="add_to_dataset.submit", tooltip="Add the examples to the dataset"),
    ]

    def __init__(self, experiment: str, row: ExperimentResult | None, failing: Sequence[ExperimentResult],
                 datasets: Sequence[Dataset], dataset: str = "", row_number: int | None = None) -> None:
        super().__init__(classes="modal")
        self.experiment = experiment
        self.row, self.failing = row, list(failing)
        self.datasets = {d.name: d for d in datasets}
        self.dataset = dataset
        self.row_number = row_number
        self.busy = False

    def _choices(self) -> list[tuple[str, str]]:
        choices = []
        if self.row is not None:
            number = f" #{self.row_number}" if self.row_number is not None else ""
            choices.append((f"the highlighted row{number}", "row"))
        if self.failing:
            choices.append((f"every failing row ({len(self.failing)})", "failing"))
        return choices

    def rows(self, which: str) -> list[ExperimentResult]:
        return self.failing if which == "failing" else [self.row] if self.row is not None else []

    def text_for(self, which: str) -> str:
        examples = [row_example(r, self.experiment) for r in self.rows(which)]
        return to_text(examples)

    def compose(self) -> ComposeResult:
        choices = self._choices()
        with Vertical(id="dialog", classes="dialog wide-dialog") as dialog:
            dialog.border_title = f"Add to a dataset · from {self.experiment}"
            with Grid(id="add-form"):
                yield Label("Rows")
                yield Select(choices, value=choices[0][1], allow_blank=False, id="add-rows", compact=True)
                yield Label("Dataset")
                yield Input(self.dataset, id="add-dataset", compact=True, placeholder="an existing or a new name",
                            suggester=SuggestFromList(list(self.datasets), case_sensitive=False))
            yield Static("", id="add-target", markup=False)
            yield Static("The examples to add (the run's outputs become the reference outputs; edit them first "
                         "if need be):", classes="dialog-heading", markup=False)
            # No language="json": tree-sitter-json 0.24 (the newest) crashes tree-sitter 0.26 (a segfault).
            yield TextArea(self.text_for(choices[0][1]), id="add-body", soft_wrap=False, show_line_numbers=True)
            yield Static("", id="add-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Add (ctrl+s)", id="add", variant="primary")

    def on_mount(self) -> None:
        self._describe_target(self.dataset)
        self.query_one("#add-dataset", Input).focus()

    @on(Select.Changed, "#add-rows")
    def _rows_changed(self, event: Select.Changed) -> None:
        self.query_one("#add-body", TextArea).text = self.text_for(str(event.value))

    @on(Input.Changed, "#add-dataset")
    def _dataset_changed(self, event: Input.Changed) -> None:
        self._describe_target(event.value.strip())

    def _describe_target(self, name: str) -> None:
        found = self.datasets.get(name)
        if not name:
            text = "Name a dataset: an existing one, or a new name to create it."
        elif found is not None:
            text = f"Adds to {found.name!r} ({found.example_count:,} examples now)."
        else:
            text = f"{name!r} does not exist yet: it will be created."
        self.query_one("#add-target", Static).update(text)

    def action_submit(self) -> None:
        if self.busy:
            return
        name = self.query_one("#add-dataset", Input).value.strip()
        if not name:
            self._show_error("✖ Name the dataset to add to.")
            return
        try:
            examples = parse_examples(self.query_one("#add-body", TextArea).text)
        except EvaltuiError as err:
            self._show_error(f"✖ {err}")
            return
        self.busy = True
        self._show_error("")
        self.add(name, examples)

    @work(thread=True, exclusive=True, group="add-to-dataset", exit_on_error=False)
    def add(self, name: str, examples: list) -> None:
        from tui.backend.datasets.transfer import add_to_dataset

        created = name not in self.datasets
        try:
            dataset, ids = add_to_dataset(require_backend(self), name, examples, create=True)
        except Exception as err:  # noqa: BLE001 - every failure is a sentence in the form
            self.app.call_from_thread(self._failed, describe_error(err))
            return
        self.app.call_from_thread(self.dismiss, (dataset, len(ids), created))

    def _failed(self, message: str) -> None:
        self.busy = False
        self._show_error(f"✖ {message}")

    def _show_error(self, text: str) -> None:
        self.query_one("#add-error", Static).update(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
