"""Every key the app answers to, grouped by where it works."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from tui.keymap import binding_keys
from tui.modals.close_modal import CloseModal


def _key_label(app, key: str) -> str:
    return ", ".join(app.get_key_display(Binding(k.strip(), "")) for k in key.split(","))


class HelpScreen(CloseModal):
    BINDINGS = [Binding("escape,question_mark,f1", "close", "Close", id="help.close")]

    def __init__(self, sections: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__(classes="modal")
        self.sections = sections
        self.plain_text = ""  # the table as plain lines, for tests and screen readers

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide-dialog") as dialog:
            dialog.border_title = "Keys"
            with VerticalScroll(id="help-body"):
                yield Static(self._table(), id="help-table")
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")

    def _table(self) -> Table:
        table = Table(box=None, expand=True, show_header=False, padding=(0, 1))
        table.add_column("key", style="bold", no_wrap=True, width=16)
        table.add_column("action")
        for title, bindings in self.sections:
            table.add_row(Text(title, style="bold underline"), "")
            for b in bindings:
                if not isinstance(b, Binding):
                    b = Binding(*b)
                help_text = b.description + (f" — {b.tooltip}" if b.tooltip else "")
                key = _key_label(self.app, binding_keys(getattr(self.app, "keymap", {}), b))
                table.add_row(key, help_text)
                self.plain_text += f"{key}\t{help_text}\n"
            table.add_row("", "")
        return table
