"""One line at the bottom: which workspace, the masked key, and whether it answers."""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual.widgets import Static

ConnectionState = Literal["connecting", "connected", "error"]

_STATE_STYLE = {"connecting": ("◌ connecting…", "yellow"), "connected": ("● connected", "green"),
                "error": ("✖ not connected", "red")}


class StatusBar(Static):
    """Never shows a key unmasked: it only ever receives `Settings.masked_key`."""

    def __init__(self, kind: str, masked_key: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.masked_key = masked_key
        self.location = "opening workspace…"
        self.state: ConnectionState = "connecting"

    def on_mount(self) -> None:
        self._refresh()

    def set_location(self, location: str) -> None:
        self.location = location
        self._refresh()

    def set_state(self, state: ConnectionState) -> None:
        self.state = state
        self._refresh()

    def _refresh(self) -> None:
        label, style = _STATE_STYLE[self.state]
        text = Text()
        text.append(f" {label} ", style=style)
        text.append(self.location)
        if self.kind != "local":
            text.append("  key ", style="dim")
            text.append(self.masked_key)
        self.update(text)
