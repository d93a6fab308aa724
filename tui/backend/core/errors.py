"""Errors every backend raises. Messages are shown to users as-is: never put a key in one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class EvaltuiError(Exception):
    """Base: `str(err)` is a complete, user-facing sentence."""

    exit_code = 1


class NotFound(EvaltuiError):
    def __init__(self, kind: str, name: str, suggestions: list[str] | None = None):
        self.kind, self.name, self.suggestions = kind, name, list(suggestions or [])
        msg = f"{kind} {name!r} not found."
        if self.suggestions:
            msg += " Did you mean: " + ", ".join(repr(s) for s in self.suggestions) + "?"
        super().__init__(msg)


class InvalidInput(EvaltuiError):
    exit_code = 2


class AuthError(EvaltuiError):
    """401/403: the key is wrong or lacks permission. Never include the key."""


class RateLimited(EvaltuiError):
    pass


class ServerError(EvaltuiError):
    pass


class ConnectionFailed(EvaltuiError):
    pass


class Ambiguous(EvaltuiError):
    """Several rules share one name; the user must pick one by id."""


class EvaluatorLoadError(EvaltuiError):
    """The evaluator file could not be loaded (syntax error, missing function, bad signature)."""
    exit_code = 2


class WorkspaceError(EvaltuiError):
    """The local workspace file is corrupted, locked or unwritable."""


def describe_error(err: BaseException) -> str:
    """A sentence for the user: our errors as they are, anything else named but without a traceback."""
    if isinstance(err, EvaltuiError):
        return str(err)
    return f"Unexpected {type(err).__name__}: {err}"


def suggest(name: str, candidates: Iterable[str]) -> list[str]:
    """Up to three candidates close to `name`, compared case-insensitively."""
    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.5)
    return [by_lower[c] for c in close]
