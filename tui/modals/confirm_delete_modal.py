"""Delete confirmation: the backend's one question (kind, target, sampling, state and every side
action that goes with the rule); Cancel has the focus."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.backend.core.models import Rule
from tui.backend.rules.ops import delete_question
from tui.modals.confirm_modal import DeleteConfirmModal, confirm_bindings


class ConfirmDeleteModal(DeleteConfirmModal):
    TITLE_TEXT = "Delete evaluator"
    BINDINGS = confirm_bindings("delete", "Delete")

    def __init__(self, rule: Rule) -> None:
        super().__init__()
        self.rule = rule

    @property
    def question(self) -> str:
        return delete_question(self.rule)

    def compose_body(self) -> ComposeResult:
        yield Static(
            f"{self.question}\n\nThis cannot be undone.",
            id="delete-message",
            markup=False,
        )
