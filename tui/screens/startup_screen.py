"""The first frame: the main screen's layout with empty panes, painted before the main screen exists.

Building the main screen (importing its widgets and modals, mounting ~60 widgets and applying
their CSS) takes a few hundred milliseconds; this screen needs none of that, so the window shows
evaltui's layout, title and keys at once. `EvalTuiApp` swaps in the main screen right after this
screen's first paint. Keys typed meanwhile are kept and replayed there, so nothing typed is lost.
"""

from __future__ import annotations

import asyncio

from textual import events
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Static

from tui.widgets.fitted_footer import FittedFooter
from tui.widgets.status_bar import StatusBar

# (id, border title) of each pane, laid out by the same app.tcss rules as the main screen's panes.
LEFT_PANES = (("evaluators-pane", "Evaluators"), ("datasets-pane", "Datasets"))
RIGHT_PANES = (("source-pane", "Source"), ("examples-pane", "Examples"))
REPLAY_PAUSE_S = 0.1


class StartupScreen(Screen):
    def __init__(self, kind: str, masked_key: str) -> None:
        super().__init__()
        self.kind = kind
        self.masked_key = masked_key
        self.typed: list[events.Key] = []

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        with Horizontal(id="workspace"):
            for column, panes in (("left-column", LEFT_PANES), ("right-column", RIGHT_PANES)):
                with Vertical(id=column):
                    for pane_id, title in panes:
                        pane = Static("", id=pane_id, classes="pane")
                        pane.border_title = title
                        yield pane
        yield StatusBar(self.kind, self.masked_key, id="status-bar")
        yield FittedFooter(compact=True)  # the main screen's, so nothing moves on the switch

    def on_key(self, event: events.Key) -> None:
        self.keep_key(event)
        event.stop()
        event.prevent_default()

    def keep_key(self, event: events.Key) -> None:
        """Keep a key for the main screen (a priority key the app handles arrives here too)."""
        self.typed.append(events.Key(event.key, event.character))

    async def replay_keys(self, app: App) -> None:
        """Send the keys typed while this screen was shown to `app`, now on the main screen.

        Paced like a fast typist: a key's effects (e.g. `/` moving focus to the filter bar) land
        before the next key arrives, as they would have if the main screen had been there.
        """
        typed, self.typed = self.typed, []
        for key in typed:
            app.post_message(key)
            await asyncio.sleep(REPLAY_PAUSE_S)
