"""The bordered box that fills a full-screen list (experiments, compare) above its footer."""

from __future__ import annotations

from textual.containers import Vertical


class ScreenBox(Vertical):
    DEFAULT_CSS = """
    ScreenBox {
        border: round $accent;
        border-title-style: bold;
        height: 1fr;
    }
    """
