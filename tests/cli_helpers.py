"""Helpers shared by the tests that drive the `evaltui` CLI in-process through `tui.__main__.main`."""

from __future__ import annotations

import io
from dataclasses import dataclass

from tui.__main__ import main

# The code of a rule that exists before a test replaces it.
OLD_CODE = "def perform_eval(run, example):\n    return {'score': 1}\n"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def run_cli(*argv: str, stdin: str = "") -> Result:
    """Run `evaltui *argv` with `stdin` as its input; capture the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return Result(code, out.getvalue(), err.getvalue())
