"""Quitting while an experiment runs: cancel it (finished results kept), keep it running, or quit
anyway (the next start finds the run's process gone and marks it interrupted)."""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

QuitChoice = Literal["cancel", "stay", "quit"]


class QuitDuringRunModal(ModalScreen[QuitChoice]):
    BINDINGS = [
        Binding("escape,k", "choose('stay')", "Keep running", id="quit_run.stay"),
        Binding("c", "choose('cancel')", "Cancel run and quit", id="quit_run.cancel"),
        Binding("q", "choose('quit')", "Quit anyway", id="quit_run.quit"),
    ]

    def __init__(self, experiment: str, done: int, total: int) -> None:
        super().__init__(classes="modal")
        self.experiment, self.done, self.total = experiment, done, total

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog") as dialog:
            dialog.border_title = "An experiment is running"
            progress = (f"{self.experiment or 'The experiment'} has {self.done} of {self.total} examples done."
                        if self.total else "An experiment is starting.")
            yield Static(
                f"{progress}\n\n"
                "c  cancel it and quit: the finished results are kept\n"
                "k  keep it running (escape)\n"
                "q  quit anyway: the run stops where it is and is marked interrupted",
                classes="dialog-text", markup=False,
            )
            with Horizontal(classes="buttons"):
                yield Button("Keep running", id="stay", variant="primary")
                yield Button("Cancel run and quit", id="cancel", variant="warning")
                yield Button("Quit anyway", id="quit", variant="error")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)  # type: ignore[arg-type]

    def action_choose(self, choice: QuitChoice) -> None:
        self.dismiss(choice)
