"""A file path field that completes from the filesystem: `PathInput` with `PathSuggester`.

The suggestion is the first entry (folders first, then files, by name) whose name starts with
what is typed after the last `/`; a folder is suggested with its trailing `/` so the next tab
goes on into it. Tab or right accepts it; with nothing to accept, tab moves the focus as usual.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input

MAX_ENTRIES = 2000  # a huge folder is read only this far


def complete_path(value: str, cwd: Path | None = None) -> str | None:
    """The completion of `value` (a path as typed, `~` allowed), or None."""
    if not value:
        return None
    head, sep, stem = value.rpartition(os.sep)
    folder_text = head + sep if sep else ""
    base = Path(os.path.expanduser(folder_text or ".")) if folder_text != os.sep else Path(os.sep)
    if not base.is_absolute():
        base = (cwd or Path.cwd()) / base
    try:
        with os.scandir(base) as entries:
            found = []
            for count, entry in enumerate(entries):
                if count >= MAX_ENTRIES:
                    break
                if entry.name.startswith(stem) and (stem.startswith(".") or not entry.name.startswith(".")):
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    found.append((not is_dir, entry.name, is_dir))
    except OSError:
        return None
    if not found:
        return None
    _, name, is_dir = min(found)
    completed = folder_text + name + (os.sep if is_dir else "")
    return completed if completed != value else None


class PathSuggester(Suggester):
    """Suggests the completion of the typed path (not cached: the folder may change)."""

    def __init__(self, cwd: Path | None = None) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.cwd = cwd

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value, self.cwd)


class PathInput(Input):
    """An `Input` with path completion; tab accepts the shown completion."""

    BINDINGS = [Binding("tab", "accept_suggestion", "Complete", show=False, id="path.complete")]

    def __init__(self, value: str = "", *, cwd: Path | None = None, **kwargs) -> None:
        super().__init__(value, suggester=PathSuggester(cwd), **kwargs)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "accept_suggestion":
            # Nothing to accept: tab goes on to the screen's focus_next.
            return bool(self._suggestion) and len(self._suggestion) > len(self.value) and self.cursor_at_end
        return super().check_action(action, parameters)

    def action_accept_suggestion(self) -> None:
        self.action_cursor_right()
