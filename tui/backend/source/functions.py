"""The evaluator functions found in files, as data: what the listing returns and the app shows.

Kept apart from the code that finds them (`tui.backend.source.discovery`) so the UI can import
these classes without the parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the evaluators package is not needed to draw the main screen
    from evaluators.signature import Signature

SyncState = Literal["not uploaded", "in sync", "changed", "unknown"]


@dataclass(frozen=True)
class FunctionInfo:
    """One top-level function of an evaluator file, found without executing it."""

    name: str
    lineno: int  # first line, decorators included
    end_lineno: int
    signature: Signature | None
    is_async: bool
    is_judge: bool
    source: str

    @property
    def kind(self) -> str:
        return function_kind(self.signature, self.is_async, self.is_judge)


@dataclass(frozen=True, kw_only=True)
class LocalFunction(FunctionInfo):
    """An evaluator function of the local evaluator folder, and how it compares with its rule."""

    path: Path
    sync: SyncState = "not uploaded"

    @property
    def key(self) -> str:
        return f"{self.path}::{self.name}"

    @property
    def state(self) -> str:
        """The State cell: the sync state (a broken file says what is wrong instead)."""
        return self.sync

    def why_not(self, verb: str) -> str | None:
        """Why `verb` (upload, test...) cannot act on this row, or None when it can."""
        return None


@dataclass(frozen=True, kw_only=True)
class BrokenFile(LocalFunction):
    """A file of the evaluator folder that cannot be parsed (or read): one row of its own, named
    after the file, so it stays in the list with its error instead of dropping out of it."""

    error: str  # short, for the State cell: "invalid syntax", "expected ':'"
    detail: str  # the whole message: path, line, column, what the line reads
    error_line: int | None = None
    is_syntax_error: bool = True  # False: the file could not be read or decoded at all

    @classmethod
    def of(cls, path: Path, error: str, detail: str, line: int | None = None,
           is_syntax_error: bool = True) -> BrokenFile:
        return cls(name=path.name, lineno=line or 1, end_lineno=line or 1, signature=None, is_async=False,
                   is_judge=False, source="", path=path, sync="unknown", error=error, detail=detail,
                   error_line=line, is_syntax_error=is_syntax_error)

    @property
    def kind(self) -> str:  # fits the Kind column (11 cells)
        return "bad syntax" if self.is_syntax_error else "unreadable"

    @property
    def state(self) -> str:
        return f"line {self.error_line}: {self.error}" if self.error_line else self.error

    @property
    def problem(self) -> str:
        """What is wrong, for the Source pane's caption: `syntax error at line 3: invalid syntax`."""
        what = "syntax error" if self.is_syntax_error else "unreadable"
        return f"{what} at line {self.error_line}: {self.error}" if self.error_line else self.error

    def why_not(self, verb: str) -> str:
        if self.is_syntax_error and self.error_line:
            fix = f"fix the syntax error at line {self.error_line} first"
        elif self.is_syntax_error:
            fix = "fix its syntax first"
        else:
            fix = "make it readable first"
        return f"Nothing to {verb} in {self.name} yet: {fix} ({self.error}); e opens it in your editor."


def function_kind(signature: str | None, is_async: bool, is_judge: bool) -> str:
    """`Method 1`, `Method 2 async`, `async judge`... as the app shows an evaluator's shape."""
    if is_judge:
        return "async judge" if is_async else "judge"
    from evaluators.signature import signature_label

    return signature_label(signature, is_async)
