"""Replace confirmation: a diff of the uploaded code vs the local code; Cancel has the focus."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea


class ReplaceModal(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape,n", "answer(False)", "Cancel", id="replace.cancel"),
        Binding("y", "answer(True)", "Replace", id="replace.confirm"),
    ]

    def __init__(self, name: str, target_label: str, diff: str, warnings: list[str] | None = None) -> None:
        super().__init__(classes="modal")
        self.rule_name, self.target_label = name, target_label
        self.diff = diff or "(the uploaded code is identical to the local code)"
        self.warnings = list(warnings or [])

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide-dialog") as dialog:
            dialog.border_title = "Replace evaluator"
            yield Static(
                f"Replace the uploaded evaluator {self.rule_name!r} ({self.target_label}) "
                "with the local code? The new version is put in place before the old one goes.",
                markup=False,
                classes="dialog-text",
            )
            for warning in self.warnings:
                yield Static(f"⚠ {warning}", markup=False, classes="warning")
            diff = TextArea(self.diff, id="replace-diff", read_only=True, show_line_numbers=False)
            diff.language = None
            yield diff
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button("Replace", id="confirm", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
