"""The command that opens a file in the user's editor, at a line when the editor takes one.

The editor is `$VISUAL`, else `$EDITOR` (a command with its own arguments, e.g. `code --wait`),
never a guess. Editors known to read `+LINE` get `EDITOR +LINE PATH`; any other gets the path only.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tui.backend.core.errors import InvalidInput

# vi and its kin, nano and pico, the emacsen, micro, kakoune, joe and mg all read `+LINE PATH`.
LINE_ARGUMENT_EDITORS = frozenset({
    "vi", "vim", "nvim", "view", "nano", "pico", "emacs", "emacsclient", "micro", "kak", "joe", "mg",
})

NO_EDITOR = ("Neither $VISUAL nor $EDITOR is set, so evaltui does not know your editor: set one (for example "
             "`export EDITOR=nano`) and start evaltui again.")


@dataclass(frozen=True)
class EditorCommand:
    argv: list[str]  # the program as found on PATH (the one whose name decided `+LINE`), then its arguments
    variable: str  # "VISUAL" or "EDITOR": where the editor came from, for messages
    editor: str  # the program as the variable names it
    at_line: bool  # False: the editor is not known to take `+LINE`, it opens the file at its top


def editor_command(path: Path, line: int | None, env: Mapping[str, str] | None = None) -> EditorCommand:
    """`$VISUAL`/`$EDITOR` with `+LINE` (when it takes one) and `path`; InvalidInput when neither
    variable holds a command."""
    env = os.environ if env is None else env
    variable, value = next(((v, env[v].strip()) for v in ("VISUAL", "EDITOR") if env.get(v, "").strip()),
                           (None, ""))
    if variable is None:
        raise InvalidInput(NO_EDITOR)
    try:
        words = shlex.split(value)
    except ValueError as err:
        raise InvalidInput(f"${variable} ({value!r}) cannot be read as a command: {err}.") from None
    if not words or not words[0]:
        raise InvalidInput(f"${variable} ({value!r}) names no program to run.")
    program = shutil.which(words[0], path=env.get("PATH")) or words[0]
    at_line = bool(line and line > 0 and editor_name(program) in LINE_ARGUMENT_EDITORS)
    argv = [program, *words[1:], *([f"+{line}"] if at_line else []), str(path)]
    return EditorCommand(argv, variable, words[0], at_line)


def editor_name(program: str) -> str:
    """`vim` for `vim`, `/usr/bin/vim.basic`, `nvim.exe` or an `editor` link that leads to vim."""
    for name in (Path(program).name, Path(os.path.realpath(program)).name):
        stem = name.lower().removesuffix(".exe").split(".")[0]
        if stem in LINE_ARGUMENT_EDITORS:
            return stem
    return Path(program).name
