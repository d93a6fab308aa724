"""One example in full: inputs, reference outputs and metadata as pretty JSON."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, TextArea

from tui.backend.core.models import Example
from tui.modals.close_modal import CloseModal
from tui.widgets.formatting import pretty_json


class ExampleModal(CloseModal):
    FOCUS_ON_OPEN = "#example-body"
    BINDINGS = [Binding("escape", "close", "Close", id="example.close")]

    def __init__(self, example: Example, index: int) -> None:
        super().__init__(classes="modal")
        self.example, self.index = example, index

    def compose(self) -> ComposeResult:
        ex = self.example
        body = (
            "# inputs\n" + pretty_json(ex.inputs)
            + "\n\n# reference outputs\n" + pretty_json(ex.outputs)
            + ("\n\n# metadata\n" + pretty_json(ex.metadata) if ex.metadata else "")
        )
        with Vertical(id="dialog", classes="dialog wide-dialog") as dialog:
            dialog.border_title = f"Example #{self.index + 1}"
            yield TextArea(body, id="example-body", read_only=True, language="python")
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")
