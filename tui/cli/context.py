"""What every CLI command handler receives: settings, output streams, a lazy backend, prompts;
and the exit codes the commands share.

Handlers have the shape `def handler(args: argparse.Namespace, ctx: CliContext) -> int`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from tui.backend.core.config import Settings

CANCELLED_EXIT = 130  # Ctrl+C, as a shell reports SIGINT
DECLINED_EXIT = 1  # the user answered No: nothing changed, but the command did not do its job


@dataclass
class CliContext:
    settings: Settings
    assume_yes: bool = False
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: TextIO | None = field(default_factory=lambda: sys.stdin)
    _backend: Any = None

    @property
    def backend(self):
        if self._backend is None:
            from tui.backend.workspace.factory import open_backend

            self._backend = open_backend(self.settings)
        return self._backend

    def out(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)

    def err(self, text: str) -> None:
        print(text, file=self.stderr, flush=True)

    def confirm(self, question: str) -> bool:
        """`[y/N]` prompt. Default, anything but y/yes, EOF or no stdin all mean No.

        `--yes` (assume_yes) answers Yes without asking.
        """
        if self.assume_yes:
            return True
        print(f"{question} [y/N] ", end="", file=self.stdout, flush=True)
        if self.stdin is None or self.stdin.closed:
            self.out("")
            self.out("No input available; answering No.")
            return False
        try:
            answer = self.stdin.readline()
        except (OSError, ValueError):
            answer = ""
        if not answer:
            self.out("")
            self.out("No input available; answering No.")
            return False
        return answer.strip().lower() in ("y", "yes")

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
