"""One example of two experiments side by side: its inputs, then per side the outputs, the score
under comparison and every other score with its comment (opened from the compare screen)."""

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


class PairedResultModal(CloseModal):
    DEFAULT_CSS = """
    PairedResultModal {
        align: center middle;
        background: $background 60%;
    }
    PairedResultModal #paired-dialog {
        width: 120;
        max-width: 96%;
        height: 90%;
        border: thick $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    PairedResultModal .cell-heading {
        margin-top: 1;
        text-style: bold;
        color: $accent;
    }
    PairedResultModal #paired-body {
        height: 1fr;
    }
    PairedResultModal #paired-sides {
        height: auto;
    }
    PairedResultModal .paired-side {
        width: 1fr;
        height: auto;
        padding-right: 1;
    }
    PairedResultModal .cell-error {
        color: $error;
    }
    PairedResultModal .buttons {
        height: auto;
        align-horizontal: right;
    }
    """

    BINDINGS = [Binding("escape,enter", "close", "Close", id="paired.close")]

    def __init__(self, key: str, example_id: str, sides: list[tuple[str, ExperimentResult | None, Score | None]]):
        """`sides`: per experiment its name, its row of the example (None: it has none) and the score
        under comparison."""
        super().__init__()
        self.key, self.example_id, self.sides = key, example_id, sides

    def _side(self, index: int, name: str, row: ExperimentResult | None, score: Score | None) -> ComposeResult:
        letter = "AB"[index]
        yield Static(Text(f"{letter}: {name}", style="bold"), classes="paired-name")
        if row is None:
            yield Static("— no result for this example", markup=False)
            return
        yield Static(Text.assemble((f"{self.key}: ", "bold"), score_cell(score),
                                   f"  ({score.score!r})" if score is not None and not score.error else ""),
                     id=f"paired-score-{letter.lower()}")
        if score is not None and score.error:
            yield Static(Text(f"error: {score.error}"), classes="cell-error")
        elif score is not None and score.comment:
            yield Static(Text(f"comment: {score.comment}"), id=f"paired-comment-{letter.lower()}")
        if row.error:
            yield Static(Text(f"target error: {row.error}"), classes="cell-error")
        yield Static("Outputs", classes="cell-heading")
        yield Static(Text(pretty_json(row.outputs) if row.outputs is not None else "— (no output)"),
                     id=f"paired-outputs-{letter.lower()}")
        others = [s for s in row.scores if s is not score]
        if others:
            yield Static("Other scores", classes="cell-heading")
            for other in others:
                name_ = other.key if other.evaluator in ("", other.key) else other.ident
                yield Static(Text.assemble((f"{name_}: ", "bold"), score_cell(other),
                                           f"  {other.error or other.comment or ''}"))

    def compose(self) -> ComposeResult:
        row = next((r for _, r, _ in self.sides if r is not None), None)
        with Vertical(id="paired-dialog") as dialog:
            dialog.border_title = f"{self.key} · example {self.example_id[:12]}"
            with VerticalScroll(id="paired-body"):
                yield Static(Text(f"example {self.example_id}", style="dim"))
                yield Static("Inputs", classes="cell-heading")
                yield Static(Text(pretty_json(row.inputs) if row else "—"), id="paired-inputs")
                with Horizontal(id="paired-sides"):
                    for index, (name, side_row, score) in enumerate(self.sides):
                        with Vertical(classes="paired-side"):
                            yield from self._side(index, name, side_row, score)
                if row is not None:
                    yield Static("Reference outputs", classes="cell-heading")
                    yield Static(Text(pretty_json(row.reference_outputs)), id="paired-reference")
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")
