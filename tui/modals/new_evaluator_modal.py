"""`n`: a new evaluator file from a template (Method 1, Method 2, async LLM judge) in the
evaluators folder. Errors (a bad name, an existing file) show in the form, which keeps its input."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui.backend.core.errors import EvaltuiError
from tui.backend.source.templates import TEMPLATES, write_new_evaluator
from tui.modals.form_buttons import FormButtons


class NewEvaluatorModal(FormButtons, ModalScreen["tuple[Path, str] | None"]):
    """Dismisses with (the new file, its function) once the file is written, None when cancelled."""

    SUBMIT_BUTTON = "create"

    DEFAULT_CSS = """
    NewEvaluatorModal #dialog { height: auto; }
    NewEvaluatorModal .form-row { height: auto; margin-bottom: 1; }
    NewEvaluatorModal .form-row Input, NewEvaluatorModal .form-row Select { width: 1fr; }
    NewEvaluatorModal #new-error { color: $error; height: auto; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="new.cancel"),
        Binding("ctrl+s", "submit", "Create", id="new.create"),
    ]

    def __init__(self, directory: Path) -> None:
        super().__init__(classes="modal")
        self.directory = Path(directory)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog") as dialog:
            dialog.border_title = "New evaluator"
            with Horizontal(classes="form-row"):
                yield Label("Function name ")
                yield Input(placeholder="my_evaluator", id="new-name", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Template      ")
                yield Select([(label, key) for key, label in TEMPLATES.items()], value="method2",
                             allow_blank=False, id="new-template", compact=True)
            yield Static(f"Written to {self.directory}/<name>.py", id="new-where", classes="dialog-text",
                         markup=False)
            yield Static("", id="new-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create (ctrl+s)", id="create", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#new-name", Input).focus()

    @on(Input.Changed, "#new-name")
    def _name_changed(self, event: Input.Changed) -> None:
        name = event.value.strip() or "<name>"
        self.query_one("#new-where", Static).update(f"Written to {self.directory / name}.py")

    def action_submit(self) -> None:
        name = self.query_one("#new-name", Input).value.strip()
        template = str(self.query_one("#new-template", Select).value)
        error = self.query_one("#new-error", Static)
        if not name:
            error.update("✖ Give the function a name.")
            return
        try:
            path = write_new_evaluator(self.directory, name, template)
        except EvaltuiError as exc:
            error.update(f"✖ {exc}")
            return
        self.dismiss((path, name))

    def action_cancel(self) -> None:
        self.dismiss(None)
