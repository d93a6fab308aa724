"""A loading indicator that appears only when loading takes a while.

Fast loads never draw the (animated, repainting) indicator; a slow one shows it after `delay`.
"""

from __future__ import annotations

from textual.timer import Timer
from textual.widget import Widget

LOADING_DELAY_S = 0.3


class DelayedLoading:
    def __init__(self, target: Widget, delay: float = LOADING_DELAY_S) -> None:
        self.target, self.delay = target, delay
        self._timer: Timer | None = None
        self._wanted = False

    def set(self, loading: bool) -> None:
        self._wanted = loading
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not loading:
            self.target.loading = False
            return
        self._timer = self.target.set_timer(self.delay, self._show)

    def _show(self) -> None:
        # A timer that already fired can still call us after stop(): only show the indicator if
        # loading is still wanted, or the widget would stay "loading" (and unfocusable).
        self._timer = None
        if self._wanted:
            self.target.loading = True
