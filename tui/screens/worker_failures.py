"""The one path from a failed backend call in a worker to the user: `OperationFailed`.

`@reports_failure("Could not load datasets")` on a screen method: when the method raises, the
screen is sent `OperationFailed(title, describe_error(err), modal)` and the call returns
`fallback` instead, so the worker can go on (a failed rule listing still lets the local files
load). The screen's `on_operation_failed` shows it: a notification, or an error dialog (`modal`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from tui.backend.core.errors import describe_error
from tui.screens.main_messages import OperationFailed

T = TypeVar("T")


def reports_failure(title: str, *, modal: bool = False, fallback: Any = None,
                    errors: tuple[type[BaseException], ...] = (Exception,),
                    describe: Callable[[BaseException], str] = describe_error) -> Callable:
    """Decorate a method of a message pump (runs in any thread: `post_message` is thread-safe)."""

    def decorate(method: Callable[..., T]) -> Callable[..., T]:
        @wraps(method)
        def reported(self: Any, *args: Any, **kwargs: Any) -> T:
            try:
                return method(self, *args, **kwargs)
            except errors as err:
                self.post_message(OperationFailed(title, describe(err), modal=modal))
                return fallback

        return reported

    return decorate
