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


def function_kind(signature: str | None, is_async: bool, is_judge: bool) -> str:
    """`Method 1`, `Method 2 async`, `async judge`... as the app shows an evaluator's shape."""
    if is_judge:
        return "async judge" if is_async else "judge"
    from evaluators.signature import signature_label

    return signature_label(signature, is_async)
