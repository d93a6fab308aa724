"""The footer, with only the keys that fit shown whole.

Textual's footer scrolls its keys under the command-palette key (docked right) when they are too
many for the width, so the last visible key is cut ("m Maximi") and, in the compact style, the
palette key's right margin leaves one cell where a letter of a hidden key shows through
("^p paletteo"). Here the palette key has no margin, and keys that do not fit are hidden whole,
from the right, keeping Help and Quit (help lists every key; the palette reaches every action).
"""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

KEPT_ACTIONS = frozenset({"help", "app.help", "quit", "app.quit"})


class FittedFooter(Footer):
    DEFAULT_CSS = """
    FittedFooter.-compact FooterKey.-command-palette {
        margin: 0;
    }
    """

    async def recompose(self) -> None:
        await super().recompose()
        self.fit_keys()

    def bindings_changed(self, screen) -> None:
        # A dialog opened over this footer's screen moves the focus, which changes that screen's
        # bindings: composing its keys then (≈30 ms) delayed the dialog's first paint. When the
        # dialog closes the screen gets its focus back, its bindings change again, and they are
        # composed then.
        if self.is_attached and self.app.screen is not self.screen:
            return
        super().bindings_changed(screen)

    def on_resize(self) -> None:
        self.fit_keys()

    def fit_keys(self) -> None:
        """Show the keys in order until one does not fit; from there on only Help and Quit."""
        keys = [k for k in self.query_children(FooterKey) if not k.has_class("-command-palette")]
        palette = [k for k in self.query_children(FooterKey) if k.has_class("-command-palette")]
        room = self.size.width - sum(_width(k) for k in palette)
        if room <= 0:
            return
        kept = sum(_width(k) for k in keys if k.action in KEPT_ACTIONS)
        used, full = 0, False
        for key in keys:
            if key.action in KEPT_ACTIONS:
                key.display = True
                continue
            full = full or used + _width(key) + kept > room
            key.display = not full
            used += 0 if full else _width(key)


def _width(key: FooterKey) -> int:
    margin = key.styles.margin
    border = 1 if key.styles.border_left[0] else 0
    return key.render().cell_len + margin.left + margin.right + border
