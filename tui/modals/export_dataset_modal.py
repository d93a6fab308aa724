"""`x` in the datasets pane: write a dataset (its latest version, or one a tag or a time names) to a
JSONL or CSV file.

The path starts as `$EVALTUI_HOME/exports/<name>.jsonl` and follows the format while it is that
default. `transfer.export_examples` runs in a thread worker (the file is written atomically); the
progress bar follows it; an error is one line in the form, which closes with the `ExportReport`.
"""

from __future__ import annotations

import re
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from tui.backend.core.errors import describe_error
from tui.backend.core.models import Dataset
from tui.modals.form_buttons import FormButtons
from tui.widgets.backend_access import require_backend
from tui.widgets.path_input import PathInput


def export_file_name(dataset: str, fmt: str) -> str:
    """A file name for the dataset: `Skills: Final Response` -> `Skills-Final-Response.jsonl`."""
    stem = re.sub(r"[^\w.-]+", "-", dataset).strip("-.") or "dataset"
    return f"{stem}.{fmt}"


class ExportDatasetModal(FormButtons, ModalScreen["object | None"]):
    """Dismisses with the `ExportReport`, or None when closed without exporting."""

    SUBMIT_BUTTON = "export"

    DEFAULT_CSS = """
    ExportDatasetModal #export-form {
        grid-size: 2; grid-columns: 10 1fr; grid-rows: 1; grid-gutter: 0 0; height: auto; margin-top: 1;
    }
    ExportDatasetModal #export-form Input, ExportDatasetModal #export-form Select { width: 1fr; }
    ExportDatasetModal #export-progress-row { height: 1; margin-top: 1; }
    ExportDatasetModal #export-status { width: 1fr; padding-left: 2; }
    ExportDatasetModal #export-error { color: $error; height: auto; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dataset_export.cancel"),
        Binding("ctrl+s", "submit", "Export", id="dataset_export.submit", tooltip="Write the file"),
    ]

    def __init__(self, dataset: Dataset, export_dir: Path, versions: list[str] | None = None) -> None:
        super().__init__(classes="modal")
        self.dataset = dataset
        self.export_dir = export_dir
        self.versions = versions or []
        self.busy = False

    def default_path(self, fmt: str) -> Path:
        return self.export_dir / export_file_name(self.dataset.name, fmt)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog") as dialog:
            dialog.border_title = f"Export {self.dataset.name}"
            yield Static(f"{self.dataset.example_count:,} examples in the latest version.", classes="dialog-text",
                         markup=False)
            with Grid(id="export-form"):
                yield Label("Format")
                yield Select([("JSONL (one example a line)", "jsonl"), ("CSV (one column per key)", "csv")],
                             value="jsonl", allow_blank=False, id="export-format", compact=True)
                yield Label("File")
                yield PathInput(str(self.default_path("jsonl")), id="export-path", compact=True)
                yield Label("Version")
                from textual.suggester import SuggestFromList

                yield Input("latest", id="export-version", compact=True,
                            placeholder="latest, a tag or an ISO time (as of)",
                            suggester=SuggestFromList(["latest", *self.versions], case_sensitive=False))
            with Horizontal(id="export-progress-row"):
                yield ProgressBar(id="export-progress", show_eta=False)
                yield Static("", id="export-status", markup=False)
            yield Static("", id="export-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Export (ctrl+s)", id="export", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#export-progress-row").display = False
        self.query_one("#export-format", Select).focus()

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        field = self.query_one("#export-path", PathInput)
        fmt = str(event.value)
        other = "csv" if fmt == "jsonl" else "jsonl"
        if field.value == str(self.default_path(other)):
            field.value = str(self.default_path(fmt))
        elif field.value.endswith(f".{other}"):
            field.value = field.value[: -len(other)] + fmt

    def action_submit(self) -> None:
        if self.busy:
            return
        path_text = self.query_one("#export-path", Input).value.strip()
        if not path_text:
            self._show_error("✖ Give the file to write.")
            return
        version = self.query_one("#export-version", Input).value.strip()
        fmt = str(self.query_one("#export-format", Select).value)
        self.busy = True
        self._show_error("")
        self.query_one("#export", Button).disabled = True
        self.query_one("#export-progress-row").display = True
        self._show_progress(0, None)
        self.run_export(Path(path_text).expanduser(), fmt, None if version in ("", "latest") else version)

    @work(thread=True, exclusive=True, group="dataset-export", exit_on_error=False)
    def run_export(self, path: Path, fmt: str, as_of: str | None) -> None:
        from tui.backend.datasets.transfer import export_examples

        def progress(p) -> None:
            self.app.call_from_thread(self._show_progress, p.done, p.total)

        try:
            report = export_examples(require_backend(self), self.dataset.id, path, fmt=fmt,  # type: ignore[arg-type]
                                     as_of=as_of, on_progress=progress)
        except Exception as err:  # noqa: BLE001 - every failure is a sentence in the form
            self.app.call_from_thread(self._failed, describe_error(err))
            return
        self.app.call_from_thread(self.dismiss, report)

    def _show_progress(self, done: int, total: int | None) -> None:
        self.query_one("#export-progress", ProgressBar).update(total=total, progress=done)
        count = f" {done:,} of {total:,}" if total is not None else ""
        self.query_one("#export-status", Static).update("exporting…" + count)

    def _failed(self, message: str) -> None:
        self.busy = False
        self.query_one("#export", Button).disabled = False
        self.query_one("#export-progress-row").display = False
        self._show_error(f"✖ {message}")

    def _show_error(self, text: str) -> None:
        self.query_one("#export-error", Static).update(text)

    def action_cancel(self) -> None:
        if self.busy:
            self.notify("The export is being written; it finishes in a moment.", timeout=3)
            return
        self.dismiss(None)
