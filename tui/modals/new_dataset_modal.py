"""`n` in the datasets pane: a new, empty dataset (name and description).

The dataset is created from the form (in a thread worker), so a taken or empty name is one line in
the form and what was typed stays; the form closes with the new `Dataset`.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.backend.core.models import Dataset
from tui.modals.form_buttons import FormButtons
from tui.screens.main_messages import OperationFailed
from tui.screens.worker_failures import reports_failure
from tui.widgets.backend_access import require_backend


class NewDatasetModal(FormButtons, ModalScreen[Dataset | None]):
    """Dismisses with the created dataset, or None when cancelled (nothing is written then)."""

    SUBMIT_BUTTON = "create"

    DEFAULT_CSS = """
    NewDatasetModal .form-row { height: auto; margin-top: 1; }
    NewDatasetModal .form-row Input { width: 1fr; }
    NewDatasetModal #dataset-new-error { color: $error; height: auto; margin-top: 1; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dataset_new.cancel"),
        Binding("ctrl+s", "submit", "Create", id="dataset_new.create", tooltip="Create the dataset"),
    ]

    def __init__(self, taken: list[str]) -> None:
        super().__init__(classes="modal")
        self.taken = {name.lower(): name for name in taken}
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog") as dialog:
            dialog.border_title = "New dataset"
            with Horizontal(classes="form-row"):
                yield Label("Name        ")
                yield Input(placeholder="my regression cases", id="dataset-new-name", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Description ")
                yield Input(placeholder="(optional)", id="dataset-new-description", compact=True)
            yield Static("", id="dataset-new-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create (ctrl+s)", id="create", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#dataset-new-name", Input).focus()

    def problem(self, name: str) -> str | None:
        if not name:
            return "✖ Give the dataset a name."
        if name.lower() in self.taken:
            return f"✖ A dataset named {self.taken[name.lower()]!r} exists already; choose another name."
        return None

    def action_submit(self) -> None:
        if self.busy:
            return
        name = self.query_one("#dataset-new-name", Input).value.strip()
        description = self.query_one("#dataset-new-description", Input).value.strip()
        problem = self.problem(name)
        if problem:
            self._show_error(problem)
            return
        self.busy = True
        self._show_error("")
        self.create(name, description)

    @work(thread=True, exclusive=True, group="dataset-new", exit_on_error=False)
    def create(self, name: str, description: str) -> None:
        created = self._create(name, description)
        self.app.call_from_thread(self._created, created)

    @reports_failure("Could not create the dataset")
    def _create(self, name: str, description: str) -> Dataset | None:
        return require_backend(self).create_dataset(name, description)

    def _created(self, dataset: Dataset | None) -> None:
        self.busy = False
        if dataset is not None:
            self.dismiss(dataset)

    def on_operation_failed(self, event: OperationFailed) -> None:
        event.stop()
        self._show_error(f"✖ {event.message}")

    def _show_error(self, text: str) -> None:
        self.query_one("#dataset-new-error", Static).update(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
