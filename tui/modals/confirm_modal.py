"""Base for yes/no confirmations: Cancel has the focus, `y` confirms, `n` / escape cancel."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button


def confirm_bindings(prefix: str, confirm: str, confirm_id: str = "confirm") -> list[Binding]:
    """escape / `n` cancel, `y` confirms; binding ids `<prefix>.cancel` and `<prefix>.<confirm_id>`."""
    return [
        Binding("escape,n", "answer(False)", "Cancel", id=f"{prefix}.cancel"),
        Binding("y", "answer(True)", confirm, id=f"{prefix}.{confirm_id}"),
    ]


DANGER_DIALOG = "dialog danger-dialog"  # the red frame of a confirmation that destroys something


class ConfirmModal(ModalScreen[bool]):
    """Subclasses set the title and confirm button and yield the body; dismisses with True only
    when the user confirms."""

    TITLE_TEXT = "Confirm"
    CONFIRM_LABEL = "OK"
    CONFIRM_VARIANT = "warning"
    DIALOG_CLASSES = "dialog"

    BINDINGS = confirm_bindings("confirm", "Confirm", confirm_id="yes")

    def __init__(self) -> None:
        super().__init__(classes="modal")

    def compose_body(self) -> ComposeResult:
        yield from ()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes=self.DIALOG_CLASSES) as dialog:
            dialog.border_title = self.TITLE_TEXT
            yield from self.compose_body()
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(self.CONFIRM_LABEL, id="confirm", variant=self.CONFIRM_VARIANT)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class DeleteConfirmModal(ConfirmModal):
    """A delete: the red frame and a Delete button; dismisses with True only when the user presses
    Delete (or `y`)."""

    CONFIRM_LABEL = "Delete"
    CONFIRM_VARIANT = "error"
    DIALOG_CLASSES = DANGER_DIALOG
