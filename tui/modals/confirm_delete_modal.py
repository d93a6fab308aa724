"""Delete confirmation: names the rule and what it is bound to; Cancel has the focus."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ..backend.models import Rule
from .confirm_modal import ConfirmModal


class ConfirmDeleteModal(ConfirmModal):
    """Dismisses with True only when the user presses Delete (or `y`)."""

    TITLE_TEXT = "Delete evaluator"
    CONFIRM_LABEL = "Delete"
    CONFIRM_VARIANT = "error"
    DIALOG_CLASSES = "dialog danger-dialog"
    BINDINGS = [
        Binding("escape,n", "answer(False)", "Cancel", id="delete.cancel"),
        Binding("y", "answer(True)", "Delete", id="delete.confirm"),
    ]

    def __init__(self, rule: Rule) -> None:
        super().__init__()
        self.rule = rule

    def compose_body(self) -> ComposeResult:
        r = self.rule
        yield Static(
            f"Delete the uploaded evaluator {r.name!r}?\n\n"
            f"Bound to   {r.target_label}\n"
            f"Sampling   {r.sampling_rate:.0%} of runs\n\n"
            "Runs will no longer be scored by it. This cannot be undone.",
            id="delete-message",
            markup=False,
        )
