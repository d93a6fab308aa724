"""The headless CLI (`evaltui COMMAND`): `parser` builds the arguments and dispatches to the rule
commands (`rules`) and the experiment commands (`experiments`); `output` prints tables and JSON,
`progress` shows a run's progress, `context` is what every handler receives.

The console script's entry point is `tui.__main__.main`, which parses, then runs a command or the app.
"""

from __future__ import annotations

from tui.cli.context import CliContext
from tui.cli.parser import build_parser, run_command

__all__ = ["CliContext", "build_parser", "run_command"]
