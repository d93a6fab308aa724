"""Read-only, highlighted source of the selected evaluator: a local file or a rule's stored code.

TextArea compiles tree-sitter's Python highlight query for every document it builds (~30 ms each);
a TextArea created with a language builds two before the first frame. So the viewer starts as plain
text and turns the language on when it first has code to show (one compile per text shown).
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static, TextArea

LANGUAGE = "python"


class SourceViewer(Vertical):
    """Shows code as text; remote code is never executed here."""

    BORDER_TITLE = "Source"
    BINDINGS = [
        Binding("c", "copy_source", "Copy", id="source.copy", tooltip="Copy the shown code"),
        Binding("j", "jump_to_function", "Jump to fn", id="source.jump",
                tooltip="Move the cursor to the selected function"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.function_line: int | None = None
        self.origin = ""

    def compose(self) -> ComposeResult:
        yield Static("Select an evaluator to see its code.", id="source-caption")
        area = TextArea("", id="source-text", read_only=True, show_line_numbers=True, soft_wrap=False)
        area.can_focus = True
        yield area

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def show_file(self, path: Path, text: str, function: str | None, line: int | None) -> None:
        self.origin = str(path)
        caption = f"{path.name} · {function}() line {line}" if function and line else path.name
        self._show(text, caption, line)

    def show_rule_code(self, name: str, code: str | None, target: str) -> None:
        self.origin = f"rule {name}"
        if not code:
            self._show("", f"rule {name} · {target} · no code stored (not a code rule)", None)
            return
        self._show(code, f"rule {name} · {target} · remote code, shown as text", 1)

    def _show(self, text: str, caption: str, line: int | None) -> None:
        area = self.query_one(TextArea)
        area.load_text(text)
        if area.language is None and text:
            area.language = LANGUAGE  # the first code shown: from now on load_text highlights
        self.function_line = line
        self.query_one("#source-caption", Static).update(caption)
        self.action_jump_to_function()

    def action_copy_source(self) -> None:
        text = self.text
        if not text:
            self.notify("Nothing to copy: select an evaluator first.", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {len(text.splitlines())} lines of {self.origin} to the clipboard.")

    def action_jump_to_function(self) -> None:
        area = self.query_one(TextArea)
        if self.function_line is None:
            return
        row = max(0, min(self.function_line - 1, area.document.line_count - 1))
        area.move_cursor((row, 0))
        area.scroll_to(y=max(0, row - 1), animate=False)
