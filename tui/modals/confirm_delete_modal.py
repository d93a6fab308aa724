"""Delete confirmation: names the rule and what it is bound to; Cancel has the focus."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ..backend.models import Rule


class ConfirmDeleteModal(ModalScreen[bool]):
    """Dismisses with True only when the user presses Delete (or `y`)."""

    BINDINGS = [
        Binding("escape,n", "answer(False)", "Cancel", id="delete.cancel"),
        Binding("y", "answer(True)", "Delete", id="delete.confirm"),
    ]

    def __init__(self, rule: Rule) -> None:
        super().__init__(classes="modal")
        self.rule = rule

    def compose(self) -> ComposeResult:
        r = self.rule
        with Vertical(id="dialog", classes="dialog danger-dialog") as dialog:
            dialog.border_title = "Delete evaluator"
            yield Static(
                f"Delete the uploaded evaluator {r.name!r}?\n\n"
                f"Bound to   {r.target_label}\n"
                f"Sampling   {r.sampling_rate:g}\n\n"
                "Runs will no longer be scored by it. This cannot be undone.",
                id="delete-message",
                markup=False,
            )
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button("Delete", id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
