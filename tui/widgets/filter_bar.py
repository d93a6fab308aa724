"""The `/` filter: an input that narrows whichever list had focus."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class FilterBar(Input):
    """Hidden until `/`; every keystroke posts `FilterChanged`; escape clears and hides it."""

    BINDINGS = [Binding("escape", "close", "Clear filter", id="filter.close")]

    @dataclass
    class FilterChanged(Message):
        text: str
        final: bool = False  # enter or escape: the filter is kept (or cleared) and the bar closes

        def can_replace(self, message: Message) -> bool:
            # A keystroke typed after this one supersedes it; the final one is always handled.
            return not self.final and isinstance(message, FilterBar.FilterChanged)

    def __init__(self, **kwargs) -> None:
        super().__init__(placeholder="Filter… (enter keeps it, escape clears)", compact=True, **kwargs)
        self.display = False

    def open(self, target_name: str) -> None:
        self.placeholder = f"Filter {target_name}… (enter keeps it, escape clears)"
        self.display = True
        self.screen.set_focus(self)  # now: the letters typed right after `/` are the filter's

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.FilterChanged(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.display = False
        self.post_message(self.FilterChanged(self.value, final=True))

    def action_close(self) -> None:
        self.value = ""
        self.display = False
        self.post_message(self.FilterChanged("", final=True))
