"""Replace confirmation: a diff of the uploaded code vs the local code, then every setting the
replace keeps or changes; Cancel has the focus."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.modals.confirm_modal import ConfirmModal, confirm_bindings

_DIFF_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))


def colored_diff(diff: str) -> Text:
    """A unified diff with added lines green, removed lines red and hunk headers cyan."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for line in diff.splitlines():
        style = next((s for prefix, s in _DIFF_STYLES if line.startswith(prefix)), "")
        text.append(line + "\n", style=style)
    return text


def colored_settings(settings: list[str]) -> Text:
    """`kept: …` lines dim, `changed: …` lines yellow, one a line."""
    text = Text()
    for i, line in enumerate(settings):
        text.append(line, style="yellow" if line.startswith("changed:") else "dim")
        if i < len(settings) - 1:
            text.append("\n")
    return text


class ReplaceModal(ConfirmModal):
    """The diff of uploaded vs local code and the settings the replace keeps or changes;
    dismisses with True only on Replace (or `y`)."""

    TITLE_TEXT = "Replace evaluator"
    CONFIRM_LABEL = "Replace"
    DIALOG_CLASSES = "dialog wide-dialog"
    BINDINGS = confirm_bindings("replace", "Replace")

    def __init__(self, name: str, target_label: str, diff: str, warnings: list[str] | None = None,
                 settings: list[str] | None = None) -> None:
        super().__init__()
        self.rule_name, self.target_label = name, target_label
        self.diff = diff or "(the uploaded code is identical to the local code)"
        self.warnings = list(warnings or [])
        self.settings = list(settings or [])

    def compose_body(self) -> ComposeResult:
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
        if self.settings:
            yield Static("Settings", classes="dialog-heading")
            with VerticalScroll(id="replace-settings"):
                yield Static(colored_settings(self.settings), id="replace-settings-text", markup=False)
