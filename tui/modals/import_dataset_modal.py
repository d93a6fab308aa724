"""`i` in the datasets pane: import a JSONL or CSV file into a dataset (the highlighted one or a new one).

The form runs `transfer.import_examples` in a thread worker: its progress bar follows the check
and then the batches; escape (or the Cancel button) sets the import's cancel event, and the import
stops between two batches and undoes what it wrote. A file with bad lines is shown in full in the
form (nothing was written) and the form keeps what was typed; it closes with the `ImportReport`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Static

from tui.backend.core.errors import describe_error
from tui.modals.form_buttons import FormButtons
from tui.widgets.backend_access import require_backend
from tui.widgets.path_input import PathInput

PHASES = {"checking": "checking the file…", "importing": "importing…", "undoing": "undoing…"}


class ImportDatasetModal(FormButtons, ModalScreen["object | None"]):
    """Dismisses with the `ImportReport`, or None when closed without importing."""

    SUBMIT_BUTTON = "import"

    DEFAULT_CSS = """
    ImportDatasetModal #import-form {
        grid-size: 2; grid-columns: 16 1fr; grid-rows: 1; grid-gutter: 0 0; height: auto; margin-top: 1;
    }
    ImportDatasetModal #import-form Input { width: 1fr; }
    ImportDatasetModal #import-csv-note { color: $text-muted; height: auto; }
    ImportDatasetModal #import-progress-row { height: 1; margin-top: 1; }
    ImportDatasetModal #import-status { width: 1fr; padding-left: 2; }
    ImportDatasetModal #import-error-box { height: auto; max-height: 12; }
    ImportDatasetModal #import-error { color: $error; height: auto; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dataset_import.cancel",
                tooltip="Close the form; while importing, stop the import and undo it"),
        Binding("ctrl+s", "submit", "Import", id="dataset_import.submit", tooltip="Import the file"),
    ]

    def __init__(self, datasets: list[str], dataset: str | None = None, cwd: Path | None = None) -> None:
        super().__init__(classes="modal")
        self.datasets = datasets
        self.dataset = dataset or ""
        self.cwd = cwd
        self.cancel_event: threading.Event | None = None

    @property
    def running(self) -> bool:
        return self.cancel_event is not None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog") as dialog:
            dialog.border_title = "Import examples"
            with Grid(id="import-form"):
                yield Label("File")
                yield PathInput(placeholder="examples.jsonl or .csv (tab completes)", id="import-path",
                                cwd=self.cwd, compact=True)
                yield Label("Dataset")
                yield Input(self.dataset, id="import-dataset", compact=True,
                            suggester=SuggestFromList(self.datasets, case_sensitive=False))
                yield Label("")
                yield Checkbox("create it if it does not exist", id="import-create", compact=True)
                yield Label("Input keys")
                yield Input(placeholder="CSV / flat JSONL: question,context", id="import-input-keys", compact=True)
                yield Label("Output keys")
                yield Input(placeholder="answer", id="import-output-keys", compact=True)
                yield Label("Metadata keys")
                yield Input(placeholder="(optional)", id="import-metadata-keys", compact=True)
                yield Label("Split")
                yield Input(placeholder="(optional) every imported example joins it", id="import-split",
                            compact=True)
            yield Static("A CSV needs its input keys (columns); a JSONL line is {\"inputs\", \"outputs\", "
                         "\"metadata\", \"split\"} unless keys are given.", id="import-csv-note", markup=False)
            with Horizontal(id="import-progress-row"):
                yield ProgressBar(id="import-progress", show_eta=False)
                yield Static("", id="import-status", markup=False)
            with VerticalScroll(id="import-error-box"):
                yield Static("", id="import-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Import (ctrl+s)", id="import", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#import-progress-row").display = False
        self.query_one("#import-path", PathInput).focus()

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def action_submit(self) -> None:
        if self.running:
            return
        path_text, dataset = self._value("#import-path"), self._value("#import-dataset")
        create = self.query_one("#import-create", Checkbox).value
        problem = None
        if not path_text:
            problem = "✖ Give the file to import."
        elif not Path(path_text).expanduser().is_file() and not (
                self.cwd and (self.cwd / Path(path_text).expanduser()).is_file()):
            problem = f"✖ {path_text} is not a file."
        elif not dataset:
            problem = "✖ Name the dataset to import into."
        elif dataset not in self.datasets and not create:
            problem = (f"✖ There is no dataset {dataset!r}: tick “create it if it does not exist” to make "
                       "a new one, or pick one of the list.")
        if problem:
            self._show_error(problem)
            return
        path = Path(path_text).expanduser()
        if not path.is_absolute() and self.cwd is not None:
            path = self.cwd / path
        self._show_error("")
        self.cancel_event = threading.Event()
        self.query_one("#import", Button).disabled = True
        self.query_one("#import-progress-row").display = True
        self._show_status("checking the file…", None, 0)
        from tui.backend.datasets.dataset_file import parse_keys

        self.run_import(path, dataset, create, parse_keys(self._value("#import-input-keys")),
                        parse_keys(self._value("#import-output-keys")),
                        parse_keys(self._value("#import-metadata-keys")),
                        self._value("#import-split") or None, self.cancel_event)

    @work(thread=True, exclusive=True, group="dataset-import", exit_on_error=False)
    def run_import(self, path: Path, dataset: str, create: bool, input_keys: tuple[str, ...],
                   output_keys: tuple[str, ...], metadata_keys: tuple[str, ...], split: str | None,
                   cancel: threading.Event) -> None:
        from tui.backend.datasets.transfer import import_examples

        def progress(p) -> None:
            self.app.call_from_thread(self._show_status, PHASES.get(p.phase, p.phase), p.total, p.done)

        try:
            report = import_examples(require_backend(self), path, dataset, create=create, input_keys=input_keys,
                                     output_keys=output_keys, metadata_keys=metadata_keys, split=split,
                                     on_progress=progress, cancel=cancel)
        except BaseException as err:  # noqa: BLE001 - every failure is a sentence in the form
            self.app.call_from_thread(self._failed, describe_error(err))
            return
        self.app.call_from_thread(self.dismiss, report)

    def _show_status(self, text: str, total: int | None, done: int) -> None:
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=total, progress=done)
        count = f" {done:,} of {total:,}" if total is not None else ""
        self.query_one("#import-status", Static).update(text + count)

    def _failed(self, message: str) -> None:
        self.cancel_event = None
        self.query_one("#import", Button).disabled = False
        self.query_one("#import-progress-row").display = False
        self._show_error(f"✖ {message}")

    def _show_error(self, text: str) -> None:
        self.query_one("#import-error", Static).update(text)

    def action_cancel(self) -> None:
        if self.cancel_event is not None:
            self.cancel_event.set()
            self._show_status("cancelling… what was imported is taken out again", None, 0)
            return
        self.dismiss(None)
