"""A SelectionList whose rows say in text whether they are ticked (✓ / ☐), not only in colour,
and where Space ticks the first row as soon as the list has the focus."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widgets import OptionList, SelectionList
from textual.widgets.option_list import OptionDoesNotExist

TICKED = "✓ "
UNTICKED = "☐ "


class TickList(SelectionList[str]):
    DEFAULT_CSS = """
    TickList > .selection-list--button, TickList > .selection-list--button-highlighted {
        color: $text-muted;
        text-style: none;
    }
    TickList > .selection-list--button-selected, TickList > .selection-list--button-selected-highlighted {
        color: $text-success;
        text-style: bold;
    }
    """

    def _get_left_gutter_width(self) -> int:
        return len(TICKED)

    def render_line(self, y: int) -> Strip:
        line = OptionList.render_line(self, y)  # the prompt alone; the tick replaces the stock button
        index = self.scroll_offset.y + y
        try:
            selection = self.get_option_at_index(index)
        except OptionDoesNotExist:
            return line
        ticked = selection.value in self._selected
        component = "selection-list--button" + ("-selected" if ticked else "")
        if self.highlighted == index:
            component += "-highlighted"
        underlying = next(iter(line)).style or self.rich_style
        tick = self.get_component_rich_style(component, partial=True)
        style = underlying + Style(color=tick.color, bold=tick.bold)
        return Strip([Segment(TICKED if ticked else UNTICKED, style), *line])

    def _on_focus(self, _event: object = None) -> None:
        # Textual leaves nothing highlighted until an arrow key is pressed, so Space did nothing.
        if self.highlighted is None and self.option_count:
            self.highlighted = 0

    def action_select(self) -> None:
        if self.highlighted is None and self.option_count:
            self.highlighted = 0
        super().action_select()
