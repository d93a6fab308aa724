"""Replace confirmation: a diff of the uploaded code vs the local code; Cancel has the focus."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from rich.text import Text
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

_DIFF_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))


def colored_diff(diff: str) -> Text:
    """A unified diff with added lines green, removed lines red and hunk headers cyan."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for line in diff.splitlines():
        style = next((s for prefix, s in _DIFF_STYLES if line.startswith(prefix)), "")
        text.append(line + "\n", style=style)
    return text


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
            with VerticalScroll(id="replace-diff", can_focus=True):
                yield Static(colored_diff(self.diff), markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button("Replace", id="confirm", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
