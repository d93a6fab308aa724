"""The submit and cancel wiring of a form modal (inputs above a Cancel and a submit button)."""

from __future__ import annotations

from textual.widgets import Button


class FormButtons:
    """Enter in any input, or the button whose id is `SUBMIT_BUTTON`, submits (`action_submit`);
    the other button cancels (`action_cancel`), as escape does. Mixed in before `ModalScreen`."""

    SUBMIT_BUTTON = "submit"

    def on_input_submitted(self) -> None:
        self.action_submit()  # type: ignore[attr-defined]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == self.SUBMIT_BUTTON:
            self.action_submit()  # type: ignore[attr-defined]
        else:
            self.action_cancel()  # type: ignore[attr-defined]
