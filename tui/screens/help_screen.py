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
    BINDINGS = [
        Binding("escape,question_mark,f1", "close", "Close", id="help.close"),
        # The list scrolls one line per key however fast they come (the list's own bindings
        # animate, and keys typed during the animation scrolled to the same line).
        *(Binding(key, f"scroll_body('{where}')", show=False, priority=True)
          for key, where in (("down", "down"), ("up", "up"), ("pagedown", "page_down"),
                             ("pageup", "page_up"), ("home", "home"), ("end", "end"))),
    ]
    FOCUS_ON_OPEN = "#help-body"  # the arrow keys scroll the list at once
    closes_on_help_key = True  # the app's `?` (a priority key) lets this screen have it

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

    def action_scroll_body(self, where: str) -> None:
        getattr(self.query_one("#help-body", VerticalScroll), f"scroll_{where}")(animate=False, immediate=True)

    def _table(self) -> Table:
        table = Table(box=None, expand=True, show_header=False, padding=(0, 1))
        table.add_column("key", style="bold", no_wrap=True, width=16)
        table.add_column("action")
        for title, rows in self._rows():
            table.add_row(Text(title, style="bold underline"), "")
            for key, help_text in rows:
                table.add_row(key, help_text)
                self.plain_text += f"{key}\t{help_text}\n"
            table.add_row("", "")
        return table

    def _rows(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Each section's (keys, text) rows, every key with the same meaning listed once: the runner's
        keys work from the main screen too, so its section keeps only what is its own."""
        keymap = getattr(self.app, "keymap", {})
        seen: set[tuple[str, str]] = set()
        sections = []
        for title, bindings in self.sections:
            rows = []
            for b in bindings:
                if not isinstance(b, Binding):
                    b = Binding(*b)
                keys = [k.strip() for k in binding_keys(keymap, b).split(",")]
                new = [k for k in keys if (k, b.description) not in seen]
                seen.update((k, b.description) for k in keys)
                if new:
                    help_text = b.description + (f" — {b.tooltip}" if b.tooltip else "")
                    rows.append((_key_label(self.app, ",".join(new)), help_text))
            if rows:
                sections.append((title, rows))
        return sections
