"""One result in full: the example's inputs, the target's outputs, the reference, and the score."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from tui.backend.core.models import ExperimentResult, Score
from tui.modals.close_modal import CloseModal
from tui.widgets.formatting import pretty_json
from tui.widgets.results_grid import score_cell


def _name(score: Score) -> str:
    """A score as people read it: its key, and the evaluator when that says more than the key."""
    return score.key if score.evaluator in ("", score.key) else score.ident


class ResultCellModal(CloseModal):
    """Opened from a grid cell; `key` picks the evaluator score shown first (None: all of them)."""

    DEFAULT_CSS = """
    ResultCellModal {
        align: center middle;
        background: $background 60%;
    }
    ResultCellModal #cell-dialog {
        width: 100;
        max-width: 96%;
        height: 90%;
        border: thick $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    ResultCellModal .cell-heading {
        margin-top: 1;
        text-style: bold;
        color: $accent;
    }
    ResultCellModal #cell-body {
        height: 1fr;
    }
    ResultCellModal .cell-error {
        color: $error;
    }
    ResultCellModal .buttons {
        height: auto;
        align-horizontal: right;
    }
    """

    BINDINGS = [Binding("escape,enter", "close", "Close", id="cell.close")]

    def __init__(self, result: ExperimentResult, key: str | None = None) -> None:
        """`key`: the chosen cell's `Score.ident` (a bare evaluator key also matches)."""
        super().__init__()
        self.result = result
        self.key = key

    def _chosen(self, score: Score) -> bool:
        return self.key is not None and self.key in (score.ident, score.key)

    def _score_lines(self) -> list[Static]:
        scores = sorted(self.result.scores, key=lambda s: not self._chosen(s))
        lines: list[Static] = []
        for score in scores:
            head = Text.assemble((f"{_name(score)}: ", "bold"), score_cell(score),
                                 f"  ({score.score!r})" if not score.error else "")
            lines.append(Static(head, classes="cell-score"))
            if score.error:
                lines.append(Static(Text(f"error: {score.error}"), classes="cell-error"))
            elif score.comment:
                lines.append(Static(Text(f"comment: {score.comment}")))
        if self.key is not None and not any(self._chosen(s) for s in scores):
            lines.append(Static(f"No {self.key} score for this example.", markup=False))
        return lines

    def compose(self) -> ComposeResult:
        r = self.result
        with Vertical(id="cell-dialog") as dialog:
            chosen = next((s for s in r.scores if self._chosen(s)), None)
            dialog.border_title = f"Result · {_name(chosen) if chosen else self.key or 'example'}"
            with VerticalScroll(id="cell-body"):
                yield Static(Text(f"example {r.example_id}", style="dim"))
                if r.error:
                    yield Static("Target error", classes="cell-heading")
                    yield Static(Text(r.error), classes="cell-error", id="cell-target-error")
                yield Static("Scores", classes="cell-heading")
                yield from self._score_lines()
                yield Static("Inputs", classes="cell-heading")
                yield Static(Text(pretty_json(r.inputs)), id="cell-inputs")
                yield Static("Outputs", classes="cell-heading")
                yield Static(Text(pretty_json(r.outputs) if r.outputs is not None else "— (no output)"),
                             id="cell-outputs")
                yield Static("Reference outputs", classes="cell-heading")
                yield Static(Text(pretty_json(r.reference_outputs)), id="cell-reference")
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")
