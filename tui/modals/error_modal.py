"""An error shown as a sentence, never a traceback; dismissing it leaves the app usable."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui.modals.close_modal import CloseModal


class ErrorModal(CloseModal):
    BINDINGS = [Binding("escape,enter", "close", "Close", id="error.close")]

    def __init__(self, title: str, message: str) -> None:
        super().__init__(classes="modal")
        self.title_text, self.message = title, message

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog error-dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(self.message, id="error-message", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")
