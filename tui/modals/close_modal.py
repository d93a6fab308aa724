"""Base for dialogs that only show something: any button (Close) or the `close` action dismisses."""

from __future__ import annotations

from textual.screen import ModalScreen
from textual.widgets import Button


class CloseModal(ModalScreen[None]):
    #: the widget that has the focus when the dialog opens
    FOCUS_ON_OPEN = "#close"

    def on_mount(self) -> None:
        self.query_one(self.FOCUS_ON_OPEN).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
