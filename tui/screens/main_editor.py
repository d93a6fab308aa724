"""Key e of the main screen: the selected function's file in the user's editor, at its line.

A mixin of `MainScreen`. The app is suspended (`App.suspend`) while `$VISUAL` / `$EDITOR` runs in
the terminal; on return the file is read again (the list and the Source pane) and, when the
function was tested in this session, its test runs again as it was last run (same dataset).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from textual.app import SuspendNotSupported

from tui.backend.core.errors import InvalidInput
from tui.backend.core.models import Rule, WorkspaceEvaluator
from tui.backend.source.editor_command import EditorCommand, editor_command
from tui.backend.source.functions import BrokenFile, LocalFunction
from tui.modals.test_modal import TestModal


class EditorActions:
    # The last test modal opened for each function (path::name), to run it again after an edit.
    _tested: Mapping[str, TestModal] = MappingProxyType({})

    def remember_test(self, function: LocalFunction, modal: TestModal) -> None:
        self._tested = {**self._tested, function.key: modal}

    def action_edit(self) -> None:
        function = self._function_to_edit()
        if function is None:
            return
        ran, problem = self.run_in_editor(  # a broken file's row has its error's line as its line
            function.path, function.lineno,
            f"This terminal cannot be handed over to an editor; open {function.path} yourself: "
            "the folder is watched and the list follows your saves.")
        if not ran:
            return
        if problem is not None:
            self.notify(problem, title="Editor", severity="warning", timeout=10)
        self.editor_returned(function)

    def run_in_editor(self, path: Path, line: int | None, cannot_suspend: str) -> tuple[bool, str | None]:
        """`$VISUAL` / `$EDITOR` on `path` (at `line`) with the app suspended: (ran, its problem).
        Not run when no editor is set or the terminal cannot be handed over (`cannot_suspend`);
        either is said in a notification."""
        try:
            command = editor_command(path, line)
        except InvalidInput as err:
            self.notify(str(err), title="Editor", severity="warning", timeout=10)
            return False, None
        try:
            with self.app.suspend():
                return True, run_editor(command)
        except SuspendNotSupported:
            self.notify(cannot_suspend, title="Editor", severity="warning", timeout=10)
            return False, None

    def editor_returned(self, function: LocalFunction) -> None:
        """Read the edited file again; run the function's last test again, if it had one."""
        self.load_source(function)  # also when the function itself is unchanged (a helper was edited)
        self.rescan_local_files(self.evaluators.rules)
        previous = self._tested.get(function.key)
        if previous is None or isinstance(function, BrokenFile):
            return
        names = [d.name for d in self.datasets.datasets]
        modal = TestModal(function.path, function.name, names, previous.dataset)
        self.remember_test(function, modal)
        self.app.push_screen(modal)

    def _function_to_edit(self) -> LocalFunction | None:
        sel = self.selected
        if isinstance(sel, LocalFunction):
            return sel
        if isinstance(sel, Rule):
            local = self.evaluators.local_named(sel.name)
            hint = (f"; the local function {local.name}() is under Local files" if local is not None
                    else "; select a local function to edit its file")
            self.notify(f"{sel.name!r} is an uploaded rule: it has no local file to edit{hint}.", severity="warning")
        elif isinstance(sel, WorkspaceEvaluator):
            self.notify(f"{sel.name!r} is a workspace evaluator: it has no local file to edit.", severity="warning")
        else:
            self.notify("Select a local function to edit (evaluators pane, key 1).", severity="warning")
        return None


def run_editor(command: EditorCommand) -> str | None:
    """Run the editor in the terminal until it exits; a sentence when it could not run or failed."""
    try:
        completed = subprocess.run(command.argv, check=False)
    except FileNotFoundError:
        return f"Could not start the editor: ${command.variable} names {command.editor!r}, which is not installed."
    except OSError as err:
        return f"Could not start the editor {command.editor!r} (from ${command.variable}): {err.strerror or err}."
    except KeyboardInterrupt:
        return "The editor was interrupted; the file is read again as it is now."
    if completed.returncode != 0:
        return f"The editor exited with status {completed.returncode}; the file is read again as it is now."
    return None
