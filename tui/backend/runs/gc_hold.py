"""Defer CPython's full (generation 2) garbage collections while a run streams.

A run allocates many objects that live on (results, the SDK's rows, an HTTP client's state), so
full collections come round again and again, each one walking every object in the process
(100-180 ms once langsmith, LangChain and openai are imported): the event loop stalls, judges
wait, keys go unanswered. Young garbage is still collected as usual; the full collection runs
once the last hold is released. Process-wide, so holds are counted (a run in the app holds it,
and so does the runner pane while it drains the run's events).
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

FULL_GC_EVERY_WHILE_HELD = 1_000_000  # gen-1 collections between full ones


class FullGcHold:
    def __init__(self) -> None:
        self._holders = 0
        self._saved: tuple[int, int, int] | None = None
        self._lock = threading.Lock()

    def hold(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._saved = gc.get_threshold()
                first, second, _ = self._saved
                gc.set_threshold(first, second, FULL_GC_EVERY_WHILE_HELD)
            self._holders += 1

    def release(self) -> None:
        with self._lock:
            if self._holders == 0:
                return
            self._holders -= 1
            if self._holders == 0 and self._saved is not None:
                gc.set_threshold(*self._saved)
                self._saved = None

    def __enter__(self) -> FullGcHold:
        self.hold()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


hold_full_gc = FullGcHold()


def holding_full_gc(fn: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Decorate an async function to hold full collections from its first line to its return."""

    @functools.wraps(fn)
    async def held(*args: Any, **kwargs: Any) -> T:
        with hold_full_gc:
            return await fn(*args, **kwargs)

    return held
